#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
module: replica_server
short_description: Hyper-V Replica server settings of a host (the replica side of replication)
version_added: 0.1.0
description:
  - Makes a Hyper-V host a Replica server, the receiving side of Hyper-V Replica, as one idempotent task that runs on the
    controller and reaches the host over WinRM.
  - Sets whether the host accepts replication, the authentication types with their listener ports and the certificate
    (C(Set-VMReplicationServer)); which primary servers may replicate to it - any authenticated server into a default
    storage location, or only those named by authorization entries (C(New-/Set-/Remove-VMReplicationAuthorizationEntry));
    and enables the Windows Firewall inbound rule of the listener for each chosen authentication type.
  - The listener rules are enabled by their documented names, C(VIRT-HVRHTTPL-In-TCP-NoScope) ("Hyper-V Replica HTTP Listener
    (TCP-In)", Kerberos) and C(VIRT-HVRHTTPSL-In-TCP-NoScope) ("Hyper-V Replica HTTPS Listener (TCP-In)", certificate). The
    module never runs C(Enable-NetFirewallRule) without a rule name, which would enable every firewall rule of the host.
  - Reads the host in one pipeline and applies every change in one more; an unchanged host costs one pipeline.
  - Options left unset are left as they are on the host.
options:
  state:
    description:
      - C(enabled) makes the host accept replication (C(ReplicationEnabled)), C(disabled) refuses it.
      - With C(disabled) the listener firewall rules are left as they are (the collection only enables rules).
    type: str
    choices: [enabled, disabled]
    default: enabled
  authentication:
    description:
      - Authentication types the Replica server accepts (C(AllowedAuthenticationType)).
      - C(kerberos) is HTTP on O(kerberos_port); the primary and Replica servers must be in the same or trusted domains.
      - C(certificate) is HTTPS on O(certificate_port) with the certificate O(certificate_thumbprint).
      - C(both) accepts either (C(CertificateAndKerberos)).
      - C(certificate) and C(both) require O(certificate_thumbprint).
    type: str
    choices: [kerberos, certificate, both]
  kerberos_port:
    description:
      - Port of the HTTP listener used with Kerberos (C(KerberosAuthenticationPort)), 1..65535. Hyper-V's default is 80.
    type: int
  certificate_port:
    description:
      - Port of the HTTPS listener used with certificates (C(CertificateAuthenticationPort)), 1..65535. Hyper-V's default is 443.
      - Only valid when the authentication (O(authentication), or the host's when unset) is C(certificate) or C(both).
    type: int
  certificate_thumbprint:
    description:
      - Thumbprint (40 hexadecimal characters; spaces are ignored) of the certificate in the host's C(LocalMachine\My) store
        used for certificate-based authentication. The certificate must be unexpired, have the Client and Server
        Authentication usages and a private key, chain to a trusted root, and name the host's FQDN.
      - Required when O(authentication) is C(certificate) or C(both).
    type: str
  allow_any_server:
    description:
      - C(true) accepts replication from any authenticated server into O(default_storage_location) (trust group C(DEFAULT)).
      - C(false) accepts only the primary servers of the authorization entries.
      - C(true) requires O(default_storage_location).
      - O(authorization_entries) with O(authorization_entries_mode=exclusive) or C(add) imply C(false); giving them together
        with C(true) is an error.
    type: bool
  default_storage_location:
    description:
      - Folder for the Replica VMs of servers allowed by O(allow_any_server) (C(DefaultStorageLocation)), a local (C(D:\Replica))
        or UNC path.
      - Compared without regard to case, as Windows compares paths.
    type: str
  authorization_entries:
    description:
      - Primary servers allowed to replicate to this host, with where their Replica VMs are stored and their trust group.
      - What happens to entries already on the host depends on O(authorization_entries_mode).
    type: list
    elements: dict
    suboptions:
      primary_server:
        description:
          - FQDN of the primary server, or a wildcard pattern whose first label is C(*), for example C(*.corp.example.com).
          - Compared without regard to case.
        type: str
        required: true
      storage_location:
        description:
          - Folder for this primary's Replica VMs, a local or UNC path. Required unless O(authorization_entries_mode=remove).
          - A changed location applies to Replica VMs created afterwards; existing Replica VM files are not moved.
          - Compared without regard to case, as Windows compares paths.
        type: str
      trust_group:
        description:
          - Trust group of the entry. VMs may move between primary servers of one trust group and keep replicating.
          - Every primary server of a group must use the identical string.
        type: str
        default: DEFAULT
  authorization_entries_mode:
    description:
      - C(exclusive) leaves the host with exactly O(authorization_entries).
      - C(add) adds the listed entries (and corrects their storage location and trust group), keeping the others.
      - C(remove) removes the entries of the listed primary servers.
    type: str
    choices: [exclusive, add, remove]
    default: exclusive
  manage_firewall:
    description:
      - Enable the inbound listener rule of each authentication type the server accepts, when O(state=enabled).
      - C(false) leaves the firewall alone; replication then works only if the rules are enabled some other way.
    type: bool
    default: true
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
notes:
  - Changing O(authentication) away from a type does not disable its listener rule; the collection only enables rules.
  - Authorization entries are selected by their primary server name; a wildcard entry such as C(*.corp.example.com) is its own
    entry, not a shorthand for the matching servers' entries.
seealso:
  - module: hyperv.mobility.vm_replication
  - module: hyperv.mobility.vm_replication_info
  - module: hyperv.mobility.host_info
  - name: Set-VMReplicationServer
    description: The cmdlet behind the server settings.
    link: https://learn.microsoft.com/powershell/module/hyper-v/set-vmreplicationserver
  - name: New-VMReplicationAuthorizationEntry
    description: The cmdlet behind the authorization entries.
    link: https://learn.microsoft.com/powershell/module/hyper-v/new-vmreplicationauthorizationentry
author:
  - hyperv.mobility contributors (@hyperv-mobility)
'''

EXAMPLES = r'''
- name: Replica server for the primaries of one domain, Kerberos over HTTP
  hyperv.mobility.replica_server:
    state: enabled
    authentication: kerberos
    kerberos_port: 80
    authorization_entries:
      - primary_server: "*.corp.example.com"
        storage_location: D:\Replica
        trust_group: CORP

- name: Certificate-based replication from any authenticated server
  hyperv.mobility.replica_server:
    authentication: certificate
    certificate_port: 443
    certificate_thumbprint: 5E8C2A6B9F1D3C4E7A0B8D2F6C1E9A3B7D5F0C2E
    allow_any_server: true
    default_storage_location: D:\Replica

- name: Add one primary server, keeping the other entries
  hyperv.mobility.replica_server:
    authorization_entries:
      - primary_server: hv01.branch.example.com
        storage_location: E:\Replica\Branch
        trust_group: BRANCH
    authorization_entries_mode: add

- name: Stop accepting replication
  hyperv.mobility.replica_server:
    state: disabled
'''

RETURN = r'''
before:
  description: The Replica server settings before the task.
  returned: always
  type: dict
  contains:
    enabled:
      description: Whether the host accepts replication.
      type: bool
      sample: false
    authentication:
      description: C(kerberos), C(certificate) or C(both).
      type: str
      sample: kerberos
    kerberos_port:
      description: HTTP listener port.
      type: int
      sample: 80
    certificate_port:
      description: HTTPS listener port.
      type: int
      sample: 443
    certificate_thumbprint:
      description: Thumbprint of the certificate for HTTPS, upper case, V(null) when none.
      type: str
      sample: null
    allow_any_server:
      description: Whether any authenticated server may replicate to the host.
      type: bool
      sample: true
    default_storage_location:
      description: Storage location for servers allowed by RV(before.allow_any_server).
      type: str
      sample: C:\ProgramData\Microsoft\Windows\Hyper-V
    authorization_entries:
      description: Authorization entries sorted by primary server.
      type: list
      elements: dict
      sample: [{primary_server: '*.corp.example.com', storage_location: 'D:\Replica', trust_group: CORP}]
    listener_rules:
      description: Whether each Hyper-V Replica listener firewall rule is enabled, by rule name.
      type: dict
      sample: {VIRT-HVRHTTPL-In-TCP-NoScope: false, VIRT-HVRHTTPSL-In-TCP-NoScope: false}
after:
  description:
    - The settings after the task, in the same shape as RV(before).
    - In check mode, the settings the task would leave.
  returned: always
  type: dict
  sample: {enabled: true, authentication: kerberos, kerberos_port: 80, certificate_port: 443, certificate_thumbprint: null,
           allow_any_server: false, default_storage_location: 'C:\ProgramData\Microsoft\Windows\Hyper-V',
           authorization_entries: [{primary_server: '*.corp.example.com', storage_location: 'D:\Replica', trust_group: CORP}],
           listener_rules: {VIRT-HVRHTTPL-In-TCP-NoScope: true, VIRT-HVRHTTPSL-In-TCP-NoScope: false}}
changes:
  description: The changes applied (or, in check mode, that would be applied), one line each, in the order they are sent.
  returned: always
  type: list
  elements: str
  sample: ["Set-VMReplicationServer AllowedAuthenticationType=Kerberos ReplicationAllowedFromAnyServer=False ReplicationEnabled=True",
           "New-VMReplicationAuthorizationEntry *.corp.example.com (storage D:\\Replica, trust group CORP)",
           "Enable-NetFirewallRule VIRT-HVRHTTPL-In-TCP-NoScope"]
applied_by_another_run:
  description:
    - Changes this task sent that another run (a concurrent playbook run) had made first, so the host refused them
      (New-VMReplicationAuthorizationEntry of an entry that exists). Reading the host again showed every change in place, so
      the task succeeded; RV(changes) lists only what this task changed.
  returned: when a concurrent run made some of the changes
  type: list
  elements: str
  sample: ["New-VMReplicationAuthorizationEntry *.corp.example.com (storage D:\\Replica, trust group CORP)"]
not_applied:
  description:
    - When the change pipeline failed part way, the settings that still differ from what was asked, read back from
      the host after the failure. Run the task again to converge.
  returned: on a partial failure
  type: list
  elements: str
  sample: [authorization_entries]
'''

import re

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    ChangeRefused, Command, HostResource, HypervModule, OptionError, describe)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import AUTHENTICATION_NAMES as REPLICATION_AUTHENTICATION_NAMES
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import check_port, check_thumbprint, normalize_thumbprint

SERVER_TYPE = 'Microsoft.HyperV.PowerShell.VMReplicationServer'
ENTRY_TYPE = 'Microsoft.HyperV.PowerShell.VMReplicationAuthorizationEntry'
FIREWALL_RULE_TYPE = 'Microsoft.Management.Infrastructure.CimInstance'

# Module choice <-> Set-VMReplicationServer -AllowedAuthenticationType (RecoveryAuthenticationType enum).
AUTHENTICATION_NAMES = dict(REPLICATION_AUTHENTICATION_NAMES, both='CertificateAndKerberos')
AUTHENTICATION_CHOICES = dict((name, choice) for choice, name in AUTHENTICATION_NAMES.items())
USES_CERTIFICATE = ('certificate', 'both')
USES_KERBEROS = ('kerberos', 'both')

# The predefined inbound rules of the Replica listeners (installed with the Hyper-V role, disabled by default).
HTTP_LISTENER_RULE = reads.HTTP_LISTENER_RULE
HTTPS_LISTENER_RULE = reads.HTTPS_LISTENER_RULE
LISTENER_RULES = reads.LISTENER_RULES

STORAGE_PATH = re.compile(r'^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)')
HOST_LABEL = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$')

# The Kerberos listener speaks HTTP and the certificate listener HTTPS: they cannot share one port (issue 21 class 8).
SHARED_PORT = ('kerberos_port and certificate_port must differ: the Kerberos (HTTP) and the certificate (HTTPS) Replica listeners '
               'cannot share port %s; the defaults are 80 and 443')

# Server setting -> (Set-VMReplicationServer parameter, conversion of the module's value)
SERVER_PARAMETERS = (
    ('enabled', 'ReplicationEnabled', bool),
    ('authentication', 'AllowedAuthenticationType', AUTHENTICATION_NAMES.get),
    ('kerberos_port', 'KerberosAuthenticationPort', int),
    ('certificate_port', 'CertificateAuthenticationPort', int),
    ('certificate_thumbprint', 'CertificateThumbprint', str),
    ('allow_any_server', 'ReplicationAllowedFromAnyServer', bool),
    ('default_storage_location', 'DefaultStorageLocation', str),
)


def valid_primary_server(text):
    """An FQDN, or a pattern whose only wildcard is a first label '*' (New-VMReplicationAuthorizationEntry)."""
    labels = text.split('.')
    if len(labels) < 2:
        return False
    if labels[0] == '*':
        labels = labels[1:]
    return len(labels) >= 1 and all(HOST_LABEL.match(label) for label in labels)


def entry_key(entry):
    return entry['primary_server'].lower()


def parse_entries(entries, mode):
    """The authorization_entries option, checked and normalised; raises OptionError."""
    parsed, seen = [], set()
    for index, entry in enumerate(entries):
        server = (entry['primary_server'] or '').strip()
        if not valid_primary_server(server):
            raise OptionError("authorization_entries[%d].primary_server %r is not valid: give a fully qualified domain name "
                              "(hv01.corp.example.com) or a pattern whose first label is '*' (*.corp.example.com)" % (index, server))
        if server.lower() in seen:
            raise OptionError('authorization_entries lists the primary server %s more than once' % server)
        seen.add(server.lower())
        storage = entry.get('storage_location')
        if mode != 'remove':
            if not storage:
                raise OptionError('authorization_entries[%d].storage_location is required (a local path such as D:\\Replica or a '
                                  'UNC path) unless authorization_entries_mode=remove' % index)
            if not STORAGE_PATH.match(storage):
                raise OptionError('authorization_entries[%d].storage_location %r is not a local (D:\\Replica) or UNC '
                                  '(\\\\server\\share\\Replica) path' % (index, storage))
        trust_group = (entry.get('trust_group') or '').strip()
        if mode != 'remove' and not trust_group:
            raise OptionError('authorization_entries[%d].trust_group must not be empty' % index)
        parsed.append({'primary_server': server, 'storage_location': storage, 'trust_group': trust_group})
    return parsed


def plan_entries(current, desired, mode):
    """{'add': [...], 'change': [...], 'remove': [...]} turning the current entries into what mode asks for."""
    by_key = dict((entry_key(entry), entry) for entry in current)
    wanted = dict((entry_key(entry), entry) for entry in desired)
    if mode == 'remove':
        return {'add': [], 'change': [], 'remove': [by_key[key] for key in sorted(wanted) if key in by_key]}
    add = [entry for key, entry in sorted(wanted.items()) if key not in by_key]
    change = [entry for key, entry in sorted(wanted.items())
              if key in by_key and (entry['storage_location'].lower(), entry['trust_group'])
              != (by_key[key]['storage_location'].lower(), by_key[key]['trust_group'])]
    remove = [entry for key, entry in sorted(by_key.items()) if key not in wanted] if mode == 'exclusive' else []
    return {'add': add, 'change': change, 'remove': remove}


def apply_entry_plan(current, plan):
    """The entries after the plan, sorted; a changed entry keeps the host's spelling of its primary server."""
    result = dict((entry_key(entry), dict(entry)) for entry in current)
    for entry in plan['remove']:
        result.pop(entry_key(entry), None)
    for entry in plan['change']:
        result[entry_key(entry)].update(storage_location=entry['storage_location'], trust_group=entry['trust_group'])
    for entry in plan['add']:
        result[entry_key(entry)] = dict(entry)
    return [result[key] for key in sorted(result)]


def validate(params):
    """Option checks the argument spec cannot express (they need no host); raises OptionError."""
    authentication = params['authentication']
    if authentication in USES_CERTIFICATE and not params['certificate_thumbprint']:
        raise OptionError('authentication=%s (certificate-based, HTTPS) requires certificate_thumbprint: the thumbprint of a '
                          'certificate in the host\'s LocalMachine\\My store' % authentication)
    check_thumbprint('certificate_thumbprint', params['certificate_thumbprint'])
    for key in ('kerberos_port', 'certificate_port'):
        check_port(key, params[key])
    if params['kerberos_port'] is not None and params['kerberos_port'] == params['certificate_port']:
        raise OptionError(SHARED_PORT % params['kerberos_port'])
    if params['allow_any_server'] and not params['default_storage_location']:
        raise OptionError('allow_any_server=true requires default_storage_location: Hyper-V stores the Replica VMs of any '
                          'authenticated server there (a local path such as D:\\Replica or a UNC path)')
    location = params['default_storage_location']
    if location and not STORAGE_PATH.match(location):
        raise OptionError('default_storage_location %r is not a local (D:\\Replica) or UNC (\\\\server\\share\\Replica) path' % location)
    entries = params['authorization_entries']
    if entries and params['allow_any_server'] and params['authorization_entries_mode'] != 'remove':
        raise OptionError('authorization_entries and allow_any_server=true contradict each other: with allow_any_server=true the '
                          'Replica server accepts any authenticated primary and authorization entries cannot be added. Give '
                          'authorization_entries with allow_any_server=false (or unset), or allow_any_server=true without them.')
    if entries is not None:
        parse_entries(entries, params['authorization_entries_mode'])


class ReplicaServer(HostResource):
    """Set-VMReplicationServer settings, authorization entries and listener firewall rules of one host."""

    def __init__(self, params):
        super().__init__(params)
        entries = params['authorization_entries']
        self.desired_entries = parse_entries(entries, params['authorization_entries_mode']) if entries is not None else None

    def read_commands(self):
        return list(reads.REPLICA_SERVER)

    def current_state(self, result):
        servers = result.of_type(SERVER_TYPE)
        if not servers:
            raise ValueError('Get-VMReplicationServer returned no Replica server object')
        server = servers[0]
        rules = dict((item.get('Name'), str(item.get('Enabled')) == 'True') for item in result.of_type(FIREWALL_RULE_TYPE))
        entries = [{'primary_server': item.get('AllowedPrimaryServer'), 'storage_location': item.get('ReplicaStorageLocation'),
                    'trust_group': item.get('TrustGroup')} for item in result.of_type(ENTRY_TYPE)]
        return {
            'enabled': bool(server.get('ReplicationEnabled')),
            'authentication': AUTHENTICATION_CHOICES.get(str(server.get('AllowedAuthenticationType')),
                                                         str(server.get('AllowedAuthenticationType'))),
            'kerberos_port': int(server.get('KerberosAuthenticationPort')),
            'certificate_port': int(server.get('CertificateAuthenticationPort')),
            'certificate_thumbprint': normalize_thumbprint(server.get('CertificateThumbprint')),
            'allow_any_server': bool(server.get('ReplicationAllowedFromAnyServer')),
            'default_storage_location': server.get('DefaultStorageLocation'),
            'authorization_entries': sorted(entries, key=entry_key),
            'listener_rules': dict((name, rules.get(name, False)) for name in LISTENER_RULES),
        }

    def desired_state(self, before):
        params = self.params
        after = dict(before)
        after['enabled'] = params['state'] == 'enabled'
        for key in ('authentication', 'kerberos_port', 'certificate_port', 'allow_any_server'):
            if params[key] is not None:
                after[key] = params[key]
        if params['certificate_thumbprint']:
            after['certificate_thumbprint'] = normalize_thumbprint(params['certificate_thumbprint'])
        location = params['default_storage_location']
        if location and location.lower() != (before['default_storage_location'] or '').lower():
            after['default_storage_location'] = location
        if self.desired_entries is not None:
            if params['authorization_entries_mode'] != 'remove' and self.desired_entries:
                after['allow_any_server'] = False     # entries can be added only when the server is not open to any server
            after['authorization_entries'] = apply_entry_plan(before['authorization_entries'], self.entry_plan(before))
        if params['manage_firewall'] and after['enabled']:
            rules = dict(before['listener_rules'])
            for name in self.listener_rules_for(after['authentication']):
                rules[name] = True
            after['listener_rules'] = rules
        return after

    @staticmethod
    def listener_rules_for(authentication):
        return ([HTTP_LISTENER_RULE] if authentication in USES_KERBEROS else []) + \
               ([HTTPS_LISTENER_RULE] if authentication in USES_CERTIFICATE else [])

    def entry_plan(self, before):
        if self.desired_entries is None:
            return {'add': [], 'change': [], 'remove': []}
        return plan_entries(before['authorization_entries'], self.desired_entries, self.params['authorization_entries_mode'])

    def check_change(self, before, after):
        """Rules of Set-VMReplicationServer that depend on what the host already has."""
        if self.params['certificate_port'] is not None and after['authentication'] not in USES_CERTIFICATE:
            raise ChangeRefused('certificate_port can be set only when the Replica server uses certificate authentication '
                                '(authentication=certificate or both); the server would use %s.' % after['authentication'])
        if after['authentication'] in USES_CERTIFICATE and not after['certificate_thumbprint']:
            raise ChangeRefused('authentication=%s needs a certificate and the host has none configured: give certificate_thumbprint.'
                                % after['authentication'])
        if after['authentication'] == 'both' and after['kerberos_port'] == after['certificate_port']:
            raise ChangeRefused(SHARED_PORT % after['kerberos_port'])
        if after['allow_any_server'] and not after['default_storage_location']:
            raise ChangeRefused('allow_any_server=true requires default_storage_location and the host has none: give '
                                'default_storage_location.')
        warnings = []
        if after['enabled'] and not after['allow_any_server'] and not after['authorization_entries']:
            warnings.append('The Replica server on %s accepts no primary server: allow_any_server is false and there is no '
                            'authorization entry.' % self.params['hyperv_host'])
        return warnings

    def server_command(self, before, after):
        """One Set-VMReplicationServer with every changed setting, plus the settings Hyper-V wants together with them."""
        parameters = dict((parameter, convert(after[key])) for key, parameter, convert in SERVER_PARAMETERS
                          if after[key] != before[key] and after[key] is not None)
        if not parameters:
            return None
        # Documented pairings: allow-any needs the storage location, certificate authentication the thumbprint.
        if after['allow_any_server'] and 'ReplicationAllowedFromAnyServer' in parameters:
            parameters['DefaultStorageLocation'] = after['default_storage_location']
        if after['authentication'] in USES_CERTIFICATE and 'AllowedAuthenticationType' in parameters:
            parameters['CertificateThumbprint'] = after['certificate_thumbprint']
        if 'CertificateAuthenticationPort' in parameters and after['authentication'] not in USES_CERTIFICATE:
            del parameters['CertificateAuthenticationPort']
        parameters = dict(sorted(parameters.items()), Force=True)  # by name, as the change line lists them; Force: no prompt
        return Command('Set-VMReplicationServer', parameters)

    def apply_commands(self, before, after):
        """Server settings first (allow-any off before entries can be added), new entries before removals, listeners last."""
        commands = []
        server = self.server_command(before, after)
        if server is not None:
            commands.append(server)
        plan = self.entry_plan(before)
        for entry in plan['add']:
            commands.append(Command('New-VMReplicationAuthorizationEntry', {
                'AllowedPrimaryServer': entry['primary_server'], 'ReplicaStorageLocation': entry['storage_location'],
                'TrustGroup': entry['trust_group']}))
        current = dict((entry_key(entry), entry) for entry in before['authorization_entries'])
        for entry in plan['change']:
            commands.append(Command('Set-VMReplicationAuthorizationEntry', {
                'AllowedPrimaryServer': current[entry_key(entry)]['primary_server'],
                'ReplicaStorageLocation': entry['storage_location'], 'TrustGroup': entry['trust_group']}))
        for entry in plan['remove']:
            commands.append(Command('Remove-VMReplicationAuthorizationEntry', {'AllowedPrimaryServer': entry['primary_server']}))
        to_enable = [name for name in LISTENER_RULES if after['listener_rules'][name] and not before['listener_rules'][name]]
        if to_enable:
            # Always by name: Enable-NetFirewallRule without a selector enables every rule of the host.
            commands.append(Command('Enable-NetFirewallRule', {'Name': to_enable}))
        return commands

    def result_extras(self, before, after):
        return self.change_report(before, after, change_line)

    def made_by_another_run(self, command, error):
        """New-VMReplicationAuthorizationEntry refused for the primary server it adds: another run added that entry after this
        task read the host (two runs enabling one Replica server at once). No source gives the error Hyper-V writes then (the
        decompiled cmdlet passes on what the WMI method AddAuthorizationEntry returns), so any refusal naming that server counts,
        and the skeleton's new read decides: the task succeeds only when the host then holds every change it asked for."""
        server = command.parameters.get('AllowedPrimaryServer') if command.name == 'New-VMReplicationAuthorizationEntry' else None
        return bool(server) and server.lower() in ('%s %s' % (error.message or '', error.target or '')).lower()

    def validate(self):
        validate(self.params)


def change_line(command):
    """One readable line per change: an authorization entry by its primary server, a rule by name, others as describe() says."""
    parameters = command.parameters
    if command.name in ('New-VMReplicationAuthorizationEntry', 'Set-VMReplicationAuthorizationEntry'):
        return '%s %s (storage %s, trust group %s)' % (command.name, parameters['AllowedPrimaryServer'], parameters['ReplicaStorageLocation'],
                                                       parameters['TrustGroup'])
    if command.name == 'Remove-VMReplicationAuthorizationEntry':
        return '%s %s' % (command.name, parameters['AllowedPrimaryServer'])
    if command.name == 'Enable-NetFirewallRule':
        return '%s %s' % (command.name, ' '.join(parameters['Name']))
    return describe(command)


ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['enabled', 'disabled'], default='enabled'),
    authentication=dict(type='str', choices=['kerberos', 'certificate', 'both']),
    kerberos_port=dict(type='int'),
    certificate_port=dict(type='int'),
    certificate_thumbprint=dict(type='str'),
    allow_any_server=dict(type='bool'),
    default_storage_location=dict(type='str'),
    authorization_entries=dict(type='list', elements='dict', options=dict(
        primary_server=dict(type='str', required=True),
        storage_location=dict(type='str'),
        trust_group=dict(type='str', default='DEFAULT'),
    )),
    authorization_entries_mode=dict(type='str', choices=['exclusive', 'add', 'remove'], default='exclusive'),
    manage_firewall=dict(type='bool', default=True),
)


def main():
    HypervModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(ReplicaServer)


if __name__ == '__main__':
    main()
