# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fixed PowerShell runner used over the winrm transport, and its request / response encoding.

The wire protocol is specified in docs/dev/contracts.md ("Wire protocol of the WinRM runner"):
- the command line is powershell.exe ... -EncodedCommand <UTF-16LE Base64 of RUNNER_SCRIPT>;
- stdin carries the Base64 (ASCII) of a UTF-8 JSON request, then end of input;
- stdout carries one UTF-8 JSON response whose output objects are CLIXML, serialized by PowerShell itself at the depth
  remoting uses, so that the winrm transport returns exactly what the psrp transport returns for the same statements.

RUNNER_SCRIPT is reviewed text: the lab (and any host-side allow-listing) recognises it by its sha256, so change it
only deliberately and together with those. Data never becomes script text: the request is parsed as JSON and
every cmdlet is invoked by name with splatted parameters, and only names on the allow-list are invoked. A unit test parses
it with a PowerShell grammar (tree-sitter-powershell) and fails on any syntax error.

Size: WinRS runs commands through the cmd shell, whose command line limit is 8191 characters; the encoded script
inflates 8/3 times, so the script stays compact (short names, the allow-list grouped by noun) and a unit test keeps
the whole command line under MAX_COMMAND_LINE.

The script, line by line, as Windows PowerShell 5.1 (the powershell.exe of Windows Server) runs it:
1. $ErrorActionPreference='Stop' makes any failure of the runner itself terminating (caught at the end: stderr, exit 1);
   $ProgressPreference='SilentlyContinue' because Hyper-V cmdlets write progress (their operation watcher) and a
   non-interactive host has nowhere to draw it (ansible-core's own wrapper does the same).
2. $k, the allow-list, from the groups 'Noun:Verb,Verb'.
3. A: ConvertFrom-Json on 5.1 makes JSON objects PSCustomObjects and JSON arrays Object[]; a parameter value that is an
   object becomes a hashtable again (Move-VM -Vhds), an array stays an array (`return ,@(...)` keeps one-element and
   empty arrays from being unrolled). The full type name is used: the [PSCustomObject] accelerator means PSObject with -is,
   which every wrapped value is. 5.1 reads JSON integers as Int32 (Int64, Decimal when larger) and other numbers as
   Decimal, and leaves ISO-8601 strings as strings (only the "/Date(ticks)/" form becomes a DateTime); parameter binding converts
   them as it converts any argument.
4. E / R: an error record as the contract's dictionary; the exception's type name is written in parentheses, where
   PowerShell reads a method call in an argument the same way with or without them.
5. ($input|Out-String): with -EncodedCommand and a redirected stdin, powershell.exe hands stdin to the command as $input,
   one line per object. That needs stdin to be a pipe, so the transport runs the command with console_mode_stdin=False
   (WINRS_CONSOLEMODE_STDIN=FALSE), as ansible-core does when it feeds stdin. The request is Base64 of UTF-8 JSON, so no
   console code page touches it; Trim() drops the newline Out-String adds.
6. Each statement is the commands of one PowerShell statement, piped: the statement is refused whole when one of its
   names is not on the allow-list, before any of it runs. The first command runs with splatted parameters, each next one
   receives the objects the previous one wrote (`$y|& $n @a`); @() collects them, so a command that wrote nothing hands an
   empty array to the next, whose process block then never runs, as in a pipeline. Unlike a pipeline the objects are
   collected before the next command starts, which changes nothing for the cmdlets the collection runs.
   -EA 0 -EV ev (ErrorAction SilentlyContinue, ErrorVariable) collects non-terminating error records without writing them
   to stderr; a terminating one (parameter binding) is caught, reported once and ends the statement's output.
7. Every output object is serialized with [Management.Automation.PSSerializer]::Serialize(object, 1): PowerShell's own
   serializer at depth 1, the depth of remoting (fragmentor.cs: SerializationDepthForRemoting = 1), honouring the depth a
   type declares. Nested objects and enum properties therefore arrive as their ToString(), exactly as over PSRP.
8. ConvertTo-Json writes the response (5.1 escapes <, >, & and ' as JSON unicode escapes, which json.loads reads);
   -Depth 4 covers its deepest value (an error record's fields). The bytes go as UTF-8 to the raw stdout stream: no console code page, no BOM.
9. Exit code 0 when the runner worked (cmdlets may still have written errors); 1, with the reason on stderr, otherwise.
   -NonInteractive: a prompt fails instead of waiting for an answer (a ConfirmImpact-High cmdlet without -Confirm:$false
   fails with "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.").
"""


import base64
import hashlib
import json

REQUEST_VERSION = 2
NOT_ALLOWED_ERROR_ID = 'HyperVMobility.CommandNotAllowed'

# The allow-list, grouped by noun to keep the encoded command line short: 'Noun:Verb,Verb' -> Verb-Noun.
# Together these are every cmdlet name in the lab's copy of the documented signatures (tests/unit checks they agree).
ALLOWED_GROUPS = (
    'VMHost:Get,Set', 'VMMigration:Enable,Disable', 'VMMigrationNetwork:Get,Add,Set,Remove', 'VM:Get,Move,Compare,Start', 'VMStorage:Move', 'VMVersion:Update',
    'VMHostSupportedVersion:Get', 'VMReplicationServer:Get,Set', 'VMReplicationAuthorizationEntry:Get,New,Set,Remove',
    'VMReplication:Get,Enable,Set,Remove,Measure,Suspend,Resume', 'VMInitialReplication:Start,Stop',
    'VMReplicationConnection:Test', 'VMFailover:Start,Complete,Stop', 'VMProcessor:Get,Set', 'NetFirewallRule:Enable,Get',
    'WindowsFeature:Get', 'ADAccountControl:Set', 'ADComputer:Get,Set', 'CimInstance:Get', 'VMHardDiskDrive:Get', 'VMSnapshot:Get',
    'VMNetworkAdapter:Get,Set,Connect', 'VMSwitch:Get', 'Variable:Get', 'VMNetworkAdapterFailoverConfiguration:Get,Set', 'Object:Select', 'Service:Get,Stop',
)


def _expand_groups(groups):
    names = []
    for group in groups:
        noun, verbs = group.split(':')
        names.extend('%s-%s' % (verb, noun) for verb in verbs.split(','))
    return tuple(names)


ALLOWED_CMDLETS = _expand_groups(ALLOWED_GROUPS)

RUNNER_SCRIPT = r"""$ErrorActionPreference='Stop';$ProgressPreference='SilentlyContinue'
$k=foreach($g in '""" + "','".join(ALLOWED_GROUPS) + r"""'){$u,$v=$g-split':';foreach($x in $v-split','){"$x-$u"}}
function A($v){
if($v -is [Management.Automation.PSCustomObject]){$h=@{};foreach($p in $v.PSObject.Properties){$h[$p.Name]=A $p.Value};return $h}
if($v -is [Array]){return ,@(foreach($i in $v){A $i})}
$v}
function E($n,$m,$i,$c,$x,$t){@{command=$n;message=$m;fully_qualified_error_id=$i;category=$c;exception_type=$x;target=$t}}
function R($n,$e){E $n $e.Exception.Message $e.FullyQualifiedErrorId ([string]$e.CategoryInfo.Category) ($e.Exception.GetType().FullName) """ \
    r"""$(if($null -ne $e.TargetObject){[string]$e.TargetObject})}
try{
$q=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String(($input|Out-String).Trim()))|ConvertFrom-Json
if($q.version -ne 2){throw 'bad request version'}
$o=@();$r=@();$m=@()
foreach($s in $q.statements){$y=@();$f=1
$d=@(foreach($c in $s.commands){$n=[string]$c.name;if($k -notcontains $n){$n}})
if($d.Count){foreach($n in $d){
$r+=E $n "'$n' is not allowed." HyperVMobility.CommandNotAllowed PermissionDenied System.UnauthorizedAccessException $n};continue}
foreach($c in $s.commands){$n=[string]$c.name
$a=@{};if($null -ne $c.parameters){foreach($p in $c.parameters.PSObject.Properties){$a[$p.Name]=A $p.Value}}
$ev=$wv=$null
try{if($f){$y=@(& $n @a -EA 0 -EV ev -WA 0 -WV wv)}else{$y=@($y|& $n @a -EA 0 -EV ev -WA 0 -WV wv)}}catch{if(@($ev) -notcontains $_){$r+=R $n $_};$y=@()}
foreach($i in $ev){$r+=R $n $i}
foreach($i in $wv){$m+=[string]$i.Message}
$f=0}
foreach($i in $y){$o+=[Management.Automation.PSSerializer]::Serialize($i,1)}}
$b=[Text.Encoding]::UTF8.GetBytes((ConvertTo-Json @{version=2;output=$o;errors=$r;warnings=$m} -Depth 4 -Compress))
$z=[Console]::OpenStandardOutput();$z.Write($b,0,$b.Length);$z.Flush()
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


def build_request(statements):
    """The request document for statements (Commands and Statements: objects whose .commands have .name and .parameters)."""
    return {
        'version': REQUEST_VERSION,
        'statements': [{'commands': [{'name': command.name, 'parameters': dict(command.parameters)} for command in statement.commands]}
                       for statement in statements],
    }


def encode_request(statements):
    """stdin for the runner: the Base64 (ASCII) of the UTF-8 JSON request."""
    document = json.dumps(build_request(statements), separators=(',', ':'), ensure_ascii=False, default=_json_default)
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
