#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: vm_replication
short_description: Hyper-V Replica of one virtual machine, on its primary server
version_added: 0.1.0
description:
  - Enables, changes, suspends, resumes and removes the Hyper-V Replica relationship of the VM O(name) on the task's host
    (the primary server), toward a Replica server prepared with M(hyperv.mobility.replica_server).
  - Reads the host in one pipeline (C(Get-CimInstance -ClassName Win32_ComputerSystem), C(Get-VM), C(Get-VMReplication)) and
    applies every change in one more;
    an unchanged relationship costs one pipeline.
  - A new relationship is created with C(Enable-VMReplication), then its initial replication starts over the network now,
    at a scheduled time, or by export to a folder (C(Start-VMInitialReplication)), unless O(initial_replication=none).
  - Settings of an existing relationship that differ are changed in place with C(Set-VMReplication). A different Replica
    server cannot be set in place (the Replica VM lives on the current one), so the module then fails naming the setting,
    unless O(recreate=true), which removes the relationship and enables it again toward the new server (a full initial
    replication follows).
  - With O(state=present), replication that is suspended is resumed, replication stopped by an error is retried
    (C(Resume-VMReplication)), and a VM that Hyper-V marked for resynchronization is resynchronized
    (C(Resume-VMReplication -Resynchronize)) unless O(resynchronize=false).
  - Before a relationship is created, the connection to the Replica server is tested (C(Test-VMReplicationConnection), one
    more read-only pipeline), so a refused connection fails the task before anything is written.
  - Errors of the connection to the Replica server are explained with the fix - Replica server not enabled (or no listener
    for that authentication on that port), listener closed by the firewall, authentication type not allowed, primary server
    not authorized.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details:
      - The connection test that precedes a new relationship runs in check mode too, so a refusal of the Replica server
        shows there as well.
  diff_mode:
    details: RV(before) and RV(after) of the relationship.
options:
  name:
    description:
      - Name of the VM on the task's host, matched exactly (case-insensitive); wildcard characters (C(*), C(?), C([)) are refused.
      - Hyper-V does not require unique VM names; a name several VMs share fails naming each with its id, before anything changes;
        give O(vm_id) for such a VM.
      - Exactly one of O(name) and O(vm_id) is required.
    type: str
  vm_id:
    description:
      - The VM's id (a GUID, C(Get-VM | Select-Object Name, Id)), the alternative to O(name) for a VM whose name other VMs share.
      - Every command then gets the VM object C(Get-VM -Id) writes, piped into it (their C(-VM) parameter), rather than a name.
    type: str
  state:
    description:
      - V(present) - the VM replicates to O(replica_server) (created if needed, resumed if suspended or in error).
      - V(suspended) - an existing relationship is suspended (C(Suspend-VMReplication)); changes are queued and sent when it
        is resumed. Replication can be suspended only once it replicates (after the initial replication).
      - V(absent) - replication of the VM is removed on this host (C(Remove-VMReplication)). The Replica VM on the Replica
        server stays, with its own side of the relationship, as Hyper-V documents; remove it there if it is not wanted.
    type: str
    choices: [present, absent, suspended]
    default: present
  replica_server:
    description:
      - Name of the Replica server (FQDN recommended; Kerberos and certificates name it by FQDN). It cannot be the primary
        host itself (O(hyperv_host), by short name or FQDN).
      - Required to create the relationship. For an existing one, a short name and the FQDN of the same server are the same
        server.
    type: str
  replica_port:
    description:
      - Port of the Replica server's listener for O(authentication) (C(ReplicaServerPort)).
      - Microsoft documents no default; when it is not given, a new relationship (or a change of O(authentication)) uses 80 for
        Kerberos and 443 for certificate authentication, the ports Hyper-V Replica's listeners use unless configured otherwise.
    type: int
  authentication:
    description:
      - Authentication toward the Replica server (C(AuthenticationType), C(Kerberos) or C(Certificate)). The Replica
        server must allow it on O(replica_port).
      - Default for a new relationship is V(kerberos); an existing one keeps its type unless this is set.
    type: str
    choices: [kerberos, certificate]
  certificate_thumbprint:
    description:
      - Thumbprint of this host's certificate (LocalMachine\My) for V(certificate) authentication. Required for it.
      - 40 hexadecimal characters (a SHA-1 thumbprint); spaces are ignored, case does not matter.
    type: str
  frequency:
    description:
      - Seconds between replication cycles (C(ReplicationFrequencySec)). Hyper-V accepts 30, 300 or 900; the cmdlet page
        documents a plain integer, so the module checks the value itself.
      - Default for a new relationship is 300.
    type: int
    choices: [30, 300, 900]
  recovery_history:
    description:
      - Additional recovery points kept on the Replica server (C(RecoveryHistory)), 0 to 24. Default for a new relationship 0.
      - With 0, application-consistent recovery points are turned off (O(app_consistent_frequency_hours) becomes 0).
    type: int
  app_consistent_frequency_hours:
    description:
      - Hours between application-consistent (VSS) recovery points (C(VSSSnapshotFrequencyHour)), 1 to 12 (the cmdlet's
        validated range); 0 turns them off.
      - Needs O(recovery_history) greater than 0.
    type: int
    aliases: [vss_frequency_hours]
  compression:
    description: Compress replication traffic (C(CompressionEnabled)). Default for a new relationship V(true).
    type: bool
  excluded_disks:
    description:
      - Paths of the VM's virtual hard disks that are not replicated (C(ExcludedVhdPath) when enabling,
        C(ReplicatedDiskPaths) when changing). The list is exact - V([]) replicates every disk.
      - Excluding the operating system disk leaves a Replica VM that cannot boot.
    type: list
    elements: str
  initial_replication:
    description:
      - How the initial copy of a new relationship (or of one still waiting for it) is made.
      - V(network) - sent over the network, now or at O(initial_replication_start_time).
      - V(export) - exported to O(initial_replication_path) (external media); the Replica server imports it
        (C(Import-InitialVMReplication), which this collection does not run).
      - V(none) - not started; the relationship waits in C(ReadyForInitialReplication).
    type: str
    choices: [network, export, none]
    default: network
  initial_replication_start_time:
    description:
      - When to start the initial replication (C(InitialReplicationStartTime)), as ISO-8601 date and time, for example
        C(2026-11-23T02:00:00Z) (no zone means UTC). Hyper-V accepts at most 7 days ahead.
      - Without it the initial replication starts now.
    type: str
  initial_replication_path:
    description:
      - Folder the initial copy is exported to (C(DestinationPath)), a local or UNC path. Required with
        O(initial_replication=export).
    type: str
  resynchronize:
    description:
      - With O(state=present), resynchronize a VM that Hyper-V marked for resynchronization
        (state C(WaitingForStartResynchronize)) now. With V(false) the module leaves it to Hyper-V's automatic
        resynchronization window and warns.
    type: bool
    default: true
  wait:
    description:
      - Wait for the initial replication to finish (state C(Replicating); for O(initial_replication=export), until the
        export is written, state C(WaitingForInitialReplication)). The states seen are returned in RV(initial_replication).
      - Fails when the relationship goes into error while waiting, or after O(timeout).
    type: bool
    default: false
  timeout:
    description: Seconds to wait with O(wait=true).
    type: int
    default: 1800
  poll_interval:
    description: Seconds between two reads of the relationship while waiting.
    type: int
    default: 5
  recreate:
    description:
      - Allow removing and enabling the relationship again when a setting cannot be changed in place (a different
        O(replica_server)). The Replica server receives a full initial replication again.
    type: bool
    default: false
notes:
  - Cmdlets run - C(Get-CimInstance -ClassName Win32_ComputerSystem) (the primary's FQDN), C(Get-VM), C(Get-VMReplication),
    C(Get-VMHardDiskDrive -VMName *) and C(Get-VMReplication | Select-Object -ExpandProperty ExcludedDisks) (the disks, which
    remoting would otherwise hand over as text); as needed C(Enable-VMReplication), C(Set-VMReplication),
    C(Start-VMInitialReplication), C(Stop-VMInitialReplication), C(Suspend-VMReplication), C(Resume-VMReplication),
    C(Remove-VMReplication); in check mode C(Test-VMReplicationConnection).
  - The Replica server itself (listener, authentication, authorization of this primary, firewall rule) is configured with
    M(hyperv.mobility.replica_server).
seealso:
  - module: hyperv.mobility.replica_server
  - module: hyperv.mobility.vm_replication_info
  - module: hyperv.mobility.vm_failover
  - name: Enable-VMReplication
    description: The cmdlet that creates the relationship.
    link: https://learn.microsoft.com/powershell/module/hyper-v/enable-vmreplication
'''

EXAMPLES = r'''
- name: Replicate web01 to hv02 every 5 minutes, keep 4 recovery points, wait for the initial copy
  hyperv.mobility.vm_replication:
    name: web01
    replica_server: hv02.corp.example.com
    authentication: kerberos
    replica_port: 80
    frequency: 300
    recovery_history: 4
    app_consistent_frequency_hours: 1
    wait: true
    timeout: 3600
  when: inventory_hostname == 'hv01'

- name: Certificate-based replication, initial copy tonight
  hyperv.mobility.vm_replication:
    name: db01
    replica_server: dr01.example.net
    authentication: certificate
    certificate_thumbprint: 0442C676C8726ADDD1CE029AFC20EB158490AFC8
    replica_port: 443
    initial_replication_start_time: '2026-11-23T01:00:00Z'

- name: Initial copy by export to external media
  hyperv.mobility.vm_replication:
    name: files01
    replica_server: hv02.corp.example.com
    initial_replication: export
    initial_replication_path: E:\InitialCopy

- name: Suspend during maintenance
  hyperv.mobility.vm_replication:
    name: web01
    state: suspended

- name: Stop replicating
  hyperv.mobility.vm_replication:
    name: web01
    state: absent

- name: Replicate one of two VMs called web01 (Hyper-V does not require unique names), by its id
  hyperv.mobility.vm_replication:
    vm_id: 0f8fad5b-d9cb-469f-a165-70867728950e
    replica_server: hv02.corp.example.com
'''

RETURN = r'''
before:
  description: The relationship before the task (V(state=absent) and null settings when there was none).
  returned: always
  type: dict
  contains:
    state:
      description: V(present), V(suspended) or V(absent).
      type: str
    replica_server:
      description: Replica server as configured.
      type: str
    replica_port:
      description: Replica server port.
      type: int
    authentication:
      description: V(kerberos) or V(certificate).
      type: str
    certificate_thumbprint:
      description: Certificate thumbprint (certificate authentication).
      type: str
    frequency:
      description: Replication frequency in seconds.
      type: int
    recovery_history:
      description: Additional recovery points.
      type: int
    app_consistent_frequency_hours:
      description: Hours between application-consistent recovery points (0 = off).
      type: int
    compression:
      description: Whether traffic is compressed.
      type: bool
    excluded_disks:
      description: Disks not replicated.
      type: list
      elements: str
    replication_state:
      description: Hyper-V's replication state (C(ReplicationState)), for example C(Replicating).
      type: str
  sample: {state: absent, replica_server: null, replica_port: null, authentication: null, certificate_thumbprint: null,
           frequency: null, recovery_history: null, app_consistent_frequency_hours: null, compression: null,
           excluded_disks: [], replication_state: null}
after:
  description:
    - The relationship after the task, same keys as RV(before), read back from the host after the change.
    - In check mode, what the task would leave (V(replication_state) is then the current one).
  returned: always
  type: dict
  sample: {state: present, replica_server: hv02.corp.example.com, replica_port: 80, authentication: kerberos,
           certificate_thumbprint: null, frequency: 300, recovery_history: 4, app_consistent_frequency_hours: 1,
           compression: true, excluded_disks: [], replication_state: InitialReplicationInProgress}
replication:
  description: The relationship after the task as C(Get-VMReplication) reports it (null when there is none).
  returned: always
  type: dict
  contains:
    mode:
      description: C(Primary), C(Replica) or C(TestReplica).
      type: str
    state:
      description: C(ReplicationState).
      type: str
    health:
      description: C(Normal), C(Warning) or C(Critical).
      type: str
    primary_server:
      description: Primary server name.
      type: str
    last_replication_time:
      description: Last successful replication, ISO-8601 UTC.
      type: str
    initial_replication_start_time:
      description: Scheduled start of the initial replication, ISO-8601 UTC.
      type: str
commands:
  description: The changes sent to the host (in check mode, that would be sent), one line each, in order.
  returned: always
  type: list
  elements: str
  sample: ["Enable-VMReplication ReplicaServerName=hv02.corp.example.com ReplicaServerPort=80 AuthenticationType=Kerberos",
           "Start-VMInitialReplication"]
initial_replication:
  description: The wait for the initial replication (O(wait=true)).
  returned: when the module waited
  type: dict
  contains:
    finished:
      description: Whether the wait ended in the awaited state.
      type: bool
    elapsed_seconds:
      description: Seconds waited.
      type: float
    progress:
      description: Each state seen while waiting, with the seconds since the wait began.
      type: list
      elements: dict
  sample: {finished: true, elapsed_seconds: 124.2, progress: [{elapsed_seconds: 0.0, state: InitialReplicationInProgress, health: Normal},
                                                              {elapsed_seconds: 124.2, state: Replicating, health: Normal}]}
explanation:
  description: When the Replica server refused or could not be reached, the cause, why and the fix.
  returned: on such a failure
  type: dict
  sample: {cause: firewall, why: "the connection to hv02 port 80 timed out: ...", fix: "enable the rule ..."}
errors:
  description: Error records of the failed cmdlets.
  returned: on failure
  type: list
  elements: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    Command, HostError, HypervModule, MAX_WAIT_SECONDS, ModuleFailure, Resource, Step, StepFailed, WaitStopped, describe, describe_errors, explained)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import (
    APP_CONSISTENT_HOURS_RANGE, RECOVERY_HISTORY_RANGE, check_port, check_range, check_thumbprint, check_vm_name_or_id, find_one_vm,
    normalize_thumbprint, refuse_same_host, vm_label)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import (
    AUTHENTICATION_NAMES,
    DISK_STATEMENTS,
    RESYNCHRONIZE_STATES,
    SUSPENDED_STATES,
    explain_connection_error,
    host_fqdn,
    iso_time,
    parse_time,
    relationship_of_vm,
    same_server,
    VM_TYPE,
)

DEFAULT_PORTS = {'kerberos': 80, 'certificate': 443}
# What Enable-VMReplication leaves when an optional setting is not given (Hyper-V's defaults).
NEW_RELATIONSHIP_DEFAULTS = {'frequency': 300, 'recovery_history': 0, 'app_consistent_frequency_hours': 0, 'compression': True,
                             'excluded_disks': []}
# Setting key -> the Enable-/Set-VMReplication parameter that carries it.
SETTING_PARAMETERS = (
    ('replica_port', 'ReplicaServerPort'),
    ('authentication', 'AuthenticationType'),
    ('certificate_thumbprint', 'CertificateThumbprint'),
    ('frequency', 'ReplicationFrequencySec'),
    ('recovery_history', 'RecoveryHistory'),
    ('app_consistent_frequency_hours', 'VSSSnapshotFrequencyHour'),
    ('compression', 'CompressionEnabled'),
)
SETTING_KEYS = ('replica_server',) + tuple(pair[0] for pair in SETTING_PARAMETERS) + ('excluded_disks',)
# States in which an initial replication is still to come and the module may wait for it.
WAITABLE_STATES = ('ReadyForInitialReplication', 'InitialReplicationInProgress')


def summary(view):
    """The comparable state (before/after) of a relationship view, or of no relationship."""
    if view is None:
        absent = dict((key, None) for key in SETTING_KEYS)
        absent.update(state='absent', excluded_disks=[], replication_state=None)
        return absent
    return {
        'state': 'suspended' if view['state'] in SUSPENDED_STATES else 'present',
        'replica_server': view['replica_server'],
        'replica_port': view['replica_port'],
        'authentication': view['authentication'],
        'certificate_thumbprint': normalize_thumbprint(view['certificate_thumbprint']),
        'frequency': view['frequency'],
        'recovery_history': view['recovery_history'],
        'app_consistent_frequency_hours': view['vss_frequency_hours'],
        'compression': view['compression'],
        'excluded_disks': view['excluded_disks'],
        'replication_state': view['state'],
    }


def command_line(command):
    """A command as the result lists it (every command is about the task's VM, so its name is left out)."""
    return describe(command, implied=('VMName',))


class Options:
    """The module's parameters, validated; every message names the option and what it accepts."""

    def __init__(self, params):
        self.params = params
        self.start_time = None
        self.vm_id = None   # the vm_id option, normalised
        self.validate()

    def __getitem__(self, key):
        return self.params[key]

    def validate(self):
        params = self.params
        history = params['recovery_history']
        check_range('recovery_history', history, RECOVERY_HISTORY_RANGE[0], RECOVERY_HISTORY_RANGE[1], ' (additional recovery points)')
        vss = params['app_consistent_frequency_hours']
        if vss is not None and vss != 0 and not APP_CONSISTENT_HOURS_RANGE[0] <= vss <= APP_CONSISTENT_HOURS_RANGE[1]:
            raise ModuleFailure('app_consistent_frequency_hours must be 0 (off) or between %d and %d hours, got %d' % (APP_CONSISTENT_HOURS_RANGE + (vss,)))
        if vss and history == 0:
            raise ModuleFailure('app_consistent_frequency_hours needs recovery_history greater than 0 (application-consistent recovery '
                                'points are kept among the additional recovery points)')
        check_port('replica_port', params['replica_port'])
        if params['authentication'] == 'certificate' and not params['certificate_thumbprint']:
            raise ModuleFailure('authentication=certificate needs certificate_thumbprint (the thumbprint of this host\'s certificate '
                                'in LocalMachine\\My)')
        check_thumbprint('certificate_thumbprint', params['certificate_thumbprint'])
        self.vm_id = check_vm_name_or_id(params)
        if params['replica_server'] is not None:
            refuse_same_host('replica_server', params['replica_server'], 'hyperv_host', params.get('hyperv_host'))
        if params['initial_replication'] == 'export' and not params['initial_replication_path']:
            raise ModuleFailure('initial_replication=export needs initial_replication_path (the folder the initial copy is exported to)')
        if params['initial_replication_path'] and params['initial_replication'] != 'export':
            raise ModuleFailure('initial_replication_path is used only with initial_replication=export')
        if params['initial_replication_start_time'] and params['initial_replication'] == 'none':
            raise ModuleFailure('initial_replication_start_time cannot be used with initial_replication=none')
        try:
            self.start_time = parse_time(params['initial_replication_start_time'])
        except ValueError as exc:
            raise ModuleFailure('initial_replication_start_time: %s' % exc)
        for key in ('timeout', 'poll_interval'):
            if not 1 <= params[key] <= MAX_WAIT_SECONDS:
                raise ModuleFailure('%s must be a positive number of seconds, at most %d (7 days), got %d' % (key, MAX_WAIT_SECONDS, params[key]))


class ReplicationPlan:
    """What to send to turn the relationship that exists (view, or None) into the one the options ask for."""

    def __init__(self, options, view, vm_name):
        self.options = options
        self.view = view
        self.vm_name = vm_name
        # How the commands name the VM: by -VMName, or (vm_id) by nothing, the VM object Get-VM -Id writes piped in when sent.
        self.vm = {} if options.vm_id else {'VMName': vm_name}
        self.commands = []
        self.warnings = []
        self.desired = None        # summary() shape of the relationship asked for (None = absent)
        self.creates = False

    def build(self):
        state = self.options['state']
        if state == 'absent':
            if self.view is not None:
                self.commands.append(Command('Remove-VMReplication', self.vm))
            return self
        if self.view is not None and self.view['mode'] != 'Primary':
            raise ModuleFailure("VM '%s' is the %s side of a replication relationship on this host (primary server: %s): replication "
                                'is managed on the primary server; after a failover, use hyperv.mobility.vm_failover to reverse it'
                                % (self.vm_name, self.view['mode'], self.view['primary_server']))
        if self.view is None:
            if state == 'suspended':
                raise ModuleFailure("VM '%s' does not replicate, so it cannot be suspended: enable replication with state=present first"
                                    % self.vm_name)
            self._create()
        elif not same_server(self.view['replica_server'], self.options['replica_server'] or self.view['replica_server']):
            self._recreate()
        else:
            self._change_in_place()
        return self

    # ---- new relationship ---------------------------------------------------------------------------------------
    def _new_settings(self):
        options = self.options
        if not options['replica_server']:
            raise ModuleFailure("replica_server is required to enable replication of VM '%s' (it does not replicate yet)" % self.vm_name)
        authentication = options['authentication'] or 'kerberos'
        settings = dict(NEW_RELATIONSHIP_DEFAULTS, replica_server=options['replica_server'], authentication=authentication,
                        replica_port=options['replica_port'] or DEFAULT_PORTS[authentication],
                        certificate_thumbprint=normalize_thumbprint(options['certificate_thumbprint']) if authentication == 'certificate' else None)
        for key in ('frequency', 'recovery_history', 'app_consistent_frequency_hours', 'compression'):
            if options[key] is not None:
                settings[key] = options[key]
        if options['excluded_disks'] is not None:
            settings['excluded_disks'] = sorted(options['excluded_disks'], key=str.lower)
        if settings['recovery_history'] == 0:
            settings['app_consistent_frequency_hours'] = 0
        return settings

    def _create(self):
        settings = self._new_settings()
        parameters = dict(self.vm, ReplicaServerName=settings['replica_server'])
        for key, parameter in SETTING_PARAMETERS:
            if settings[key] is None or (key in NEW_RELATIONSHIP_DEFAULTS and self.options[key] is None):
                continue       # left to Hyper-V's default
            parameters[parameter] = AUTHENTICATION_NAMES[settings[key]] if key == 'authentication' else settings[key]
        if settings['excluded_disks']:
            parameters['ExcludedVhdPath'] = settings['excluded_disks']
        self.commands.append(Command('Enable-VMReplication', parameters))
        self.creates = True
        self.commands += self._initial_commands(scheduled=None)
        self.desired = dict(settings, state='present', replication_state=self._expected_state_after_create())

    def _expected_state_after_create(self):
        if self.options['initial_replication'] == 'none' or self.options.start_time is not None:
            return 'ReadyForInitialReplication'
        return 'InitialReplicationInProgress'

    def _recreate(self):
        if not self.options['recreate']:
            raise ModuleFailure("replica_server differs: VM '%s' replicates to '%s', the task asks for '%s'. Set-VMReplication cannot move "
                                'the Replica VM to another server. Set recreate=true to remove replication and enable it again toward '
                                "'%s' (a full initial replication follows)" % (self.vm_name, self.view['replica_server'],
                                                                               self.options['replica_server'], self.options['replica_server']),
                                setting='replica_server')
        self.commands.append(Command('Remove-VMReplication', self.vm))
        self._create()

    # ---- existing relationship ----------------------------------------------------------------------------------
    def _desired_settings(self):
        current = summary(self.view)
        desired = dict(current)
        options = self.options
        if options['authentication'] is not None and options['authentication'] != current['authentication']:
            desired['authentication'] = options['authentication']
            desired['replica_port'] = DEFAULT_PORTS[options['authentication']]
        if options['replica_port'] is not None:
            desired['replica_port'] = options['replica_port']
        if options['certificate_thumbprint'] is not None and desired['authentication'] == 'certificate':
            desired['certificate_thumbprint'] = normalize_thumbprint(options['certificate_thumbprint'])
        if desired['authentication'] == 'certificate' and not desired['certificate_thumbprint']:
            raise ModuleFailure('authentication=certificate needs certificate_thumbprint')
        for key in ('frequency', 'recovery_history', 'app_consistent_frequency_hours', 'compression'):
            if options[key] is not None:
                desired[key] = options[key]
        if desired['recovery_history'] == 0:
            if options['app_consistent_frequency_hours']:
                raise ModuleFailure('app_consistent_frequency_hours needs recovery_history greater than 0; the relationship keeps 0 '
                                    'additional recovery points')
            desired['app_consistent_frequency_hours'] = 0
        if options['excluded_disks'] is not None:
            desired['excluded_disks'] = self._checked_exclusions(options['excluded_disks'])
        return current, desired

    def _checked_exclusions(self, wanted):
        disks = dict((path.lower(), path) for path in self.view['replicated_disks'] + self.view['excluded_disks'])
        unknown = [path for path in wanted if path.lower() not in disks]
        if unknown:
            raise ModuleFailure("excluded_disks: %s %s not a disk of VM '%s' (its disks: %s)" % (
                ', '.join(unknown), 'is' if len(unknown) == 1 else 'are', self.vm_name, ', '.join(sorted(disks.values())) or 'none'))
        return sorted((disks[path.lower()] for path in wanted), key=str.lower)

    def _change_in_place(self):
        current, desired = self._desired_settings()
        parameters = {}
        for key, parameter in SETTING_PARAMETERS:
            if desired[key] != current[key] and desired[key] is not None:
                parameters[parameter] = AUTHENTICATION_NAMES[desired[key]] if key == 'authentication' else desired[key]
        if [path.lower() for path in desired['excluded_disks']] != [path.lower() for path in current['excluded_disks']]:
            excluded = set(path.lower() for path in desired['excluded_disks'])
            parameters['ReplicatedDiskPaths'] = [path for path in self.view['replicated_disks'] + self.view['excluded_disks']
                                                 if path.lower() not in excluded]
        if parameters:
            self.commands.append(Command('Set-VMReplication', dict(self.vm, **parameters)))
        desired['state'] = self.options['state']
        desired['replication_state'] = self._status_commands()
        self.desired = desired

    def _status_commands(self):
        """Commands that bring the relationship's state where the options ask; returns the state expected afterwards."""
        state, vm = self.view['state'], self.vm
        if self.options['state'] == 'suspended':
            if state in SUSPENDED_STATES:
                return state
            if state in ('Replicating', 'Resynchronizing'):
                self.commands.append(Command('Suspend-VMReplication', vm))
                return 'Suspended' if state == 'Replicating' else 'ResynchronizeSuspended'
            raise ModuleFailure("Replication of VM '%s' cannot be suspended in state %s: Hyper-V suspends replication only while it "
                                'replicates (after the initial replication)' % (self.vm_name, state))
        if state in SUSPENDED_STATES:
            self.commands.append(Command('Resume-VMReplication', vm))
            return 'Replicating' if state == 'Suspended' else 'Resynchronizing'
        if state in RESYNCHRONIZE_STATES:
            if self.options['resynchronize']:
                self.commands.append(Command('Resume-VMReplication', dict(vm, Resynchronize=True)))
                return 'Resynchronizing'
            self.warnings.append("VM '%s' needs resynchronization (state %s); resynchronize=false leaves it to Hyper-V's automatic "
                                 'resynchronization window' % (self.vm_name, state))
            return state
        if state == 'Error':
            # Hyper-V does not retry errors that need an administrator; once fixed, resuming retries at once.
            self.commands.append(Command('Resume-VMReplication', vm))
            return 'Replicating'
        if state == 'ReadyForInitialReplication':
            self.commands += self._initial_commands(scheduled=parse_time(self.view['initial_replication_start_time']))
            starts_now = any(command.name == 'Start-VMInitialReplication' and 'InitialReplicationStartTime' not in command.parameters
                             for command in self.commands)
            return 'InitialReplicationInProgress' if starts_now else state
        return state

    def _initial_commands(self, scheduled):
        """Start (or reschedule) the initial replication of a relationship in ReadyForInitialReplication."""
        options = self.options
        if options['initial_replication'] == 'none':
            return []
        wanted = options.start_time
        if scheduled is not None and wanted is not None and scheduled == wanted:
            return []
        commands = []
        if scheduled is not None:
            # A pending schedule blocks Start-VMInitialReplication; stopping it puts the VM back to ready.
            commands.append(Command('Stop-VMInitialReplication', self.vm))
        parameters = dict(self.vm)
        if options['initial_replication'] == 'export':
            parameters['DestinationPath'] = options['initial_replication_path']
        if wanted is not None:
            parameters['InitialReplicationStartTime'] = iso_time(wanted)
        commands.append(Command('Start-VMInitialReplication', parameters))
        return commands


class VmReplication(Resource):
    """One task: read, plan, apply (one step), wait."""

    def validate(self):
        self.options = Options(self.params)

    def run(self, module):
        self.module = module
        self.name = self.params['name'] or self.options.vm_id   # the VM's name once read
        self.vm_id = self.options.vm_id                          # the VM's id once read
        self.primary_fqdn = None
        return self.execute(self.options)

    # ---- host access --------------------------------------------------------------------------------------------
    def run_pipeline(self, commands, what):
        try:
            return self.module.read(commands)
        except HostError as exc:
            self.module.fail_from_error(exc, msg='%s: %s' % (what, exc.message))

    def read(self):
        result = self.run_pipeline(list(reads.VM_REPLICATION_STATE) + list(DISK_STATEMENTS),
                                   'reading replication of %s' % self.name)
        if result.errors:
            raise ModuleFailure('Reading VM %s failed: %s' % (self.name, describe_errors(result.errors)),
                                errors=[error.to_dict() for error in result.errors])
        self.primary_fqdn = host_fqdn(result) or self.params['hyperv_host']
        # a name several VMs share fails naming their ids
        vm = find_one_vm(result.of_type(VM_TYPE), self.params['name'], self.options.vm_id, self.primary_fqdn)
        if vm is None:
            names = ', '.join(sorted(vm_label(item) for item in result.of_type(VM_TYPE))) or 'none'
            raise ModuleFailure("VM %s was not found on %s (VMs there: %s)" % (self.wanted(), self.params['hyperv_host'], names))
        self.name, self.vm_id = str(vm.get('Name')), str(vm.get('Id')).lower()
        return relationship_of_vm(result, self.vm_id)

    def wanted(self):
        """The VM as the task names it."""
        return "'%s'" % self.params['name'] if self.options.vm_id is None else 'with id %s' % self.options.vm_id

    def for_vm(self, command):
        """command as sent: as built (by -VMName), or given the VM object Get-VM -Id writes (vm_id)."""
        return reads.for_vm(command, self.options.vm_id)

    def read_relationship(self):
        read = self.for_vm(Command('Get-VMReplication', {} if self.options.vm_id else {'VMName': self.name}))
        result = self.run_pipeline([read] + list(DISK_STATEMENTS), 'reading replication of %s' % self.name)
        return relationship_of_vm(result, self.vm_id)

    # ---- the task ----------------------------------------------------------------------------------------------
    def execute(self, options):
        view = self.read()
        plan = ReplicationPlan(options, view, self.name).build()
        for warning in plan.warnings:
            self.module.warn(warning)
        before = summary(view)
        lines = [command_line(command) for command in plan.commands]
        result = dict(changed=bool(plan.commands), before=before, commands=lines)
        if plan.creates:
            self.test_connection(plan)
        if not plan.commands:
            after, after_view = before, view
        elif self.module.check_mode:
            after, after_view = (plan.desired or summary(None)), view
        else:
            after_view = self.apply(plan, before, lines)
            after = summary(after_view)
        result.update(after=after, replication=self.public_view(after_view))
        if self.params['wait'] and not self.module.check_mode and after_view is not None and options['state'] == 'present':
            waited, after_view = self.wait(after_view)
            if waited is not None:
                result.update(initial_replication=waited, after=summary(after_view), replication=self.public_view(after_view))
        if self.module.diff_mode:
            result['diff'] = dict(before=before, after=result['after'])
        result['msg'] = self.message(plan, result)
        return result

    @staticmethod
    def public_view(view):
        if view is None:
            return None
        keys = ('vm_name', 'mode', 'state', 'health', 'primary_server', 'replica_server', 'replica_port', 'authentication',
                'last_replication_time', 'initial_replication_start_time', 'replicated_disks', 'excluded_disks')
        return dict((key, view[key]) for key in keys)

    def message(self, plan, result):
        if not plan.commands:
            return "replication of VM '%s' is as asked (%s)" % (self.name, result['after']['replication_state'] or 'absent')
        verb = 'would change' if self.module.check_mode else 'changed'
        return "replication of VM '%s' %s: %s" % (self.name, verb, '; '.join(result['commands']))

    def apply(self, plan, before, lines):
        """The plan's commands and a read-back of the relationship (with its disks), in one step (one pipeline)."""
        step = Step(self.module.session, [self.for_vm(command) for command in plan.commands], lines,
                    read_back=[Command('Get-VMReplication')] + list(DISK_STATEMENTS))
        try:
            result = self.module.run_steps([step])[0]
        except StepFailed as failed:
            self.fail_with_errors(failed.result.errors, plan, before, summary(relationship_of_vm(failed.result, self.vm_id)))
        except HostError as exc:
            self.module.fail_from_error(exc, msg='changing replication of %s: %s' % (self.name, exc.message))
        return relationship_of_vm(result, self.vm_id)

    def test_connection(self, plan):
        """Would the Replica server accept this primary? Asked before Enable-VMReplication (Test-VMReplicationConnection only reads)."""
        desired = plan.desired
        parameters = {'ReplicaServerName': desired['replica_server'], 'ReplicaServerPort': desired['replica_port'],
                      'AuthenticationType': AUTHENTICATION_NAMES[desired['authentication']]}
        if desired['certificate_thumbprint']:
            parameters['CertificateThumbprint'] = desired['certificate_thumbprint']
        result = self.run_pipeline([Command('Test-VMReplicationConnection', parameters)], 'testing the connection to %s' % desired['replica_server'])
        if result.errors:
            self.fail_with_errors(result.errors, plan, summary(plan.view), summary(plan.view))

    def fail_with_errors(self, errors, plan, before, after):
        desired = plan.desired or {}
        explanation = None
        for error in errors:
            explanation = explain_connection_error(error.message, desired.get('replica_server'), desired.get('replica_port'),
                                                   desired.get('authentication'), self.primary_fqdn)
            if explanation is not None:
                break
        msg = "Replication of VM '%s' on %s failed: %s" % (self.name, self.params['hyperv_host'], describe_errors(errors))
        details = dict(errors=[error.to_dict() for error in errors], before=before, after=after)
        if explanation is not None:
            msg = explained(msg, explanation.why, explanation.fix)
            details['explanation'] = explanation.to_dict()
        raise ModuleFailure(msg, **details)

    # ---- waiting for the initial replication -------------------------------------------------------------------
    def wait(self, view):
        """Poll until the initial replication finished; returns (report, last view), or (None, view) when there is nothing to wait for."""
        export = self.params['initial_replication'] == 'export'
        done_states = ('Replicating', 'WaitingForInitialReplication') if export else ('Replicating',)
        if view['state'] not in WAITABLE_STATES and view['state'] != 'WaitingForInitialReplication':
            return None, view
        if view['state'] == 'ReadyForInitialReplication' and view['initial_replication_start_time'] is None:
            self.module.warn("wait: the initial replication of VM '%s' is not started (initial_replication=none), nothing to wait for" % self.name)
            return None, view

        def stopped(current):
            if current is None:
                return "Replication of VM '%s' disappeared while waiting for its initial replication" % self.name
            if current['state'] == 'Error' or current['health'] == 'Critical':
                return ("The initial replication of VM '%s' stopped in state %s (health %s): see hyperv.mobility.vm_replication_info for "
                        'the cause' % (self.name, current['state'], current['health']))
            return None

        try:
            waited = self.module.wait_until(self.read_relationship, lambda current: current['state'] in done_states, self.params['timeout'],
                                            self.params['poll_interval'], state_of=lambda current: {'state': current['state'], 'health': current['health']},
                                            first=view, stop=stopped)
        except WaitStopped as stop:
            details = dict(initial_replication=stop.waited.report())
            if stop.waited.value is not None:
                details['after'] = summary(stop.waited.value)
            raise ModuleFailure(stop.msg, **details)
        if not waited.finished:
            raise ModuleFailure("The initial replication of VM '%s' did not finish within %d seconds (state %s); Hyper-V goes on "
                                'with it' % (self.name, self.params['timeout'], waited.value['state']), initial_replication=waited.report(),
                                after=summary(waited.value))
        return waited.report(), waited.value


ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    vm_id=dict(type='str'),
    state=dict(type='str', choices=['present', 'absent', 'suspended'], default='present'),
    replica_server=dict(type='str'),
    replica_port=dict(type='int'),
    authentication=dict(type='str', choices=['kerberos', 'certificate']),
    certificate_thumbprint=dict(type='str'),
    frequency=dict(type='int', choices=[30, 300, 900]),
    recovery_history=dict(type='int'),
    app_consistent_frequency_hours=dict(type='int', aliases=['vss_frequency_hours']),
    compression=dict(type='bool'),
    excluded_disks=dict(type='list', elements='str'),
    initial_replication=dict(type='str', choices=['network', 'export', 'none'], default='network'),
    initial_replication_start_time=dict(type='str'),
    initial_replication_path=dict(type='str'),
    resynchronize=dict(type='bool', default=True),
    wait=dict(type='bool', default=False),
    timeout=dict(type='int', default=1800),
    poll_interval=dict(type='int', default=5),
    recreate=dict(type='bool', default=False),
)


def main():
    HypervModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(VmReplication)


if __name__ == '__main__':
    main()
