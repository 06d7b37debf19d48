"""Failover of a replicated VM: Start-, Complete- and Stop-VMFailover (test, planned and unplanned failover), and the recovery
checkpoints a failover can go back to (Get-VMSnapshot, piped into Start-VMFailover -VMRecoverySnapshot).

Where the pages state a rule it is enforced (planned failover needs the primary VM off, Complete-VMFailover is final, ...).
Get-VMSnapshot follows the decompiled GetVMSnapshot: the VMs' checkpoints, -SnapshotType then -Name (a wildcard pattern,
case-insensitive) filter them, ordered by CreationTime; none left while -SnapshotType or -Name was given (or no VM) is an
ObjectNotFound error (ErrorMessages.SnapshotNotFound: its text is not in the decompiled module, the lab words it). The lab's
VMs have no standard checkpoints: their checkpoints are the recovery points of a Replica VM (type Replica).
"""

from __future__ import annotations

import datetime
import uuid

import fnmatch

from hvlab.model import replication as model
from hvlab.engine.context import CmdletContext
from hvlab.engine.cmdlets.network_adapter import inject_failover_addresses
from hvlab.engine.cmdlets.vm import VM_TYPE, vms_by_name, vms_of_objects
from hvlab.engine.cmdlets.replication_objects import (
    clock,
    fail,
    recovery_point_object,
    replicating_targets,
    vm_with_replication,
)

SNAPSHOT_TYPE = 'Microsoft.HyperV.PowerShell.VMSnapshot'


def _failover_targets(ctx: CmdletContext) -> list[tuple]:
    """(host, vm, rel, recovery point name or None) for Start-VMFailover's sets."""
    snapshot = ctx.bound.get('VMRecoverySnapshot')
    if snapshot is None:
        return [(host, vm, rel, None) for host, vm, rel in replicating_targets(ctx)]
    vm = model.find_vm_by_id(ctx.host, snapshot.properties.get('VMId'))
    rel = ctx.host.replication.relationships.get(vm.vm_id) if vm else None
    if rel is None:
        fail(ctx, 'missing', f"The recovery point '{snapshot.properties.get('Name')}' does not belong to a Replica virtual machine "
             'of this server.', snapshot.properties.get('Name'))
        return []
    return [(ctx.host, vm, rel, snapshot.properties.get('Name'))]


def start_vmfailover(ctx: CmdletContext) -> None:
    for host, vm, rel, point_name in _failover_targets(ctx):
        if ctx.bound.switch('Prepare'):
            done = _prepare_planned_failover(ctx, host, vm, rel)
        elif ctx.bound.switch('AsTest'):
            done = _test_failover(ctx, host, vm, rel, point_name)
        else:
            done = _failover(ctx, vm, rel, point_name)
        if done is not None and ctx.passthru:
            ctx.write_output(vm_with_replication(host, done))


def _prepare_planned_failover(ctx: CmdletContext, host, vm, rel: model.Relationship):
    if rel.mode != 'Primary' or rel.state != 'Replicating':
        fail(ctx, 'state', f"A planned failover cannot be prepared for virtual machine '{vm.name}' in state {rel.state} "
             f'(mode {rel.mode}): run Start-VMFailover -Prepare on the primary server of a replicating virtual '
             'machine.', vm.name)
        return None
    if vm.state != 'Off':
        fail(ctx, 'state', f"The virtual machine '{vm.name}' must be turned off before a planned failover can be prepared "
             f'(current state: {vm.state}).', vm.name)
        return None
    # The decompiled StartVMFailover validates the states while it lists the operands, asks ShouldProcess, then sends the
    # pending changes (which may fail).
    if not ctx.should_process(vm.name, 'Prepare failover'):
        return None
    clockwork = model.ReplicationClockwork(host.world)
    problem = clockwork.cycle_problem(host, vm, rel)
    if problem is not None:
        fail(ctx, 'state', f"Hyper-V could not send the pending changes of virtual machine '{vm.name}' to the Replica server: "
             f'{model.FAULT_KINDS[problem].detail}', vm.name)
        return None
    clockwork.deliver(host, vm, rel, clock(ctx), vm.data_version, model.BYTES_PER_CHANGE)
    rel.state, rel.next_cycle_at = 'PreparedForFailover', None
    return vm


def _recovery_point(ctx: CmdletContext, vm, rel: model.Relationship, point_name: str | None):
    if not rel.recovery_points:
        fail(ctx, 'state', f"Virtual machine '{vm.name}' has no recovery point: initial replication has not completed.", vm.name)
        return None
    if point_name is None:
        return rel.recovery_points[-1]
    point = next((point for point in rel.recovery_points if point.name == point_name), None)
    if point is None:
        fail(ctx, 'missing', f"The recovery point '{point_name}' of virtual machine '{vm.name}' no longer exists.", point_name)
    return point


def _failover(ctx: CmdletContext, vm, rel: model.Relationship, point_name: str | None):
    if rel.mode != 'Replica':
        fail(ctx, 'state', f"Virtual machine '{vm.name}' is a {rel.mode} virtual machine: run Start-VMFailover on the Replica "
             'server, or Start-VMFailover -Prepare on the primary server for a planned failover.', vm.name)
        return None
    if rel.state in model.FAILOVER_STATES or rel.state == 'WaitingForInitialReplication':
        fail(ctx, 'state', f"Virtual machine '{vm.name}' cannot fail over in state {rel.state}.", vm.name)
        return None
    point = _recovery_point(ctx, vm, rel, point_name)
    if point is None or not ctx.should_process(vm.name, 'Fail over'):
        return None
    rel.failover_undo = {'state': rel.state, 'data_version': vm.data_version, 'guest_network': vm.guest_network()}
    vm.data_version = point.data_version
    vm.restore_guest_network(point.guest_network)
    inject_failover_addresses(vm)
    rel.state = 'FailedOverWaitingCompletion'
    return vm


def _test_failover(ctx: CmdletContext, host, vm, rel: model.Relationship, point_name: str | None):
    from hvlab.model.world import VirtualMachine  # pylint: disable=import-outside-toplevel  # world imports the engine
    if rel.mode != 'Replica':
        fail(ctx, 'state', f"A test failover runs on the Replica server: '{vm.name}' is a {rel.mode} virtual machine.", vm.name)
        return None
    if rel.test_vm_id is not None and model.find_vm_by_id(host, rel.test_vm_id) is not None:
        fail(ctx, 'state', f"A test failover is already in progress for virtual machine '{vm.name}': remove it with "
             'Stop-VMFailover first.', vm.name)
        return None
    point = _recovery_point(ctx, vm, rel, point_name)
    if point is None or not ctx.should_process(vm.name, 'Test failover'):
        return None
    test_vm = VirtualMachine(name=f'{vm.name} - Test', vm_id=str(uuid.uuid4()), state='Off', version=vm.version,
                             generation=vm.generation, processor_count=vm.processor_count, memory_startup=vm.memory_startup,
                             path=vm.path, disks=list(vm.disks), data_version=point.data_version,
                             guest_responding=vm.guest_responding, boot_seconds=vm.boot_seconds,   # the same guest OS on its disks
                             # Its adapters on the test replica switch (none set: not connected), with the failover TCP/IP settings.
                             network_adapters=[adapter.copy(switch_name=adapter.test_replica_switch_name, test_replica_switch_name=None)
                                               for adapter in vm.network_adapters])
    test_vm.restore_guest_network(point.guest_network)
    inject_failover_addresses(test_vm)
    host.vms.append(test_vm)
    host.replication.relationships[test_vm.vm_id] = model.Relationship(
        vm_id=test_vm.vm_id, mode='TestReplica', state='FiredrillInProgress', primary_server=rel.primary_server,
        replica_server=rel.replica_server, replica_port=rel.replica_port, authentication_type=rel.authentication_type)
    rel.test_vm_id = test_vm.vm_id
    return test_vm


def complete_vmfailover(ctx: CmdletContext) -> None:
    for host, vm, rel in replicating_targets(ctx):
        # The decompiled CompleteVMFailover asks ShouldProcess first and checks the state after it: -WhatIf on a VM with no
        # failover waiting says nothing (reference: should_process_after_state_checks false).
        if not ctx.should_process(vm.name):
            continue
        if rel.state != 'FailedOverWaitingCompletion':
            fail(ctx, 'state', f"No failover waits for completion on virtual machine '{vm.name}' (state {rel.state}).", vm.name)
            continue
        # Committing discards every other recovery point; the failover can no longer be cancelled.
        rel.state, rel.failover_undo, rel.recovery_points = 'FailedOver', None, []
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


def stop_vmfailover(ctx: CmdletContext) -> None:
    for host, vm, rel in replicating_targets(ctx):
        if not _stop_one(ctx, host, vm, rel):
            continue
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


def _stop_one(ctx: CmdletContext, host, vm, rel: model.Relationship) -> bool:
    if rel.state == 'FailedOver':
        fail(ctx, 'state', f"The failover of virtual machine '{vm.name}' was completed and can no longer be cancelled.", vm.name)
        return False
    if rel.mode == 'Primary' and rel.state == 'PreparedForFailover':
        if not ctx.should_process(vm.name):
            return False
        rel.state = 'Replicating'
        rel.next_cycle_at = clock(ctx) + datetime.timedelta(seconds=rel.frequency_sec)
        return True
    if rel.mode == 'Replica' and rel.state == 'FailedOverWaitingCompletion':
        if not ctx.should_process(vm.name):
            return False
        vm.state = 'Off'                 # a running failed-over VM is turned off, not shut down
        vm.data_version = rel.failover_undo['data_version']
        vm.restore_guest_network(rel.failover_undo.get('guest_network', []))
        rel.state, rel.failover_undo = rel.failover_undo['state'], None
        return True
    test_owner = rel if rel.mode == 'Replica' else next(
        (other for other in host.replication.relationships.values() if other.test_vm_id == vm.vm_id), None)
    if test_owner is not None and test_owner.test_vm_id is not None:
        if not ctx.should_process(vm.name):
            return False
        host.vms = [item for item in host.vms if item.vm_id != test_owner.test_vm_id]
        host.replication.relationships.pop(test_owner.test_vm_id, None)
        test_owner.test_vm_id = None
        return True
    fail(ctx, 'state', f"No failover is in progress for virtual machine '{vm.name}' (state {rel.state}).", vm.name)
    return False


def get_vmsnapshot(ctx: CmdletContext) -> None:
    bound = ctx.bound
    if bound.parameter_set not in ('VMName', 'VMObject'):
        ctx.write_error('HvLab.NotImplemented', f'Get-VMSnapshot parameter set {bound.parameter_set} is documented but not modelled by '
                                                'the lab.', 'NotImplemented', exception_type='System.NotImplementedException')
        return
    by_object = bound.parameter_set == 'VMObject'
    found = []
    for host in [ctx.host] if by_object else ctx.local_targets():
        for vm in vms_of_objects(host, bound.get('VM')) if by_object else vms_by_name(ctx, host, bound.get('VMName')):
            found += [(host, vm, point) for point in _recovery_checkpoints(host, vm)]
    wanted_type, name = bound.get('SnapshotType'), bound.get('Name')
    if wanted_type is not None:
        found = [item for item in found if wanted_type.name == 'Replica']   # every checkpoint the lab has is a Replica one
    if name:
        found = [item for item in found if fnmatch.fnmatchcase(item[2].name.lower(), name.lower())]
    if not found and (wanted_type is not None or name):
        ctx.write_error('ObjectNotFound', 'Hyper-V was unable to find a checkpoint matching the given criteria.', 'ObjectNotFound')
        return
    for host, vm, point in sorted(found, key=lambda item: item[2].created):
        ctx.write_output(recovery_point_object(host, vm, point))


def _recovery_checkpoints(host, vm) -> list:
    """The recovery points a Replica VM can fail over to (Complete-VMFailover discards them)."""
    rel = host.replication.relationships.get(vm.vm_id)
    return list(rel.recovery_points) if rel is not None and rel.mode == 'Replica' else []


CMDLETS = {
    'Get-VMSnapshot': get_vmsnapshot,
    'Start-VMFailover': start_vmfailover,
    'Complete-VMFailover': complete_vmfailover,
    'Stop-VMFailover': stop_vmfailover,
}

# Get-VMSnapshot ... | Start-VMFailover binds the checkpoint to -VMRecoverySnapshot, Get-VM ... | Start-VMFailover the VM to -VM (both
# ValueFromPipeline, cmdlets.json); Get-VM ... | Get-VMSnapshot, Complete-VMFailover or Stop-VMFailover the VM to -VM.
OBJECT_INPUT = {'Start-VMFailover': {SNAPSHOT_TYPE: 'VMRecoverySnapshot', VM_TYPE: 'VM'}, 'Get-VMSnapshot': {VM_TYPE: 'VM'},
                'Complete-VMFailover': {VM_TYPE: 'VM'}, 'Stop-VMFailover': {VM_TYPE: 'VM'}}
