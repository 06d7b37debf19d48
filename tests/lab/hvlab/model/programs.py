"""Windows programs a lab host runs through WinRS: the Azure Site Recovery provider's setup and registration tool, the
Microsoft Azure Recovery Services (MARS) agent's installer, and klist.exe's purge of a logon session's Kerberos tickets
(``klist -li 0x3e7 purge`` empties the host's SYSTEM ticket cache, hvlab.model.directory.SystemTicketCache).

Microsoft documents the command-line installation of the provider on a Hyper-V host (Hyper-V to Azure tutorial,
"Install the provider on a Hyper-V core server"; the same lines serve any Hyper-V host):

    AzureSiteRecoveryProvider.exe /x:<folder> /q     extract the setup quietly into <folder>
    <folder>\\setupdr.exe /i                           install the provider (which brings the Recovery Services agent)
    C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe /r /Friendlyname <name>
        /Credentials <vault credentials file> [/proxyAddress <address> /proxyport <port>
        [/proxyUsername <user> /proxyPassword <password>]]    register the host with the vault's Hyper-V site

On a VMM server (hvlab.model.vmm) the same package installs the VMM flavour of the provider ("Replicate Hyper-V VMs in VMM
clouds", command-line installation): stop the VMM service first, extract, ``setupdr.exe /i`` (the provider goes into VMM's
bin folder and brings no agent), then ``<VMM>\\bin\\DRConfigurator.exe /r /Friendlyname <name> /Credentials <file>
[/EncryptionEnabled <file.pfx>] [proxy switches]``; Microsoft's PowerShell variant adds ``/startvmmservice``, which starts
the VMM service again. The key is the vault's key for VMM servers. On a highly available VMM the node that owns the VMM
role registers; another node cannot (its VMM service does not run there), and a provider installed on another node after
the registration joins it (Microsoft: install the Provider on an active node and register the VMM server, then install
the Provider on the other nodes).

With VMM, the Recovery Services agent goes on each Hyper-V host of the clouds ("Install the Azure Recovery Services agent
on Hyper-V host servers", command line ``MARSAgentInstaller.exe /q /nu``; the agent's documented options: ``/p:<folder>``,
``/s:<cache folder>``, ``/m`` opt in to Microsoft Update, ``/nu`` no update check after installing, ``/d`` uninstall,
``/ph /po /pu /pw`` proxy host, port, user and password). Its service is ``obengine``.

Only exit code 0 (success) is documented; the lab ends every failure with exit code 1 and the reason on stderr, and
never claims more. A host has a small file store (``SimHost.files``, filled by tests the way win_copy would) that
holds the downloaded installers and the vault credentials file. Registration reaches the Site Recovery service the
world is configured with (``World.site_recovery_service``, the lab's stand-in for the cloud's public endpoint) over HTTPS.
Every program run is kept in ``SiteRecoveryHost.history`` (time, program, switch names), so tests can read the order.

Command lines are read as WinRS hands them over: with WINRS_SKIP_CMD_SHELL the line goes straight to the program
(CommandLineToArgvW rules); without it cmd.exe /c first strips the first and the last double quote of a line that
starts with one, as it does on Windows, which breaks a quoted program path followed by quoted arguments.
"""

from __future__ import annotations

import dataclasses
import json
import ntpath
import ssl
import time
import typing
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

PROVIDER_FOLDER = 'C:\\Program Files\\Microsoft Azure Site Recovery Provider'
DRCONFIGURATOR = PROVIDER_FOLDER + '\\DRConfigurator.exe'
PROVIDER_PRODUCT = 'Microsoft Azure Site Recovery Provider'
AGENT_PRODUCT = 'Microsoft Azure Recovery Services Agent'
AGENT_SERVICE = 'obengine'
AGENT_FOLDER = 'C:\\Program Files\\Microsoft Azure Recovery Services Agent'
PROVIDER_VERSION = '5.24.0902.1'
AGENT_VERSION = '2.0.9250.0'
# What the lab writes for a downloaded AzureSiteRecoveryProvider.exe (tests put it where the user's playbook would).
INSTALLER_CONTENT = 'AzureSiteRecoveryProvider %s' % PROVIDER_VERSION
VAULT_CREDENTIALS_NS = '{http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common}'


# Logon sessions: the well-known LUID of the SYSTEM (LocalSystem) session, and the one the lab gives every WinRS caller.
SYSTEM_LOGON_ID = 0x3e7
CALLER_LOGON_ID = 0x5b2d41


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
    """What the provider's setup and registration, and the agent's installer, left on one host."""

    products: dict = dataclasses.field(default_factory=dict)       # product name -> version
    registration: typing.Optional[dict] = None                     # vault, site or VMM server, friendly name, proxy (no password)
    # The registration key's fields the provider keeps (a highly available VMM's other nodes join with them); never shown.
    vault_credentials: typing.Optional[dict] = None
    agent_status: str = 'Running'                                  # the agent's service (obengine), once the agent is installed
    history: list = dataclasses.field(default_factory=list)        # [{time, program, switches, exit_code}]: the order programs ran

    def to_state(self) -> dict:
        return {'products': dict(self.products), 'registration': dict(self.registration) if self.registration else None,
                'history': [dict(entry) for entry in self.history]}

    def services(self) -> dict:
        if AGENT_PRODUCT not in self.products:
            return {}
        return {AGENT_SERVICE: {'display_name': AGENT_PRODUCT, 'status': self.agent_status, 'start_mode': 'Automatic'}}

    def set_service_status(self, name: str, status: str) -> None:
        if name == AGENT_SERVICE:
            self.agent_status = status


USAGE = {
    'drconfigurator': 'Usage: DRConfigurator.exe /r /Friendlyname <name> /Credentials <path> [/EncryptionEnabled <file.pfx>] '
                      '[/proxyAddress <address> /proxyport <port> [/proxyUsername <user> /proxyPassword <password>]] [/startvmmservice]',
    'mars': 'Usage: MARSAgentInstaller.exe /q [/p:<folder>] [/s:<cache folder>] [/m] [/nu] [/d] [/ph:<proxy host> /po:<port> '
            '[/pu:<user> /pw:<password>]] (a remote session has no desktop for the interactive setup: /q is required).',
}


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
        if _is_system_program(path, 'klist.exe'):
            return self._klist(arguments)
        handler = {'azuresiterecoveryprovider.exe': self._extract, 'setupdr.exe': self._install,
                   'drconfigurator.exe': self._configure, 'marsagentinstaller.exe': self._agent}.get(leaf)
        if handler is None or not self.host.has_file(path):
            if skip_cmd_shell:
                raise ProgramNotFound(path)
            return failed("'%s' is not recognized as an internal or external command,\r\noperable program or batch file." % path)
        outcome = handler(path, arguments)
        switches = [argument.split(':', 1)[0] for argument in arguments if argument.startswith('/')]
        self.host.site_recovery.history.append({'time': time.time(), 'program': ntpath.basename(path), 'switches': switches,
                                                'exit_code': outcome.exit_code})
        return outcome

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
        vmm = self.host.vmm
        if vmm is not None:
            return self._install_on_vmm(vmm)
        if not self.host.hyperv_installed:
            return failed('Setup cannot continue: the Hyper-V role is not installed on this server.')
        state = self.host.site_recovery
        state.products[PROVIDER_PRODUCT] = PROVIDER_VERSION
        state.products[AGENT_PRODUCT] = AGENT_VERSION
        self.host.put_file(DRCONFIGURATOR, 'DRConfigurator %s' % PROVIDER_VERSION)
        return ProgramOutcome(0, 'Microsoft Azure Site Recovery Provider %s installed.\r\n' % PROVIDER_VERSION)

    def _install_on_vmm(self, vmm: typing.Any) -> ProgramOutcome:
        """The VMM flavour: into VMM's bin folder, with the VMM service stopped; another node of a registered VMM joins it."""
        if vmm.service_status != 'Stopped':
            return failed('Setup cannot continue while the System Center Virtual Machine Manager service (SCVMMService) is running: '
                          'stop the service, then run setup again.')
        self.host.site_recovery.products[PROVIDER_PRODUCT] = PROVIDER_VERSION
        self.host.put_file(vmm.bin_path + '\\DRConfigurator.exe', 'DRConfigurator %s' % PROVIDER_VERSION)
        joined = self._join_registered_cluster(vmm)
        return ProgramOutcome(0, 'Microsoft Azure Site Recovery Provider %s installed.\r\n%s' % (PROVIDER_VERSION, joined))

    def _join_registered_cluster(self, vmm: typing.Any) -> str:
        """A highly available VMM registered from another node: this node's provider joins that registration."""
        if not vmm.highly_available or vmm.role_owner:
            return ''
        registered = None
        for node in vmm.nodes:
            other = self.host.world.get_host_by_name(node)
            if other is not None and other is not self.host and other.site_recovery.vault_credentials:
                registered = other.site_recovery
                break
        if registered is None:
            return ''
        try:
            self._register(registered.vault_credentials, registered.registration['friendly_name'], vmm)
        except RegistrationRefused as refusal:
            return 'The provider could not join the registration of %s: %s\r\n' % (vmm.name, refusal)
        self.host.site_recovery.registration = dict(registered.registration)
        self.host.site_recovery.vault_credentials = dict(registered.vault_credentials)
        return 'The provider joined the registration of VMM server %s.\r\n' % vmm.name

    # ---- DRConfigurator.exe /r /Friendlyname <name> /Credentials <file> [/EncryptionEnabled <pfx>] [proxy] [/startvmmservice] --------
    def _configure(self, path: str, arguments: typing.List[str]) -> ProgramOutcome:  # pylint: disable=unused-argument
        switches, unknown = _switches(arguments)
        vmm = self.host.vmm
        known = {'r', 'friendlyname', 'credentials', 'proxyaddress', 'proxyport', 'proxyusername', 'proxypassword'}
        if vmm is not None:
            known |= {'encryptionenabled', 'startvmmservice'}
        if unknown or set(switches) - known or switches.get('r') is not True:
            return failed(USAGE['drconfigurator'])
        for required in ('friendlyname', 'credentials'):
            if not isinstance(switches.get(required), str) or not switches[required]:
                return failed('The /%s parameter is required.' % {'friendlyname': 'Friendlyname', 'credentials': 'Credentials'}[required])
        if ('proxyaddress' in switches) != ('proxyport' in switches) or ('proxyusername' in switches) != ('proxypassword' in switches):
            return failed('Give /proxyAddress with /proxyport, and /proxyUsername with /proxyPassword.')
        if vmm is not None and vmm.highly_available and not vmm.role_owner:
            return failed('The System Center Virtual Machine Manager service does not run on this node: register the VMM server from the '
                          'node that owns the VMM cluster role %s.' % vmm.name)
        encryption = switches.get('encryptionenabled')
        if encryption is not None and (not isinstance(encryption, str) or not encryption.lower().endswith('.pfx')):
            return failed('/EncryptionEnabled takes the full name of the file to save the encryption certificate to (a .pfx file).')
        document = self.host.file_content(switches['credentials'])
        if document is None:
            return failed('The vault credentials file %s was not found.' % switches['credentials'])
        try:
            credentials = parse_vault_credentials(document)
        except ValueError as error:
            return failed('The vault credentials file %s is not valid: %s' % (switches['credentials'], error))
        try:
            self._register(credentials, switches['friendlyname'], vmm)
        except RegistrationRefused as refusal:
            return failed('Registration failed: %s' % refusal)
        proxy = {'address': switches.get('proxyaddress'), 'port': switches.get('proxyport'), 'user': switches.get('proxyusername')}
        state = self.host.site_recovery
        state.registration = {'vault': credentials['ResourceName'], 'site': credentials.get('SiteName'), 'friendly_name': switches['friendlyname'],
                              'proxy': proxy if proxy['address'] else None}
        if vmm is not None:
            state.vault_credentials = credentials
            state.registration['vmm_server'] = vmm.name
            if encryption:
                self.host.put_file(encryption, 'encryption certificate of %s' % switches['friendlyname'])
            if switches.get('startvmmservice') is True:
                vmm.service_status = 'Running'
        return ProgramOutcome(0, 'The server was registered with the Azure Site Recovery vault %s.\r\n' % credentials['ResourceName'])

    def _register(self, credentials: dict, friendly_name: str, vmm: typing.Any) -> None:
        """The service side of a registration (RegistrationRefused when the service refuses it)."""
        from hvlab.model.vmm import cloud_inventory  # pylint: disable=import-outside-toplevel  # the world imports this module
        service = self.host.world.site_recovery_service
        if service is None:
            raise RegistrationRefused('unable to connect to the Azure Site Recovery service: the server has no route to the service endpoint')
        body: dict = {'credentials': credentials, 'friendly_name': friendly_name}
        if vmm is None:
            body['vms'] = [{'name': vm.name, 'id': vm.vm_id, 'generation': getattr(vm, 'generation', 2), 'os_type': 'Windows'}
                           for vm in self.host.vms]
        else:
            body['vmm'] = {'node': self.host.fqdn, 'clouds': cloud_inventory(vmm, self.host.world), 'networks': vmm.networks}
        _post_json(service['url'] + '/_control/register-provider', body, service.get('ca_path'))

    # ---- MARSAgentInstaller.exe /q [/nu] [/p:..] [/s:..] [/m] [/d] [proxy] ------------------------------------------------------
    def _agent(self, path: str, arguments: typing.List[str]) -> ProgramOutcome:  # pylint: disable=unused-argument
        switches, unknown = _switches(arguments)
        known = {'q', 'p', 's', 'm', 'nu', 'd', 'ph', 'po', 'pu', 'pw'}
        if unknown or set(switches) - known or switches.get('q') is not True:
            return failed(USAGE['mars'])
        if ('ph' in switches) != ('po' in switches) or ('pu' in switches) != ('pw' in switches) or ('pu' in switches and 'ph' not in switches):
            return failed('Give /ph with /po, and /pu with /pw (with /ph and /po).')
        state = self.host.site_recovery
        if switches.get('d') is True:
            state.products.pop(AGENT_PRODUCT, None)
            return ProgramOutcome(0, '%s was removed.\r\n' % AGENT_PRODUCT)
        state.products[AGENT_PRODUCT] = AGENT_VERSION
        state.agent_status = 'Running'
        folder = switches['p'] if isinstance(switches.get('p'), str) else AGENT_FOLDER
        self.host.put_file(folder + '\\bin\\cbengine.exe', '%s %s' % (AGENT_PRODUCT, AGENT_VERSION))
        return ProgramOutcome(0, '%s %s installed.\r\n' % (AGENT_PRODUCT, AGENT_VERSION))

    # ---- klist.exe [-lh <LogonId.HighPart>] [-li <LogonId.LowPart>] purge ------------------------------------------------
    def _klist(self, arguments: typing.List[str]) -> ProgramOutcome:
        """Only ``purge`` is modelled, of the SYSTEM session (-li 0x3e7, -lh 0) or of the caller's own network logon session.

        The documented syntax: -lh / -li give the high / low part of a logon session's LUID in hexadecimal, the caller's own
        session without them; ``purge`` deletes all the tickets of that session. The output lines are those klist prints;
        no Microsoft page documents them or the exit codes, so the lab ends a failure with 1 and never claims more.
        """
        parts = {'lh': '0', 'li': None}
        words = []
        index = 0
        while index < len(arguments):
            name = arguments[index].lower()
            if name in ('-lh', '-li') and index + 1 < len(arguments):
                parts[name[1:]] = arguments[index + 1]
                index += 2
                continue
            words.append(name)
            index += 1
        if words != ['purge']:
            return failed('The lab models only klist [-lh <LogonId.HighPart>] [-li <LogonId.LowPart>] purge, not: klist %s'
                          % ' '.join(arguments))
        try:
            high, low = (int(value, 16) if value is not None else None for value in (parts['lh'], parts['li']))
        except ValueError:
            return failed('klist: -lh and -li take the parts of a logon ID in hexadecimal (for example -li 0x3e7).')
        current = 'Current LogonId is 0:0x%x' % CALLER_LOGON_ID
        if low is None:
            return ProgramOutcome(0, '\r\n%s\r\n\tDeleting all tickets:\r\n\tTicket(s) purged!\r\n' % current)
        if (high, low) != (0, SYSTEM_LOGON_ID):
            return failed('%s\r\nTargeted LogonId is %x:0x%x\r\nklist failed with 0xc000005f/-1073741729: A specified logon session '
                          'does not exist. It may already have been terminated.' % (current, high, low))
        with self.host.world.lock:
            self.host.world.sync_replication_clock()
            self.host.system_tickets.purge(self.host.world.replication_clock)
        self.host.world.renew_system_tickets(self.host)
        return ProgramOutcome(0, '\r\n%s\r\nTargeted LogonId is 0:0x%x\r\n\tDeleting all tickets:\r\n\tTicket(s) purged!\r\n'
                              % (current, SYSTEM_LOGON_ID))


def _is_system_program(path: str, leaf: str) -> bool:
    """A program of %SystemRoot%\\System32, which CreateProcess finds by its bare name (with or without .exe) or its full path."""
    folder, name = ntpath.split(path.lower())
    if name not in (leaf, leaf[:-len('.exe')]):
        return False
    return folder in ('', 'c:\\windows\\system32', '%systemroot%\\system32', '%windir%\\system32')


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
    for name in ('SubscriptionId', 'ResourceName', 'ResourceGroupName', 'ChannelIntegrityKey', 'SiteId', 'SiteName'):
        element = root.find(VAULT_CREDENTIALS_NS + name)
        if element is not None and (element.text or '').strip():
            fields[name] = element.text.strip()
        elif not name.startswith('Site'):  # the key of a Hyper-V site names it; the key for VMM servers names none
            raise ValueError('%s is missing' % name)
    if ('SiteId' in fields) != ('SiteName' in fields):
        raise ValueError('SiteId and SiteName go together')
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
