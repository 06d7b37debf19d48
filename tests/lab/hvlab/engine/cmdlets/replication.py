"""Hyper-V Replica cmdlets: the Replica server, authorization entries, relationships, initial replication, failover.

The world-side rules (connection checks, state machine, time passing) live in hvlab.replication; this module
binds them to the documented cmdlets and writes PowerShell-shaped objects and error records. Where the pages
state a rule it is enforced (allow-any needs a storage location, certificate authentication needs a
thumbprint, RecoveryHistory up to 24, schedules at most 7 days ahead, planned failover needs the primary VM
off, Complete-VMFailover is final, ...). Lab choices that the pages do not settle are noted where they are made.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
import uuid

from hvlab import replication as model
from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import HV, netbios_name, vm_object
from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan

_VIRTUALIZATION_OBJECT = f'{HV}.VirtualizationObject'
STATE_ENUM = f'{HV}.VMReplicationState'
HEALTH_ENUM = f'{HV}.VMReplicationHealthState'
MODE_ENUM = f'{HV}.VMReplicationMode'
RELATIONSHIP_ENUM = f'{HV}.VMReplicationRelationshipType'
REPLICATION_AUTH_ENUM = f'{HV}.ReplicationAuthenticationType'
RECOVERY_AUTH_ENUM = f'{HV}.RecoveryAuthenticationType'
_RECOVERY_AUTH_VALUES = {'Kerberos': 1, 'Certificate': 2, 'CertificateAndKerberos': 3}
_MONITORING_INTERVALS = {hours * 3600 for hours in (1, 2, 3, 4, 6, 8, 12, 24, 48, 72, 96, 120, 144, 168)}
_THUMBPRINT = re.compile(r'^[0-9A-F]{40}$')
_PATH = re.compile(r'^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)')


def _enum(type_name: str, members, name: str) -> LabEnum:
    return LabEnum(type_name, name, list(members).index(name))


def _time_of_day(seconds: float) -> LabTimeSpan:
    return LabTimeSpan(float(seconds))


def _clock(ctx: CmdletContext) -> datetime.datetime:
    return ctx.host.world.replication_clock


def _fail(ctx: CmdletContext, kind: str, message: str, target: str | None = None) -> None:
    """kind: state (InvalidOperation), argument (InvalidArgument), missing (ObjectNotFound)."""
    error_id, category = {'state': ('InvalidOperation', 'InvalidOperation'), 'argument': ('InvalidParameter', 'InvalidArgument'),
                          'missing': ('ObjectNotFound', 'ObjectNotFound')}[kind]
    ctx.write_error(error_id, message, category, target=target)


def _connection_failed(ctx: CmdletContext, prefix: str, problem: model.ConnectionProblem, target: str) -> None:
    ctx.write_error('OperationFailed', f'{prefix}{problem.message}', problem.category, target=target)


# ---- output objects -----------------------------------------------------------------------------------------
def replication_server_object(host) -> LabObject:
    settings = host.replica_server
    auth = LabEnum(RECOVERY_AUTH_ENUM, settings.allowed_authentication_type, _RECOVERY_AUTH_VALUES[settings.allowed_authentication_type])
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
    return LabObject([f'{HV}.VMReplicationServer', _VIRTUALIZATION_OBJECT, 'System.Object'], properties, f'{HV}.VMReplicationServer')


def authorization_entry_object(host, entry: dict) -> LabObject:
    properties = {
        'AllowedPrimaryServer': entry['allowed_primary_server'],
        'ReplicaStorageLocation': entry['replica_storage_location'],
        'TrustGroup': entry['trust_group'],
        'ComputerName': netbios_name(host),
        'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMReplicationAuthorizationEntry', _VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     f'{HV}.VMReplicationAuthorizationEntry')


def _disk_object(host, vm, path: str) -> LabObject:
    properties = {'Path': path, 'VMName': vm.name, 'VMId': vm.vm_id, 'Name': 'Hard Drive', 'ComputerName': netbios_name(host)}
    return LabObject([f'{HV}.HardDiskDrive', f'{HV}.Drive', _VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     f"HardDiskDrive (Name = 'Hard Drive') [VMName = '{vm.name}']")


def vm_replication_object(host, vm, rel: model.Relationship) -> LabObject:
    state = _enum(STATE_ENUM, model.REPLICATION_STATES, rel.state)
    health = _enum(HEALTH_ENUM, model.REPLICATION_HEALTH, rel.health)
    mode = _enum(MODE_ENUM, model.REPLICATION_MODES, rel.mode)
    auth = LabEnum(REPLICATION_AUTH_ENUM, rel.authentication_type, 1 if rel.authentication_type == 'Kerberos' else 2)
    excluded = [disk.path for disk in vm.disks if disk.path.lower() in {path.lower() for path in rel.excluded_disks}]
    replicated = [disk.path for disk in vm.disks if disk.path not in excluded]
    properties = {
        'VMName': vm.name,
        'VMId': vm.vm_id,
        'Id': vm.vm_id,
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
        'AutoResynchronizeIntervalStart': _time_of_day(rel.auto_resync_start),
        'AutoResynchronizeIntervalEnd': _time_of_day(rel.auto_resync_end),
        'ReplicatedDisks': [_disk_object(host, vm, path) for path in replicated],
        'ExcludedDisks': [_disk_object(host, vm, path) for path in excluded],
        'AllowedPrimaryServer': rel.allowed_primary_server,
        'TrustGroup': rel.trust_group,
        'LastReplicationTime': rel.last_replication_time,
        'InitialReplicationStartTime': rel.scheduled_start_at,
        'IsReplicatingToExternalProvider': False,
        # The short names of the default table view.
        'State': state, 'Health': health, 'Mode': mode, 'FrequencySec': rel.frequency_sec,
        'PrimaryServer': rel.primary_server, 'ReplicaServer': rel.replica_server, 'ReplicaPort': rel.replica_port, 'AuthType': auth,
        'RelationshipType': LabEnum(RELATIONSHIP_ENUM, 'Simple', 0),
        'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMReplication', _VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     f"VMReplication (VMName = '{vm.name}')")


def replication_health_object(ctx: CmdletContext, host, vm, rel: model.Relationship) -> LabObject:
    stats = rel.statistics
    pending = 0
    if rel.mode == 'Primary':
        _unused1, replica_vm, _unused2 = model.counterpart(host.world, host, rel)
        pending = max(vm.data_version - (replica_vm.data_version if replica_vm else 0), 0) * model.BYTES_PER_CHANGE
    end = _clock(ctx)
    start = stats.window_start or end - datetime.timedelta(seconds=host.replica_server.monitoring_interval)
    latency = LabTimeSpan(stats.latency_total / stats.successful if stats.successful else 0.0)
    average = stats.bytes_total // stats.successful if stats.successful else 0
    state = _enum(STATE_ENUM, model.REPLICATION_STATES, rel.state)
    health = _enum(HEALTH_ENUM, model.REPLICATION_HEALTH, rel.health)
    properties = {
        'VMName': vm.name, 'VMId': vm.vm_id, 'ComputerName': netbios_name(host),
        'ReplicationState': state, 'ReplicationHealth': health,
        'ReplicationMode': _enum(MODE_ENUM, model.REPLICATION_MODES, rel.mode),
        'ReplicationRelationshipType': LabEnum(RELATIONSHIP_ENUM, 'Simple', 0),
        'PrimaryServerName': rel.primary_server, 'ReplicaServerName': rel.replica_server, 'CurrentReplicaServerName': rel.replica_server,
        'LastReplicationTime': rel.last_replication_time,
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
        obj.properties['ReplicationState'] = _enum(STATE_ENUM, model.REPLICATION_STATES, rel.state)
        obj.properties['ReplicationHealth'] = _enum(HEALTH_ENUM, model.REPLICATION_HEALTH, rel.health)
        obj.properties['ReplicationMode'] = _enum(MODE_ENUM, model.REPLICATION_MODES, rel.mode)
    return obj


SNAPSHOT_TYPES = ('Standard', 'Recovery', 'Planned', 'Missing', 'Replica', 'AppConsistentReplica', 'SyncedReplica')


def recovery_point_object(host, vm, point: model.RecoveryPoint) -> LabObject:
    """A replica recovery point as the VMSnapshot Start-VMFailover -VMRecoverySnapshot takes."""
    properties = {
        'Name': point.name, 'Id': str(uuid.uuid5(uuid.NAMESPACE_URL, f'{vm.vm_id}/{point.name}')), 'VMName': vm.name, 'VMId': vm.vm_id,
        'SnapshotType': LabEnum(f'{HV}.SnapshotType', 'Replica', SNAPSHOT_TYPES.index('Replica')),
        'CreationTime': point.created, 'ComputerName': netbios_name(host), 'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMSnapshot', f'{HV}.VirtualMachineBase', _VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     f"VMSnapshot (Name = '{point.name}') [VMName = '{vm.name}']")


# ---- Replica server -------------------------------------------------------------------------------------------
def get_vmreplication_server(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        ctx.write_output(replication_server_object(host))


class _ReplicaServerChange:
    """Set-VMReplicationServer: the resulting settings, validated as a whole before anything is applied."""

    def __init__(self, ctx: CmdletContext, host):
        self.ctx, self.host = ctx, host
        bound, settings = ctx.bound, host.replica_server
        auth = bound.get('AllowedAuthenticationType')
        self.values = {
            'enabled': _given(bound.get('ReplicationEnabled'), settings.enabled),
            'allowed_authentication_type': auth.name if auth is not None else settings.allowed_authentication_type,
            'kerberos_port': _given(bound.get('KerberosAuthenticationPort'), settings.kerberos_port),
            'certificate_port': _given(bound.get('CertificateAuthenticationPort'), settings.certificate_port),
            'certificate_thumbprint': _thumbprint(bound.get('CertificateThumbprint')) or settings.certificate_thumbprint,
            'allow_any_server': _given(bound.get('ReplicationAllowedFromAnyServer'), settings.allow_any_server),
            'default_storage_location': _given(bound.get('DefaultStorageLocation'), settings.default_storage_location),
            'monitoring_interval': _seconds(bound.get('MonitoringInterval'), settings.monitoring_interval),
            'monitoring_start_time': _seconds(bound.get('MonitoringStartTime'), settings.monitoring_start_time),
        }
        self.problems: list[tuple[str, str]] = []

    def _mapping_port(self, parameter: str, key: str) -> None:
        mapping = self.ctx.bound.get(parameter)
        if mapping is None:
            return
        names = {self.host.name.lower(), self.host.fqdn.lower()}
        ports = [port for name, port in mapping.items() if str(name).lower() in names]
        if not ports:
            self.problems.append((parameter, f'{parameter} has no entry for this server ({self.host.fqdn}).'))
            return
        self.values[key] = int(ports[0])

    def validate(self) -> list[tuple[str, str]]:
        values, auth = self.values, self.values['allowed_authentication_type']
        self._mapping_port('KerberosAuthenticationPortMapping', 'kerberos_port')
        self._mapping_port('CertificateAuthenticationPortMapping', 'certificate_port')
        uses_certificate = auth in ('Certificate', 'CertificateAndKerberos')
        for parameter in ('CertificateAuthenticationPort', 'CertificateAuthenticationPortMapping'):
            if parameter in self.ctx.bound and not uses_certificate:
                self.problems.append((parameter, f'{parameter} can be used only when the allowed authentication type is Certificate '
                                                 'or CertificateAndKerberos.'))
        if 'KerberosAuthenticationPortMapping' in self.ctx.bound and auth == 'Certificate':
            self.problems.append(('KerberosAuthenticationPortMapping', 'KerberosAuthenticationPortMapping can be used only when '
                                                                       'the allowed authentication type is Kerberos or CertificateAndKerberos.'))
        for key, parameter in (('kerberos_port', 'KerberosAuthenticationPort'), ('certificate_port', 'CertificateAuthenticationPort')):
            if not 1 <= values[key] <= 65535:
                self.problems.append((parameter, f'The port {values[key]} is not valid. Specify a port between 1 and 65535.'))
        given = self.ctx.bound.get('CertificateThumbprint')
        if given is not None and _thumbprint(given) not in self.host.replication.certificates:
            self.problems.append(('CertificateThumbprint', f"The certificate with thumbprint '{given}' was not found in the "
                                                           'LocalMachine\\My store or does not meet the requirements of Hyper-V '
                                                           'Replica (unexpired, Client and Server Authentication, private key, '
                                                           'trusted root, subject = this server).'))
        if uses_certificate and not values['certificate_thumbprint']:
            self.problems.append(('CertificateThumbprint', f'Certificate-based authentication ({auth}) requires a certificate: '
                                                           'specify CertificateThumbprint.'))
        if values['allow_any_server'] and not values['default_storage_location']:
            self.problems.append(('DefaultStorageLocation', 'Replication from any authenticated server requires a default storage '
                                                            'location: specify DefaultStorageLocation.'))
        location = self.ctx.bound.get('DefaultStorageLocation')
        if location and not _PATH.match(location):
            self.problems.append(('DefaultStorageLocation', f"'{location}' is not a valid storage location. Specify a local or "
                                                            'UNC path.'))
        if values['monitoring_interval'] not in _MONITORING_INTERVALS:
            self.problems.append(('MonitoringInterval', 'MonitoringInterval must be one of 1, 2, 3, 4, 6, 8, 12 or 24 hours, or '
                                                        '2 to 7 days.'))
        if not 0 <= values['monitoring_start_time'] < 86400:
            self.problems.append(('MonitoringStartTime', 'MonitoringStartTime must be a time of day (00:00:00 to 23:59:59).'))
        return self.problems

    def apply(self) -> None:
        for key, value in self.values.items():
            setattr(self.host.replica_server, key, value)


def _given(value, current):
    return current if value is None else value


def _seconds(value, current: float) -> float:
    return current if value is None else float(value.seconds)


def _thumbprint(text: str | None) -> str | None:
    return re.sub(r'\s', '', text).upper() if text else None


def set_vmreplication_server(ctx: CmdletContext) -> None:
    for host in ctx.local_targets():
        change = _ReplicaServerChange(ctx, host)
        problems = change.validate()
        for parameter, message in problems:
            _fail(ctx, 'argument', message, parameter)
        if problems or ctx.what_if:
            continue
        change.apply()
        if ctx.passthru:
            # OUTPUTS names VMRecoveryServer, the -Passthru text VMReplicationServer: Get-VMReplicationServer's object.
            ctx.write_output(replication_server_object(host))


# ---- authorization entries ------------------------------------------------------------------------------------
def _entries(host, server: str | None = None, trust_group: str | None = None, storage: str | None = None) -> list[dict]:
    found = []
    for entry in host.replica_server.authorization_entries:
        if server is not None and entry['allowed_primary_server'].lower() != server.lower():
            continue
        if trust_group is not None and entry['trust_group'].lower() != trust_group.lower():
            continue
        if storage is not None and entry['replica_storage_location'].lower() != storage.lower():
            continue
        found.append(entry)
    return found


def _entry_not_found(ctx: CmdletContext, host, server: str) -> None:
    _fail(ctx, 'missing', f"No authorization entry for the primary server '{server}' was found on the Replica server "
                          f"'{host.name.upper()}'.", server)


def get_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    server = ctx.bound.get('AllowedPrimaryServer')
    for host in ctx.local_targets():
        found = _entries(host, server, ctx.bound.get('TrustGroup'), ctx.bound.get('ReplicaStorageLocation'))
        if server is not None and not found:
            _entry_not_found(ctx, host, server)
        for entry in found:
            ctx.write_output(authorization_entry_object(host, entry))


def new_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    server = ctx.bound.get('AllowedPrimaryServer').strip()
    storage = ctx.bound.get('ReplicaStorageLocation')
    trust_group = ctx.bound.get('TrustGroup')
    if not model.valid_primary_server_pattern(server):
        _fail(ctx, 'argument', f"'{server}' is not a valid primary server name. Specify a fully qualified domain name; a '*' "
                               'wildcard is allowed only as the first label, for example *.contoso.com.', server)
        return
    if not _PATH.match(storage):
        _fail(ctx, 'argument', f"'{storage}' is not a valid storage location. Specify a local or UNC path.", storage)
        return
    for host in ctx.local_targets():
        if host.replica_server.allow_any_server:
            _fail(ctx, 'state', 'Authorization entries can be used only when the Replica server does not allow replication from '
                                'any authenticated server (ReplicationAllowedFromAnyServer is $true): run Set-VMReplicationServer '
                                '-ReplicationAllowedFromAnyServer $false first.', server)
            continue
        if _entries(host, server):
            _fail(ctx, 'argument', f"An authorization entry for the primary server '{server}' already exists.", server)
            continue
        if ctx.what_if:
            continue
        entry = {'allowed_primary_server': server, 'replica_storage_location': storage, 'trust_group': trust_group}
        host.replica_server.authorization_entries.append(entry)
        ctx.write_output(authorization_entry_object(host, entry))


def _entries_from_objects(ctx: CmdletContext, host) -> list[dict]:
    wanted = {item['AllowedPrimaryServer'].lower() for item in ctx.bound.get('VMReplicationAuthorizationEntry') or []}
    return [entry for entry in host.replica_server.authorization_entries if entry['allowed_primary_server'].lower() in wanted]


def set_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    storage, trust_group = ctx.bound.get('ReplicaStorageLocation'), ctx.bound.get('TrustGroup')
    if storage is not None and not _PATH.match(storage):
        _fail(ctx, 'argument', f"'{storage}' is not a valid storage location. Specify a local or UNC path.", storage)
        return
    hosts = ctx.local_targets() if ctx.bound.parameter_set == 'Name' else [ctx.host]
    for host in hosts:
        if ctx.bound.parameter_set == 'Name':
            server = ctx.bound.get('AllowedPrimaryServer')
            selected = _entries(host, server)
            if not selected:
                _entry_not_found(ctx, host, server)
        else:
            selected = _entries_from_objects(ctx, host)
        for entry in selected:
            if ctx.what_if:
                continue
            # Only replicas created afterwards use a new storage location; existing replica files stay where they are.
            if storage is not None:
                entry['replica_storage_location'] = storage
            if trust_group:
                entry['trust_group'] = trust_group
            if ctx.passthru:
                ctx.write_output(authorization_entry_object(host, entry))


def remove_vmreplication_authorization_entry(ctx: CmdletContext) -> None:
    hosts = ctx.local_targets() if ctx.bound.parameter_set != 'Object' else [ctx.host]
    for host in hosts:
        if ctx.bound.parameter_set == 'PrimaryServerName':
            server = ctx.bound.get('AllowedPrimaryServer')
            selected = _entries(host, server)
            if not selected:
                _entry_not_found(ctx, host, server)
        elif ctx.bound.parameter_set == 'TrustGroup':
            selected = _entries(host, trust_group=ctx.bound.get('TrustGroup'))
        else:
            selected = _entries_from_objects(ctx, host)
        if ctx.what_if:
            continue
        host.replica_server.authorization_entries = [entry for entry in host.replica_server.authorization_entries
                                                     if entry not in selected]
        if ctx.passthru:
            for entry in selected:
                ctx.write_output(authorization_entry_object(host, entry))


# ---- selecting VMs --------------------------------------------------------------------------------------------
def _is_pattern(text: str) -> bool:
    return any(char in text for char in '*?[')


def _vm_targets(ctx: CmdletContext) -> list[tuple]:
    """(host, vm, name-was-explicit) for the VMName / VM / VMReplication parameters of the chosen set."""
    found = []
    if ctx.bound.get('VM') is not None or ctx.bound.get('VMReplication') is not None:
        objects = ctx.bound.get('VM') or ctx.bound.get('VMReplication')
        for item in objects:
            vm_id = item.properties.get('VMId') or item.properties.get('Id')
            vm = model.find_vm_by_id(ctx.host, vm_id)
            if vm is None:
                _fail(ctx, 'missing', f'Hyper-V was unable to find a virtual machine with id "{vm_id}".', vm_id)
                continue
            found.append((ctx.host, vm, True))
        return found
    names = ctx.bound.get('VMName')
    for host in ctx.local_targets():
        if names is None:
            found += [(host, vm, False) for vm in host.vms]
            continue
        for name in names:
            if _is_pattern(name):
                found += [(host, vm, False) for vm in host.vms if fnmatch.fnmatchcase(vm.name.lower(), name.lower())]
                continue
            vm = model.find_vm(host, name)
            if vm is None:
                _fail(ctx, 'argument', f'Hyper-V was unable to find a virtual machine with name "{name}".', name)
                continue
            found.append((host, vm, True))
    return found


def _replicating_targets(ctx: CmdletContext) -> list[tuple]:
    """(host, vm, relationship) of the selected VMs that have replication; explicit names without it get an error."""
    found = []
    for host, vm, explicit in _vm_targets(ctx):
        rel = host.replication.relationships.get(vm.vm_id)
        if rel is None:
            if explicit:
                _fail(ctx, 'state', f"Replication is not enabled for virtual machine '{vm.name}'.", vm.name)
            continue
        found.append((host, vm, rel))
    return found


def _filtered(ctx: CmdletContext) -> list[tuple]:
    """Get-/Measure-VMReplication: the replicating VMs that pass the state/health/mode/server/trust-group filters."""
    bound = ctx.bound
    selected = []
    for host, vm, rel in _replicating_targets(ctx):
        checks = (
            ('ReplicationState', lambda value, rel=rel: value.name == rel.state),
            ('ReplicationHealth', lambda value, rel=rel: value.name == rel.health),
            ('ReplicationMode', lambda value, rel=rel: value.name == rel.mode),
            ('ReplicationRelationshipType', lambda value: value.name == 'Simple'),
            ('PrimaryServerName', lambda value, rel=rel: _same_server(ctx, value, rel.primary_server)),
            ('ReplicaServerName', lambda value, rel=rel: _same_server(ctx, value, rel.replica_server)),
            ('TrustGroup', lambda value, rel=rel: (rel.trust_group or '').lower() == value.lower()),
        )
        if all(bound.get(name) is None or test(bound.get(name)) for name, test in checks):
            selected.append((host, vm, rel))
    return selected


def _same_server(ctx: CmdletContext, wanted: str, configured: str) -> bool:
    if wanted.lower() == configured.lower():
        return True
    world = ctx.host.world
    target = model.resolve_host(world, wanted)
    return target is not None and target is model.resolve_host(world, configured)


def get_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in _filtered(ctx):
        ctx.write_output(vm_replication_object(host, vm, rel))


def measure_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in _filtered(ctx):
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
            _fail(ctx, 'argument', f"The virtual hard disk '{path}' is not attached to virtual machine '{vm.name}'.", path)
            return None
    return [paths[path.lower()] for path in wanted]


def _replica_vm_for(vm, replica_host, authorization: dict):
    """Create the Replica VM (same Id, off, disks under the authorized storage location) on the Replica server."""
    from hvlab.world import VirtualDisk, VirtualMachine  # pylint: disable=import-outside-toplevel  # world imports the engine
    storage = authorization['storage'].rstrip('\\')
    replica_vm = VirtualMachine(name=vm.name, vm_id=vm.vm_id, state='Off', version=vm.version, generation=vm.generation,
                                processor_count=vm.processor_count, memory_startup=vm.memory_startup,
                                path=f'{storage}\\Hyper-V Replica\\Virtual Machines\\{vm.vm_id.upper()}')
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
        _fail(ctx, 'argument', message, parameter)
    if problems:
        return
    server, port = bound.get('ReplicaServerName'), bound.get('ReplicaServerPort')
    auth, thumbprint = bound.get('AuthenticationType').name, _thumbprint(bound.get('CertificateThumbprint'))
    for host, vm, explicit in _vm_targets(ctx):
        if vm.vm_id in host.replication.relationships:
            if explicit:
                _fail(ctx, 'state', f"Replication is already enabled for virtual machine '{vm.name}'.", vm.name)
            continue
        excluded = _excluded_paths(ctx, vm)
        if excluded is None:
            continue
        result = model.connect(host.world, host, server, port, auth, thumbprint)
        if result.problem is not None:
            _connection_failed(ctx, f"Hyper-V failed to enable replication for virtual machine '{vm.name}'. ", result.problem, vm.name)
            continue
        prepared = result.replica.replication.relationships.get(vm.vm_id)
        if model.find_vm_by_id(result.replica, vm.vm_id) is not None and not _accepts_prepared(prepared, host):
            _fail(ctx, 'state', f"Hyper-V failed to enable replication for virtual machine '{vm.name}': a virtual machine with the "
                                f"same ID already exists on the Replica server '{server}'.", vm.name)
            continue
        if ctx.what_if:
            continue
        rel = model.Relationship(vm_id=vm.vm_id, mode='Primary', state='ReadyForInitialReplication', primary_server=host.fqdn,
                                 replica_server=server, replica_port=port, authentication_type=auth, certificate_thumbprint=thumbprint,
                                 excluded_disks=excluded)
        _apply_settings(ctx, rel)
        rel.statistics.window_start = _clock(ctx)
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
        _fail(ctx, 'argument', f"'{allowed}' is not a valid primary server name. Specify a fully qualified domain name or a "
                               '*.domain pattern.', allowed)
        return
    for host, vm, explicit in _vm_targets(ctx):
        if vm.vm_id in host.replication.relationships:
            if explicit:
                _fail(ctx, 'state', f"Replication is already enabled for virtual machine '{vm.name}'.", vm.name)
            continue
        if ctx.what_if:
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
    when, now = model.utc(when), _clock(ctx)
    if when < now or when - now > model.MAX_SCHEDULE_AHEAD:
        _fail(ctx, 'argument', f'{parameter} {when.isoformat()} is not valid: specify a time in the next 7 days.', parameter)
        return None
    return when


def set_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in _replicating_targets(ctx):
        if ctx.bound.switch('Reverse'):
            _reverse(ctx, host, vm, rel)
        elif ctx.bound.switch('AsReplica'):
            _set_as_replica(ctx, host, vm, rel)
        else:
            _change_settings(ctx, host, vm, rel)


def _set_as_replica(ctx: CmdletContext, host, vm, rel: model.Relationship) -> None:
    allowed = ctx.bound.get('AllowedPrimaryServer')
    if rel.mode != 'Replica':
        _fail(ctx, 'state', f"Virtual machine '{vm.name}' is not a Replica virtual machine.", vm.name)
        return
    if allowed is not None and not model.valid_primary_server_pattern(allowed):
        _fail(ctx, 'argument', f"'{allowed}' is not a valid primary server name.", allowed)
        return
    if not ctx.what_if:
        rel.allowed_primary_server = allowed
        if ctx.passthru:
            ctx.write_output(vm_replication_object(host, vm, rel))


def _change_settings(ctx: CmdletContext, host, vm, rel: model.Relationship) -> None:
    bound = ctx.bound
    if rel.mode != 'Primary':
        _fail(ctx, 'state', f"Virtual machine '{vm.name}' is a {rel.mode} virtual machine: change its replication settings on the "
                            'primary server.', vm.name)
        return
    problems = _settings_problems(ctx, _given(bound.get('RecoveryHistory'), rel.recovery_history),
                                  _given(bound.get('VSSSnapshotFrequencyHour'), rel.vss_frequency_hour))
    for parameter, message in problems:
        _fail(ctx, 'argument', message, parameter)
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
            _fail(ctx, 'state', f"The initial replication of virtual machine '{vm.name}' cannot be scheduled in state {rel.state}.",
                  vm.name)
            return
        scheduled = _schedule(ctx, bound.get('InitialReplicationStartTime'), 'InitialReplicationStartTime')
        if scheduled is None:
            return
    if ctx.what_if:
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
    values = (bound.get('ReplicaServerName') or rel.replica_server, _given(bound.get('ReplicaServerPort'), rel.replica_port),
              auth.name if auth is not None else rel.authentication_type,
              _thumbprint(bound.get('CertificateThumbprint')) or rel.certificate_thumbprint)
    if values == (rel.replica_server, rel.replica_port, rel.authentication_type, rel.certificate_thumbprint):
        return values
    world = host.world
    if model.resolve_host(world, values[0]) is not model.resolve_host(world, rel.replica_server):
        # Lab rule: the replica VM lives on the current Replica server; moving it elsewhere means a new relationship.
        _fail(ctx, 'state', f"The Replica virtual machine of '{vm.name}' is on '{rel.replica_server}', not on '{values[0]}': remove "
                            'replication and enable it again to replicate to another server.', vm.name)
        return None
    result = model.connect(world, host, *values)
    if result.problem is not None:
        _connection_failed(ctx, f"Hyper-V failed to change replication settings for virtual machine '{vm.name}'. ",
                           result.problem, vm.name)
        return None
    return values


def _reverse(ctx: CmdletContext, host, vm, rel: model.Relationship) -> None:
    """Set-VMReplication -Reverse after a failover: the failed-over replica becomes the primary of the old primary."""
    bound = ctx.bound
    if rel.mode != 'Replica' or rel.state not in model.FAILOVER_STATES:
        _fail(ctx, 'state', f"Replication of virtual machine '{vm.name}' cannot be reversed in state {rel.state}: reverse "
                            'replication is available on a Replica virtual machine after a failover.', vm.name)
        return
    auth = bound.get('AuthenticationType')
    server = bound.get('ReplicaServerName') or rel.primary_server
    port = _given(bound.get('ReplicaServerPort'), rel.replica_port)
    auth_name = auth.name if auth is not None else rel.authentication_type
    thumbprint = _thumbprint(bound.get('CertificateThumbprint')) or rel.certificate_thumbprint
    result = model.connect(host.world, host, server, port, auth_name, thumbprint)
    if result.problem is not None:
        _connection_failed(ctx, f"Hyper-V failed to reverse replication for virtual machine '{vm.name}'. ", result.problem, vm.name)
        return
    old_host = result.replica
    old_vm = model.find_vm_by_id(old_host, vm.vm_id)
    old_rel = old_host.replication.relationships.get(vm.vm_id)
    if old_vm is not None and old_vm.state != 'Off':
        _fail(ctx, 'state', f"Hyper-V failed to reverse replication for virtual machine '{vm.name}': the virtual machine on "
                            f"'{server}' is running. Turn it off first.", vm.name)
        return
    if ctx.what_if:
        return
    # A planned failover left the old primary prepared with exactly this data: no initial copy is needed.
    planned = old_rel is not None and old_rel.state == 'PreparedForFailover' and old_vm is not None \
        and old_vm.data_version == vm.data_version
    now = _clock(ctx)
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
        side.recovery_points = [model.new_recovery_point(old_vm.name, now, old_vm.data_version)]
    else:
        rel.state, rel.next_cycle_at = 'ReadyForInitialReplication', None
    old_host.replication.relationships[vm.vm_id] = side
    if ctx.passthru:
        ctx.write_output(vm_replication_object(host, vm, rel))


# ---- Remove-VMReplication -------------------------------------------------------------------------------------
def remove_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in _replicating_targets(ctx):
        if ctx.what_if:
            continue
        output = vm_replication_object(host, vm, rel)
        # Only this side goes: the other host keeps its side, and a replica VM stays as a plain VM.
        del host.replication.relationships[vm.vm_id]
        if ctx.passthru:
            ctx.write_output(output)


# ---- initial replication --------------------------------------------------------------------------------------
def start_vminitial_replication(ctx: CmdletContext) -> None:
    bound = ctx.bound
    for host, vm, rel in _replicating_targets(ctx):
        if rel.mode != 'Primary' or rel.state != 'ReadyForInitialReplication' or rel.scheduled_start_at is not None:
            if ctx.bound.get('VMName') and not any(_is_pattern(name) for name in ctx.bound.get('VMName')):
                _fail(ctx, 'state', f"Initial replication cannot be started for virtual machine '{vm.name}' in state {rel.state}: "
                                    'it must be a primary virtual machine ready for initial replication.', vm.name)
            continue
        method = 'Network'
        if bound.get('DestinationPath'):
            method = 'Export'
            if not _PATH.match(bound.get('DestinationPath')):
                _fail(ctx, 'argument', f"'{bound.get('DestinationPath')}' is not a valid export location.", bound.get('DestinationPath'))
                continue
        if bound.switch('UseBackup'):
            _unused1, _unused2, side = model.counterpart(host.world, host, rel)
            if side is None or not side.prepared_as_replica:
                _fail(ctx, 'state', f"Initial replication from a backup needs the Replica virtual machine of '{vm.name}' to be "
                                    'prepared first with Enable-VMReplication -AsReplica on the Replica server.', vm.name)
                continue
            method = 'Backup'
        scheduled = None
        if bound.get('InitialReplicationStartTime') is not None:
            scheduled = _schedule(ctx, bound.get('InitialReplicationStartTime'), 'InitialReplicationStartTime')
            if scheduled is None:
                continue
        if ctx.what_if:
            continue
        rel.export_path = bound.get('DestinationPath')
        if scheduled is not None:
            rel.scheduled_start_at, rel.initial_method = scheduled, method
        else:
            model.begin_initial_replication(rel, _clock(ctx), method)
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


def stop_vminitial_replication(ctx: CmdletContext) -> None:
    for host, vm, rel in _replicating_targets(ctx):
        if rel.mode == 'Primary' and rel.state == 'WaitingForInitialReplication':
            _fail(ctx, 'state', f"The initial replication of virtual machine '{vm.name}' was exported to external media and can no "
                                'longer be stopped.', vm.name)
            continue
        running = rel.mode == 'Primary' and rel.state == 'InitialReplicationInProgress'
        scheduled = rel.mode == 'Primary' and rel.scheduled_start_at is not None
        if not (running or scheduled):
            _fail(ctx, 'state', f"No initial replication is in progress for virtual machine '{vm.name}' (state {rel.state}).", vm.name)
            continue
        if ctx.what_if:
            continue
        rel.state, rel.scheduled_start_at, rel.operation_ends_at = 'ReadyForInitialReplication', None, None
        rel.initial_method = rel.export_path = None
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


# ---- suspend / resume -----------------------------------------------------------------------------------------
def suspend_vmreplication(ctx: CmdletContext) -> None:
    for host, vm, rel in _replicating_targets(ctx):
        if rel.state in ('Suspended', 'ResynchronizeSuspended'):
            pass
        elif rel.state == 'Replicating':
            if not ctx.what_if:
                rel.state = 'Suspended'
        elif rel.state == 'Resynchronizing':
            if not ctx.what_if:
                rel.state, rel.operation_ends_at = 'ResynchronizeSuspended', None
        else:
            _fail(ctx, 'state', f"Replication of virtual machine '{vm.name}' cannot be suspended in state {rel.state}.", vm.name)
            continue
        if ctx.passthru and not ctx.what_if:
            ctx.write_output(vm_replication_object(host, vm, rel))


def resume_vmreplication(ctx: CmdletContext) -> None:
    bound = ctx.bound
    resync = bound.switch('Resynchronize') or bound.get('ResynchronizeStartTime') is not None
    for host, vm, rel in _replicating_targets(ctx):
        if not _resume_one(ctx, host, vm, rel, resync):
            continue
        if ctx.passthru and not ctx.what_if:
            ctx.write_output(vm_replication_object(host, vm, rel))


def _resume_one(ctx: CmdletContext, host, vm, rel: model.Relationship, resync: bool) -> bool:
    now = _clock(ctx)
    if rel.state == 'WaitingForStartResynchronize' and not resync:
        _fail(ctx, 'state', f"Virtual machine '{vm.name}' needs resynchronization: resume replication with -Resynchronize.", vm.name)
        return False
    if rel.state not in ('Suspended', 'Error', 'WaitingForStartResynchronize', 'ResynchronizeSuspended') \
            and not (resync and rel.state == 'Replicating'):
        _fail(ctx, 'state', f"Replication of virtual machine '{vm.name}' cannot be resumed in state {rel.state}: resume applies "
                            'to suspended replication, replication in error, or replication that needs resynchronization.', vm.name)
        return False
    start_at = None
    if bound_time := ctx.bound.get('ResynchronizeStartTime'):
        start_at = _schedule(ctx, bound_time, 'ResynchronizeStartTime')
        if start_at is None:
            return False
    if ctx.what_if:
        return True
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
    thumbprint = _thumbprint(bound.get('CertificateThumbprint'))
    if auth == 'Certificate' and not thumbprint:
        _fail(ctx, 'argument', 'Certificate-based authentication requires a certificate: specify CertificateThumbprint.',
              'CertificateThumbprint')
        return
    for host in ctx.local_targets():
        result = model.connect(host.world, host, bound.get('ReplicaServerName'), bound.get('ReplicaServerPort'), auth, thumbprint)
        if result.problem is not None:
            _connection_failed(ctx, '', result.problem, bound.get('ReplicaServerName'))
            continue
        # OUTPUTS says None; the connection test reports success as this line of text.
        ctx.write_output('The connection to the specified Replica server with the specified parameters was successful.')


# ---- failover -------------------------------------------------------------------------------------------------
def _failover_targets(ctx: CmdletContext) -> list[tuple]:
    """(host, vm, rel, recovery point name or None) for Start-VMFailover's sets."""
    snapshot = ctx.bound.get('VMRecoverySnapshot')
    if snapshot is None:
        return [(host, vm, rel, None) for host, vm, rel in _replicating_targets(ctx)]
    vm = model.find_vm_by_id(ctx.host, snapshot.properties.get('VMId'))
    rel = ctx.host.replication.relationships.get(vm.vm_id) if vm else None
    if rel is None:
        _fail(ctx, 'missing', f"The recovery point '{snapshot.properties.get('Name')}' does not belong to a Replica virtual machine "
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
        _fail(ctx, 'state', f"A planned failover cannot be prepared for virtual machine '{vm.name}' in state {rel.state} "
                            f'(mode {rel.mode}): run Start-VMFailover -Prepare on the primary server of a replicating virtual '
                            'machine.', vm.name)
        return None
    if vm.state != 'Off':
        _fail(ctx, 'state', f"The virtual machine '{vm.name}' must be turned off before a planned failover can be prepared "
                            f'(current state: {vm.state}).', vm.name)
        return None
    clockwork = model.ReplicationClockwork(host.world)
    problem = clockwork.cycle_problem(host, vm, rel)
    if problem is not None:
        _fail(ctx, 'state', f"Hyper-V could not send the pending changes of virtual machine '{vm.name}' to the Replica server: "
                            f'{model.FAULT_KINDS[problem].detail}', vm.name)
        return None
    if ctx.what_if:
        return None
    clockwork.deliver(host, vm, rel, _clock(ctx), vm.data_version, model.BYTES_PER_CHANGE)
    rel.state, rel.next_cycle_at = 'PreparedForFailover', None
    return vm


def _recovery_point(ctx: CmdletContext, vm, rel: model.Relationship, point_name: str | None):
    if not rel.recovery_points:
        _fail(ctx, 'state', f"Virtual machine '{vm.name}' has no recovery point: initial replication has not completed.", vm.name)
        return None
    if point_name is None:
        return rel.recovery_points[-1]
    point = next((point for point in rel.recovery_points if point.name == point_name), None)
    if point is None:
        _fail(ctx, 'missing', f"The recovery point '{point_name}' of virtual machine '{vm.name}' no longer exists.", point_name)
    return point


def _failover(ctx: CmdletContext, vm, rel: model.Relationship, point_name: str | None):
    if rel.mode != 'Replica':
        _fail(ctx, 'state', f"Virtual machine '{vm.name}' is a {rel.mode} virtual machine: run Start-VMFailover on the Replica "
                            'server, or Start-VMFailover -Prepare on the primary server for a planned failover.', vm.name)
        return None
    if rel.state in model.FAILOVER_STATES or rel.state == 'WaitingForInitialReplication':
        _fail(ctx, 'state', f"Virtual machine '{vm.name}' cannot fail over in state {rel.state}.", vm.name)
        return None
    point = _recovery_point(ctx, vm, rel, point_name)
    if point is None or ctx.what_if:
        return None
    rel.failover_undo = {'state': rel.state, 'data_version': vm.data_version}
    vm.data_version = point.data_version
    rel.state = 'FailedOverWaitingCompletion'
    return vm


def _test_failover(ctx: CmdletContext, host, vm, rel: model.Relationship, point_name: str | None):
    from hvlab.world import VirtualMachine  # pylint: disable=import-outside-toplevel  # world imports the engine
    if rel.mode != 'Replica':
        _fail(ctx, 'state', f"A test failover runs on the Replica server: '{vm.name}' is a {rel.mode} virtual machine.", vm.name)
        return None
    if rel.test_vm_id is not None and model.find_vm_by_id(host, rel.test_vm_id) is not None:
        _fail(ctx, 'state', f"A test failover is already in progress for virtual machine '{vm.name}': remove it with "
                            'Stop-VMFailover first.', vm.name)
        return None
    point = _recovery_point(ctx, vm, rel, point_name)
    if point is None or ctx.what_if:
        return None
    test_vm = VirtualMachine(name=f'{vm.name} - Test', vm_id=str(uuid.uuid4()), state='Off', version=vm.version,
                             generation=vm.generation, processor_count=vm.processor_count, memory_startup=vm.memory_startup,
                             path=vm.path, disks=list(vm.disks), data_version=point.data_version)
    host.vms.append(test_vm)
    host.replication.relationships[test_vm.vm_id] = model.Relationship(
        vm_id=test_vm.vm_id, mode='TestReplica', state='FiredrillInProgress', primary_server=rel.primary_server,
        replica_server=rel.replica_server, replica_port=rel.replica_port, authentication_type=rel.authentication_type)
    rel.test_vm_id = test_vm.vm_id
    return test_vm


def complete_vmfailover(ctx: CmdletContext) -> None:
    for host, vm, rel in _replicating_targets(ctx):
        if rel.state != 'FailedOverWaitingCompletion':
            _fail(ctx, 'state', f"No failover waits for completion on virtual machine '{vm.name}' (state {rel.state}).", vm.name)
            continue
        if ctx.what_if:
            continue
        # Committing discards every other recovery point; the failover can no longer be cancelled.
        rel.state, rel.failover_undo, rel.recovery_points = 'FailedOver', None, []
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


def stop_vmfailover(ctx: CmdletContext) -> None:
    for host, vm, rel in _replicating_targets(ctx):
        if not _stop_one(ctx, host, vm, rel) or ctx.what_if:
            continue
        if ctx.passthru:
            ctx.write_output(vm_with_replication(host, vm))


def _stop_one(ctx: CmdletContext, host, vm, rel: model.Relationship) -> bool:
    if rel.state == 'FailedOver':
        _fail(ctx, 'state', f"The failover of virtual machine '{vm.name}' was completed and can no longer be cancelled.", vm.name)
        return False
    if rel.mode == 'Primary' and rel.state == 'PreparedForFailover':
        if not ctx.what_if:
            rel.state = 'Replicating'
            rel.next_cycle_at = _clock(ctx) + datetime.timedelta(seconds=rel.frequency_sec)
        return True
    if rel.mode == 'Replica' and rel.state == 'FailedOverWaitingCompletion':
        if not ctx.what_if:
            vm.state = 'Off'                 # a running failed-over VM is turned off, not shut down
            vm.data_version = rel.failover_undo['data_version']
            rel.state, rel.failover_undo = rel.failover_undo['state'], None
        return True
    test_owner = rel if rel.mode == 'Replica' else next(
        (other for other in host.replication.relationships.values() if other.test_vm_id == vm.vm_id), None)
    if test_owner is not None and test_owner.test_vm_id is not None:
        if not ctx.what_if:
            host.vms = [item for item in host.vms if item.vm_id != test_owner.test_vm_id]
            host.replication.relationships.pop(test_owner.test_vm_id, None)
            test_owner.test_vm_id = None
        return True
    _fail(ctx, 'state', f"No failover is in progress for virtual machine '{vm.name}' (state {rel.state}).", vm.name)
    return False


CMDLETS = {
    'Get-VMReplicationServer': get_vmreplication_server,
    'Set-VMReplicationServer': set_vmreplication_server,
    'Get-VMReplicationAuthorizationEntry': get_vmreplication_authorization_entry,
    'New-VMReplicationAuthorizationEntry': new_vmreplication_authorization_entry,
    'Set-VMReplicationAuthorizationEntry': set_vmreplication_authorization_entry,
    'Remove-VMReplicationAuthorizationEntry': remove_vmreplication_authorization_entry,
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
    'Start-VMFailover': start_vmfailover,
    'Complete-VMFailover': complete_vmfailover,
    'Stop-VMFailover': stop_vmfailover,
}
