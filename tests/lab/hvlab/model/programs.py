"""Windows programs a lab host runs through WinRS: the Azure Site Recovery provider's setup and registration tool.

Microsoft documents the command-line installation of the provider on a Hyper-V host (Hyper-V to Azure tutorial,
"Install the provider on a Hyper-V core server"; the same lines serve any Hyper-V host):

    AzureSiteRecoveryProvider.exe /x:<folder> /q     extract the setup quietly into <folder>
    <folder>\\setupdr.exe /i                           install the provider (which brings the Recovery Services agent)
    C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe /r /Friendlyname <name>
        /Credentials <vault credentials file> [/proxyAddress <address> /proxyport <port>
        [/proxyUsername <user> /proxyPassword <password>]]    register the host with the vault's Hyper-V site

Only exit code 0 (success) is documented; the lab ends every failure with exit code 1 and the reason on stderr, and
never claims more. A host has a small file store (``SimHost.files``, filled by tests the way win_copy would) that
holds the downloaded installer and the vault credentials file. Registration reaches the Site Recovery service the
world is configured with (``World.site_recovery_service``, the lab's stand-in for the cloud's public endpoint) over HTTPS.

Command lines are read as WinRS hands them over: with WINRS_SKIP_CMD_SHELL the line goes straight to the program
(CommandLineToArgvW rules); without it cmd.exe /c first strips the first and the last double quote of a line that
starts with one, as it does on Windows, which breaks a quoted program path followed by quoted arguments.
"""

from __future__ import annotations

import dataclasses
import json
import ntpath
import ssl
import typing
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

PROVIDER_FOLDER = 'C:\\Program Files\\Microsoft Azure Site Recovery Provider'
DRCONFIGURATOR = PROVIDER_FOLDER + '\\DRConfigurator.exe'
PROVIDER_PRODUCT = 'Microsoft Azure Site Recovery Provider'
AGENT_PRODUCT = 'Microsoft Azure Recovery Services Agent'
PROVIDER_VERSION = '5.24.0902.1'
AGENT_VERSION = '2.0.9250.0'
# What the lab writes for a downloaded AzureSiteRecoveryProvider.exe (tests put it where the user's playbook would).
INSTALLER_CONTENT = 'AzureSiteRecoveryProvider %s' % PROVIDER_VERSION
VAULT_CREDENTIALS_NS = '{http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common}'


@dataclasses.dataclass
class ProgramOutcome:
    exit_code: int
    stdout: str = ''
    stderr: str = ''


def failed(message: str) -> ProgramOutcome:
    return ProgramOutcome(1, '', message + '\r\n')


class ProgramNotFound(Exception):
    """CreateProcess found no such program: with WINRS_SKIP_CMD_SHELL no cmd.exe is there to say so, WinRS itself refuses the
    Command with a WSMan fault (pypsrp's recorded test_winrs_no_cmd_shell: code 2147942402, 'The system cannot find the file
    specified.', from the shell's cmd plugin)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def command_line_argv(line: str, skip_cmd_shell: bool) -> typing.List[str]:
    """The argv a program sees for a WinRS command line (CommandLineToArgvW; cmd.exe's quote stripping first unless skipped)."""
    if not skip_cmd_shell and line.startswith('"') and line.count('"') > 2:
        last = line.rfind('"')
        line = line[1:last] + line[last + 1:]
    argv: typing.List[str] = []
    current: typing.List[str] = []
    in_quotes = False
    have_token = False
    index = 0
    while index < len(line):
        char = line[index]
        if char == '\\':
            run = len(line[index:]) - len(line[index:].lstrip('\\'))
            if index + run < len(line) and line[index + run] == '"':
                current.append('\\' * (run // 2))
                if run % 2:
                    current.append('"')
                    index += run + 1
                else:
                    index += run
                have_token = True
                continue
            current.append('\\' * run)
            index += run
            have_token = True
            continue
        if char == '"':
            in_quotes = not in_quotes
            have_token = True
        elif char in ' \t' and not in_quotes:
            if have_token:
                argv.append(''.join(current))
                current, have_token = [], False
        else:
            current.append(char)
            have_token = True
        index += 1
    if have_token:
        argv.append(''.join(current))
    return argv


def _switches(arguments: typing.List[str]) -> typing.Tuple[dict, typing.List[str]]:
    """/name value pairs and bare /flags (case-insensitive names) -> ({name: value or True}, unknown tokens)."""
    found: dict = {}
    unknown: typing.List[str] = []
    index = 0
    while index < len(arguments):
        token = arguments[index]
        if not token.startswith('/'):
            unknown.append(token)
            index += 1
            continue
        name, colon, value = token[1:].partition(':')
        if colon:
            found[name.lower()] = value
        elif index + 1 < len(arguments) and not arguments[index + 1].startswith('/'):
            found[name.lower()] = arguments[index + 1]
            index += 1
        else:
            found[name.lower()] = True
        index += 1
    return found, unknown


@dataclasses.dataclass
class SiteRecoveryHost:
    """What the provider's setup and registration left on one host."""

    products: dict = dataclasses.field(default_factory=dict)       # product name -> version
    registration: typing.Optional[dict] = None                     # vault, site, friendly name, proxy (no password)

    def to_state(self) -> dict:
        return {'products': dict(self.products), 'registration': dict(self.registration) if self.registration else None}


class Programs:
    """Runs the programs a lab host knows; everything else is not found, as cmd or CreateProcess would say."""

    def __init__(self, host: typing.Any) -> None:
        self.host = host

    def run(self, line: str, skip_cmd_shell: bool) -> ProgramOutcome:
        argv = command_line_argv(line, skip_cmd_shell)
        if not argv:
            return ProgramOutcome(0)
        path, arguments = argv[0], argv[1:]
        leaf = ntpath.basename(path).lower()
        handler = {'azuresiterecoveryprovider.exe': self._extract, 'setupdr.exe': self._install,
                   'drconfigurator.exe': self._configure}.get(leaf)
        if handler is None or not self.host.has_file(path):
            if skip_cmd_shell:
                raise ProgramNotFound(path)
            return failed("'%s' is not recognized as an internal or external command,\r\noperable program or batch file." % path)
        return handler(path, arguments)

    # ---- AzureSiteRecoveryProvider.exe /x:<folder> /q ------------------------------------------------------------------
    def _extract(self, path: str, arguments: typing.List[str]) -> ProgramOutcome:
        switches, unknown = _switches(arguments)
        if unknown or set(switches) - {'x', 'q'} or not isinstance(switches.get('x'), str) or switches.get('q') is not True:
            return failed('Usage: AzureSiteRecoveryProvider.exe /x:<folder> /q (a remote session has no desktop for the interactive setup).')
        folder = switches['x']
        if folder in ('', '.'):
            folder = ntpath.dirname(path)
        self.host.put_file(ntpath.join(folder, 'setupdr.exe'), 'setupdr %s' % PROVIDER_VERSION)
        return ProgramOutcome(0)

    # ---- setupdr.exe /i ----------------------------------------------------------------------------------------------
    def _install(self, path: str, arguments: typing.List[str]) -> ProgramOutcome:  # pylint: disable=unused-argument
        if [argument.lower() for argument in arguments] != ['/i']:
            return failed('Usage: setupdr.exe /i')
        if not self.host.hyperv_installed:
            return failed('Setup cannot continue: the Hyper-V role is not installed on this server.')
        state = self.host.site_recovery
        state.products[PROVIDER_PRODUCT] = PROVIDER_VERSION
        state.products[AGENT_PRODUCT] = AGENT_VERSION
        self.host.put_file(DRCONFIGURATOR, 'DRConfigurator %s' % PROVIDER_VERSION)
        return ProgramOutcome(0, 'Microsoft Azure Site Recovery Provider %s installed.\r\n' % PROVIDER_VERSION)

    # ---- DRConfigurator.exe /r /Friendlyname <name> /Credentials <file> [proxy] -------------------------------------------
    def _configure(self, path: str, arguments: typing.List[str]) -> ProgramOutcome:  # pylint: disable=unused-argument
        switches, unknown = _switches(arguments)
        known = {'r', 'friendlyname', 'credentials', 'proxyaddress', 'proxyport', 'proxyusername', 'proxypassword'}
        if unknown or set(switches) - known or switches.get('r') is not True:
            return failed('Usage: DRConfigurator.exe /r /Friendlyname <name> /Credentials <path> [/proxyAddress <address> /proxyport <port> '
                          '[/proxyUsername <user> /proxyPassword <password>]]')
        for required in ('friendlyname', 'credentials'):
            if not isinstance(switches.get(required), str) or not switches[required]:
                return failed('The /%s parameter is required.' % {'friendlyname': 'Friendlyname', 'credentials': 'Credentials'}[required])
        if ('proxyaddress' in switches) != ('proxyport' in switches) or ('proxyusername' in switches) != ('proxypassword' in switches):
            return failed('Give /proxyAddress with /proxyport, and /proxyUsername with /proxyPassword.')
        document = self.host.file_content(switches['credentials'])
        if document is None:
            return failed('The vault credentials file %s was not found.' % switches['credentials'])
        try:
            credentials = parse_vault_credentials(document)
        except ValueError as error:
            return failed('The vault credentials file %s is not valid: %s' % (switches['credentials'], error))
        service = self.host.world.site_recovery_service
        if service is None:
            return failed('Unable to connect to the Azure Site Recovery service: the server has no route to the service endpoint.')
        vms = [{'name': vm.name, 'id': vm.vm_id, 'generation': getattr(vm, 'generation', 2), 'os_type': 'Windows'} for vm in self.host.vms]
        body = {'credentials': credentials, 'friendly_name': switches['friendlyname'], 'vms': vms}
        try:
            _post_json(service['url'] + '/_control/register-provider', body, service.get('ca_path'))
        except RegistrationRefused as refusal:
            return failed('Registration failed: %s' % refusal)
        proxy = {'address': switches.get('proxyaddress'), 'port': switches.get('proxyport'), 'user': switches.get('proxyusername')}
        self.host.site_recovery.registration = {'vault': credentials['ResourceName'], 'site': credentials['SiteName'],
                                                'friendly_name': switches['friendlyname'],
                                                'proxy': proxy if proxy['address'] else None}
        return ProgramOutcome(0, 'The server was registered with the Azure Site Recovery vault %s.\r\n' % credentials['ResourceName'])


class RegistrationRefused(Exception):
    """The Site Recovery service refused the registration (its message)."""


def parse_vault_credentials(document: str) -> dict:
    """The fields of a .VaultCredentials document (ASRVaultCreds XML) that registration uses."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as error:
        raise ValueError(str(error)) from error
    if root.tag.rsplit('}', 1)[-1] != 'ASRVaultCreds':
        raise ValueError('the document is not a Site Recovery vault credentials file')
    fields = {}
    for name in ('SubscriptionId', 'ResourceName', 'ResourceGroupName', 'SiteId', 'SiteName', 'ChannelIntegrityKey'):
        element = root.find(VAULT_CREDENTIALS_NS + name)
        if element is None or not (element.text or '').strip():
            raise ValueError('%s is missing' % name)
        fields[name] = element.text.strip()
    return fields


def _post_json(url: str, body: dict, ca_path: typing.Optional[str]) -> typing.Any:
    context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    request = urllib.request.Request(url, data=json.dumps(body).encode('utf-8'), method='POST', headers={'Content-Type': 'application/json'})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:  # nosec - the lab's own loopback service
            return json.loads(response.read() or b'null')
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read() or b'{}').get('error', {}).get('message')
        except ValueError:
            message = None
        raise RegistrationRefused(message or 'HTTP %s' % error.code) from error
    except (urllib.error.URLError, OSError) as error:
        raise RegistrationRefused('unable to connect to the Azure Site Recovery service (%s)' % error) from error
