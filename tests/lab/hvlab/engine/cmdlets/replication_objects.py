"""Hyper-V Replica objects and helpers shared by the replica server, replication and failover cmdlets.

The world-side rules (connection checks, state machine, time passing) live in hvlab.model.replication; these
helpers turn them into PowerShell-shaped objects (VMReplication, VMReplicationServer, authorization entries, recovery
checkpoints) and error records, and find the VMs a cmdlet addresses.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import uuid

from hvlab.model import replication as model
from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import HV, enum, hard_drive_object, netbios_name, reference_object, virtualization_text, vm_object
from hvlab.engine.values import LabObject, LabTimeSpan


VIRTUALIZATION_OBJECT = f'{HV}.VirtualizationObject'
STATE_ENUM = f'{HV}.VMReplicationState'
HEALTH_ENUM = f'{HV}.VMReplicationHealthState'
MODE_ENUM = f'{HV}.VMReplicationMode'
RELATIONSHIP_ENUM = f'{HV}.VMReplicationRelationshipType'
REPLICATION_AUTH_ENUM = f'{HV}.ReplicationAuthenticationType'
RECOVERY_AUTH_ENUM = f'{HV}.RecoveryAuthenticationType'
MONITORING_INTERVALS = {hours * 3600 for hours in (1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 120, 144, 168)}
THUMBPRINT = re.compile(r'^[0-9A-F]{40}$')
PATH = re.compile(r'^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)')


def time_of_day(seconds: float) -> LabTimeSpan:
    return LabTimeSpan(float(seconds))


def clock(ctx: CmdletContext) -> datetime.datetime:
    return ctx.host.world.replication_clock


def fail(ctx: CmdletContext, kind: str, message: str, target: str | None = None) -> None:
    """kind: the ExceptionHelper factory Hyper-V uses (decompiled module) -> its error id and category:
    state (CreateInvalidOperationException), failed (CreateOperationFailedException), argument (CreateInvalidArgumentException),
    missing (CreateObjectNotFoundException)."""
    error_id, category = {'state': ('InvalidOperation', 'InvalidOperation'), 'failed': ('OperationFailed', 'InvalidOperation'),
                          'argument': ('InvalidParameter', 'InvalidArgument'), 'missing': ('ObjectNotFound', 'ObjectNotFound')}[kind]
    ctx.write_error(error_id, message, category, target=target)


def connection_failed(ctx: CmdletContext, prefix: str, problem: model.ConnectionProblem, target: str) -> None:
    ctx.write_error('OperationFailed', f'{prefix}{problem.message}', problem.category, target=target)


# ---- output objects -----------------------------------------------------------------------------------------
def replication_server_object(host) -> LabObject:
    settings = host.replica_server
    properties = {
        'ComputerName': netbios_name(host),
        'ReplicationEnabled': settings.enabled,
        'AllowedAuthenticationType': enum(RECOVERY_AUTH_ENUM, settings.allowed_authentication_type),
        'KerberosAuthenticationPort': settings.kerberos_port,
        'CertificateAuthenticationPort': settings.certificate_port,
        'CertificateThumbprint': settings.certificate_thumbprint,
        'ReplicationAllowedFromAnyServer': settings.allow_any_server,
        'DefaultStorageLocation': settings.default_storage_location,
        'MonitoringInterval': LabTimeSpan(settings.monitoring_interval),
        'MonitoringStartTime': LabTimeSpan(settings.monitoring_start_time),
        # The entries are VMReplicationAuthorizationEntry objects; at depth 1 each is its ToString, the bare class name.
        'AuthorizationEntries': [authorization_entry_object(host, entry) for entry in settings.authorization_entries],
    }
    return reference_object(f'{HV}.VMReplicationServer', properties, 'VMReplicationServer')


def authorization_entry_object(host, entry: dict) -> LabObject:
    properties = {
        'AllowedPrimaryServer': entry['allowed_primary_server'],
        'ReplicaStorageLocation': entry['replica_storage_location'],
        'TrustGroup': entry['trust_group'],
        'ComputerName': netbios_name(host),
    }
    return reference_object(f'{HV}.VMReplicationAuthorizationEntry', properties, 'VMReplicationAuthorizationEntry')


def _relationship_properties(host, vm, rel: model.Relationship) -> dict:
    """The properties VMReplication and VMReplicationHealth share (VMReplicationBase, VMComponentObject, VirtualizationObject)."""
    excluded_paths = {path.lower() for path in rel.excluded_disks}
    test_vm = model.find_vm_by_id(host, rel.test_vm_id) if rel.test_vm_id else None
    return {
        'VMName': vm.name,
        'VMId': vm.vm_id,
        'VMSnapshotName': '',
        'ComputerName': netbios_name(host),
        'ReplicationState': enum(STATE_ENUM, rel.state),
        'ReplicationHealth': enum(HEALTH_ENUM, rel.health),
        'ReplicationMode': enum(MODE_ENUM, rel.mode),
        'ReplicationRelationshipType': enum(RELATIONSHIP_ENUM, 'Simple'),
        'PrimaryServerName': rel.primary_server,
        'ReplicaServerName': rel.replica_server,
        'CurrentReplicaServerName': rel.replica_server,
        'AllowedPrimaryServer': rel.allowed_primary_server or '',
        'LastReplicationTime': rel.last_replication_time,
        'ReplicatedDisks': [hard_drive_object(host, vm, disk) for disk in vm.disks if disk.path.lower() not in excluded_paths],
        'TestVirtualMachine': vm_object(host, test_vm) if test_vm is not None else None,
    }


def vm_replication_object(host, vm, rel: model.Relationship) -> LabObject:
    # The properties of the decompiled VMReplication (with VMReplicationBase, VMComponentObject, VirtualizationObject): no Id,
    # no TrustGroup (only Get-VMReplication's -TrustGroup filter and the authorization entries have one).
    excluded_paths = {path.lower() for path in rel.excluded_disks}
    properties = dict(_relationship_properties(host, vm, rel), **{
        'ReplicaServerPort': rel.replica_port,
        'AuthenticationType': enum(REPLICATION_AUTH_ENUM, rel.authentication_type),
        'CertificateThumbprint': rel.certificate_thumbprint,
        'ReplicationFrequencySec': rel.frequency_sec,
        'RecoveryHistory': rel.recovery_history,
        'VSSSnapshotFrequencyHour': rel.vss_frequency_hour,
        'VSSSnapshotReplicationEnabled': rel.vss_frequency_hour > 0,
        'CompressionEnabled': rel.compression,
        'BypassProxyServer': rel.bypass_proxy,
        'ReplicateHostKvpItems': rel.replicate_host_kvp,
        'EnableWriteOrderPreservationAcrossDisks': rel.write_order_preservation,
        'AutoResynchronizeEnabled': rel.auto_resynchronize,
        'AutoResynchronizeIntervalStart': time_of_day(rel.auto_resync_start),
        'AutoResynchronizeIntervalEnd': time_of_day(rel.auto_resync_end),
        'ExcludedDisks': [hard_drive_object(host, vm, disk) for disk in vm.disks if disk.path.lower() in excluded_paths],
        'InitialReplicationStartTime': rel.scheduled_start_at,
        'ResynchronizeStartTime': rel.resync_start_at,
    })
    return reference_object(f'{HV}.VMReplication', properties,
                            virtualization_text(f'{HV}.VMReplication', {'VMName': vm.name}, {'VMId': vm.vm_id}))


def replication_health_object(ctx: CmdletContext, host, vm, rel: model.Relationship) -> LabObject:
    stats = rel.statistics
    end = clock(ctx)
    # The decompiled module's VMReplicationHealth: on the primary, before the first replication, InitialReplicationSize is the
    # size of the replicated disks' files and PendingReplicationSize what of it the initial copy has not sent yet (all of it before
    # the copy starts); after it, InitialReplicationSize is 0 and PendingReplicationSize the changes not replicated yet.
    initial_size, pending = 0, 0
    if rel.mode == 'Primary' and rel.last_replication_time is None:
        excluded = {path.lower() for path in rel.excluded_disks}
        initial_size = model.VHD_FILE_BYTES * len([disk for disk in vm.disks if disk.path.lower() not in excluded])
        percent = model.initial_replication_percent(rel, end)
        pending = initial_size if percent is None else initial_size * (100 - percent) // 100
    elif rel.mode == 'Primary':
        _unused1, replica_vm, _unused2 = model.counterpart(host.world, host, rel)
        pending = max(vm.data_version - (replica_vm.data_version if replica_vm else 0), 0) * model.BYTES_PER_CHANGE
    start = stats.window_start or end - datetime.timedelta(seconds=host.replica_server.monitoring_interval)
    properties = dict(_relationship_properties(host, vm, rel), **{
        'InitialReplicationSize': initial_size,
        'PendingReplicationSize': pending,
        'AverageReplicationLatency': LabTimeSpan(stats.latency_total / stats.successful if stats.successful else 0.0),
        'AverageReplicationSize': stats.bytes_total // stats.successful if stats.successful else 0,
        'MaximumReplicationSize': stats.max_bytes,
        'SuccessfulReplicationCount': stats.successful,
        'MissedReplicationCount': stats.missed,
        'ReplicationErrors': stats.errors,
        'MonitoringStartTime': start,
        'MonitoringEndTime': end,
        'ReplicationHealthDetails': list(rel.health_messages),
    })
    return reference_object(f'{HV}.VMReplicationHealth', properties,
                            virtualization_text(f'{HV}.VMReplicationHealth', {'VMName': vm.name}, {'VMId': vm.vm_id}))


def vm_with_replication(host, vm) -> LabObject:
    """Get-VM's object with the VM's replication state, health and mode filled in."""
    obj = vm_object(host, vm)
    rel = host.replication.relationships.get(vm.vm_id)
    if rel is not None:
        obj.properties['ReplicationState'] = enum(STATE_ENUM, rel.state)
        obj.properties['ReplicationHealth'] = enum(HEALTH_ENUM, rel.health)
        obj.properties['ReplicationMode'] = enum(MODE_ENUM, rel.mode)
    return obj


def recovery_point_object(host, vm, point: model.RecoveryPoint) -> LabObject:
    """A replica recovery point as the VMSnapshot Start-VMFailover -VMRecoverySnapshot takes."""
    point_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f'{vm.vm_id}/{point.name}'))
    properties = {
        'Name': point.name, 'Id': point_id, 'VMName': vm.name, 'VMId': vm.vm_id,
        'SnapshotType': enum(f'{HV}.SnapshotType', 'Replica'), 'CreationTime': point.created, 'ComputerName': netbios_name(host),
        'State': enum(f'{HV}.VMState', 'Off'), 'Path': vm.path, 'Version': vm.version, 'Generation': vm.generation,
    }
    return reference_object(f'{HV}.VMSnapshot', properties, virtualization_text(f'{HV}.VMSnapshot', {'Name': point.name}, {'Id': point_id}))


# ---- Replica server -------------------------------------------------------------------------------------------
def is_pattern(text: str) -> bool:
    return any(char in text for char in '*?[')


def vm_targets(ctx: CmdletContext) -> list[tuple]:
    """(host, vm, name-was-explicit) for the VMName / VM / VMReplication parameters of the chosen set."""
    found = []
    if ctx.bound.get('VM') is not None or ctx.bound.get('VMReplication') is not None:
        objects = ctx.bound.get('VM') or ctx.bound.get('VMReplication')
        for item in objects:
            vm_id = item.properties.get('VMId') or item.properties.get('Id')
            vm = model.find_vm_by_id(ctx.host, vm_id)
            if vm is None:
                fail(ctx, 'missing', f'Hyper-V was unable to find a virtual machine with id "{vm_id}".', vm_id)
                continue
            found.append((ctx.host, vm, True))
        return found
    names = ctx.bound.get('VMName')
    for host in ctx.local_targets():
        if names is None:
            found += [(host, vm, False) for vm in host.vms]
            continue
        for name in names:
            if is_pattern(name):
                found += [(host, vm, False) for vm in host.vms if fnmatch.fnmatchcase(vm.name.lower(), name.lower())]
                continue
            # Every VM of that name: Hyper-V does not require unique names, and -VMName selects them all.
            named = [vm for vm in host.vms if vm.name.lower() == name.lower()]
            if not named:
                fail(ctx, 'argument', f'Hyper-V was unable to find a virtual machine with name "{name}".', name)
                continue
            found += [(host, vm, True) for vm in named]
    return found


def replicating_targets(ctx: CmdletContext) -> list[tuple]:
    """(host, vm, relationship) of the selected VMs that have replication; explicit names without it get an error."""
    found = []
    for host, vm, explicit in vm_targets(ctx):
        rel = host.replication.relationships.get(vm.vm_id)
        if rel is None:
            if explicit:
                # GetVMReplication (decompiled): CreateOperationFailedException(VMReplication_NotEnabled).
                fail(ctx, 'failed', f"Replication is not enabled for virtual machine '{vm.name}'.", vm.name)
            continue
        found.append((host, vm, rel))
    return found


def filtered(ctx: CmdletContext) -> list[tuple]:
    """Get-/Measure-VMReplication: the replicating VMs that pass the state/health/mode/server/trust-group filters."""
    bound = ctx.bound
    selected = []
    for host, vm, rel in replicating_targets(ctx):
        checks = (
            ('ReplicationState', lambda value, rel=rel: value.name == rel.state),
            ('ReplicationHealth', lambda value, rel=rel: value.name == rel.health),
            ('ReplicationMode', lambda value, rel=rel: value.name == rel.mode),
            ('ReplicationRelationshipType', lambda value: value.name == 'Simple'),
            ('PrimaryServerName', lambda value, rel=rel: same_server(ctx, value, rel.primary_server)),
            ('ReplicaServerName', lambda value, rel=rel: same_server(ctx, value, rel.replica_server)),
            ('TrustGroup', lambda value, rel=rel: (rel.trust_group or '').lower() == value.lower()),
        )
        if all(bound.get(name) is None or test(bound.get(name)) for name, test in checks):
            selected.append((host, vm, rel))
    return selected


def same_server(ctx: CmdletContext, wanted: str, configured: str) -> bool:
    if wanted.lower() == configured.lower():
        return True
    world = ctx.host.world
    target = model.resolve_host(world, wanted)
    return target is not None and target is model.resolve_host(world, configured)


def given(value, current):
    """A bound parameter's value, or the current setting when the parameter was not given."""
    return current if value is None else value


def normal_thumbprint(text: str | None) -> str | None:
    """A certificate thumbprint as Windows stores it: no white space, upper case."""
    return re.sub(r'\s', '', text).upper() if text else None
