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
from hvlab.engine.objects import HV, hard_drive_object, netbios_name, virtualization_text, vm_object
from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan


VIRTUALIZATION_OBJECT = f'{HV}.VirtualizationObject'
STATE_ENUM = f'{HV}.VMReplicationState'
HEALTH_ENUM = f'{HV}.VMReplicationHealthState'
MODE_ENUM = f'{HV}.VMReplicationMode'
RELATIONSHIP_ENUM = f'{HV}.VMReplicationRelationshipType'
REPLICATION_AUTH_ENUM = f'{HV}.ReplicationAuthenticationType'
RECOVERY_AUTH_ENUM = f'{HV}.RecoveryAuthenticationType'
RECOVERY_AUTH_VALUES = {'Kerberos': 1, 'Certificate': 2, 'CertificateAndKerberos': 3}
MONITORING_INTERVALS = {hours * 3600 for hours in (1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 120, 144, 168)}
THUMBPRINT = re.compile(r'^[0-9A-F]{40}$')
PATH = re.compile(r'^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)')


def replication_enum(type_name: str, members, name: str) -> LabEnum:
    return LabEnum(type_name, name, list(members).index(name))


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
    auth = LabEnum(RECOVERY_AUTH_ENUM, settings.allowed_authentication_type, RECOVERY_AUTH_VALUES[settings.allowed_authentication_type])
    properties = {
        'ComputerName': netbios_name(host),
        'ReplicationEnabled': settings.enabled,
        'AllowedAuthenticationType': auth,
        'KerberosAuthenticationPort': settings.kerberos_port,
        'CertificateAuthenticationPort': settings.certificate_port,
        'KerberosAuthenticationPortMapping': None,
        'CertificateAuthenticationPortMapping': None,
        'CertificateThumbprint': settings.certificate_thumbprint,
        'ReplicationAllowedFromAnyServer': settings.allow_any_server,
        'DefaultStorageLocation': settings.default_storage_location,
        'MonitoringInterval': LabTimeSpan(settings.monitoring_interval),
        'MonitoringStartTime': LabTimeSpan(settings.monitoring_start_time),
        # The short names the default table view shows (RepEnabled, AuthType, KerbAuthPort, CertAuthPort, AllowAnyServer).
        'RepEnabled': settings.enabled,
        'AuthType': auth,
        'KerbAuthPort': settings.kerberos_port,
        'CertAuthPort': settings.certificate_port,
        'AllowAnyServer': settings.allow_any_server,
        'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMReplicationServer', VIRTUALIZATION_OBJECT, 'System.Object'], properties, f'{HV}.VMReplicationServer')


def authorization_entry_object(host, entry: dict) -> LabObject:
    properties = {
        'AllowedPrimaryServer': entry['allowed_primary_server'],
        'ReplicaStorageLocation': entry['replica_storage_location'],
        'TrustGroup': entry['trust_group'],
        'ComputerName': netbios_name(host),
        'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMReplicationAuthorizationEntry', VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     f'{HV}.VMReplicationAuthorizationEntry')


def vm_replication_object(host, vm, rel: model.Relationship) -> LabObject:
    state = replication_enum(STATE_ENUM, model.REPLICATION_STATES, rel.state)
    health = replication_enum(HEALTH_ENUM, model.REPLICATION_HEALTH, rel.health)
    mode = replication_enum(MODE_ENUM, model.REPLICATION_MODES, rel.mode)
    auth = LabEnum(REPLICATION_AUTH_ENUM, rel.authentication_type, 1 if rel.authentication_type == 'Kerberos' else 2)
    excluded_paths = {path.lower() for path in rel.excluded_disks}
    test_vm = model.find_vm_by_id(host, rel.test_vm_id) if rel.test_vm_id else None
    # The properties of the decompiled VMReplication (with VMReplicationBase, VMComponentObject, VirtualizationObject): no Id,
    # no TrustGroup (only Get-VMReplication's -TrustGroup filter and the authorization entries have one).
    properties = {
        'VMName': vm.name,
        'VMId': vm.vm_id,
        'VMSnapshotId': '00000000-0000-0000-0000-000000000000',
        'VMSnapshotName': '',
        'CimSession': None,
        'ComputerName': netbios_name(host),
        'ReplicationState': state,
        'ReplicationHealth': health,
        'ReplicationMode': mode,
        'ReplicationRelationshipType': LabEnum(RELATIONSHIP_ENUM, 'Simple', 0),
        'PrimaryServerName': rel.primary_server,
        'ReplicaServerName': rel.replica_server,
        'CurrentReplicaServerName': rel.replica_server,
        'ReplicaServerPort': rel.replica_port,
        'AuthenticationType': auth,
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
        'ReplicatedDisks': [hard_drive_object(host, vm, disk) for disk in vm.disks if disk.path.lower() not in excluded_paths],
        'ExcludedDisks': [hard_drive_object(host, vm, disk) for disk in vm.disks if disk.path.lower() in excluded_paths],
        'AllowedPrimaryServer': rel.allowed_primary_server or '',
        'LastAppliedLogTime': None,
        'LastReplicationTime': rel.last_replication_time,
        'InitialReplicationStartTime': rel.scheduled_start_at,
        'ResynchronizeStartTime': rel.resync_start_at,
        'TestVirtualMachine': vm_object(host, test_vm) if test_vm is not None else None,
        # The short names of the default table view. Not settled: whether Hyper-V's types data adds them as alias properties
        # (they may be only column labels of the format data); no module reads them.
        'State': state, 'Health': health, 'Mode': mode, 'FrequencySec': rel.frequency_sec,
        'PrimaryServer': rel.primary_server, 'ReplicaServer': rel.replica_server, 'ReplicaPort': rel.replica_port, 'AuthType': auth,
        'RelationshipType': LabEnum(RELATIONSHIP_ENUM, 'Simple', 0),
        'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMReplication', f'{HV}.VMReplicationBase', f'{HV}.VMComponentObject', VIRTUALIZATION_OBJECT,
                      'System.Object'], properties, virtualization_text(f'{HV}.VMReplication', {'VMName': vm.name}, {'VMId': vm.vm_id}))


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
    latency = LabTimeSpan(stats.latency_total / stats.successful if stats.successful else 0.0)
    average = stats.bytes_total // stats.successful if stats.successful else 0
    state = replication_enum(STATE_ENUM, model.REPLICATION_STATES, rel.state)
    health = replication_enum(HEALTH_ENUM, model.REPLICATION_HEALTH, rel.health)
    properties = {
        'VMName': vm.name, 'VMId': vm.vm_id, 'ComputerName': netbios_name(host),
        'ReplicationState': state, 'ReplicationHealth': health,
        'ReplicationMode': replication_enum(MODE_ENUM, model.REPLICATION_MODES, rel.mode),
        'ReplicationRelationshipType': LabEnum(RELATIONSHIP_ENUM, 'Simple', 0),
        'PrimaryServerName': rel.primary_server, 'ReplicaServerName': rel.replica_server, 'CurrentReplicaServerName': rel.replica_server,
        'LastReplicationTime': rel.last_replication_time,
        'InitialReplicationSize': initial_size,
        'PendingReplicationSize': pending,
        'AverageReplicationLatency': latency,
        'AverageReplicationSize': average,
        'MaximumReplicationSize': stats.max_bytes,
        'SuccessfulReplicationCount': stats.successful,
        'MissedReplicationCount': stats.missed,
        'ReplicationErrors': stats.errors,
        'MonitoringStartTime': start,
        'MonitoringEndTime': end,
        'ReplicationHealthDetails': list(rel.health_messages),
        # The short names of the default table view.
        'State': state, 'Health': health, 'LReplTime': rel.last_replication_time, 'PReplSize(M)': round(pending / 1024 ** 2, 2),
        'AvgLatency': latency, 'AvgReplSize(M)': round(average / 1024 ** 2, 2), 'Relationship': LabEnum(RELATIONSHIP_ENUM, 'Simple', 0),
    }
    return LabObject([f'{HV}.VMReplicationHealth', 'System.Object'], properties, f"VMReplicationHealth (VMName = '{vm.name}')")


def vm_with_replication(host, vm) -> LabObject:
    """Get-VM's object with the VM's replication state, health and mode filled in."""
    obj = vm_object(host, vm)
    rel = host.replication.relationships.get(vm.vm_id)
    if rel is not None:
        obj.properties['ReplicationState'] = replication_enum(STATE_ENUM, model.REPLICATION_STATES, rel.state)
        obj.properties['ReplicationHealth'] = replication_enum(HEALTH_ENUM, model.REPLICATION_HEALTH, rel.health)
        obj.properties['ReplicationMode'] = replication_enum(MODE_ENUM, model.REPLICATION_MODES, rel.mode)
    return obj


SNAPSHOT_TYPES = ('Standard', 'Recovery', 'Planned', 'Missing', 'Replica', 'AppConsistentReplica', 'SyncedReplica')


def recovery_point_object(host, vm, point: model.RecoveryPoint) -> LabObject:
    """A replica recovery point as the VMSnapshot Start-VMFailover -VMRecoverySnapshot takes."""
    properties = {
        'Name': point.name, 'Id': str(uuid.uuid5(uuid.NAMESPACE_URL, f'{vm.vm_id}/{point.name}')), 'VMName': vm.name, 'VMId': vm.vm_id,
        'SnapshotType': LabEnum(f'{HV}.SnapshotType', 'Replica', SNAPSHOT_TYPES.index('Replica')),
        'CreationTime': point.created, 'ComputerName': netbios_name(host), 'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMSnapshot', f'{HV}.VirtualMachineBase', VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     f"VMSnapshot (Name = '{point.name}') [VMName = '{vm.name}']")


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
            vm = model.find_vm(host, name)
            if vm is None:
                fail(ctx, 'argument', f'Hyper-V was unable to find a virtual machine with name "{name}".', name)
                continue
            found.append((host, vm, True))
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
