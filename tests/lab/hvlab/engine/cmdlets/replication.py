"""A VM's replication: Enable-/Set-/Remove-/Get-/Measure-VMReplication, initial replication, suspend/resume, the connection test.

Where the pages state a rule it is enforced (RecoveryHistory up to 24, schedules at most 7 days ahead, ...).
Lab choices that the pages do not settle are noted where they are made.
"""

from __future__ import annotations

import datetime

from hvlab.model import replication as model
from hvlab.engine.context import CmdletContext
from hvlab.engine.cmdlets.replication_objects import (
    PATH,
    clock,
    connection_failed,
    fail,
    filtered,
    given,
    is_pattern,
    normal_thumbprint,
    replicating_targets,
    replication_health_object,
    vm_replication_object,
    vm_targets,
    vm_with_replication,
)


def get_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in filtered(ctx):
        ctx.write_output(vm_replication_object(host, vm, rel))


def measure_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in filtered(ctx):
        ctx.write_output(replication_health_object(ctx, host, vm, rel))


# ---- Enable-VMReplication -------------------------------------------------------------------------------------
def _settings_problems(ctx: CmdletContext, recovery_history: int, vss_hours: int) -> list[tuple[str, str]]:
    """Documented limits of the relationship settings shared by Enable- and Set-VMReplication."""
    bound, problems = ctx.bound, []
    if not 0 <= recovery_history <= model.MAX_RECOVERY_HISTORY:
        problems.append(('RecoveryHistory', f'RecoveryHistory {recovery_history} is not valid: specify 0 to '
                                            f'{model.MAX_RECOVERY_HISTORY} additional recovery points.'))
    if vss_hours < 0:
        problems.append(('VSSSnapshotFrequencyHour', 'VSSSnapshotFrequencyHour cannot be negative.'))
    elif vss_hours > 0 and recovery_history == 0:
        problems.append(('VSSSnapshotFrequencyHour', 'Application-consistent recovery points (VSSSnapshotFrequencyHour) need '
                                                     'additional recovery points: set RecoveryHistory greater than 0.'))
    frequency = bound.get('ReplicationFrequencySec')
    if frequency is not None and frequency <= 0:
        problems.append(('ReplicationFrequencySec', f'ReplicationFrequencySec {frequency} is not valid: specify a number of '
                                                    'seconds greater than 0.'))
    port = bound.get('ReplicaServerPort')
    if port is not None and not 1 <= port <= 65535:
        problems.append(('ReplicaServerPort', f'The port {port} is not valid. Specify a port between 1 and 65535.'))
    auth, thumbprint = bound.get('AuthenticationType'), bound.get('CertificateThumbprint')
    if auth is not None and auth.name == 'Certificate' and not thumbprint:
        problems.append(('CertificateThumbprint', 'Certificate-based authentication requires a certificate: specify '
                                                  'CertificateThumbprint.'))
    for name in ('AutoResynchronizeIntervalStart', 'AutoResynchronizeIntervalEnd'):
        value = bound.get(name)
        if value is not None and not 0 <= value.seconds < 86400:
            problems.append((name, f'{name} must be a time of day (00:00:00 to 23:59:59).'))
    return problems


_SETTING_PARAMETERS = {
    'ReplicationFrequencySec': 'frequency_sec', 'RecoveryHistory': 'recovery_history', 'VSSSnapshotFrequencyHour': 'vss_frequency_hour',
    'CompressionEnabled': 'compression', 'BypassProxyServer': 'bypass_proxy', 'ReplicateHostKvpItems': 'replicate_host_kvp',
    'EnableWriteOrderPreservationAcrossDisks': 'write_order_preservation', 'AutoResynchronizeEnabled': 'auto_resynchronize',
}


def _apply_settings(ctx: CmdletContext, rel: model.Relationship) -> None:
    for parameter, attribute in _SETTING_PARAMETERS.items():
        if ctx.bound.get(parameter) is not None:
            setattr(rel, attribute, ctx.bound.get(parameter))
    for parameter, attribute in (('AutoResynchronizeIntervalStart', 'auto_resync_start'), ('AutoResynchronizeIntervalEnd', 'auto_resync_end')):
        if ctx.bound.get(parameter) is not None:
            setattr(rel, attribute, float(ctx.bound.get(parameter).seconds))
    if ctx.bound.switch('DisableVSSSnapshotReplication'):
        rel.vss_frequency_hour = 0


def _excluded_paths(ctx: CmdletContext, vm) -> list[str] | None:
    """ExcludedVhd / ExcludedVhdPath as disk paths of the VM; None after writing an error for an unknown disk."""
    wanted = list(ctx.bound.get('ExcludedVhdPath') or []) + [item['Path'] for item in ctx.bound.get('ExcludedVhd') or []]
    return _vm_disk_paths(ctx, vm, wanted)


def _vm_disk_paths(ctx: CmdletContext, vm, wanted: list[str]) -> list[str] | None:
    paths = {disk.path.lower(): disk.path for disk in vm.disks}
    for path in wanted:
        if path.lower() not in paths:
            fail(ctx, 'argument', f"The virtual hard disk '{path}' is not attached to virtual machine '{vm.name}'.", path)
            return None
    return [paths[path.lower()] for path in wanted]


def _replica_vm_for(vm, replica_host, authorization: dict):
    """Create the Replica VM (same Id, off, disks under the authorized storage location) on the Replica server."""
    from hvlab.model.world import VirtualDisk, VirtualMachine  # pylint: disable=import-outside-toplevel  # world imports the engine
    storage = authorization['storage'].rstrip('\\')
    replica_vm = VirtualMachine(name=vm.name, vm_id=vm.vm_id, state='Off', version=vm.version, generation=vm.generation,
                                processor_count=vm.processor_count, memory_startup=vm.memory_startup,
                                path=f'{storage}\\Hyper-V Replica\\Virtual Machines\\{vm.vm_id.upper()}',
                                guest_responding=vm.guest_responding, boot_seconds=vm.boot_seconds,   # the guest OS replicates with the disks
                                network_adapters=[adapter.copy(failover={}, test_replica_switch_name=None) for adapter in vm.network_adapters])
    replica_vm.disks = [VirtualDisk(path=f'{storage}\\Hyper-V Replica\\Virtual hard disks\\{vm.vm_id.upper()}\\'
                                         f"{disk.path.rsplit(chr(92), 1)[-1]}",
                                    controller_type=disk.controller_type, controller_number=disk.controller_number,
                                    controller_location=disk.controller_location) for disk in vm.disks]
    replica_host.vms.append(replica_vm)
    return replica_vm


def _replica_side(primary_host, replica_server: str, rel: model.Relationship, authorization: dict) -> model.Relationship:
    return model.Relationship(vm_id=rel.vm_id, mode='Replica', state='WaitingForInitialReplication', primary_server=primary_host.fqdn,
                              replica_server=replica_server, replica_port=rel.replica_port, authentication_type=rel.authentication_type,
                              certificate_thumbprint=rel.certificate_thumbprint, frequency_sec=rel.frequency_sec,
                              recovery_history=rel.recovery_history, vss_frequency_hour=rel.vss_frequency_hour,
                              trust_group=authorization['trust_group'], storage_location=authorization['storage'])


def enable_vmreplication(ctx: CmdletContext) -> None:
    if ctx.bound.parameter_set.endswith('_AsReplica'):
        _enable_as_replica(ctx)
        return
    bound = ctx.bound
    problems = _settings_problems(ctx, bound.get('RecoveryHistory') or 0, bound.get('VSSSnapshotFrequencyHour') or 0)
    for parameter, message in problems:
        fail(ctx, 'argument', message, parameter)
    if problems:
        return
    server, port = bound.get('ReplicaServerName'), bound.get('ReplicaServerPort')
    auth, thumbprint = bound.get('AuthenticationType').name, normal_thumbprint(bound.get('CertificateThumbprint'))
    for host, vm, explicit in vm_targets(ctx):
        if vm.vm_id in host.replication.relationships:
            if explicit:
                fail(ctx, 'state', f"Replication is already enabled for virtual machine '{vm.name}'.", vm.name)
            continue
        excluded = _excluded_paths(ctx, vm)
        if excluded is None:
            continue
        result = model.connect(host.world, host, server, port, auth, thumbprint)
        if result.problem is not None:
            connection_failed(ctx, f"Hyper-V failed to enable replication for virtual machine '{vm.name}'. ", result.problem, vm.name)
            continue
        prepared = result.replica.replication.relationships.get(vm.vm_id)
        if model.find_vm_by_id(result.replica, vm.vm_id) is not None and not _accepts_prepared(prepared, host):
            fail(ctx, 'state', f"Hyper-V failed to enable replication for virtual machine '{vm.name}': a virtual machine with the "
                 f"same ID already exists on the Replica server '{server}'.", vm.name)
            continue
        if not ctx.should_process(vm.name):
            continue
        rel = model.Relationship(vm_id=vm.vm_id, mode='Primary', state='ReadyForInitialReplication', primary_server=host.fqdn,
                                 replica_server=server, replica_port=port, authentication_type=auth, certificate_thumbprint=thumbprint,
                                 excluded_disks=excluded)
        _apply_settings(ctx, rel)
        rel.statistics.window_start = clock(ctx)
        host.replication.relationships[vm.vm_id] = rel
        if prepared is None:
            _replica_vm_for(vm, result.replica, result.authorization)
        side = _replica_side(host, server, rel, result.authorization)
        side.prepared_as_replica = prepared is not None
        result.replica.replication.relationships[vm.vm_id] = side
        if ctx.passthru:
            ctx.write_output(vm_replication_object(host, vm, rel))


def _accepts_prepared(prepared: model.Relationship | None, primary_host) -> bool:
    """A VM made ready with Enable-VMReplication -AsReplica accepts its allowed primary (or any, when none was named)."""
    if prepared is None or not prepared.prepared_as_replica or prepared.state != 'WaitingForInitialReplication':
        return False
    return not prepared.allowed_primary_server or model.pattern_matches(prepared.allowed_primary_server, primary_host.fqdn)


def _enable_as_replica(ctx: CmdletContext) -> None:
    allowed = ctx.bound.get('AllowedPrimaryServer')
    if allowed is not None and not model.valid_primary_server_pattern(allowed):
        fail(ctx, 'argument', f"'{allowed}' is not a valid primary server name. Specify a fully qualified domain name or a "
             '*.domain pattern.', allowed)
        return
    for host, vm, explicit in vm_targets(ctx):
        if vm.vm_id in host.replication.relationships:
            if explicit:
                fail(ctx, 'state', f"Replication is already enabled for virtual machine '{vm.name}'.", vm.name)
            continue
        if not ctx.should_process(vm.name):
            continue
        authorization = model.authorization_for(host, allowed.lstrip('*.') if allowed else '') or {}
        rel = model.Relationship(vm_id=vm.vm_id, mode='Replica', state='WaitingForInitialReplication', primary_server='',
                                 replica_server=host.fqdn, replica_port=0, authentication_type='Kerberos',
                                 allowed_primary_server=allowed, prepared_as_replica=True,
                                 trust_group=authorization.get('trust_group'), storage_location=authorization.get('storage'))
        host.replication.relationships[vm.vm_id] = rel
        if ctx.passthru:
            ctx.write_output(vm_replication_object(host, vm, rel))


# ---- Set-VMReplication ----------------------------------------------------------------------------------------
def _schedule(ctx: CmdletContext, when: datetime.datetime, parameter: str) -> datetime.datetime | None:
    """A start time at most 7 days ahead of the (simulated) clock and not in the past."""
    when, now = model.utc(when), clock(ctx)
    if when < now or when - now > model.MAX_SCHEDULE_AHEAD:
        fail(ctx, 'argument', f'{parameter} {when.isoformat()} is not valid: specify a time in the next 7 days.', parameter)
        return None
    return when


def set_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in replicating_targets(ctx):
        if ctx.bound.switch('Reverse'):
            _reverse(ctx, host, vm, rel)
        elif ctx.bound.switch('AsReplica'):
            _set_as_replica(ctx, host, vm, rel)
        else:
            _change_settings(ctx, host, vm, rel)


def _set_as_replica(ctx: CmdletContext, host, vm, rel: model.Relationship) -> None:
    allowed = ctx.bound.get('AllowedPrimaryServer')
    if rel.mode != 'Replica':
        fail(ctx, 'state', f"Virtual machine '{vm.name}' is not a Replica virtual machine.", vm.name)
        return
    if allowed is not None and not model.valid_primary_server_pattern(allowed):
        fail(ctx, 'argument', f"'{allowed}' is not a valid primary server name.", allowed)
        return
    if ctx.should_process(vm.name):
        rel.allowed_primary_server = allowed
        if ctx.passthru:
            ctx.write_output(vm_replication_object(host, vm, rel))


def _change_settings(ctx: CmdletContext, host, vm, rel: model.Relationship) -> None:
    bound = ctx.bound
    if rel.mode != 'Primary':
        fail(ctx, 'state', f"Virtual machine '{vm.name}' is a {rel.mode} virtual machine: change its replication settings on the "
             'primary server.', vm.name)
        return
    problems = _settings_problems(ctx, given(bound.get('RecoveryHistory'), rel.recovery_history),
                                  given(bound.get('VSSSnapshotFrequencyHour'), rel.vss_frequency_hour))
    for parameter, message in problems:
        fail(ctx, 'argument', message, parameter)
    if problems:
        return
    connection = _new_connection(ctx, host, vm, rel)
    if connection is None:
        return
    excluded = rel.excluded_disks
    if bound.get('ReplicatedDiskPaths') is not None or bound.get('ReplicatedDisks') is not None:
        included = _vm_disk_paths(ctx, vm, list(bound.get('ReplicatedDiskPaths') or [])
                                  + [item['Path'] for item in bound.get('ReplicatedDisks') or []])
        if included is None:
            return
        excluded = [disk.path for disk in vm.disks if disk.path not in included]
    scheduled = None
    if bound.get('InitialReplicationStartTime') is not None:
        if rel.state != 'ReadyForInitialReplication':
            fail(ctx, 'state', f"The initial replication of virtual machine '{vm.name}' cannot be scheduled in state {rel.state}.",
                 vm.name)
            return
        scheduled = _schedule(ctx, bound.get('InitialReplicationStartTime'), 'InitialReplicationStartTime')
        if scheduled is None:
            return
    if not ctx.should_process(vm.name):
        return
    rel.replica_server, rel.replica_port, rel.authentication_type, rel.certificate_thumbprint = connection
    rel.excluded_disks = excluded
    _apply_settings(ctx, rel)
    if scheduled is not None:
        rel.scheduled_start_at, rel.initial_method = scheduled, 'Network'
    if ctx.passthru:
        ctx.write_output(vm_replication_object(host, vm, rel))


def _new_connection(ctx: CmdletContext, host, vm, rel: model.Relationship):
    """(server, port, auth, thumbprint) after the change; checks a changed connection against the Replica server."""
    bound = ctx.bound
    auth = bound.get('AuthenticationType')
    values = (bound.get('ReplicaServerName') or rel.replica_server, given(bound.get('ReplicaServerPort'), rel.replica_port),
              auth.name if auth is not None else rel.authentication_type,
              normal_thumbprint(bound.get('CertificateThumbprint')) or rel.certificate_thumbprint)
    if values == (rel.replica_server, rel.replica_port, rel.authentication_type, rel.certificate_thumbprint):
        return values
    world = host.world
    if model.resolve_host(world, values[0]) is not model.resolve_host(world, rel.replica_server):
        # Lab rule: the replica VM lives on the current Replica server; moving it elsewhere means a new relationship.
        fail(ctx, 'state', f"The Replica virtual machine of '{vm.name}' is on '{rel.replica_server}', not on '{values[0]}': remove "
             'replication and enable it again to replicate to another server.', vm.name)
        return None
    result = model.connect(world, host, *values)
    if result.problem is not None:
        connection_failed(ctx, f"Hyper-V failed to change replication settings for virtual machine '{vm.name}'. ",
                          result.problem, vm.name)
        return None
    return values


def _reverse(ctx: CmdletContext, host, vm, rel: model.Relationship) -> None:
    """Set-VMReplication -Reverse after a failover: the failed-over replica becomes the primary of the old primary."""
    bound = ctx.bound
    if rel.mode != 'Replica' or rel.state not in model.FAILOVER_STATES:
        fail(ctx, 'state', f"Replication of virtual machine '{vm.name}' cannot be reversed in state {rel.state}: reverse "
             'replication is available on a Replica virtual machine after a failover.', vm.name)
        return
    auth = bound.get('AuthenticationType')
    server = bound.get('ReplicaServerName') or rel.primary_server
    port = given(bound.get('ReplicaServerPort'), rel.replica_port)
    auth_name = auth.name if auth is not None else rel.authentication_type
    thumbprint = normal_thumbprint(bound.get('CertificateThumbprint')) or rel.certificate_thumbprint
    result = model.connect(host.world, host, server, port, auth_name, thumbprint)
    if result.problem is not None:
        connection_failed(ctx, f"Hyper-V failed to reverse replication for virtual machine '{vm.name}'. ", result.problem, vm.name)
        return
    old_host = result.replica
    old_vm = model.find_vm_by_id(old_host, vm.vm_id)
    old_rel = old_host.replication.relationships.get(vm.vm_id)
    if old_vm is not None and old_vm.state != 'Off':
        fail(ctx, 'state', f"Hyper-V failed to reverse replication for virtual machine '{vm.name}': the virtual machine on "
             f"'{server}' is running. Turn it off first.", vm.name)
        return
    if not ctx.should_process(vm.name):
        return
    # A planned failover left the old primary prepared with exactly this data: no initial copy is needed.
    planned = old_rel is not None and old_rel.state == 'PreparedForFailover' and old_vm is not None \
        and old_vm.data_version == vm.data_version
    now = clock(ctx)
    rel.mode, rel.primary_server, rel.replica_server = 'Primary', host.fqdn, server
    rel.replica_port, rel.authentication_type, rel.certificate_thumbprint = port, auth_name, thumbprint
    rel.recovery_points, rel.failover_undo, rel.health, rel.health_messages = [], None, 'Normal', []
    rel.trust_group = rel.storage_location = rel.allowed_primary_server = None
    rel.prepared_as_replica = False
    rel.statistics = model.Statistics(window_start=now)
    _apply_settings(ctx, rel)
    if old_vm is None:
        old_vm = _replica_vm_for(vm, old_host, result.authorization)
    side = _replica_side(host, server, rel, result.authorization)
    if planned:
        rel.state, rel.last_replication_time = 'Replicating', now
        rel.next_cycle_at = now + datetime.timedelta(seconds=rel.frequency_sec)
        side.state, side.last_replication_time = 'Replicating', now
        side.recovery_points = [model.new_recovery_point(old_vm.name, now, old_vm.data_version, old_vm.guest_network())]
    else:
        rel.state, rel.next_cycle_at = 'ReadyForInitialReplication', None
    old_host.replication.relationships[vm.vm_id] = side
    if ctx.passthru:
        ctx.write_output(vm_replication_object(host, vm, rel))


# ---- Remove-VMReplication -------------------------------------------------------------------------------------
def remove_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in replicating_targets(ctx):
        if not ctx.should_process(vm.name):
            continue
        output = vm_replication_object(host, vm, rel)
        # Only this side goes: the other host keeps its side, and a replica VM stays as a plain VM.
        del host.replication.relationships[vm.vm_id]
        if ctx.passthru:
            ctx.write_output(output)


# ---- initial replication --------------------------------------------------------------------------------------
def start_vminitial_replication(ctx: CmdletContext) -> None:
    bound = ctx.bound
    for host, vm, rel in replicating_targets(ctx):
        if rel.mode != 'Primary' or rel.state != 'ReadyForInitialReplication' or rel.scheduled_start_at is not None:
            if ctx.bound.get('VMName') and not any(is_pattern(name) for name in ctx.bound.get('VMName')):
                fail(ctx, 'state', f"Initial replication cannot be started for virtual machine '{vm.name}' in state {rel.state}: "
                     'it must be a primary virtual machine ready for initial replication.', vm.name)
            continue
        method = 'Network'
        if bound.get('DestinationPath'):
            method = 'Export'
            if not PATH.match(bound.get('DestinationPath')):
                fail(ctx, 'argument', f"'{bound.get('DestinationPath')}' is not a valid export location.", bound.get('DestinationPath'))
                continue
        if bound.switch('UseBackup'):
            _unused1, _unused2, side = model.counterpart(host.world, host, rel)
            if side is None or not side.prepared_as_replica:
                fail(ctx, 'state', f"Initial replication from a backup needs the Replica virtual machine of '{vm.name}' to be "
                     'prepared first with Enable-VMReplication -AsReplica on the Replica server.', vm.name)
                continue
            method = 'Backup'
        scheduled = None
        if bound.get('InitialReplicationStartTime') is not None:
            scheduled = _schedule(ctx, bound.get('InitialReplicationStartTime'), 'InitialReplicationStartTime')
            if scheduled is None:
                continue
        if not ctx.should_process(vm.name):
            continue
        rel.export_path = bound.get('DestinationPath')
        if scheduled is not None:
            rel.scheduled_start_at, rel.initial_method = scheduled, method
        else:
            model.begin_initial_replication(rel, clock(ctx), method)
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


def stop_vminitial_replication(ctx: CmdletContext) -> None:
    for host, vm, rel in replicating_targets(ctx):
        if rel.mode == 'Primary' and rel.state == 'WaitingForInitialReplication':
            fail(ctx, 'state', f"The initial replication of virtual machine '{vm.name}' was exported to external media and can no "
                 'longer be stopped.', vm.name)
            continue
        running = rel.mode == 'Primary' and rel.state == 'InitialReplicationInProgress'
        scheduled = rel.mode == 'Primary' and rel.scheduled_start_at is not None
        if not (running or scheduled):
            fail(ctx, 'state', f"No initial replication is in progress for virtual machine '{vm.name}' (state {rel.state}).", vm.name)
            continue
        if not ctx.should_process(vm.name):
            continue
        rel.state, rel.scheduled_start_at, rel.operation_ends_at = 'ReadyForInitialReplication', None, None
        rel.initial_method = rel.export_path = None
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


# ---- suspend / resume -----------------------------------------------------------------------------------------
def suspend_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in replicating_targets(ctx):
        if rel.state not in ('Suspended', 'ResynchronizeSuspended', 'Replicating', 'Resynchronizing'):
            fail(ctx, 'state', f"Replication of virtual machine '{vm.name}' cannot be suspended in state {rel.state}.", vm.name)
            continue
        if not ctx.should_process(vm.name):
            continue
        if rel.state == 'Replicating':
            rel.state = 'Suspended'
        elif rel.state == 'Resynchronizing':
            rel.state, rel.operation_ends_at = 'ResynchronizeSuspended', None
        if ctx.passthru:
            ctx.write_output(vm_replication_object(host, vm, rel))


def resume_vmreplication(ctx: CmdletContext) -> None:
    bound = ctx.bound
    resync = bound.switch('Resynchronize') or bound.get('ResynchronizeStartTime') is not None
    for host, vm, rel in replicating_targets(ctx):
        if not _resume_one(ctx, host, vm, rel, resync):
            continue
        if ctx.passthru:
            ctx.write_output(vm_replication_object(host, vm, rel))


def _resume_one(ctx: CmdletContext, host, vm, rel: model.Relationship, resync: bool) -> bool:
    now = clock(ctx)
    if rel.state == 'WaitingForStartResynchronize' and not resync:
        fail(ctx, 'state', f"Virtual machine '{vm.name}' needs resynchronization: resume replication with -Resynchronize.", vm.name)
        return False
    if rel.state not in ('Suspended', 'Error', 'WaitingForStartResynchronize', 'ResynchronizeSuspended') \
            and not (resync and rel.state == 'Replicating'):
        fail(ctx, 'state', f"Replication of virtual machine '{vm.name}' cannot be resumed in state {rel.state}: resume applies "
             'to suspended replication, replication in error, or replication that needs resynchronization.', vm.name)
        return False
    start_at = None
    if bound_time := ctx.bound.get('ResynchronizeStartTime'):
        start_at = _schedule(ctx, bound_time, 'ResynchronizeStartTime')
        if start_at is None:
            return False
    if not ctx.should_process(vm.name):
        return False
    if rel.mode != 'Primary':
        rel.state = 'Replicating'         # the replica side simply accepts changes again
        return True
    if resync or rel.state == 'ResynchronizeSuspended':
        if start_at is not None:
            rel.state, rel.resync_start_at = 'WaitingForStartResynchronize', start_at
        else:
            model.begin_resynchronization(rel, now)
        return True
    previous = rel.state
    rel.state = 'Replicating'
    rel.next_cycle_at = now + datetime.timedelta(seconds=rel.frequency_sec)
    if previous == 'Error':
        # Resuming from an error retries at once: it either works now or fails again with the same condition.
        model.ReplicationClockwork(host.world).cycle(host, vm, rel, now)
    return True


# ---- connection test ------------------------------------------------------------------------------------------
def test_vmreplication_connection(ctx: CmdletContext) -> None:
    bound = ctx.bound
    auth = bound.get('AuthenticationType').name
    thumbprint = normal_thumbprint(bound.get('CertificateThumbprint'))
    if auth == 'Certificate' and not thumbprint:
        fail(ctx, 'argument', 'Certificate-based authentication requires a certificate: specify CertificateThumbprint.',
             'CertificateThumbprint')
        return
    for host in ctx.local_targets():
        result = model.connect(host.world, host, bound.get('ReplicaServerName'), bound.get('ReplicaServerPort'), auth, thumbprint)
        if result.problem is not None:
            connection_failed(ctx, '', result.problem, bound.get('ReplicaServerName'))
            continue
        # OUTPUTS says None; the connection test reports success as this line of text.
        ctx.write_output('The connection to the specified Replica server with the specified parameters was successful.')


# ---- failover -------------------------------------------------------------------------------------------------


CMDLETS = {
    'Get-VMReplication': get_vmreplication,
    'Enable-VMReplication': enable_vmreplication,
    'Set-VMReplication': set_vmreplication,
    'Remove-VMReplication': remove_vmreplication,
    'Start-VMInitialReplication': start_vminitial_replication,
    'Stop-VMInitialReplication': stop_vminitial_replication,
    'Measure-VMReplication': measure_vmreplication,
    'Suspend-VMReplication': suspend_vmreplication,
    'Resume-VMReplication': resume_vmreplication,
    'Test-VMReplicationConnection': test_vmreplication_connection,
}

# Get-VM ... | <cmdlet> binds the VirtualMachine to -VM (ValueFromPipeline in the VMObject sets of every one of them, cmdlets.json), as
# ``Get-VM -Id <guid> | Enable-VMReplication ...`` selects one VM of a name several share. Test-VMReplicationConnection takes no VM.
VM_OBJECT_INPUT = ('Get-VMReplication', 'Measure-VMReplication', 'Enable-VMReplication', 'Set-VMReplication', 'Remove-VMReplication',
                   'Start-VMInitialReplication', 'Stop-VMInitialReplication', 'Suspend-VMReplication', 'Resume-VMReplication')
