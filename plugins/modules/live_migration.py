#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
module: live_migration
short_description: Live-migration settings of a Hyper-V host without failover clustering
version_added: 0.1.0
description:
  - Step 2 of Microsoft's "Set up hosts for live migration without failover clustering" as one idempotent task
    that runs on the controller and reaches the host over WinRM.
  - Turns incoming and outgoing live migrations on or off (C(Enable-VMMigration) / C(Disable-VMMigration)), sets the
    authentication type, the performance option and the concurrency limits (C(Set-VMHost)), and the networks that
    accept incoming live migrations (C(Add-/Set-/Remove-VMMigrationNetwork)).
  - Reads the host in one pipeline and applies every change in one more; an unchanged host costs one pipeline.
  - Options left unset are left as they are on the host.
  - Live-migration traffic is not encrypted; Microsoft advises keeping it on private, trusted networks with O(networks)
    rather than O(use_any_network=true).
  - Live migration without failover clustering needs the host to be in an Active Directory domain; the module fails when
    it is not and O(state=enabled).
  - With O(authentication=kerberos), each source host's computer account needs constrained delegation to its peers
    (M(hyperv.mobility.kerberos_delegation)). With O(authentication=credssp), migrations must be started from a session on
    the source host, or they fail with C(0x8009030E) "No credentials are available in the security package".
options:
  state:
    description:
      - C(enabled) allows incoming and outgoing live migrations, C(disabled) refuses them.
    type: str
    choices: [enabled, disabled]
    default: enabled
  authentication:
    description:
      - Authentication of live-migration traffic (C(VirtualMachineMigrationAuthenticationType)).
    type: str
    choices: [kerberos, credssp]
  performance:
    description:
      - Performance option (C(VirtualMachineMigrationPerformanceOption)).
      - C(smbtransport) is the name older documentation uses; it is the same setting as C(smb) and is sent as C(SMB).
    type: str
    choices: [tcpip, compression, smb, smbtransport]
  max_migrations:
    description:
      - Number of simultaneous live migrations (C(MaximumVirtualMachineMigrations)). A positive integer.
    type: int
  max_storage_migrations:
    description:
      - Number of simultaneous storage migrations (C(MaximumStorageMigrations)). A positive integer.
    type: int
  networks:
    description:
      - Networks that accept incoming live migrations.
      - Each subnet is an IPv4 or IPv6 address or CIDR prefix. It is normalised (C(2001:DB8:0::/64) is C(2001:db8::/64),
        a bare address is a host prefix) and a prefix with host bits set is refused.
      - What happens to networks already on the host depends on O(networks_mode).
    type: list
    elements: dict
    suboptions:
      subnet:
        description: Address or CIDR prefix, for example C(192.168.10.0/24).
        type: str
        required: true
      priority:
        description:
          - Priority of the network; lower numbers are preferred. Left to Hyper-V when unset, and then not compared.
        type: int
  networks_mode:
    description:
      - C(exclusive) leaves the host with exactly O(networks).
      - C(add) adds the listed networks (and corrects their priority), keeping the others.
      - C(remove) removes the listed networks.
    type: str
    choices: [exclusive, add, remove]
    default: exclusive
  use_any_network:
    description:
      - C(true) accepts incoming live migrations on any network (C(UseAnyNetworkForMigration)); C(false) only on the
        host's migration networks.
      - Setting O(networks) together with O(use_any_network=true) is a contradiction and an error (unless
        O(networks_mode=remove)).
    type: bool
  mesh_facts:
    description:
      - Also return the host's mesh facts as C(ansible_facts.hyperv_mobility_mesh), the facts
        M(hyperv.mobility.live_migration_mesh_facts) returns, as the host is once this task is done, so the mesh's phase 1
        (role P(hyperv.mobility.live_migration_mesh#role)) reads each host once.
      - The read pipeline then also runs the other reads of M(hyperv.mobility.migration_preflight) (C(Get-WindowsFeature),
        C(Get-VMHostSupportedVersion), C(Get-VM)); their error records go into the facts instead of failing the task.
      - In check mode the facts are the host as it is (nothing was written); RV(after) holds what would change.
    type: bool
    default: false
    version_added: 0.1.0
  hosts:
    description:
      - Several hosts in one task (run it once), each with its own settings, instead of the task's own host; every option
        above applies to each host unless its entry sets it.
      - One module process configures them all, a thread and a session per host (at most O(parallel) at once), each host
        read and written as a task on it alone would (one read pipeline, one write pipeline when something changes). A
        module process costs the controller about a CPU-second before it reaches a host, so this saves that for every host
        but one. The role P(hyperv.mobility.live_migration_host#role) configures the play's hosts this way.
      - Every entry's options and connection are checked before any host is contacted; a bad one fails the task and
        changes nothing anywhere. A host that fails once contacted (unreachable, not in a domain, a write the host refused)
        fails only its own entry in RV(hosts), with what was and was not applied; the task fails only when every host failed.
      - The task's own host (O(hyperv_host)) is not configured unless an entry names it; the task's C(hyperv_*) options give
        each entry's connection the keys of the account it leaves out, as for a destination.
      - Each O(hosts[].host) at most once.
    type: list
    elements: dict
    version_added: 0.1.0
    suboptions:
      host:
        description:
          - The host, as its inventory name (the C(hyperv.mobility.controller_module) action plugin fills O(hosts[].connection)
            from its inventory vars, as for a destination) or as the name to reach it by. Its result is under this name.
        type: str
        required: true
      connection:
        description:
          - How to reach the host, with the keys of the C(hyperv_*) options without the prefix (C(host), C(port), C(user),
            C(password), C(transport), C(auth), ...); filled from the inventory when O(hosts[].host) is an inventory host.
          - Keys left out that describe the account (user, password, authentication, certificates, timeouts) are taken from
            the task's C(hyperv_*) options; C(host) defaults to O(hosts[].host).
        type: dict
        suboptions:
          host:
            description: Name or address of the host's WinRM endpoint. Defaults to O(hosts[].host).
            type: str
          port:
            description: WinRM port, as O(hyperv_port).
            type: int
          user:
            description: User, as O(hyperv_user).
            type: str
          password:
            description: Password, as O(hyperv_password).
            type: str
          transport:
            description: V(psrp) or V(winrm), as O(hyperv_transport).
            type: str
            choices: [psrp, winrm]
          auth:
            description: Authentication method, as O(hyperv_auth).
            type: str
            choices: [negotiate, ntlm, kerberos, credssp, certificate, basic]
          protocol:
            description: V(https) or V(http), as O(hyperv_protocol).
            type: str
            choices: [http, https]
          validate_certs:
            description: Whether to validate the host's TLS certificate, as O(hyperv_validate_certs).
            type: bool
          ca_cert:
            description: CA bundle for the host's certificate, as O(hyperv_ca_cert).
            type: path
          cert_pem:
            description: Client certificate, as O(hyperv_cert_pem).
            type: path
          cert_key_pem:
            description: Key of the client certificate, as O(hyperv_cert_key_pem).
            type: path
          connection_timeout:
            description: As O(hyperv_connection_timeout).
            type: int
          operation_timeout:
            description: As O(hyperv_operation_timeout).
            type: int
          read_timeout:
            description: As O(hyperv_read_timeout).
            type: int
          retries:
            description: As O(hyperv_retries).
            type: int
      state:
        description: O(state) for this host.
        type: str
        choices: [enabled, disabled]
      authentication:
        description: O(authentication) for this host.
        type: str
        choices: [kerberos, credssp]
      performance:
        description: O(performance) for this host.
        type: str
        choices: [tcpip, compression, smb, smbtransport]
      max_migrations:
        description: O(max_migrations) for this host.
        type: int
      max_storage_migrations:
        description: O(max_storage_migrations) for this host.
        type: int
      networks:
        description: O(networks) for this host.
        type: list
        elements: dict
        suboptions:
          subnet:
            description: As O(networks[].subnet).
            type: str
            required: true
          priority:
            description: As O(networks[].priority).
            type: int
      networks_mode:
        description: O(networks_mode) for this host.
        type: str
        choices: [exclusive, add, remove]
      use_any_network:
        description: O(use_any_network) for this host.
        type: bool
  parallel:
    description:
      - With O(hosts), how many hosts are configured at the same time (1 to 256), each with its own session.
    type: int
    default: 20
    version_added: 0.1.0
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: What would change is in RV(changes) and RV(after).
seealso:
  - module: hyperv.mobility.host_info
  - module: hyperv.mobility.kerberos_delegation
  - name: Set up hosts for live migration without failover clustering
    description: Microsoft's procedure that this module automates (step 2).
    link: https://learn.microsoft.com/windows-server/virtualization/hyper-v/deploy/set-up-hosts-for-live-migration-without-failover-clustering
author:
  - hyperv.mobility contributors (@hyperv-mobility)
'''

EXAMPLES = r'''
- name: Kerberos live migration restricted to the migration network
  hyperv.mobility.live_migration:
    state: enabled
    authentication: kerberos
    performance: compression
    max_migrations: 2
    max_storage_migrations: 2
    use_any_network: false
    networks:
      - subnet: 192.168.10.0/24
        priority: 1

- name: Add an IPv6 migration network, keeping the others
  hyperv.mobility.live_migration:
    networks:
      - subnet: 2001:db8:10::/64
        priority: 2
    networks_mode: add

- name: Turn live migration off
  hyperv.mobility.live_migration:
    state: disabled

- name: Every host of the play in one task (one module process), each with its own settings
  hyperv.mobility.live_migration:
    hosts:
      - host: hv01
      - host: hv02
        max_migrations: 4
    authentication: kerberos
    use_any_network: false
    networks:
      - subnet: 192.168.10.0/24
  register: live_migration_all
  run_once: true

- name: Hosts configured one by one, each as its own task would be
  ansible.builtin.debug:
    msg: "{{ live_migration_all.hosts[inventory_hostname].changes | default(live_migration_all.hosts[inventory_hostname].msg) }}"
'''

RETURN = r'''
before:
  description: The host's live-migration settings before the task.
  returned: always
  type: dict
  contains:
    migration_enabled:
      description: Whether live migrations are enabled.
      type: bool
      sample: false
    authentication:
      description: Authentication type, C(kerberos) or C(credssp).
      type: str
      sample: credssp
    performance:
      description: Performance option, C(tcpip), C(compression) or C(smb).
      type: str
      sample: compression
    max_migrations:
      description: Simultaneous live migrations.
      type: int
      sample: 2
    max_storage_migrations:
      description: Simultaneous storage migrations.
      type: int
      sample: 2
    use_any_network:
      description: Whether any network accepts incoming live migrations.
      type: bool
      sample: true
    networks:
      description: Migration networks, sorted, with normalised subnets.
      type: list
      elements: dict
      sample: [{subnet: 192.168.10.0/24, priority: 1}]
after:
  description:
    - The settings after the task, in the same shape as RV(before).
    - In check mode, the settings the task would leave.
  returned: always
  type: dict
  sample: {migration_enabled: true, authentication: kerberos, performance: compression, max_migrations: 2,
           max_storage_migrations: 2, use_any_network: false, networks: [{subnet: 192.168.10.0/24, priority: 1}]}
changes:
  description:
    - The changes applied (or, in check mode, that would be applied), one line each, in the order they are sent.
  returned: always
  type: list
  elements: str
  sample: ["Enable-VMMigration", "Add-VMMigrationNetwork 192.168.10.0/24 (priority 1)",
           "Set-VMHost VirtualMachineMigrationAuthenticationType=Kerberos"]
applied_by_another_run:
  description:
    - Changes this task sent that another run (a concurrent playbook run) had made first, so the host refused them as
      already done (Add-VMMigrationNetwork of a subnet that exists). Reading the host again showed every change in place,
      so the task succeeded; RV(changes) lists only what this task changed.
  returned: when a concurrent run made some of the changes
  type: list
  elements: str
  sample: ["Add-VMMigrationNetwork 192.168.10.0/24 (priority 1)"]
ansible_facts:
  description: The host's mesh facts, with O(mesh_facts=true).
  returned: when O(mesh_facts=true) and the task succeeded
  type: dict
  contains:
    hyperv_mobility_mesh:
      description: What the preflight checks of this host need, as M(hyperv.mobility.live_migration_mesh_facts) returns it.
      type: dict
hosts:
  description:
    - With O(hosts), the result of each host under its O(hosts[].host), with the keys a task on that host alone returns
      (RV(before), RV(after), RV(changes), C(changed), C(ansible_facts) with O(mesh_facts=true), C(diff) in diff mode), or
      C(failed) true, C(msg) and the failure's details (RV(not_applied), C(applied), C(errors), ...) for a host that failed.
    - The task's own C(changed) is whether any host changed; the top-level RV(before), RV(after) and RV(changes) are not
      returned, and in diff mode the task's diff has one entry per changed host, headed with its name.
  returned: with O(hosts)
  type: dict
  sample:
    hv01: {changed: true, changes: ["Enable-VMMigration"], before: {migration_enabled: false}, after: {migration_enabled: true}}
    hv09: {failed: true, changed: false, msg: "hv09.corp.example.com: connection refused"}
failed_hosts:
  description: With O(hosts), the hosts that failed, in the order given.
  returned: with O(hosts)
  type: list
  elements: str
  sample: [hv09]
not_applied:
  description:
    - When the change pipeline failed part way, the settings that still differ from what was asked, read back from
      the host after the failure. Run the task again to converge.
  returned: on a partial failure
  type: list
  elements: str
  sample: [networks]
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.each_host import each_host, hosts_argument_spec
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    ChangeRefused, Command, HostCommandError, HostResource, HypervModule, OptionError, describe)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.migration_networks import (
    apply_plan, canonical_subnet, current_networks, parse_networks, plan_networks)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import HostFacts, mesh_facts

VMHOST_TYPE = 'Microsoft.HyperV.PowerShell.VMHost'
NETWORK_TYPE = 'Microsoft.HyperV.PowerShell.VMMigrationNetwork'

# Module choice -> the enum name Set-VMHost accepts (cmdlets.json: CredSSP, Kerberos / TCPIP, Compression, SMB).
MIGRATION_AUTHENTICATION_NAMES = {'kerberos': 'Kerberos', 'credssp': 'CredSSP'}
PERFORMANCE_NAMES = {'tcpip': 'TCPIP', 'compression': 'Compression', 'smb': 'SMB', 'smbtransport': 'SMB'}

# State key -> (Set-VMHost parameter, how to turn the module's value into the cmdlet's)
SET_VMHOST_PARAMETERS = (
    ('authentication', 'VirtualMachineMigrationAuthenticationType', MIGRATION_AUTHENTICATION_NAMES.get),
    ('performance', 'VirtualMachineMigrationPerformanceOption', PERFORMANCE_NAMES.get),
    ('max_migrations', 'MaximumVirtualMachineMigrations', int),
    ('max_storage_migrations', 'MaximumStorageMigrations', int),
    ('use_any_network', 'UseAnyNetworkForMigration', bool),
)

CREDSSP_WARNING = (
    'Live migration uses CredSSP on %s: every migration must be started from a session on the source host (console, '
    'Remote Desktop, or PowerShell remoting with CredSSP). Started from anywhere else it fails with 0x8009030E "No '
    'credentials are available in the security package". Kerberos with constrained delegation avoids this.')


class LiveMigrationSettings(HostResource):
    """Migration enablement, Set-VMHost migration settings and the migration networks of one host."""

    def __init__(self, params):
        super().__init__(params)
        self.desired_networks = parse_networks(params['networks']) if params['networks'] is not None else None
        self.host_subnet_text = {}
        self.identity = None
        self.last_read = None

    def read_commands(self):
        return list(reads.PREFLIGHT if self.params['mesh_facts'] else reads.LIVE_MIGRATION)

    def read(self, session):
        """With mesh_facts, error records of the preflight's own reads belong to the facts (the preflight judges them); those of
        this module's reads fail the task as without it."""
        if not self.params['mesh_facts']:
            return super().read(session)
        result = session.run(self.read_commands(), check=False)
        own = set(command.name.lower() for command in reads.LIVE_MIGRATION)
        errors = [error for error in result.errors if (error.command or '').lower() in own]
        if errors:
            raise HostCommandError(session.options.host, errors)
        self.last_read = result
        return result

    def run(self, module):
        result = super().run(module)
        if self.params['mesh_facts']:
            facts = HostFacts.from_result('host', self.params['hyperv_host'], self.last_read)
            if result['changed'] and not module.check_mode:
                facts = facts.with_settings(result['after'])
            result['ansible_facts'] = mesh_facts(facts, self.params['hyperv_auth'])
        return result

    def current_state(self, result):
        hosts = result.of_type(VMHOST_TYPE)
        if not hosts:
            raise ValueError('Get-VMHost returned no host object')
        vmhost = hosts[0]
        self.identity = host_identity(result)
        network_objects = [item.properties for item in result.of_type(NETWORK_TYPE)]
        # Set/Remove-VMMigrationNetwork select by subnet text, so keep the host's own spelling of each network.
        self.host_subnet_text = dict((canonical_subnet(item['Subnet']), str(item['Subnet'])) for item in network_objects)
        return {
            'migration_enabled': bool(vmhost.get('VirtualMachineMigrationEnabled')),
            'authentication': str(vmhost.get('VirtualMachineMigrationAuthenticationType')).lower(),
            'performance': str(vmhost.get('VirtualMachineMigrationPerformanceOption')).lower(),
            'max_migrations': int(vmhost.get('MaximumVirtualMachineMigrations')),
            'max_storage_migrations': int(vmhost.get('MaximumStorageMigrations')),
            'use_any_network': bool(vmhost.get('UseAnyNetworkForMigration')),
            'networks': current_networks(network_objects),
        }

    def desired_state(self, before):
        params = self.params
        after = dict(before)
        after['migration_enabled'] = params['state'] == 'enabled'
        if params['authentication'] is not None:
            after['authentication'] = params['authentication']
        if params['performance'] is not None:
            after['performance'] = PERFORMANCE_NAMES[params['performance']].lower()
        for key in ('max_migrations', 'max_storage_migrations', 'use_any_network'):
            if params[key] is not None:
                after[key] = params[key]
        if self.desired_networks is not None:
            after['networks'] = apply_plan(before['networks'], self.network_plan(before))
        return after

    def network_plan(self, before):
        if self.desired_networks is None:
            return {'add': [], 'set_priority': [], 'remove': []}
        return plan_networks(before['networks'], self.desired_networks, self.params['networks_mode'])

    def apply_commands(self, before, after):
        """Enable first, networks before the restriction, removals after it, disable last: no moment without a network."""
        commands = []
        if after['migration_enabled'] and not before['migration_enabled']:
            commands.append(Command('Enable-VMMigration'))
        plan = self.network_plan(before)
        for network in plan['add']:
            parameters = {'Subnet': network['subnet']}
            if network['priority'] is not None:
                parameters['Priority'] = network['priority']
            commands.append(Command('Add-VMMigrationNetwork', parameters))
        for network in plan['set_priority']:
            commands.append(Command('Set-VMMigrationNetwork', {'Subnet': self._host_text(network), 'NewPriority': network['priority']}))
        set_vmhost = dict(sorted((parameter, convert(after[key])) for key, parameter, convert in SET_VMHOST_PARAMETERS if after[key] != before[key]))
        if set_vmhost:
            commands.append(Command('Set-VMHost', set_vmhost))
        for network in plan['remove']:
            commands.append(Command('Remove-VMMigrationNetwork', {'Subnet': self._host_text(network)}))
        if before['migration_enabled'] and not after['migration_enabled']:
            commands.append(Command('Disable-VMMigration'))
        return commands

    def check_change(self, before, after):
        """Live migration without clustering needs a domain; CredSSP works only from a session on the source."""
        if after['migration_enabled'] and self.identity is not None and not self.identity.domain_joined:
            raise ChangeRefused(
                '%s is not in an Active Directory domain (it is in the workgroup %r): live migration without failover '
                'clustering needs the source and destination hosts in the same domain or in domains that trust each other. '
                'Join the host to the domain first, or use state=disabled.' % (self.params['hyperv_host'], self.identity.workgroup))
        if after['migration_enabled'] and after['authentication'] == 'credssp':
            return [CREDSSP_WARNING % self.params['hyperv_host']]
        return []

    def _host_text(self, network):
        return self.host_subnet_text.get(network['subnet'], network['subnet'])

    def made_by_another_run(self, command, error):
        """Add-VMMigrationNetwork's SubnetAlreadyExists (decompiled: CreateOperationFailedException, error id OperationFailed,
        the -Subnet argument as given in the message): another run added the network after this task read the host."""
        return (command.name == 'Add-VMMigrationNetwork' and (error.fully_qualified_error_id or '').startswith('OperationFailed,')
                and "'%s'" % command.parameters['Subnet'] in (error.message or ''))

    def result_extras(self, before, after):
        return self.change_report(before, after, change_line)

    def validate(self):
        """Option checks the argument spec cannot express; every message names the option and what it accepts."""
        params = self.params
        for key in ('max_migrations', 'max_storage_migrations'):
            if params[key] is not None and not 1 <= params[key] <= 4294967295:
                raise OptionError('%s must be a positive integer (1..4294967295, UInt32), got %d' % (key, params[key]))
        if params['networks'] and params['use_any_network'] and params['networks_mode'] != 'remove':
            raise OptionError('networks and use_any_network=true contradict each other: use_any_network=true accepts incoming '
                              'live migrations on any network, so the networks list would have no effect. Give networks with '
                              'use_any_network=false (recommended), or use_any_network=true without networks.')


def change_line(command):
    """One readable line per change: a migration network by its subnet (and priority), any other command as describe() says."""
    parameters = command.parameters
    if command.name == 'Add-VMMigrationNetwork':
        priority = parameters.get('Priority')
        return '%s %s%s' % (command.name, parameters['Subnet'], '' if priority is None else ' (priority %d)' % priority)
    if command.name == 'Set-VMMigrationNetwork':
        return '%s %s (priority %d)' % (command.name, parameters['Subnet'], parameters['NewPriority'])
    if command.name == 'Remove-VMMigrationNetwork':
        return '%s %s' % (command.name, parameters['Subnet'])
    return describe(command)


ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['enabled', 'disabled'], default='enabled'),
    authentication=dict(type='str', choices=['kerberos', 'credssp']),
    performance=dict(type='str', choices=['tcpip', 'compression', 'smb', 'smbtransport']),
    max_migrations=dict(type='int'),
    max_storage_migrations=dict(type='int'),
    networks=dict(type='list', elements='dict', options=dict(
        subnet=dict(type='str', required=True),
        priority=dict(type='int'),
    )),
    networks_mode=dict(type='str', choices=['exclusive', 'add', 'remove'], default='exclusive'),
    use_any_network=dict(type='bool'),
    mesh_facts=dict(type='bool', default=False),
)
# The settings a hosts[] entry may set for its own host.
HOST_SETTINGS = dict((name, spec) for name, spec in ARGUMENT_SPEC.items() if name != 'mesh_facts')


def main():
    HypervModule(argument_spec=dict(ARGUMENT_SPEC, **hosts_argument_spec(HOST_SETTINGS)),
                 supports_check_mode=True).execute(each_host(LiveMigrationSettings))


if __name__ == '__main__':
    main()
