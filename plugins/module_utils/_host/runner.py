# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fixed PowerShell runner used over the winrm transport, and its request / response encoding.

The wire protocol is specified in docs/dev/contracts.md ("Wire protocol of the WinRM runner"):
- the command line is powershell.exe ... -EncodedCommand <UTF-16LE Base64 of RUNNER_SCRIPT>;
- stdin carries the Base64 (ASCII) of a UTF-8 JSON request, then end of input;
- stdout carries one UTF-8 JSON response.

RUNNER_SCRIPT is reviewed text: the lab (and any host-side allow-listing) recognises it by its sha256, so change it
only deliberately and together with those. Data never becomes script text: the request is parsed as JSON and
every cmdlet is invoked by name with splatted parameters, and only names on the allow-list are invoked.

Size: WinRS runs commands through the cmd shell, whose command line limit is 8191 characters; the encoded script
inflates 8/3 times, so the script stays compact (short names, the allow-list grouped by noun) and a unit test keeps
the whole command line under MAX_COMMAND_LINE.

How the script works (kept out of the script itself so the encoded command line stays short):
- $input | Out-String reads stdin (the way ansible-core's own WinRM bootstrap reads it);
- JSON objects from ConvertFrom-Json are PSCustomObjects on Windows PowerShell 5.1, so parameter values that are
  objects are turned back into hashtables (A function) before splatting; the full type name is used because the
  [PSCustomObject] accelerator means PSObject with -is, which every wrapped value is;
- progress records are silenced (as ansible-core's own wrapper does): a non-interactive host has nowhere to draw them;
- -EA 0 -EV ev (ErrorAction SilentlyContinue, ErrorVariable) collects non-terminating error records without writing them to
  stderr; terminating ones (parameter binding) are caught; each record is reported once;
- V converts an output value per the contract (enum -> name, TimeSpan -> seconds, DateTime -> ISO-8601,
  Version/Guid -> string, dictionaries -> objects, lists -> arrays, objects -> type_names/to_string/properties;
  the top-level object is depth 0, its property values depth 1 (list items and dictionary values keep their
  container's depth), and an object at depth 4 becomes its ToString()); the leading comma in `return ,$x` stops PowerShell from unrolling arrays;
- the response is written as UTF-8 bytes to the raw stdout stream (no dependency on the console code page);
- any failure of the runner itself goes to stderr with exit code 1.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import base64
import hashlib
import json

REQUEST_VERSION = 1
NOT_ALLOWED_ERROR_ID = 'HyperVMobility.CommandNotAllowed'

# The allow-list, grouped by noun to keep the encoded command line short: 'Noun:Verb,Verb' -> Verb-Noun.
# Together these are every cmdlet name in shared/reference/cmdlets.json (tests/unit checks they agree).
ALLOWED_GROUPS = (
    'VMHost:Get,Set', 'VMMigration:Enable,Disable', 'VMMigrationNetwork:Get,Add,Set,Remove', 'VM:Get,Move,Compare',
    'VMHostSupportedVersion:Get', 'VMReplicationServer:Get,Set', 'VMReplicationAuthorizationEntry:Get,New,Set,Remove',
    'VMReplication:Get,Enable,Set,Remove,Measure,Suspend,Resume', 'VMInitialReplication:Start,Stop',
    'VMReplicationConnection:Test', 'VMFailover:Start,Complete,Stop', 'VMProcessor:Set', 'NetFirewallRule:Enable,Get',
    'WindowsFeature:Get', 'ADAccountControl:Set', 'ADComputer:Get,Set',
)


def _expand_groups(groups):
    names = []
    for group in groups:
        noun, verbs = group.split(':')
        names.extend('%s-%s' % (verb, noun) for verb in verbs.split(','))
    return tuple(names)


ALLOWED_CMDLETS = _expand_groups(ALLOWED_GROUPS)

RUNNER_SCRIPT = r"""$ErrorActionPreference='Stop';$ProgressPreference='SilentlyContinue'
$allowed=foreach($g in '""" + "','".join(ALLOWED_GROUPS) + r"""'){$u,$w=$g-split':';foreach($x in $w-split','){"$x-$u"}}
function A($v){
if($v -is [Management.Automation.PSCustomObject]){$h=@{};foreach($p in $v.PSObject.Properties){$h[$p.Name]=A $p.Value};return $h}
if($v -is [Array]){return ,@(foreach($i in $v){A $i})}
$v}
function V($v,[int]$d){
if($null -eq $v){return $null}
if($v -is [TimeSpan]){return $v.TotalSeconds}
if($v -is [DateTime]){return $v.ToString('o')}
foreach($t in [Enum],[string],[char],[Version],[Guid]){if($v -is $t){return $v.ToString()}}
if($v.GetType().IsPrimitive -or $v -is [decimal]){return $v}
if($v -is [Collections.IDictionary]){$h=@{};foreach($k in $v.Keys){$h[[string]$k]=V $v[$k] $d};return $h}
if($v -is [Collections.IEnumerable]){$l=[Collections.ArrayList]@();foreach($i in $v){[void]$l.Add((V $i $d))};return ,$l}
if($d -ge 4){return $v.ToString()}
$o=@{};foreach($p in $v.PSObject.Properties){try{$o[$p.Name]=V $p.Value ($d+1)}catch{$o[$p.Name]=$null}}
@{type_names=@($v.PSObject.TypeNames);to_string=[string]$v;properties=$o}}
function E($n,$m,$i,$c,$x,$t){@{command=$n;message=$m;fully_qualified_error_id=$i;category=$c;exception_type=$x;target=$t}}
function R($n,$e){E $n $e.Exception.Message $e.FullyQualifiedErrorId "$($e.CategoryInfo.Category)" $e.Exception.GetType().FullName """ \
    r"""$(if($null -ne $e.TargetObject){[string]$e.TargetObject})}
try{
$q=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(($input|Out-String).Trim()))|ConvertFrom-Json
if($q.version -ne 1){throw 'bad request version'}
$ou=@();$er=@();$wa=@()
foreach($s in $q.statements){foreach($c in $s.commands){
$n=[string]$c.name
if($allowed -notcontains $n){$er+=E $n "'$n' is not allowed." HyperVMobility.CommandNotAllowed PermissionDenied System.UnauthorizedAccessException $n;continue}
$a=@{};if($null -ne $c.parameters){foreach($p in $c.parameters.PSObject.Properties){$a[$p.Name]=A $p.Value}}
$ev=$wv=$r=$null
try{$r=& $n @a -EA 0 -EV ev -WA 0 -WV wv}catch{if(@($ev) -notcontains $_){$er+=R $n $_}}
foreach($i in $r){$ou+=,(V $i 0)}
foreach($i in $ev){$er+=R $n $i}
foreach($i in $wv){$wa+=[string]$i.Message}}}
$b=[Text.Encoding]::UTF8.GetBytes((ConvertTo-Json @{version=1;output=$ou;errors=$er;warnings=$wa} -Depth 40 -Compress))
$so=[Console]::OpenStandardOutput();$so.Write($b,0,$b.Length);$so.Flush()
exit 0
}catch{[Console]::Error.WriteLine("runner failed: $($_.Exception.Message)");exit 1}
"""

RUNNER_SHA256 = hashlib.sha256(RUNNER_SCRIPT.encode('utf-8')).hexdigest()

POWERSHELL_EXE = 'powershell.exe'
# cmd.exe's limit is 8191; keep a margin for the shell's own wrapping.
MAX_COMMAND_LINE = 8000


def encoded_command(script=RUNNER_SCRIPT):
    """Base64 of the script's UTF-16LE bytes, as powershell.exe -EncodedCommand expects."""
    return base64.b64encode(script.encode('utf-16-le')).decode('ascii')


def command_arguments(script=RUNNER_SCRIPT):
    """Arguments of powershell.exe for the runner (WinRS passes them on the command line)."""
    return ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded_command(script)]


def command_line(script=RUNNER_SCRIPT):
    return ' '.join([POWERSHELL_EXE] + command_arguments(script))


def build_request(commands):
    """The request document for commands (objects with .name and .parameters), one statement per command."""
    return {
        'version': REQUEST_VERSION,
        'statements': [{'commands': [{'name': command.name, 'parameters': dict(command.parameters)}]} for command in commands],
    }


def encode_request(commands):
    """stdin for the runner: the Base64 (ASCII) of the UTF-8 JSON request."""
    document = json.dumps(build_request(commands), separators=(',', ':'), ensure_ascii=False, default=_json_default)
    return base64.b64encode(document.encode('utf-8')).decode('ascii')


def decode_request(stdin_text):
    """The inverse of encode_request (used by tests and by the lab's emulation of the runner)."""
    return json.loads(base64.b64decode(stdin_text.strip()).decode('utf-8'))


class RunnerProtocolError(ValueError):
    """stdout of the runner is not a response document of a known version."""


def decode_response(stdout):
    """Parse the runner's stdout (bytes or text) into the response dict; raise RunnerProtocolError if it is not one."""
    text = stdout.decode('utf-8-sig') if isinstance(stdout, bytes) else stdout
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise RunnerProtocolError('the runner did not return JSON: %s (stdout starts with %r)' % (exc, text[:200]))
    if not isinstance(document, dict) or document.get('version') != REQUEST_VERSION:
        raise RunnerProtocolError('the runner returned an unexpected document (version %r)' % (
            document.get('version') if isinstance(document, dict) else None,))
    # ConvertTo-Json writes a one-element or empty array of a missing key as null on some PowerShell versions.
    for key in ('output', 'errors', 'warnings'):
        value = document.get(key)
        document[key] = [] if value is None else (value if isinstance(value, list) else [value])
    return document


def _json_default(value):
    # Parameter values are plain data; anything else is a programming error in the module, said clearly.
    raise TypeError('parameter value of type %s cannot be sent to the host' % type(value).__name__)
