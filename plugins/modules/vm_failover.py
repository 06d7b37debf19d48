#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: vm_failover
short_description: Test failover, planned and unplanned failover, reverse replication and failback of a replicated VM
version_added: 0.1.0
description:
  - Runs the failover and failback steps of Microsoft's secondary-site procedure for the Hyper-V Replica relationship of
    the VM O(name), each as one idempotent O(action).
  - The pair is named the same way for every action - the task's host is the B(primary site) (where the VM runs in normal
    operation) and O(destination) the B(recovery site) (its Replica server). Running the same task again after the action
    is done changes nothing.
  - V(test) - test failover on the recovery site (C(Start-VMFailover -AsTest)), a test VM named C(<name> - Test) from
    the latest recovery point (or O(recovery_point)), not connected to replication. Only the recovery site is contacted.
  - V(cleanup_test) - removes the test VM (C(Stop-VMFailover) on the Replica VM). Only the recovery site is contacted.
  - V(planned) - planned failover from the primary site to the recovery site, with no data loss - the VM must be
    turned off on the primary site; pending changes are sent (C(Start-VMFailover -Prepare) on the primary site), the
    Replica VM fails over (C(Start-VMFailover) on the recovery site), and replication is reversed
    (C(Set-VMReplication -Reverse)) so that the recovery site now replicates back to the primary site, unless
    O(reverse_replication=false).
  - V(unplanned) - the primary site is lost. The Replica VM on the recovery site fails over to the latest recovery
    point, or to the older one O(recovery_point) names (C(Start-VMFailover)). Only the recovery site is contacted. Follow it with
    V(complete), and with V(reverse) when the primary site is back.
  - V(complete) - commits a failover on the recovery site (C(Complete-VMFailover)); the other recovery points are
    discarded and the failover can no longer be cancelled. Only the recovery site is contacted.
  - V(cancel) - cancels a failover that is not completed (C(Stop-VMFailover)) - on the recovery site a failed-over VM
    goes back to being a replica, on the primary site a prepared planned failover is undone.
  - V(reverse) - after an unplanned failover, when the primary site is back - reverses replication
    (C(Set-VMReplication -Reverse) on the recovery site) and starts the initial replication back to the primary site
    (C(Start-VMInitialReplication)). The VM on the primary site must be turned off.
  - V(failback) - planned failover back from the recovery site to the primary site, with replication reversed again
    (primary site -> recovery site), the same three steps as V(planned) in the other direction. Replication from
    the recovery site must be C(Replicating), and the VM turned off on the recovery site.
  - Before a failback the task warns, per network adapter, when the VM on the recovery site has failover TCP/IP settings and the
    primary VM has none of that family - the guest keeps the failover address it took, so it would come back with the recovery
    site's address. The fix is the primary VM's production address as its own failover TCP/IP (M(hyperv.mobility.vm_failover_network)
    on the primary site).
  - This module never stops VMs. Turn the VM off before V(planned), V(reverse) and V(failback) (the collection calls
    no C(Stop-VM)).
  - With O(start=true) the VM is started where it now runs once the action is done (the test VM after V(test)) and the task
    waits until its guest answers the heartbeat integration service (C(Get-VM) property C(Heartbeat) C(Ok...)), within
    O(heartbeat_timeout) - the workload is up, not only failed over. RV(started_vm) reports it; the task fails when the heartbeat
    is not OK in time (the failover stays done). M(hyperv.mobility.vm_start) does the same on its own.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.destination
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: The steps that would run are in RV(steps).
  diff_mode:
    details: The replication mode and state of the VM on both sites.
options:
  name:
    description:
      - Name of the replicated VM (the same on both sites), matched exactly (case-insensitive); wildcard characters (C(*), C(?),
        C([)) are refused.
      - Hyper-V does not require unique VM names; a name several VMs share on a site fails naming each with its id, before
        anything changes; give O(vm_id) for such a VM.
      - Exactly one of O(name) and O(vm_id) is required.
    type: str
  vm_id:
    description:
      - The VM's id (a GUID, C(Get-VM | Select-Object Name, Id)), the alternative to O(name) for a VM whose name other VMs share.
        Hyper-V Replica keeps the id on both sites, so it names the VM on each.
      - Every command then gets the VM object C(Get-VM -Id) writes, piped into it (their C(-VM) parameter), rather than a name.
        The test VM of V(test) has an id of its own and is still found by its name, C(<name> - Test).
    type: str
  action:
    description: The step to bring about; see the description.
    type: str
    required: true
    choices: [test, cleanup_test, planned, unplanned, complete, cancel, reverse, failback]
  destination:
    description:
      - The recovery site - the Replica server of the VM in normal operation. The task's host is the primary site.
  recovery_point:
    description:
      - The recovery point to fail over to with V(test) and V(unplanned) - V(latest), or the name of one of the Replica VM's
        recovery checkpoints as C(Get-VMSnapshot -VMName <name> -SnapshotType Replica) lists them (RV(recovery_points) of a
        V(test) or V(unplanned) run lists them too), for example an older point from before a corruption or ransomware.
      - The checkpoint is read on the recovery site and piped into C(Start-VMFailover) (its C(-VMRecoverySnapshot) parameter).
        A name that is not one of the VM's recovery points fails, listing those there are, before anything changes; wildcard
        characters (C(*), C(?), C([)) are refused (C(Get-VMSnapshot -Name) takes a pattern).
      - A failover already done (or a test VM already there) is kept whichever point it came from - V(cancel) it (or
        V(cleanup_test)) to choose another point. Other actions refuse any value but V(latest).
    type: str
    default: latest
  reverse_replication:
    description:
      - With V(planned) and V(failback), reverse replication after the failover (C(Set-VMReplication -Reverse)).
      - With V(false), the failover stops at C(FailedOverWaitingCompletion); run V(reverse) or V(complete) afterwards.
    type: bool
    default: true
  reverse_port:
    description:
      - Port of the listener on the host that becomes the Replica server when replication is reversed
        (C(ReplicaServerPort) of C(Set-VMReplication -Reverse)). Default - the port of the relationship being reversed.
    type: int
  reverse_authentication:
    description:
      - Authentication toward the host that becomes the Replica server when replication is reversed. Default - that
        of the relationship being reversed.
    type: str
    choices: [kerberos, certificate]
  reverse_certificate_thumbprint:
    description:
      - Certificate of the host that becomes the primary, for certificate authentication of the reversed relationship
        (its own certificate, not the one of the former primary).
    type: str
  start:
    description:
      - Start the VM where the action leaves it running (C(Start-VM)) and verify its heartbeat - after V(test) the test VM on the
        recovery site, after V(planned), V(unplanned), V(complete) and V(reverse) the VM on the recovery site, after
        V(failback) the VM on the primary site. A VM that already runs is not started again, only verified.
      - Refused with V(cleanup_test) and V(cancel), which leave no VM to start.
    type: bool
    default: false
  heartbeat_timeout:
    description: With O(start=true), seconds to wait for the heartbeat to be OK (1 to 604800).
    type: int
    default: 600
  poll_interval:
    description: With O(start=true), seconds between two reads of the heartbeat (1 to 3600).
    type: int
    default: 5
  initial_replication:
    description:
      - With V(reverse) after an unplanned failover - V(network) starts the initial replication back to the primary site
        now; V(none) leaves it to be started later (M(hyperv.mobility.vm_replication) on the recovery site).
    type: str
    choices: [network, none]
    default: network
notes:
  - Cmdlets run - C(Get-CimInstance -ClassName Win32_ComputerSystem), C(Get-VM), C(Get-VMReplication) on each site the action needs
    (with V(test) and V(unplanned) also C(Get-VMSnapshot -SnapshotType Replica) on the recovery site, with V(failback) also
    C(Get-VMNetworkAdapter) and C(Get-VMNetworkAdapterFailoverConfiguration) on each site, in the same pipeline), then as needed
    C(Start-VMFailover), C(Stop-VMFailover), C(Complete-VMFailover), C(Set-VMReplication -Reverse),
    C(Start-VMInitialReplication); with O(start=true) C(Get-VM -Name), C(Start-VM -Name), C(Get-VM -Name) until the heartbeat is OK,
    then C(Get-VMNetworkAdapter).
    An action that is already done costs one pipeline per site it reads.
seealso:
  - module: hyperv.mobility.vm_replication
  - module: hyperv.mobility.vm_replication_info
  - name: Start-VMFailover
    description: The cmdlet page, with the planned failover sequence.
    link: https://learn.microsoft.com/powershell/module/hyper-v/start-vmfailover
'''

EXAMPLES = r'''
- name: Disaster-recovery drill - test VM on the recovery site
  hyperv.mobility.vm_failover:
    name: web01
    destination: hv02
    action: test
  when: inventory_hostname == 'hv01'

- name: Remove the test VM
  hyperv.mobility.vm_failover:
    name: web01
    destination: hv02
    action: cleanup_test
  when: inventory_hostname == 'hv01'

- name: Test failover of one of two VMs called web01, by its id (the same on both sites)
  hyperv.mobility.vm_failover:
    vm_id: 0f8fad5b-d9cb-469f-a165-70867728950e
    destination: hv02
    action: test
  when: inventory_hostname == 'hv01'

- name: Planned failover to the recovery site (web01 is turned off on hv01), replication reversed
  hyperv.mobility.vm_failover:
    name: web01
    destination: hv02
    action: planned
  when: inventory_hostname == 'hv01'

- name: The primary site is lost - fail over on the recovery site and commit
  hyperv.mobility.vm_failover:
    name: web01
    destination: hv02
    action: "{{ item }}"
  loop: [unplanned, complete]
  when: inventory_hostname == 'hv01'

- name: Back to the primary site
  hyperv.mobility.vm_failover:
    name: web01
    destination: hv02
    action: failback
  when: inventory_hostname == 'hv01'
'''

RETURN = r'''
action:
  description: The action asked for.
  returned: always
  type: str
  sample: planned
steps:
  description:
    - The commands sent (in check mode, that would be sent), in order, each prefixed by the host's fully qualified name
      (C(Win32_ComputerSystem) C(DNSHostName).C(Domain)).
  returned: always
  type: list
  elements: str
  sample: ["hv01.corp.example.com: Start-VMFailover -Prepare", "hv02.corp.example.com: Start-VMFailover",
           "hv02.corp.example.com: Set-VMReplication -Reverse"]
source:
  description: The VM on the primary site (the task's host) after the task; null values when the site was not contacted.
  returned: always
  type: dict
  contains:
    host:
      description: The host as the task names it.
      type: str
    fqdn:
      description: The fully qualified name the host reports, null when it was not contacted.
      type: str
    vm_state:
      description: The VM's state (for example C(Off)), null when the VM is not there.
      type: str
    mode:
      description: Replication mode there (C(Primary), C(Replica)), null without replication.
      type: str
    replication_state:
      description: Replication state there.
      type: str
    contacted:
      description: Whether the site was contacted.
      type: bool
  sample: {host: hv01, fqdn: hv01.corp.example.com, vm_state: 'Off', mode: Replica, replication_state: Replicating, contacted: true}
destination:
  description: The VM on the recovery site after the task, same keys as RV(source).
  returned: always
  type: dict
  sample: {host: hv02, fqdn: hv02.corp.example.com, vm_state: 'Off', mode: Primary, replication_state: Replicating, contacted: true}
test_vm:
  description: Name of the test failover VM on the recovery site, null when there is none.
  returned: always
  type: str
  sample: web01 - Test
elapsed_seconds:
  description: Seconds the action's steps took (0 when there was nothing to do and in check mode); the start and heartbeat wait aside.
  returned: always
  type: float
  sample: 14.2
started_vm:
  description: With O(start=true), the VM started (or found running) and verified - where, whether the task started it, and its heartbeat.
  returned: O(start=true), also when the heartbeat is not OK in time
  type: dict
  contains:
    host:
      description: The host as the task names it.
      type: str
    fqdn:
      description: The fully qualified name the host reports.
      type: str
    name:
      description: The VM's name (C(<name> - Test) after V(test)).
      type: str
    started:
      description: Whether the task ran C(Start-VM) (false when the VM already ran, and in check mode).
      type: bool
    state:
      description: The VM's state at the end (C(Running)).
      type: str
    heartbeat:
      description: The heartbeat at the end (C(OkApplicationsUnknown), C(OkApplicationsHealthy), C(NoContact), ...).
      type: str
    verified:
      description: Whether the heartbeat was OK within O(heartbeat_timeout) (null in check mode).
      type: bool
    elapsed_seconds:
      description: Seconds from the start (or the first read) until the heartbeat was OK, or until the timeout.
      type: float
    progress:
      description: Each distinct state and heartbeat seen while waiting, with the seconds elapsed when it was first seen.
      type: list
      elements: dict
    network_adapters:
      description:
        - Once the heartbeat is OK, each network adapter of the VM - V(name), the V(switch) it is connected to (a test VM's is
          the test failover switch, M(hyperv.mobility.vm_failover_network)) and the V(addresses) its guest reports (C(IPAddresses)).
      type: list
      elements: dict
  sample: {host: hv02, fqdn: hv02.corp.example.com, name: web01 - Test, started: true, state: Running,
           heartbeat: OkApplicationsUnknown, verified: true, elapsed_seconds: 12.5,
           progress: [{state: Running, heartbeat: NoContact, elapsed_seconds: 0.0},
                      {state: Running, heartbeat: OkApplicationsUnknown, elapsed_seconds: 12.5}],
           network_adapters: [{name: Network Adapter, switch: Isolated, addresses: [10.2.0.15]}]}
recovery_point:
  description: The recovery point the task failed over to - its name, or V(latest).
  returned: O(action=test) and O(action=unplanned)
  type: str
  sample: web01 - Standard Replica - (12/06/2026 - 03:00:00)
recovery_points:
  description:
    - The Replica VM's recovery points on the recovery site, oldest first, as they were before the task (C(Get-VMSnapshot
      -SnapshotType Replica)); empty when it has none (not a Replica VM, initial replication not done, or failover completed).
  returned: O(action=test) and O(action=unplanned)
  type: list
  elements: dict
  contains:
    name:
      description: The checkpoint's name, what O(recovery_point) takes.
      type: str
    created:
      description: When the point was taken (C(CreationTime)), as the host reports it.
      type: str
  sample: [{name: web01 - Standard Replica - (12/06/2026 - 02:00:00), created: '2026-12-06T02:00:00'}]
'''

import time

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import heartbeat, reads
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.failover_identity import (
    ADAPTER_TYPE, failover_addresses, identity_kept_on_failback)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    MAX_WAIT_SECONDS, Command, HostError, HypervModule, ModuleFailure, OptionError, Resource, Step, StepFailed, check_range, describe,
    describe_errors, explained)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import (
    WILDCARD_CHARACTERS, check_port, check_thumbprint, check_vm_id, check_vm_name_or_id, find_one_vm, normalize_thumbprint)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import (
    DESTINATION_ARGUMENT_SPEC, destination_options, refuse_destination_is_source)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import (
    AUTHENTICATION_NAMES,
    FAILOVER_STATES,
    explain_connection_error,
    host_fqdn,
    relationship_of_vm,
    relationships_of,
    VM_TYPE,
    vm_summary,
)

TEST_SUFFIX = ' - Test'
ACTIONS = ['test', 'cleanup_test', 'planned', 'unplanned', 'complete', 'cancel', 'reverse', 'failback']
# Actions that need only the recovery site: they must work while the primary site is down.
RECOVERY_SITE_ONLY = ('test', 'cleanup_test', 'unplanned', 'complete')
# Actions that fail over from a recovery point (Start-VMFailover on the Replica VM): recovery_point chooses it.
POINT_ACTIONS = ('test', 'unplanned')
LATEST = 'latest'
# Actions after which no VM is left to start (start: true refused).
NOTHING_TO_START = ('cleanup_test', 'cancel')
SNAPSHOT_TYPE = 'Microsoft.HyperV.PowerShell.VMSnapshot'


def step_line(command):
    """A command (or piped commands) of a step as the result lists it (every command is about the task's VM, so its name is left
    out)."""
    return ' | '.join(describe(item, implied=('VMName',)) for item in command.commands)


def chosen_point(params):
    """The recovery point name the task asks for, None for the latest."""
    point = params['recovery_point'].strip()
    return None if point.lower() == LATEST else point


def check_recovery_point(params):
    point = chosen_point(params)
    if point is None:
        return
    if params['action'] not in POINT_ACTIONS:
        raise OptionError("recovery_point applies to action=%s; got action=%s with recovery_point '%s' (use latest)"
                          % (' and '.join(POINT_ACTIONS), params['action'], point))
    wildcards = sorted(set(WILDCARD_CHARACTERS) & set(point))
    if wildcards:
        raise OptionError('recovery_point %r holds the wildcard character(s) %s: give latest or the name of one recovery point, as '
                          'Get-VMSnapshot -SnapshotType Replica lists it' % (point, ' '.join(wildcards)))


def recovery_points_of(result, vm_id):
    """[{name, created}] of the VM's Replica checkpoints in a pipeline result, oldest first (Get-VMSnapshot's order)."""
    return [dict(name=item.get('Name'), created=item.get('CreationTime')) for item in result.of_type(SNAPSHOT_TYPE)
            if str(item.get('VMId') or '').lower() == str(vm_id or '').lower()]


def task_vm(params):
    """The VM as messages name it: the task's name, or its id."""
    return params['name'] or params['vm_id']


class Site:
    """One host of the pair as far as the VM is concerned: the VM, its relationship and a test failover VM, if any."""

    READ = reads.VM_REPLICATION_STATE
    READ_BACK = (Command('Get-VM'), Command('Get-VMReplication'))

    def __init__(self, label, session, vm_name, vm_id=None):
        self.label = label
        self.session = session
        self.vm_name = vm_name      # the task's name of the VM (None with vm_id)
        self.vm_id = vm_id          # the task's id of the VM (None with a name)
        self.contacted = False
        self.fqdn = None
        self.vm = None
        self.rel = None
        self.test_vm = None
        self.recovery_points = None
        self.failover_addresses = None

    def failure(self, exc):
        """A host error of this site as the task's failure, named by the site."""
        return ModuleFailure('%s: %s' % (self.label, exc.message), host=exc.host or self.label)

    def read(self, recovery_points=False, failover_settings=False):
        """The site's state, with recovery_points also the VM's recovery points, with failover_settings its adapters' failover
        TCP/IP addresses (the same pipeline)."""
        extra = [reads.recovery_checkpoints(self.vm_name, self.vm_id)] if recovery_points else []
        if failover_settings:
            extra += reads.vm_failover_settings(self.vm_name, self.vm_id)
        try:
            result = self.session.run(list(self.READ) + extra, check=False)
        except HostError as exc:
            raise self.failure(exc)
        self.absorb(result)
        if recovery_points:
            self.recovery_points = recovery_points_of(result, self.vm['id'] if self.vm else None)
        if failover_settings and self.vm is not None:
            self.failover_addresses = failover_addresses(result)
        return self

    def absorb(self, result):
        """Take the VM's state from the Get-VM / Get-VMReplication objects of a pipeline result."""
        self.contacted = True
        self.fqdn = host_fqdn(result) or self.fqdn
        # a name several VMs share fails naming their ids
        found = find_one_vm(result.of_type(VM_TYPE), self.vm_name, self.vm_id, self.name)
        self.vm = vm_summary(found) if found is not None else None
        self.rel = relationship_of_vm(result, self.vm['id']) if self.vm else None
        key = (self.vm['name'] if self.vm else self.vm_name or '').lower()
        test = relationships_of(result).get(key + TEST_SUFFIX.lower()) if key else None
        self.test_vm = test['vm_name'] if test is not None and test['mode'] == 'TestReplica' else None

    @property
    def mode(self):
        return self.rel['mode'] if self.rel else None

    @property
    def state(self):
        return self.rel['state'] if self.rel else None

    @property
    def vm_state(self):
        return self.vm['state'] if self.vm else None

    @property
    def name(self):
        """How messages and steps name the site: the FQDN it reports once read, else the name the task gave."""
        return self.fqdn or self.label

    def view(self):
        return {'host': self.label, 'fqdn': self.fqdn, 'vm_state': self.vm_state, 'mode': self.mode, 'replication_state': self.state,
                'contacted': self.contacted}

    def describe_state(self):
        if not self.contacted:
            return '%s: not contacted' % self.name
        if self.vm is None:
            return '%s: no VM %s' % (self.name, self.vm_name or 'with id %s' % self.vm_id)
        if self.rel is None:
            return '%s: VM %s (%s) without replication' % (self.name, self.vm['name'], self.vm_state)
        return '%s: %s, %s (VM %s)' % (self.name, self.mode, self.state, self.vm_state)


class FailoverPlan:
    """The steps ((site, [commands]) in order) that bring about one action, from the sites' current state."""

    def __init__(self, params, source, destination):
        self.params = params
        self.source = source
        self.destination = destination
        self.steps = []
        self.vm_id = check_vm_id('vm_id', params.get('vm_id'))
        # How the commands name the VM: by -VMName, or (vm_id) by the VM object Get-VM -Id writes, piped into them (-VM).
        self.vm = {} if self.vm_id else {'VMName': params['name']}

    def for_vm(self, command):
        """command (built with self.vm) for the task's VM: as built, or given the VM object Get-VM -Id writes (vm_id)."""
        return reads.for_vm(command, self.vm_id)

    def add(self, site, *commands):
        if self.steps and self.steps[-1][0] is site:
            self.steps[-1][1].extend(commands)
        else:
            self.steps.append((site, list(commands)))

    def build(self):
        getattr(self, 'plan_' + self.params['action'])()
        return self

    def refuse(self, why):
        raise ModuleFailure("%s of VM '%s' is not possible: %s (%s; %s)" % (
            self.params['action'], task_vm(self.params), why, self.source.describe_state(), self.destination.describe_state()))

    def require_replica(self, site):
        if site.rel is None:
            self.refuse('%s holds no replication of the VM' % site.name)
        if site.mode != 'Replica':
            self.refuse('the VM on %s is the %s side, not the Replica' % (site.name, site.mode))

    # ---- recovery site only --------------------------------------------------------------------------------------
    def plan_test(self):
        target = self.destination
        if target.test_vm is not None:
            return
        self.require_replica(target)
        self.add(target, self.failover_command(target, AsTest=True))

    def plan_cleanup_test(self):
        if self.destination.test_vm is not None:
            self.add(self.destination, self.for_vm(Command('Stop-VMFailover', self.vm)))

    def plan_unplanned(self):
        target = self.destination
        if target.mode == 'Primary' or (target.mode == 'Replica' and target.state in FAILOVER_STATES):
            return       # already failed over (and perhaps reversed)
        self.require_replica(target)
        self.add(target, self.failover_command(target))

    def failover_command(self, target, **switches):
        """Start-VMFailover on the Replica VM: from the latest recovery point, or the chosen one's checkpoint piped into it."""
        point = chosen_point(self.params)
        if point is None:
            return self.for_vm(Command('Start-VMFailover', dict(self.vm, **switches)))
        names = [item['name'] for item in target.recovery_points or []]
        match = next((name for name in names if name.lower() == point.lower()), None)
        if match is None:
            self.refuse("recovery_point '%s' is not a recovery point of the VM on %s; it has %s" % (
                point, target.name, ', '.join("'%s'" % name for name in names) if names else 'none'))
        checkpoint = self.for_vm(Command('Get-VMSnapshot', dict(self.vm, Name=match, SnapshotType='Replica')))
        return checkpoint.pipe(Command('Start-VMFailover', switches))

    def plan_complete(self):
        target = self.destination
        if target.mode == 'Primary' or target.state == 'FailedOver':
            return
        if target.state != 'FailedOverWaitingCompletion':
            self.refuse('no failover waits for completion on %s: run action=unplanned or action=planned first' % target.name)
        self.add(target, self.for_vm(Command('Complete-VMFailover', self.vm)))

    # ---- both sites ---------------------------------------------------------------------------------------------
    def plan_cancel(self):
        if self.destination.mode == 'Replica' and self.destination.state == 'FailedOverWaitingCompletion':
            self.add(self.destination, self.for_vm(Command('Stop-VMFailover', self.vm)))
        if self.destination.mode == 'Replica' and self.destination.state == 'FailedOver':
            self.refuse('the failover on %s was completed and can no longer be cancelled' % self.destination.name)
        if self.source.mode == 'Primary' and self.source.state == 'PreparedForFailover':
            self.add(self.source, self.for_vm(Command('Stop-VMFailover', self.vm)))

    def plan_planned(self):
        self.planned_failover(self.source, self.destination)

    def plan_failback(self):
        if self.destination.mode == 'Replica' and self.destination.state in FAILOVER_STATES:
            self.refuse('the VM on %s is failed over but replication is not reversed: run action=reverse and let the initial replication '
                        'back to %s finish first' % (self.destination.name, self.source.name))
        self.planned_failover(self.destination, self.source)

    def planned_failover(self, primary, replica):
        """Start-VMFailover -Prepare on the primary, Start-VMFailover on the replica, Set-VMReplication -Reverse there."""
        reverse = self.params['reverse_replication']
        if replica.mode == 'Primary' and primary.mode == 'Replica':
            return       # done: the replica side is now the primary
        if not reverse and replica.mode == 'Replica' and replica.state in FAILOVER_STATES:
            return
        if primary.rel is None or replica.rel is None:
            self.refuse('both sites need their side of the relationship')
        if primary.mode != 'Primary':
            self.refuse('the VM on %s is not the primary' % primary.name)
        self.require_replica(replica)
        if replica.state not in FAILOVER_STATES:
            if primary.state == 'Replicating':
                if primary.vm_state != 'Off':
                    self.refuse("a planned failover needs the VM turned off on %s (it is %s): shut it down first; this collection does not "
                                'stop VMs' % (primary.name, primary.vm_state))
                self.add(primary, self.for_vm(Command('Start-VMFailover', dict(self.vm, Prepare=True))))
            elif primary.state != 'PreparedForFailover':
                self.refuse('a planned failover needs replication in state Replicating on %s' % primary.name)
            self.add(replica, self.for_vm(Command('Start-VMFailover', self.vm)))
        if reverse:
            self.add(replica, self.reverse_command())

    def plan_reverse(self):
        target, former = self.destination, self.source
        if target.mode == 'Primary':
            if target.state == 'ReadyForInitialReplication' and self.params['initial_replication'] == 'network':
                self.add(target, self.for_vm(Command('Start-VMInitialReplication', self.vm)))
            return
        self.require_replica(target)
        if target.state not in FAILOVER_STATES:
            self.refuse('replication is reversed after a failover: run action=unplanned (or planned) first')
        if former.vm is not None and former.vm_state != 'Off':
            self.refuse('the VM on %s is %s: turn it off before reversing replication, %s becomes the Replica VM'
                        % (former.name, former.vm_state, former.name))
        self.add(target, self.reverse_command())
        planned = former.mode == 'Primary' and former.state == 'PreparedForFailover'
        if not planned and self.params['initial_replication'] == 'network':
            self.add(target, self.for_vm(Command('Start-VMInitialReplication', self.vm)))

    def reverse_command(self):
        parameters = dict(Reverse=True)
        if self.params['reverse_port'] is not None:
            parameters['ReplicaServerPort'] = self.params['reverse_port']
        if self.params['reverse_authentication'] is not None:
            parameters['AuthenticationType'] = AUTHENTICATION_NAMES[self.params['reverse_authentication']]
        if self.params['reverse_certificate_thumbprint']:
            parameters['CertificateThumbprint'] = normalize_thumbprint(self.params['reverse_certificate_thumbprint'])
        return self.for_vm(Command('Set-VMReplication', dict(self.vm, **parameters)))


class VmFailover(Resource):
    """One task: read the sites the action needs, plan, run each site's commands as one step (one pipeline)."""

    vm_id = None  # the vm_id option, normalised by validate()

    def validate(self):
        params = self.params
        check_recovery_point(params)
        if params['start'] and params['action'] in NOTHING_TO_START:
            raise OptionError('start applies to actions that leave a VM to run (%s); got action=%s' % (
                ', '.join(action for action in ACTIONS if action not in NOTHING_TO_START), params['action']))
        check_range('heartbeat_timeout', params['heartbeat_timeout'], 1, MAX_WAIT_SECONDS, ' seconds')
        check_range('poll_interval', params['poll_interval'], 1, 3600, ' seconds')
        check_port('reverse_port', params['reverse_port'])
        check_thumbprint('reverse_certificate_thumbprint', params['reverse_certificate_thumbprint'])
        self.vm_id = check_vm_name_or_id(params)
        refuse_destination_is_source(params)

    def run(self, module):
        params = self.params
        destination_connection = destination_options(params)
        module.check_connection(destination_connection, prefix='destination_connection.')
        self.source = Site(params['hyperv_host'], module.session, params['name'], self.vm_id)
        self.destination = Site(params['destination'], module.peer_session(destination_connection), params['name'], self.vm_id)
        failback = params['action'] == 'failback'
        self.destination.read(recovery_points=params['action'] in POINT_ACTIONS, failover_settings=failback)
        if params['action'] not in RECOVERY_SITE_ONLY:
            self.source.read(failover_settings=failback)
        if self.destination.vm is None and params['action'] in RECOVERY_SITE_ONLY:
            raise ModuleFailure("VM '%s' was not found on %s (the recovery site)" % (task_vm(params), self.destination.label))
        before = self.snapshot()
        plan = FailoverPlan(params, self.source, self.destination).build()
        steps = [Step(site.session, commands, ['%s: %s' % (site.name, step_line(command)) for command in commands], site.READ_BACK)
                 for site, commands in plan.steps]
        lines = [label for step in steps for label in step.labels]
        if failback and self.source.mode == 'Replica' and self.source.state not in FAILOVER_STATES:
            for warning in self.identity_warnings():
                module.warn(warning)
        self.started_vm = None
        began = time.monotonic()
        if steps and not module.check_mode:
            sites = dict((id(site.session), site) for site, commands in plan.steps)
            try:
                module.run_steps(steps, on_result=lambda step, result: sites[id(step.session)].absorb(result))
            except StepFailed as failed:
                raise self.step_failure(sites[id(failed.step.session)], failed.result.errors, before)
            except HostError as error:
                raise self.site_of(error, sites).failure(error)
        elapsed = round(time.monotonic() - began, 1)
        if params['start']:
            self.start_and_verify(module, lines, before, elapsed)
        result = dict(changed=bool(lines), action=params['action'], steps=lines, source=self.source.view(),
                      destination=self.destination.view(), test_vm=self.destination.test_vm, elapsed_seconds=elapsed)
        if params['start']:
            result['started_vm'] = self.started_vm
        if params['action'] in POINT_ACTIONS:
            result.update(recovery_point=chosen_point(params) or LATEST, recovery_points=self.destination.recovery_points or [])
        if module.diff_mode:
            result['diff'] = dict(before=before, after=self.snapshot())
        result['msg'] = self.message(lines, module.check_mode)
        return result

    def start_and_verify(self, module, lines, before, elapsed):
        """start: Start-VM where the action left the VM (unless it runs), then read it until its heartbeat is OK; lines gets the
        Start-VM line, self.started_vm the report."""
        params = self.params
        site = self.source if params['action'] == 'failback' else self.destination
        known = site.vm['name'] if site.vm else params['name'] or self.vm_id
        testing = params['action'] == 'test'
        # The test VM has an id of its own: it is found by its name, the VM by the task's name or id.
        vm_id = None if testing else self.vm_id
        name = (site.test_vm or known + TEST_SUFFIX) if testing else known
        read = reads.vm_by_id(vm_id) if vm_id else reads.vm_by_name(name)
        start = reads.for_vm(Command('Start-VM', {} if vm_id else {'Name': name}), vm_id)
        try:
            view = self.vm_at(site, name, vm_id, module.read([read], session=site.session))
        except HostError as error:
            raise site.failure(error)
        label = '%s: %s' % (site.name, step_line(start))
        report = dict(host=site.label, fqdn=site.fqdn, name=name, started=False, state=None, heartbeat=None, verified=None,
                      elapsed_seconds=0.0, progress=[], network_adapters=[])
        self.started_vm = report
        if module.check_mode:
            if view is None or view['state'] != 'Running':
                lines.append(label)
            report.update(view or {}, name=name)
            return
        if view is None:
            raise self.start_failure("VM '%s' is not on %s: nothing to start" % (name, site.name), lines, before, elapsed)
        refused = heartbeat.not_startable(view, site.name)
        if refused:
            raise self.start_failure(refused, lines, before, elapsed)
        if view['state'] != 'Running':
            try:
                result, = module.run_steps([Step(site.session, [start], [label], read_back=[read])])
            except StepFailed as failed:
                raise self.start_failure("VM '%s' could not be started on %s: %s" % (name, site.name, describe_errors(failed.result.errors)),
                                         lines, before, elapsed)
            except HostError as error:
                raise site.failure(error)
            lines.append(label)
            report['started'] = True
            view = self.vm_at(site, name, vm_id, result) or view
        waited = heartbeat.wait_for_heartbeat(module, lambda: self.vm_at(site, name, vm_id, module.read([read], session=site.session)) or view, view,
                                              params['heartbeat_timeout'], params['poll_interval'])
        report.update(waited.value, name=name, verified=waited.finished, elapsed_seconds=waited.elapsed_seconds, progress=waited.progress)
        if not waited.finished:
            raise self.start_failure(heartbeat.not_up(waited.value, site.name, params['heartbeat_timeout']), lines, before, elapsed)
        try:
            adapters = module.read([reads.vm_network_adapters(name, vm_id)], session=site.session).of_type(ADAPTER_TYPE)
        except HostError as error:
            raise site.failure(error)
        report['network_adapters'] = [dict(name=item.get('Name'), switch=item.get('SwitchName'), addresses=list(item.get('IPAddresses') or []))
                                      for item in adapters]

    def identity_warnings(self):
        """Before a failback: the recovery site's addresses the guest would keep, each named with its adapter and the fix."""
        recovery, primary = self.destination, self.source
        what = "failback of VM '%s'" % task_vm(self.params)
        if recovery.failover_addresses is not None and not any(recovery.failover_addresses.values()):
            return []       # no recovery-site address: the guest keeps its own
        if recovery.failover_addresses is None or primary.failover_addresses is None:
            unpaired = recovery if recovery.failover_addresses is None else primary
            return ['%s: the failover TCP/IP settings on %s could not be told apart by adapter, so whether the VM comes back with its '
                    'production address was not checked; give the primary VM its own address as failover TCP/IP '
                    '(hyperv.mobility.vm_failover_network on %s)' % (what, unpaired.name, primary.name)]
        return ["%s: adapter '%s' has the failover TCP/IP address %s on %s (the recovery site) and none of its own on %s, so after the "
                "failback the guest keeps %s. Give the primary VM its production address first: hyperv.mobility.vm_failover_network on %s "
                "with name, adapter '%s' and %s" % (what, adapter, address, recovery.name, primary.name, address, primary.name, adapter, option)
                for adapter, option, address in identity_kept_on_failback(recovery.failover_addresses, primary.failover_addresses)]

    @staticmethod
    def vm_at(site, name, vm_id, result):
        """The VM's view (name, state, heartbeat) in a Get-VM result, by vm_id or name; None when it is not there."""
        found = find_one_vm(result.of_type(heartbeat.VM_TYPE), name, vm_id, site.name)
        return heartbeat.vm_view(found) if found is not None else None

    def start_failure(self, msg, lines, before, elapsed):
        """The task fails after the action: what ran stays done (changed), the VM report tells what was seen."""
        msg = "%s of VM '%s' is done (%s), but the VM is not verified up: %s" % (
            self.params['action'], task_vm(self.params), '; '.join(lines) or 'nothing to do', msg)
        return ModuleFailure(msg, changed=bool(lines), steps=lines, started_vm=self.started_vm, before=before, source=self.source.view(),
                             destination=self.destination.view(), action=self.params['action'], elapsed_seconds=elapsed)

    def site_of(self, error, sites):
        return next((site for site in sites.values() if site.session.options.host == error.host), self.source)

    def snapshot(self):
        return {'source': self.source.view(), 'destination': self.destination.view(), 'test_vm': self.destination.test_vm}

    def message(self, lines, check_mode):
        name, action = task_vm(self.params), self.params['action']
        if not lines:
            return "%s of VM '%s': nothing to do (%s; %s)" % (action, name, self.source.describe_state(), self.destination.describe_state())
        verb = 'would run' if check_mode else 'ran'
        return "%s of VM '%s' %s: %s" % (action, name, verb, '; '.join(lines))

    def step_failure(self, site, errors, before):
        other = self.source if site is self.destination else self.destination
        msg = "%s of VM '%s' failed on %s: %s" % (self.params['action'], task_vm(self.params), site.name, describe_errors(errors))
        details = dict(errors=[error.to_dict() for error in errors], before=before, source=self.source.view(),
                       destination=self.destination.view())
        for error in errors:
            if error.command and error.command.lower() == 'set-vmreplication':
                explanation = explain_connection_error(error.message, other.name, self.params['reverse_port'],
                                                       self.params['reverse_authentication'] or (site.rel or {}).get('authentication'), site.fqdn)
                if explanation is not None:
                    msg = explained(msg, explanation.why, explanation.fix)
                    details['explanation'] = explanation.to_dict()
                    break
        return ModuleFailure(msg, **details)


ARGUMENT_SPEC = dict(
    name=dict(type='str'),
    vm_id=dict(type='str'),
    action=dict(type='str', required=True, choices=ACTIONS),
    recovery_point=dict(type='str', default=LATEST),
    reverse_replication=dict(type='bool', default=True),
    reverse_port=dict(type='int'),
    reverse_authentication=dict(type='str', choices=['kerberos', 'certificate']),
    reverse_certificate_thumbprint=dict(type='str'),
    initial_replication=dict(type='str', choices=['network', 'none'], default='network'),
    start=dict(type='bool', default=False),
    heartbeat_timeout=dict(type='int', default=600),
    poll_interval=dict(type='int', default=5),
    **DESTINATION_ARGUMENT_SPEC
)


def main():
    HypervModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                 required_if=[['reverse_authentication', 'certificate', ['reverse_certificate_thumbprint']]]).execute(VmFailover)


if __name__ == '__main__':
    main()
