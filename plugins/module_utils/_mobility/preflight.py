# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Live-migration preflight of a source -> destination pair: the facts of both hosts and the checks over them.

The checks are small pure functions over HostFacts (one read pipeline per host), DirectoryFacts (what AD says about
the two computer accounts) and a PreflightRequest (what the user asked). Each returns one Check:
{name, status: ok|warning|failed, detail, fix}. Each follows a requirement of Microsoft's "Set up hosts for live
migration without failover clustering" and its Move-VM / Compare-VM behaviour:

- Hyper-V installed on both; the connecting account can run the Hyper-V cmdlets on both (local Administrators or
  Hyper-V Administrators: Get-VMHost answering is the proof).
- Both in the same Active Directory domain, or in domains that trust each other. The hosts' domains are visible from here
  (Win32_ComputerSystem, host_identity), their trusts are not, so different domains are a warning, not a failure.
- Live migration enabled on both; both use the same authentication type.
- The destination accepts incoming migrations on a network the source can use: use-any on the destination, or one of
  the destination's migration networks overlapping one of the source's. Hyper-V offers no NIC list among the cmdlets
  the collection runs, so the source's own migration networks stand for the networks it has addresses in.
- Kerberos: the source's constrained delegation to the destination's migration service (short name and FQDN; cifs too
  when storage moves or the performance option is SMB), with "use any authentication protocol" unless the modules
  reach the source with Kerberos; or resource-based delegation on the destination account.
- CredSSP: a warning that the move must start from a session on the source.
- The destination supports the configuration version of each VM (Get-VMHostSupportedVersion).
- SMB performance option on both ends when one uses it; concurrency limits above zero.
"""

import ipaddress

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV, HostVersions, hyperv_role_installed, is_command_not_found

MIGRATION_SERVICE = 'Microsoft Virtual System Migration Service'

OK = 'ok'
WARNING = 'warning'
FAILED = 'failed'
STATUSES = (OK, WARNING, FAILED)

# One read pipeline per host (migration_preflight and the mesh's phase 1 read the same).
READ_COMMANDS = reads.PREFLIGHT

CHECK_NAMES = ('connection', 'hyperv_installed', 'administrator', 'domain', 'migration_enabled', 'networks',
               'authentication_type', 'delegation', 'vm_versions', 'smb_performance', 'concurrency')


class Check:
    """The outcome of one check."""

    def __init__(self, name, status, detail, fix=None):
        if status not in STATUSES:
            raise ValueError('status must be one of %s' % ', '.join(STATUSES))
        self.name = name
        self.status = status
        self.detail = detail
        self.fix = fix

    def to_dict(self):
        return dict(name=self.name, status=self.status, detail=self.detail, fix=self.fix)

    def __repr__(self):
        return 'Check(%r, %r, %r)' % (self.name, self.status, self.detail)


def not_checked(name, reason):
    """A check that could not run because an earlier one failed: a warning that says why."""
    return Check(name, WARNING, 'not checked: %s' % reason, 'fix the failed checks above and run the preflight again')


# ---------------------------------------------------------------- facts

class HostFacts:
    """What one host of the pair reported in its read pipeline (or why it could not be read)."""

    def __init__(self, role, name, reachable=True, error=None):
        self.role = role                    # 'source' or 'destination'
        self.name = name                    # as the task names it (hyperv_host / destination)
        self.reachable = reachable
        self.error = error                  # connection error, when not reachable
        self.hyperv_installed = False
        self.hyperv_error = None            # Get-VMHost's error record, when Hyper-V answered with one
        self.computer_name = None
        self.fqdn = None
        self.domain = None                  # the Active Directory domain, None for a workgroup host
        self.migration = None               # dict, see _migration
        self.networks = []                  # [{'subnet', 'priority'}]
        self.supported_versions = []        # ['8.0', ...]
        self.vms = []                       # [{'name', 'version', 'id'}]

    @classmethod
    def unreachable(cls, role, name, error):
        return cls(role, name, reachable=False, error=error)

    @classmethod
    def from_result(cls, role, name, result):
        facts = cls(role, name)
        facts.hyperv_installed = hyperv_role_installed(result)
        vmhost_errors = [error for error in result.errors_of('Get-VMHost') if not is_command_not_found(error)]
        if vmhost_errors:
            facts.hyperv_error = '%s (FullyQualifiedErrorId: %s)' % (vmhost_errors[0].message, vmhost_errors[0].fully_qualified_error_id)
        names = host_identity(result)
        if names is not None:
            facts.computer_name, facts.fqdn, facts.domain = names.computer_name, names.fqdn, names.domain
        hosts = result.of_type(HV + 'VMHost')
        if hosts:
            facts.migration = _migration(hosts[0])
        facts.networks = sorted((dict(subnet=str(item.get('Subnet')), priority=item.get('Priority'))
                                 for item in result.of_type(HV + 'VMMigrationNetwork')), key=lambda entry: entry['subnet'])
        facts.supported_versions = HostVersions(result).supported
        facts.vms = sorted((dict(name=item.get('Name'), version=str(item.get('Version')), id=str(item.get('Id') or ''))
                            for item in result.of_type(HV + 'VirtualMachine')), key=lambda vm: (vm['name'] or '').lower())
        return facts

    @property
    def answered(self):
        """Reachable and Get-VMHost returned the host: the other facts are meaningful."""
        return self.reachable and self.migration is not None

    @property
    def short_name(self):
        return (self.computer_name or (self.fqdn or self.name).split('.')[0]).lower()

    @property
    def display_name(self):
        """The host's own short name once it answered, else the name the task gave (which may be an address)."""
        return self.short_name if self.computer_name else self.name

    @property
    def label(self):
        """'source hv01'."""
        return '%s %s' % (self.role, self.display_name)

    def summary(self):
        return dict(name=self.name, reachable=self.reachable, computer_name=self.computer_name, fqdn=self.fqdn, domain=self.domain,
                    hyperv_installed=self.hyperv_installed, live_migration=self.migration, migration_networks=self.networks,
                    supported_vm_versions=self.supported_versions)

    def to_facts(self):
        """Every fact the checks use, as plain values (the mesh's phase 1 returns them as ansible_facts); from_facts reads them back."""
        return dict(self.summary(), error=self.error, hyperv_error=self.hyperv_error, vms=[dict(vm) for vm in self.vms])

    @classmethod
    def from_facts(cls, role, name, facts):
        """The HostFacts that to_facts wrote (read in phase 1, maybe by another job of a sliced run), for the host `name`."""
        host = cls(role, name, reachable=bool(facts.get('reachable', True)), error=facts.get('error'))
        host.hyperv_installed = bool(facts.get('hyperv_installed'))
        host.hyperv_error = facts.get('hyperv_error')
        host.computer_name, host.fqdn, host.domain = facts.get('computer_name'), facts.get('fqdn'), facts.get('domain')
        host.migration = dict(facts['live_migration']) if facts.get('live_migration') is not None else None
        host.networks = [dict(network) for network in facts.get('migration_networks') or []]
        host.supported_versions = [str(version) for version in facts.get('supported_vm_versions') or []]
        host.vms = [dict(vm) for vm in facts.get('vms') or []]
        return host

    def with_settings(self, settings):
        """These facts as they will be once hyperv.mobility.live_migration applied `settings` (its result's `after`): what
        check mode evaluates, since nothing was written."""
        if not settings or not self.answered:
            return self
        planned = HostFacts.from_facts(self.role, self.name, self.to_facts())
        planned.migration = dict(
            enabled=bool(settings['migration_enabled']),
            authentication_type=AUTHENTICATION_TYPES[settings['authentication']],
            performance_option=PERFORMANCE_OPTIONS[settings['performance']],
            use_any_network=bool(settings['use_any_network']),
            maximum_vm_migrations=int(settings['max_migrations']),
            maximum_storage_migrations=int(settings['max_storage_migrations']),
        )
        planned.networks = sorted((dict(subnet=network['subnet'], priority=network['priority']) for network in settings['networks']),
                                  key=lambda entry: entry['subnet'])
        return planned


# The one ansible_facts key of the mesh's phase 1 (live_migration with mesh_facts=true, live_migration_mesh_facts).
MESH_FACTS_KEY = 'hyperv_mobility_mesh'


def mesh_facts(facts, connection_auth):
    """The ansible_facts of phase 1: a host's HostFacts as plain values, with how the modules reach the host (hyperv_auth),
    which decides whether its delegation needs "use any authentication protocol"."""
    return {MESH_FACTS_KEY: dict(facts.to_facts(), connection_auth=connection_auth)}


# hyperv.mobility.live_migration's state values -> the enum names Get-VMHost reports.
AUTHENTICATION_TYPES = {'kerberos': 'Kerberos', 'credssp': 'CredSSP'}
PERFORMANCE_OPTIONS = {'tcpip': 'TCPIP', 'compression': 'Compression', 'smb': 'SMB'}


def _migration(vmhost):
    def number(name):
        value = vmhost.get(name)
        return int(value) if value is not None else None
    return dict(
        enabled=bool(vmhost.get('VirtualMachineMigrationEnabled')),
        authentication_type=str(vmhost.get('VirtualMachineMigrationAuthenticationType')),
        performance_option=str(vmhost.get('VirtualMachineMigrationPerformanceOption')),
        use_any_network=bool(vmhost.get('UseAnyNetworkForMigration')),
        maximum_vm_migrations=number('MaximumVirtualMachineMigrations'),
        maximum_storage_migrations=number('MaximumStorageMigrations'),
    )


class DirectoryFacts:
    """What AD says about the pair's computer accounts, or why it was not read.

    source_account / destination_account: ad_client.ComputerAccount, or None when AD has no such account.
    skipped: why AD was not read (no AD options given); error: why reading AD failed.
    """

    def __init__(self, source_account=None, destination_account=None, skipped=None, error=None):
        self.source_account = source_account
        self.destination_account = destination_account
        self.skipped = skipped
        self.error = error

    @classmethod
    def not_read(cls, reason):
        return cls(skipped=reason)

    @classmethod
    def failed(cls, error):
        return cls(error=error)


class PreflightRequest:
    """What the task asked: the VMs to check, whether storage moves, how the modules reach the source."""

    def __init__(self, vms=None, include_storage=False, source_connection_auth='negotiate'):
        self.vms = list(vms) if vms else None
        self.include_storage = bool(include_storage)
        self.source_connection_auth = source_connection_auth


# ---------------------------------------------------------------- the checks

def check_connection(source, destination, request):  # pylint: disable=unused-argument
    down = [host for host in (source, destination) if not host.reachable]
    if not down:
        return Check('connection', OK, 'both hosts answered over WinRM')
    return Check('connection', FAILED, '; '.join('%s could not be reached: %s' % (host.label, host.error) for host in down),
                 'check the connection options of the host (hyperv_* / destination_connection, or its inventory vars), '
                 'that WinRM listens, and the credentials')


def check_hyperv_installed(source, destination, request):  # pylint: disable=unused-argument
    missing = [host for host in (source, destination) if not host.hyperv_installed]
    if not missing:
        return Check('hyperv_installed', OK, 'the Hyper-V role is installed on both hosts')
    return Check('hyperv_installed', FAILED, 'the Hyper-V role is not installed on %s' % ', '.join(host.label for host in missing),
                 'install the role (Install-WindowsFeature -Name Hyper-V -IncludeManagementTools -Restart) on %s'
                 % ', '.join(host.name for host in missing))


def check_administrator(source, destination, request):  # pylint: disable=unused-argument
    refused = [host for host in (source, destination) if host.hyperv_error]
    silent = [host for host in (source, destination) if not host.hyperv_error and host.migration is None]
    if silent and not refused:
        return not_checked('administrator', 'the Hyper-V cmdlets are missing on %s' % ', '.join(host.label for host in silent))
    if refused:
        return Check('administrator', FAILED, '; '.join('Get-VMHost failed on %s: %s' % (host.label, host.hyperv_error) for host in refused),
                     'make the connecting account a member of the local Administrators or Hyper-V Administrators group on %s'
                     % ', '.join(host.name for host in refused))
    return Check('administrator', OK, 'Get-VMHost answered on both hosts, so the connecting account is in the local Administrators '
                                      'or Hyper-V Administrators group of each')


def check_domain(source, destination, request):  # pylint: disable=unused-argument
    outside = [host for host in (source, destination) if host.domain is None]
    if outside:
        return Check('domain', FAILED, '%s not in an Active Directory domain (fully qualified name %s)'
                     % (', '.join(host.label for host in outside) + (' is' if len(outside) == 1 else ' are'),
                        ', '.join(repr(host.fqdn) for host in outside)),
                     'join both hosts to the same Active Directory domain (or to domains that trust each other); live migration '
                     'without failover clustering needs it')
    if source.domain.lower() == destination.domain.lower():
        return Check('domain', OK, 'both hosts are in %s' % source.domain)
    return Check('domain', WARNING, 'the hosts are in different domains (%s and %s). Live migration needs them in the same '
                                    'Active Directory domain or in domains that trust each other; the trusts cannot be seen '
                                    'from here' % (source.domain, destination.domain),
                 'make sure a trust exists between the two domains, or join both hosts to one domain')


def check_migration_enabled(source, destination, request):  # pylint: disable=unused-argument
    disabled = [host for host in (source, destination) if not host.migration['enabled']]
    if not disabled:
        return Check('migration_enabled', OK, 'incoming and outgoing live migrations are enabled on both hosts')
    return Check('migration_enabled', FAILED, 'live migration is disabled on %s' % ', '.join(host.label for host in disabled),
                 'enable it with hyperv.mobility.live_migration (state: enabled) or Enable-VMMigration on %s'
                 % ', '.join(host.name for host in disabled))


def _overlapping(left, right):
    pairs = []
    for one in left:
        for other in right:
            a = ipaddress.ip_network(one['subnet'], strict=False)
            b = ipaddress.ip_network(other['subnet'], strict=False)
            if a.version == b.version and a.overlaps(b):
                pairs.append(one['subnet'] if a.prefixlen >= b.prefixlen else other['subnet'])
    return sorted(set(pairs))


def check_networks(source, destination, request):  # pylint: disable=unused-argument
    if destination.migration['use_any_network']:
        return Check('networks', OK, '%s accepts incoming live migrations on any network' % destination.label)
    accepted = [network['subnet'] for network in destination.networks]
    if not accepted:
        return Check('networks', FAILED, '%s accepts incoming live migrations on no network: it does not use any network and lists no '
                                         'migration network' % destination.label,
                     'give %s a migration network the source is on (hyperv.mobility.live_migration networks, or Add-VMMigrationNetwork)'
                     % destination.name)
    if not source.networks:
        return Check('networks', WARNING, '%s accepts incoming live migrations only on %s; %s uses any network and lists no migration '
                                          'network, so whether it has an address there cannot be seen'
                     % (destination.label, ', '.join(accepted), source.label),
                     'make sure %s has an address in %s, and list it as a migration network there too' % (source.name, ', '.join(accepted)))
    common = _overlapping(source.networks, destination.networks)
    if common:
        return Check('networks', OK, 'both hosts migrate on %s' % ', '.join(common))
    return Check('networks', FAILED, '%s accepts incoming live migrations only on %s, and %s migrates on %s: no common network'
                 % (destination.label, ', '.join(accepted), source.label, ', '.join(network['subnet'] for network in source.networks)),
                 'give both hosts a common private migration network (hyperv.mobility.live_migration networks on both)')


def check_authentication_type(source, destination, request):  # pylint: disable=unused-argument
    ours, theirs = source.migration['authentication_type'], destination.migration['authentication_type']
    if ours == theirs:
        return Check('authentication_type', OK, 'both hosts authenticate live migrations with %s' % ours)
    return Check('authentication_type', FAILED, '%s uses %s and %s uses %s: the destination rejects the other protocol (0x80090302)'
                 % (source.label, ours, destination.label, theirs),
                 'use the same authentication on both (hyperv.mobility.live_migration authentication: kerberos on both is recommended)')


CREDSSP_DETAIL = ('live migrations use CredSSP: no delegation is needed, but every move must be started from a session on %s '
                  '(console, Remote Desktop, or PowerShell remoting with CredSSP); started from anywhere else, including these '
                  'modules over WinRM, it fails with 0x8009030E "No credentials are available in the security package"')


def check_delegation(source, destination, request, directory):
    """Kerberos: delegation of the source to the destination in AD. CredSSP: the session warning."""
    if source.migration['authentication_type'] == 'CredSSP':
        return Check('delegation', WARNING, CREDSSP_DETAIL % source.display_name,
                     'start moves from a session on the source host, or switch both hosts to Kerberos with constrained delegation')
    fix_delegation = ('hyperv.mobility.kerberos_delegation with computer: %s, migration_peers: [%s] (protocol_transition: true), '
                      'then purge the hosts\' SYSTEM ticket cache (klist -li 0x3e7 purge)' % (source.short_name, destination.short_name))
    if directory.skipped:
        return Check('delegation', WARNING, 'not checked: %s' % directory.skipped,
                     'give the AD options (ad_server, ad_username, ad_password, ad_ca_cert) to check the delegation')
    if directory.error:
        return Check('delegation', WARNING, 'not checked: Active Directory could not be read: %s' % directory.error,
                     'check the AD options (ad_server, ad_username, ad_password, ad_ca_cert)')
    for host, account in ((source, directory.source_account), (destination, directory.destination_account)):
        if account is None:
            return Check('delegation', FAILED, 'AD has no computer account for %s (%s)' % (host.label, host.fqdn),
                         'join %s to the domain' % host.name)
    allowed_to_act = directory.destination_account.allowed_to_act
    if allowed_to_act is not None and _sid_in(directory.source_account.object_sid, allowed_to_act.principal_sids):
        return Check('delegation', OK, 'resource-based constrained delegation: %s allows %s to delegate to it'
                     % (directory.destination_account.sam_account_name, directory.source_account.sam_account_name))
    return _constrained_delegation(source, destination, request, directory.source_account, fix_delegation)


def _sid_in(sid, sids):
    return bool(sid) and sid.upper() in set(item.upper() for item in sids)


def required_services(source, destination, request):
    """The services the source must be allowed to delegate to, for the destination's short name and FQDN."""
    names = [destination.short_name] + ([destination.fqdn.lower()] if destination.fqdn and destination.fqdn.lower() != destination.short_name else [])
    services = ['%s/%s' % (MIGRATION_SERVICE, name) for name in names]
    if request.include_storage or source.migration['performance_option'] == 'SMB':
        services += ['cifs/%s' % name for name in names]
    return services


def _constrained_delegation(source, destination, request, account, fix):
    allowed = account.delegated_service_keys()
    missing = [service for service in required_services(source, destination, request) if service.lower() not in allowed]
    problems = []
    if missing:
        why = ''
        if any(service.startswith('cifs/') for service in missing):
            why = ' (cifs because %s)' % ('storage moves' if request.include_storage else 'the source uses the SMB performance option')
        problems.append('msDS-AllowedToDelegateTo of %s lacks %s%s' % (account.sam_account_name, ', '.join(missing), why))
    if request.source_connection_auth != 'kerberos' and not account.protocol_transition:
        problems.append('%s is not trusted to delegate with "use any authentication protocol" (TRUSTED_TO_AUTH_FOR_DELEGATION), '
                        'which a move needs when the session reached the source with %s rather than Kerberos'
                        % (account.sam_account_name, request.source_connection_auth))
    if problems:
        return Check('delegation', FAILED, '; '.join(problems), fix)
    return Check('delegation', OK, '%s may delegate to %s' % (account.sam_account_name, ', '.join(required_services(source, destination, request))))


def check_vm_versions(source, destination, request):
    supported = destination.supported_versions
    by_name = dict((vm['name'].lower(), vm) for vm in source.vms if vm['name'])
    wanted = request.vms if request.vms is not None else [vm['name'] for vm in source.vms]
    absent = [name for name in wanted if name.lower() not in by_name]
    unsupported = [by_name[name.lower()] for name in wanted if name.lower() in by_name and by_name[name.lower()]['version'] not in supported]
    problems = []
    if absent:
        problems.append('not on %s: %s' % (source.label, ', '.join(absent)))
    if unsupported:
        problems.append('%s supports configuration versions %s; not %s' % (
            destination.label, ', '.join(supported) or 'none',
            ', '.join('%s (version %s)' % (vm['name'], vm['version']) for vm in unsupported)))
    if problems:
        return Check('vm_versions', FAILED, '; '.join(problems),
                     'move those VMs only to hosts that support their configuration version (a version cannot be lowered); between '
                     'Windows Server 2012 R2 and 2016 a VM needs version 5.0 or later (Update-VMVersion on the older VMs)')
    if not wanted:
        return Check('vm_versions', OK, '%s has no VMs to check' % source.label)
    return Check('vm_versions', OK, '%s supports the configuration version of %s' % (destination.label, ', '.join(wanted)))


def check_smb_performance(source, destination, request):  # pylint: disable=unused-argument
    ours, theirs = source.migration['performance_option'], destination.migration['performance_option']
    if 'SMB' not in (ours, theirs):
        return Check('smb_performance', OK, 'SMB is not used (source %s, destination %s)' % (ours, theirs))
    if ours == theirs:
        return Check('smb_performance', OK, 'both hosts use the SMB performance option (SMB 3.0, with SMB Direct where the NICs have RDMA)')
    return Check('smb_performance', WARNING, 'only %s uses the SMB performance option (source %s, destination %s): the source of a move '
                                             'chooses the transport, so the two directions of this pair migrate differently'
                 % (source.label if ours == 'SMB' else destination.label, ours, theirs),
                 'use the same performance option on both hosts (hyperv.mobility.live_migration performance)')


def check_concurrency(source, destination, request):
    problems = []
    for host in (source, destination):
        if not host.migration['maximum_vm_migrations']:
            problems.append('%s allows no simultaneous live migration (MaximumVirtualMachineMigrations 0)' % host.label)
        if request.include_storage and not host.migration['maximum_storage_migrations']:
            problems.append('%s allows no simultaneous storage migration (MaximumStorageMigrations 0)' % host.label)
    if problems:
        return Check('concurrency', FAILED, '; '.join(problems),
                     'set max_migrations / max_storage_migrations to at least 1 with hyperv.mobility.live_migration')
    return Check('concurrency', OK, 'simultaneous live / storage migrations: source %d / %d, destination %d / %d' % (
        source.migration['maximum_vm_migrations'], source.migration['maximum_storage_migrations'],
        destination.migration['maximum_vm_migrations'], destination.migration['maximum_storage_migrations']))


# ---------------------------------------------------------------- the report

def run_checks(source, destination, request, directory):
    """Every check, in order; a check whose facts are missing because an earlier one failed is reported as not checked."""
    checks = [check_connection(source, destination, request)]
    if not (source.reachable and destination.reachable):
        return checks + [not_checked(name, 'a host could not be reached') for name in CHECK_NAMES[1:]]
    checks.append(check_hyperv_installed(source, destination, request))
    checks.append(check_administrator(source, destination, request))
    if not (source.answered and destination.answered):
        return checks + [not_checked(name, 'Hyper-V did not answer on both hosts') for name in CHECK_NAMES[3:]]
    checks += [
        check_domain(source, destination, request),
        check_migration_enabled(source, destination, request),
        check_networks(source, destination, request),
        check_authentication_type(source, destination, request),
        check_delegation(source, destination, request, directory),
        check_vm_versions(source, destination, request),
        check_smb_performance(source, destination, request),
        check_concurrency(source, destination, request),
    ]
    return checks


def summarize(checks):
    counts = dict((status, 0) for status in STATUSES)
    for check in checks:
        counts[check.status] += 1
    return counts


def first_failure(checks):
    """The first failed check as a dict, or None."""
    failed = [check for check in checks if check.status == FAILED]
    return failed[0].to_dict() if failed else None


def should_fail(checks, fail_on):
    """Whether fail_on (never | failed | warning) turns this report into a task failure."""
    summary = summarize(checks)
    if fail_on == 'failed':
        return summary[FAILED] > 0
    if fail_on == 'warning':
        return summary[FAILED] + summary[WARNING] > 0
    return False


def needs_directory(source, destination):
    """Whether the delegation check will read AD (both hosts answered and the source uses Kerberos)."""
    return source.answered and destination.answered and source.migration['authentication_type'] == 'Kerberos'


def report(checks):
    """The part of a result that describes one direction's checks."""
    summary = summarize(checks)
    return dict(checks=[check.to_dict() for check in checks], summary=summary, first_failure=first_failure(checks), ready=summary[FAILED] == 0)


def flagged(source, destination, checks, fail_on):
    """'hv01 -> hv02: networks failed: ...' for the checks fail_on turns into a failure, or None when there are none."""
    if not should_fail(checks, fail_on):
        return None
    bad = [check for check in checks if check.status == FAILED or (fail_on == 'warning' and check.status == WARNING)]
    return '%s -> %s: %s' % (source.display_name, destination.display_name,
                             '; '.join('%s %s: %s' % (check.name, check.status, check.detail) for check in bad))


# ---------------------------------------------------------------- the directory of many directions

def account_identities(hosts):
    """The names to look the hosts' computer accounts up by, in one search: each FQDN (domain hosts) and short name."""
    names = []
    for host in hosts:
        for name in ([host.fqdn.lower()] if host.domain and host.fqdn else []) + [host.short_name]:
            if name not in names:
                names.append(name)
    return names


def account_of(host, accounts):
    """The host's computer account among `accounts` (one search's answer): by DNS host name, then by sAMAccountName, as
    find_computer looks it up; None when AD has none. Raises ValueError when a name matches several accounts."""
    candidates = []
    if host.domain and host.fqdn:
        candidates.append([account for account in accounts if (account.dns_host_name or '').lower() == host.fqdn.lower()])
    candidates.append([account for account in accounts if account.sam_account_name.lower().rstrip('$') == host.short_name])
    for found in candidates:
        if len(found) > 1:
            raise ValueError('computer name %r is ambiguous in AD: it matches %s' % (host.short_name, ', '.join(sorted(account.dn for account in found))))
        if found:
            return found[0]
    return None


def directories(pairs, accounts=None, problem=None):
    """DirectoryFacts of each (source, destination) pair from the accounts one search returned, or `problem` (a
    DirectoryFacts saying why AD was not read) for the pairs whose check reads AD."""
    facts = []
    found = {}   # id(host) -> its account, or the ValueError: each host is in 2·(N−1) directions of a mesh, looked up once

    def account(host):
        if id(host) not in found:
            try:
                found[id(host)] = account_of(host, accounts)
            except ValueError as error:
                found[id(host)] = error
        if isinstance(found[id(host)], ValueError):
            raise found[id(host)]
        return found[id(host)]

    for source, destination in pairs:
        if not needs_directory(source, destination):
            facts.append(DirectoryFacts.not_read('the source does not use Kerberos'))
        elif problem is not None:
            facts.append(problem)
        else:
            try:
                facts.append(DirectoryFacts(account(source), account(destination)))
            except ValueError as error:
                facts.append(DirectoryFacts.failed(str(error)))
    return facts


NOT_CHECKED_UNREACHABLE = 'not checked (host unreachable)'


def direction_status(checks):
    """ok | warning | failed, or 'not checked (host unreachable)' when a host of the direction could not be read."""
    if checks and checks[0].name == 'connection' and checks[0].status == FAILED:
        return NOT_CHECKED_UNREACHABLE
    summary = summarize(checks)
    return FAILED if summary[FAILED] else (WARNING if summary[WARNING] else OK)
