#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: host_drain
short_description: Empty a Hyper-V host of its virtual machines by live migration, in parallel, before maintenance
version_added: 0.1.0
description:
  - Moves every VM of the task's host (the source) onto O(destinations), so the source can be patched, rebooted or retired.
    For hosts without failover clustering.
  - Plans first, from one read pipeline per host - the source's VMs (state, assigned memory, configuration version, files) and
    each destination's free memory (C(Win32_OperatingSystem) C(FreePhysicalMemory)), supported VM versions, live-migration
    settings and limit. The VMs are placed largest first, each onto the destination with the most free memory where it fits and
    whose Windows Server release supports its configuration version; O(pin) and O(exclude) override that.
  - Every placement is checked with C(Compare-VM) before anything moves. A VM that Compare-VM refuses on its destination is
    placed again on another one; a VM that fits nowhere is reported with the reason and the fix, and the others still move.
  - Moves run in parallel, never more at once than the source's C(MaximumVirtualMachineMigrations) allows, nor more to one
    destination than that destination's own limit (Hyper-V counts a move on both hosts; moves beyond a limit would queue on
    the host). Each move runs in its own session to the source. A failed move is tried again after O(retry_delay) seconds,
    doubled each time, at most O(retries) times; a move that does not finish within O(move_timeout) is reported and left to Hyper-V.
  - Idempotent - a host with nothing left to move is V(ok) with no change.
  - The task fails when a VM that should have left the source is still there; its result still lists every VM.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.destination.destinations
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: Reads both ends and runs C(Compare-VM) for each placement, then returns the plan (RV(vms) with V(planned)) and moves nothing.
  diff_mode:
    support: none
    description: RV(vms) says where each VM was and went.
options:
  state:
    description:
      - V(drained) - no VM that should move is left on the source.
    type: str
    choices: [drained]
    default: drained
  destinations:
    description:
      - The hosts the VMs may go to (inventory host names, or names or addresses outside the inventory). Not the source, no
        host twice.
    type: list
    elements: str
    required: true
  destination_connections:
    description:
      - How to reach each host of O(destinations); one entry per destination that needs one, with the keys of the C(hyperv_*)
        options without the prefix, and C(destination) naming the host the entry is for.
      - Keys an entry leaves out take the task's account; V(host) defaults to the destination's name. The
        C(hyperv.mobility.controller_module) action plugin adds an entry from the inventory vars of each destination that is an
        inventory host and has no entry in the task.
    type: list
    elements: dict
  exclude:
    description: Names of VMs that stay on the source (reported as V(excluded)).
    type: list
    elements: str
    default: []
  pin:
    description:
      - VM name -> the one destination (of O(destinations)) it must go to. A pinned VM that does not fit there is reported,
        never placed elsewhere.
    type: dict
    default: {}
  on_off_vms:
    description:
      - V(move) - VMs that are off move too (they need no memory on the destination, so any destination that supports their version takes them).
      - V(leave) - they stay on the source (reported as V(left)).
    type: str
    choices: [move, leave]
    default: move
  include_storage:
    description:
      - Move each VM's files too (C(Move-VM -IncludeStorage)), to the same paths on the destination. Without it every file of a
        VM must be on storage both hosts reach (an SMB share), which C(Compare-VM) checks.
    type: bool
    default: false
  retries:
    description: How many more times a failed move is tried (0-10). A move C(Compare-VM) found incompatible is not tried again.
    type: int
    default: 2
  retry_delay:
    description:
      - Seconds before the first retry of a move; each later retry waits twice as long as the one before (0-600).
      - A move waiting for its retry holds no slot of the limits, so other moves run meanwhile.
    type: float
    default: 5
  progress_file:
    description:
      - A file on the controller that the task rewrites as each move starts and ends, with the counts of the drain so far -
        JSON C({"total", "moved", "failed", "in_flight", "left", "last"}), C(last) the latest move and its state. Run the task with
        C(async) and poll it (C(async_status)) to show the progress while it runs; C(playbooks/drain_host.yml) prints one line
        per poll from it. Not written in check mode or when nothing moves.
      - Its folder must exist; the file is replaced whole each time (written beside it, then renamed), so a reader never sees
        half of it.
    type: path
    version_added: 0.1.0
  move_timeout:
    description:
      - Seconds to wait for one C(Move-VM) (from when it is sent, so a move Hyper-V queues counts its queueing too). A move not
        finished by then is reported as V(failed) with the reason and is not tried again - Hyper-V does not cancel it and goes
        on with it on the source, so check where the VM is before draining again. The other moves go on.
    type: int
    default: 1800
    version_added: 0.1.0
  switch_map:
    description:
      - Virtual switches of the destinations to connect the VMs' network adapters to, by the name of the switch each is connected to
        on the source (a dictionary, source switch name to destination switch name), for destinations whose switches have other names.
        One map for every destination; names are not case-sensitive.
      - A VM is placed only on a destination that has every switch its adapters are connected to, or the mapped switch; a VM no
        destination can take that way is reported V(not_placed) with the reason and the fix naming the switch, and the others move.
      - The move connects the adapters on C(Compare-VM)'s report and moves with it in one pipeline on the source, as
        M(hyperv.mobility.vm_migrate) O(hyperv.mobility.vm_migrate#module:switch_map) does.
    type: dict
    version_added: 0.1.0
notes:
  - Cmdlets run - on the source C(Get-CimInstance -ClassName Win32_ComputerSystem), C(Get-VMHost), C(Get-VM), C(Get-VMHardDiskDrive),
    C(Get-VMNetworkAdapter), then C(Get-VM -Id | Compare-VM | Select-Object -ExpandProperty Incompatibilities) per placement (one
    pipeline per destination) and C(Get-VM -Id | Move-VM) per VM (with adapters to map, the report pipeline of
    M(hyperv.mobility.vm_migrate)); on each destination C(Win32_ComputerSystem), C(Win32_OperatingSystem), C(Get-VMHost),
    C(Get-VMHostSupportedVersion), C(Get-VM), C(Get-VMSwitch). An idempotent run reads each host once and moves nothing.
  - C(Move-VM) names each destination by its fully qualified name (C(Win32_ComputerSystem)); with Kerberos the source's
    delegation must name it (M(hyperv.mobility.kerberos_delegation)).
  - Free memory is read once, when planning. Memory a VM on a destination takes meanwhile is not seen; the move then fails with
    0x8007000E and is retried, and reported when it keeps failing.
  - The result's RV(timeline) gives the moves in flight over time (what a progress display shows); Ansible shows a module's
    output when it ends.
seealso:
  - module: hyperv.mobility.vm_migrate
  - module: hyperv.mobility.migration_preflight
  - name: Move-VM
    description: The cmdlet that moves each VM.
    link: https://learn.microsoft.com/powershell/module/hyper-v/move-vm
'''

EXAMPLES = r'''
- name: Empty hv01 onto the other hosts of the group, with the VMs' storage
  hyperv.mobility.host_drain:
    destinations: "{{ groups['hyperv_hosts'] | difference([inventory_hostname]) }}"
    include_storage: true
    exclude: [hv01-dc]
    pin:
      sql01: hv03
  register: drain

- name: Only show the plan
  hyperv.mobility.host_drain:
    destinations: [hv02, hv03]
    on_off_vms: leave
  check_mode: true
'''

RETURN = r'''
source:
  description: The source's fully qualified name.
  returned: always
  type: str
  sample: hv01.corp.example.com
vms:
  description: One entry per VM that was on the source.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: VM name.
      type: str
    id:
      description: VM id.
      type: str
    state:
      description: The VM's state when planned.
      type: str
    memory_mb:
      description: Memory the destination had to hold for it (0 when it was not running).
      type: int
    source:
      description: The source.
      type: str
    destination:
      description: Where it went or would go (null when it has no destination).
      type: str
    result:
      description: >-
        V(moved), V(planned) (check mode), V(failed) (the move kept failing), V(not_placed) (no destination takes it),
        V(excluded), V(left) (off, with O(on_off_vms=leave)).
      type: str
    attempts:
      description: How many times Move-VM ran for it.
      type: int
    duration_seconds:
      description: Seconds from its first attempt to its end.
      type: float
    reason:
      description: Why it did not move.
      type: str
    fix:
      description: What to do about it.
      type: str
    incompatibilities:
      description: What Compare-VM reported against each destination it was tried on ({destination, message, message_id}).
      type: list
      elements: dict
    switches:
      description: The network adapters connected to another switch of the destination (O(switch_map)) - {adapter, switch, to}.
      type: list
      elements: dict
  sample: [{name: web01, id: 0f8fad5b-d9cb-469f-a165-70867728950e, state: Running, memory_mb: 4096, source: hv01.corp.example.com,
            destination: hv02.corp.example.com, result: moved, attempts: 1, duration_seconds: 21.4}]
summary:
  description: How many VMs ended in each result.
  returned: always
  type: dict
  sample: {moved: 38, not_placed: 1, failed: 1}
placements:
  description:
    - VM name -> the source, the destination it went (would go) to, and that destination as O(destinations) names it
      (C(destination_host), an inventory name where it was one); what returns the VMs after maintenance.
    - C(switches) - the adapters connected to another switch of the destination (RV(vms[].switches)); returning the VM maps them back.
  returned: always
  type: dict
  sample: {web01: {source: hv01.corp.example.com, destination: hv02.corp.example.com, destination_host: hv02, switches: []}}
peak_in_flight:
  description: The most moves that ran at once, per host.
  returned: always
  type: dict
  sample: {hv01.corp.example.com: 2, hv02.corp.example.com: 1}
timeline:
  description: Each time a move started or ended - seconds since the first, moves in flight on the source, moves still waiting.
  returned: when VMs moved
  type: list
  elements: dict
duration_seconds:
  description: Seconds the moves took together.
  returned: when VMs moved
  type: float
'''

import threading
import time

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    MAX_WAIT_SECONDS, Command, HostError, HypervModule, ModuleFailure, OptionError, OutcomeUnknownError, Resource, describe, run_within)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.peer_connection import (
    DESTINATIONS_ARGUMENT_SPEC, destinations_options, destinations_problems)
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import reads, switch_map
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.drain import MB, Destination, DrainVM, MoveSlots, ProgressFile, place
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import host_identity
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.hyperv import HV, HostVersions
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.move_errors import explain, incompatibilities_of

MAX_RETRIES = 10
MAX_RETRY_DELAY = 600
OS_TYPE = 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem'
# Results of a VM that the task did not have to move.
NOT_MOVING = ('excluded', 'left')


def _number(value):
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class HostDrain(Resource):
    """Read every host, place the VMs (checked with Compare-VM), move them in parallel within the limits."""

    def validate(self):
        params = self.params
        problems = destinations_problems(params)
        if problems:
            raise OptionError('; '.join(problems))
        if not 0 <= params['retries'] <= MAX_RETRIES:
            raise OptionError('retries must be between 0 and %d, got %d' % (MAX_RETRIES, params['retries']))
        if not 0 <= params['retry_delay'] <= MAX_RETRY_DELAY:
            raise OptionError('retry_delay must be between 0 and %d seconds, got %s' % (MAX_RETRY_DELAY, params['retry_delay']))
        if not 1 <= params['move_timeout'] <= MAX_WAIT_SECONDS:
            raise OptionError('move_timeout must be a positive number of seconds, at most %d (7 days), got %d'
                              % (MAX_WAIT_SECONDS, params['move_timeout']))
        stray = sorted('%s: %s' % (vm, host) for vm, host in params['pin'].items() if host not in params['destinations'])
        if stray:
            raise OptionError('pin names destinations that destinations does not list (%s); accepted: %s'
                              % (', '.join(stray), ', '.join(params['destinations'])))
        both = sorted(set(name.lower() for name in params['pin']) & set(name.lower() for name in params['exclude']))
        if both:
            raise OptionError('%s both pinned and excluded: a VM is either moved to its pin or left on the source' % ', '.join(both))
        problem = switch_map.check_switch_map('switch_map', params['switch_map'])
        if problem:
            raise OptionError(problem)
        self.pins = dict((str(vm).lower(), str(host)) for vm, host in params['pin'].items())
        self.excluded = set(name.lower() for name in params['exclude'])
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ reads
    def read_source(self, module):
        result = module.read(list(reads.DRAIN_SOURCE), check=True)
        names = host_identity(result)
        vmhost = (result.of_type(HV + 'VMHost') or [None])[0]
        if names is None or vmhost is None:
            raise ModuleFailure('%s: Get-VMHost returned no host (is the Hyper-V role installed?)' % module.host)
        self.source = names.fqdn
        self.source_limit = _number(vmhost.get('MaximumVirtualMachineMigrations'))
        self.authentication_type = str(vmhost.get('VirtualMachineMigrationAuthenticationType') or '') or None
        return [DrainVM(str(vm.get('Name')), str(vm.get('Id')).lower(), str(vm.get('State')), _number(vm.get('MemoryAssigned')),
                        _number(vm.get('MemoryStartup')), str(vm.get('Version')), switch_map.vm_adapters(result, vm.get('Id')))
                for vm in result.of_type(HV + 'VirtualMachine')]

    def read_destinations(self, module):
        self.sessions, destinations = {}, []
        for name, options in destinations_options(self.params):
            session = module.peer_session(options)
            try:
                result = module.read(list(reads.DRAIN_DESTINATION), session=session, check=True)
            except HostError as exc:
                raise ModuleFailure('destination %s: %s' % (name, exc.message), host=exc.host or name)
            names = host_identity(result)
            vmhost = (result.of_type(HV + 'VMHost') or [None])[0]
            system = (result.of_type(OS_TYPE) or [None])[0]
            if names is None or vmhost is None or system is None:
                raise ModuleFailure('destination %s: Get-VMHost returned no host (is the Hyper-V role installed?)' % name)
            self.sessions[name] = session
            destinations.append(Destination(name, names.fqdn, _number(system.get('FreePhysicalMemory')) * 1024, HostVersions(result).supported,
                                            _number(vmhost.get('MaximumVirtualMachineMigrations')),
                                            bool(vmhost.get('VirtualMachineMigrationEnabled')), switch_map.switch_names(result)))
        self.given_names = dict((host.fqdn, host.name) for host in destinations)
        return destinations

    # ------------------------------------------------------------------ plan
    def entry(self, vm, result, **extra):
        return dict(dict(name=vm.name, id=vm.vm_id, state=vm.state, memory_mb=vm.memory_bytes // MB, source=self.source,
                         destination=None, result=result, attempts=0, incompatibilities=[]), **extra)

    def move_parameters(self, destination):
        # A piped VM and -DestinationHost fit two parameter sets; -IncludeStorage (bound, even false) picks the single-destination one.
        return {'DestinationHost': destination.fqdn, 'IncludeStorage': self.params['include_storage']}

    def compare(self, module, vms, destination):
        """{vm_id: ([incompatibilities], [error records])} of Compare-VM for vms on destination, one pipeline (then one per VM
        when an incompatibility cannot be told apart)."""
        statements = [reads.compare_vm(self.move_parameters(destination), vm.vm_id) for vm in vms]
        result = module.read(statements)
        found = dict((vm.vm_id, ([], [])) for vm in vms)
        for error in result.errors:
            owners = [vm for vm in vms if "'%s'" % vm.name.lower() in (error.message or '').lower() or vm.vm_id in (error.message or '').lower()]
            for vm in owners or vms:
                found[vm.vm_id][1].append(error)
        for item in result.of_type(HV + 'VMCompatibilityError'):
            source_text = str(item.get('Source') or '').lower()
            owners = [vm for vm in vms if vm.vm_id in source_text]
            if len(owners) != 1 and len(vms) > 1:
                return dict(pair for vm in vms for pair in self.compare(module, [vm], destination).items())
            found[(owners or vms)[0].vm_id][0].append(dict(message=item.get('Message'), message_id=item.get('MessageId')))
        return found

    def plan(self, module, vms, destinations):
        """({vm_id: Destination}, {vm_id: result entry}) of the VMs to move, each placement checked with Compare-VM."""
        by_name = dict((host.name, host) for host in destinations)
        refused, kept, notes = {}, {}, dict((vm.vm_id, []) for vm in vms)
        while True:
            taken = {}
            for vm in vms:
                if vm.vm_id in kept:
                    taken[kept[vm.vm_id].name] = taken.get(kept[vm.vm_id].name, 0) + vm.memory_bytes
            placed, unplaced = place([vm for vm in vms if vm.vm_id not in kept], destinations, self.pins, refused, taken,
                                     self.params['switch_map'])
            if not placed:
                break
            for name in sorted(set(placed.values())):
                group = [vm for vm in vms if placed.get(vm.vm_id) == name]
                for vm_id, (found, errors) in self.compare(module, group, by_name[name]).items():
                    if self.switch_changes(vm_id, group, by_name[name]):
                        # Mapped switches: the move fixes them on the report (switch_map.move_statements).
                        found = [item for item in found if item['message_id'] != switch_map.MISSING_SWITCH_MESSAGE_ID]
                    if not found and not errors:
                        kept[vm_id] = by_name[name]
                        continue
                    refused.setdefault(vm_id, set()).add(name)
                    notes[vm_id].append((by_name[name], found, errors))
        failed = {}
        for vm in vms:
            if vm.vm_id in kept:
                continue
            failed[vm.vm_id] = self.unplaced_entry(vm, unplaced.get(vm.vm_id), notes[vm.vm_id])
        return kept, failed

    def switch_changes(self, vm_id, vms, destination):
        """The adapters of the VM with vm_id to connect to another switch on destination (placement checked that they map)."""
        vm = next(item for item in vms if item.vm_id == vm_id)
        return vm.switch_changes(destination, self.params['switch_map'])

    def unplaced_entry(self, vm, unplaced, notes):
        incompatibilities = [dict(item, destination=host.fqdn) for host, found, errors in notes for item in found]
        reason, fix = unplaced.reason, unplaced.fix
        errors = [error for host, found, host_errors in notes for error in host_errors]
        if errors:
            why, fix = explain(errors, self.authentication_type, self.params['hyperv_auth'], self.params['include_storage'])
            reason = 'Compare-VM failed: %s%s' % (' '.join(error.message for error in errors), ' (%s)' % why if why else '')
        elif incompatibilities and reason.startswith('Compare-VM'):
            reason = 'Compare-VM found it incompatible: %s' % '; '.join('%s: %s' % (item['destination'], item['message']) for item in incompatibilities)
        return self.entry(vm, 'not_placed', reason=reason, fix=fix, incompatibilities=incompatibilities)

    # ------------------------------------------------------------------ moves
    def finish(self, module, vm, destination, progress, outcome, why, fix, found):
        """A VM's result entry once its moves are over (moved, or no retry left), recorded in the journal."""
        with self.lock:
            module.journal.record(applied=[progress['label']] if outcome == 'moved' else [],
                                  unknown=[progress['label']] if outcome == 'timed_out' else [])
        entry = self.entry(vm, 'moved' if outcome == 'moved' else 'failed', destination=destination.fqdn, attempts=progress['attempts'],
                           duration_seconds=round(time.monotonic() - progress['started'], 3),
                           switches=vm.switch_changes(destination, self.params['switch_map']))
        if outcome != 'moved':
            entry.update(reason=why, fix=fix, incompatibilities=[dict(item, destination=destination.fqdn) for item in found])
        return entry

    def attempt(self, session, vm, destination):
        """(outcome: moved | incompatible | failed | timed_out, why, fix, incompatibilities) of one Move-VM, waited for at most
        move_timeout seconds."""
        changes = vm.switch_changes(destination, self.params['switch_map'])
        if changes:
            statements = switch_map.move_statements(self.move_parameters(destination), vm.vm_id, changes[0]['to'])
        else:
            statements = [reads.for_vm(Command('Move-VM', self.move_parameters(destination)), vm.vm_id)]
        waited = run_within(lambda: session.run(statements, read_only=False, check=False), self.params['move_timeout'])
        if not waited.finished:
            return ('timed_out', 'Move-VM did not finish within move_timeout (%d seconds); Hyper-V goes on with the move on %s'
                    % (self.params['move_timeout'], self.source),
                    'check where the VM is (hyperv.mobility.host_info) before draining again, or give a longer move_timeout', [])
        if isinstance(waited.error, OutcomeUnknownError):
            return ('moved' if self.arrived(vm, destination) else 'failed'), waited.error.message, 'the move is tried again', []
        if isinstance(waited.error, HostError):
            return 'failed', waited.error.message, 'check that the source answers (hyperv.mobility.host_info)', []
        if waited.error is not None:
            raise waited.error
        result = waited.result
        if not result.errors:
            return 'moved', None, None, []
        found = incompatibilities_of(result)
        why, fix = explain(result.errors, self.authentication_type, self.params['hyperv_auth'], self.params['include_storage'])
        message = ' '.join(error.message for error in result.errors)
        return ('incompatible' if found else 'failed'), '%s%s' % (message, ' (%s)' % why if why else ''), fix, found

    def arrived(self, vm, destination):
        try:
            now = self.sessions[destination.name].run([Command('Get-VM')], check=False)
        except HostError:
            return False
        return any(str(item.get('Id')).lower() == vm.vm_id for item in now.of_type(HV + 'VirtualMachine'))

    def move_all(self, module, moves, destinations):
        """Move every VM, in parallel within the limits. A failed move gives its slots back while it waits for its retry; a move
        that runs past move_timeout is left to Hyper-V, and its worker goes on with a new session (the old one still waits)."""
        by_name = dict((host.name, host) for host in destinations)
        slots = MoveSlots(self.source, self.source_limit, dict((host.name, host.max_moves) for host in destinations),
                          [(vm, destination.name) for vm, destination in moves], time.monotonic)
        progress = dict((vm.vm_id, dict(attempts=0, delay=self.params['retry_delay'], started=None,
                                        label='%s -> %s' % (describe(Command('Move-VM', {'Name': vm.name})), destination.fqdn)))
                        for vm, destination in moves)
        entries = []
        watched = ProgressFile(self.params['progress_file'], len(moves))

        def new_session():
            with self.lock:
                return module.peer_session(module.connection_options)

        def worker():
            session = new_session()
            while True:
                move = slots.take()
                if move is None:
                    return
                vm, name = move
                state = progress[vm.vm_id]
                try:
                    if state['started'] is None:
                        state['started'] = time.monotonic()
                        with self.lock:
                            module.journal.plan([state['label']])
                        watched.started(state['label'])
                    state['attempts'] += 1
                    outcome, why, fix, found = self.attempt(session, vm, by_name[name])
                    if outcome == 'timed_out':
                        session = new_session()
                    if outcome == 'failed' and state['attempts'] <= self.params['retries']:
                        slots.retry_later(move, state['delay'])
                        state['delay'] *= 2
                        continue
                    entry = self.finish(module, vm, by_name[name], state, outcome, why, fix, found)
                except Exception as exc:  # pylint: disable=broad-except  # one VM's unexpected error must not hide the others' results
                    entry = self.entry(vm, 'failed', destination=by_name[name].fqdn, reason='%s: %s' % (type(exc).__name__, exc),
                                       fix='run the task again; report the error if it repeats', attempts=state['attempts'])
                slots.done(name)
                watched.finished(state['label'], entry['result'])
                with self.lock:
                    entries.append(entry)

        threads = [threading.Thread(target=worker, name='hyperv.mobility drain %d' % number, daemon=True) for number in range(slots.workers())]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        names = dict((host.name, host.fqdn) for host in destinations)
        peak = dict((names.get(host, self.source), count) for host, count in slots.peak.items())
        return entries, peak, slots

    # ------------------------------------------------------------------ run
    def run(self, module):
        params = self.params
        for name, options in destinations_options(params):      # every connection that cannot work fails before any connects
            module.check_connection(options, prefix='destination_connections[%s].' % name)
        vms = self.read_source(module)
        destinations = self.read_destinations(module)
        entries = {}
        moving = []
        for vm in vms:
            if vm.name.lower() in self.excluded:
                entries[vm.vm_id] = self.entry(vm, 'excluded')
            elif vm.state == 'Off' and params['on_off_vms'] == 'leave':
                entries[vm.vm_id] = self.entry(vm, 'left')
            else:
                moving.append(vm)
        kept, failed = self.plan(module, moving, destinations) if moving else ({}, {})
        entries.update(failed)
        ordered = [(vm, kept[vm.vm_id]) for vm in sorted(moving, key=lambda vm: vm.size, reverse=True) if vm.vm_id in kept]
        result = dict(source=self.source, peak_in_flight={}, changed=False)
        if module.check_mode or not ordered:
            for vm, destination in ordered:
                entries[vm.vm_id] = self.entry(vm, 'planned', destination=destination.fqdn,
                                               switches=vm.switch_changes(destination, self.params['switch_map']))
            result['changed'] = bool(ordered)
        else:
            started = time.monotonic()
            moved, result['peak_in_flight'], slots = self.move_all(module, ordered, destinations)
            entries.update((entry['id'], entry) for entry in moved)
            result.update(changed=any(entry['result'] == 'moved' for entry in moved), timeline=slots.timeline,
                          duration_seconds=round(time.monotonic() - started, 3))
        listed = [entries[vm.vm_id] for vm in vms]
        result.update(vms=listed, summary=self.summary(listed),
                      placements=dict((entry['name'], dict(source=self.source, destination=entry['destination'],
                                                           destination_host=self.given_names[entry['destination']],
                                                           switches=entry.get('switches', [])))
                                      for entry in listed if entry['result'] in ('moved', 'planned')))
        stuck = [entry for entry in listed if entry['result'] in ('failed', 'not_placed')]
        if stuck:
            told = '; '.join("'%s': %s; fix: %s" % (entry['name'], entry['reason'], entry['fix']) for entry in stuck)
            raise ModuleFailure('%d of %d VMs stay on %s: %s' % (len(stuck), len(listed), self.source, told), **result)
        verb = 'would move' if module.check_mode else 'moved'
        result['msg'] = '%s %d VM(s) off %s' % (verb, result['summary'].get('moved', result['summary'].get('planned', 0)), self.source)
        return result

    @staticmethod
    def summary(listed):
        counts = {}
        for entry in listed:
            counts[entry['result']] = counts.get(entry['result'], 0) + 1
        return counts


ARGUMENT_SPEC = dict(
    state=dict(type='str', choices=['drained'], default='drained'),
    exclude=dict(type='list', elements='str', default=[]),
    pin=dict(type='dict', default={}),
    on_off_vms=dict(type='str', choices=['move', 'leave'], default='move'),
    include_storage=dict(type='bool', default=False),
    retries=dict(type='int', default=2),
    retry_delay=dict(type='float', default=5),
    move_timeout=dict(type='int', default=1800),
    progress_file=dict(type='path'),
    switch_map=dict(type='dict'),
    # The shared spec of several destinations, required here (there is no single destination to give instead).
    destinations=dict(DESTINATIONS_ARGUMENT_SPEC['destinations'], required=True),
    destination_connections=DESTINATIONS_ARGUMENT_SPEC['destination_connections'],
)


def main():
    HypervModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True).execute(HostDrain)


if __name__ == '__main__':
    main()
