"""Hyper-V Replica in the simulated estate: relationships, their state machine and time passing.

World-side data and rules only; the cmdlets in hvlab.engine.cmdlets (replica_server, replication, failover) turn them into
PowerShell objects and error records. Nothing here holds a reference to a host or the world, so
SimHost.patch can deep-copy and roll back these objects.

Sources: Microsoft's cmdlet pages (hvlab/cmdlets.json, NOTES.md), "Enable Hyper-V Replica on a single host"
(listener firewall rules, default ports 80/443) and the Site Recovery architecture page (retry classes,
resynchronization when the change log grows past half the disk, failover/failback).

Lab conventions (not stated by Microsoft, chosen so tests are deterministic):
- Replication time is a simulated clock (World.replication_clock) that moves only when asked
  (World.advance_replication) or, when World.replication_speed > 0, in step with wall-clock time.
- A VM's data is a counter (VirtualMachine.data_version); replicating copies it, failover brings a copy online.
- ReplicationFrequencySec: the pages document a plain Int32. The lab accepts any value > 0 and uses it as the
  cycle period (real hosts are known to accept only 30/300/900, which is not documented on those pages).
- An enabled listener firewall rule opens the listener whatever port it is configured on.
"""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hvlab.model.firewall import listener_open

if TYPE_CHECKING:
    from hvlab.model.world import SimHost, VirtualMachine, World

# ---- documented enums (Get-VMReplication / Measure-VMReplication accepted values, in enum order) ------------
REPLICATION_STATES = ('Disabled', 'ReadyForInitialReplication', 'InitialReplicationInProgress', 'WaitingForInitialReplication',
                      'Replicating', 'PreparedForFailover', 'FailedOverWaitingCompletion', 'FailedOver', 'Suspended', 'Error',
                      'WaitingForStartResynchronize', 'Resynchronizing', 'ResynchronizeSuspended', 'RecoveryInProgress',
                      'FailbackInProgress', 'FailbackComplete', 'WaitingForUpdateCompletion', 'UpdateError',
                      'WaitingForRepurposeCompletion', 'PreparedForSyncReplication', 'PreparedForGroupReverseReplication',
                      'FiredrillInProgress')
REPLICATION_HEALTH = ('NotApplicable', 'Normal', 'Warning', 'Critical')
REPLICATION_MODES = ('None', 'Primary', 'Replica', 'TestReplica', 'ExtendedReplica')
REPLICATION_AUTH_TYPES = ('Kerberos', 'Certificate')
FAILOVER_STATES = ('FailedOverWaitingCompletion', 'FailedOver')

# Hyper-V's own defaults for a new relationship (Enable-VMReplication without the optional parameters).
DEFAULT_FREQUENCY_SEC = 300
DEFAULT_AUTO_RESYNC_START = 18 * 3600 + 30 * 60      # 18:30
DEFAULT_AUTO_RESYNC_END = 6 * 3600                   # 06:00
MAX_RECOVERY_HISTORY = 24
MAX_SCHEDULE_AHEAD = datetime.timedelta(days=7)

# Lab durations and sizes (simulated seconds / bytes).
INITIAL_REPLICATION_SECONDS = 120.0
RESYNCHRONIZATION_SECONDS = 60.0
RECOVERY_POINT_INTERVAL = 3600.0
BYTES_PER_CHANGE = 4 * 1024 ** 2
# Lab convention (the lab's virtual disks have no size): every replicated virtual hard disk file holds this many bytes, the
# amount an initial replication copies per disk.
VHD_FILE_BYTES = 8 * 1024 ** 3


def utc(value: datetime.datetime) -> datetime.datetime:
    """Naive datetimes from clients are taken as UTC, the lab clock's zone."""
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


# ---- faults: the Site Recovery page's retry classes ----------------------------------------------------------
@dataclass(frozen=True)
class FaultKind:
    """A replication error condition and how Hyper-V treats it."""

    name: str
    handling: str        # 'retried' (network, disk, memory) | 'administrator' | 'resynchronize'
    detail: str


FAULT_KINDS = {fault.name: fault for fault in (
    FaultKind('network', 'retried', 'A network error prevented sending the replication log to the Replica server.'),
    FaultKind('disk_space', 'retried', 'There is not enough free disk space to store the replication log.'),
    FaultKind('memory', 'retried', 'There is not enough memory to process the replication.'),
    FaultKind('vhd_chain', 'administrator', 'The virtual hard disk chain of the Replica virtual machine is broken.'),
    FaultKind('invalid_replica_state', 'administrator', 'The Replica virtual machine is in a state that does not accept replication.'),
    FaultKind('authentication', 'administrator', 'The primary server could not authenticate with the Replica server.'),
    FaultKind('authorization', 'administrator', 'The primary server is not authorized to replicate to the Replica server.'),
    FaultKind('vm_not_found', 'administrator', 'The Replica virtual machine was not found on the Replica server.'),
    FaultKind('resync_required', 'resynchronize',
              'The replication log grew past half the size of the virtual disk: the virtual machine needs resynchronization.'),
)}


# ---- authorization entries -----------------------------------------------------------------------------------
def valid_primary_server_pattern(text: str) -> bool:
    """An FQDN, or '*.' followed by a domain (a wildcard only as the first label, per New-VMReplicationAuthorizationEntry)."""
    labels = text.strip().split('.')
    if len(labels) < 2:
        return False
    if labels[0] == '*':
        labels = labels[1:]
    return all(label and label != '*' and all(char.isalnum() or char == '-' for char in label) for label in labels)


def pattern_matches(pattern: str, fqdn: str) -> bool:
    return fnmatch.fnmatchcase(fqdn.lower(), pattern.lower()) if pattern.startswith('*.') else pattern.lower() == fqdn.lower()


def authorization_for(replica: SimHost, primary_fqdn: str) -> dict | None:
    """How the Replica server accepts a primary: {'storage', 'trust_group'} or None when not authorized.

    Allow-any uses the default storage location and trust group DEFAULT (Set-VMReplicationServer page).
    An exact entry wins over a wildcard entry.
    """
    settings = replica.replica_server
    if settings.allow_any_server:
        return {'storage': settings.default_storage_location, 'trust_group': 'DEFAULT'}
    entries = [entry for entry in settings.authorization_entries if pattern_matches(entry['allowed_primary_server'], primary_fqdn)]
    entries.sort(key=lambda entry: entry['allowed_primary_server'].startswith('*'))
    if not entries:
        return None
    return {'storage': entries[0]['replica_storage_location'], 'trust_group': entries[0]['trust_group']}


# ---- certificates --------------------------------------------------------------------------------------------
def lab_certificate_thumbprint(fqdn: str) -> str:
    """The thumbprint of the Replica-capable machine certificate every lab host holds in LocalMachine\\My."""
    return hashlib.sha1(f'hvlab-replica-certificate:{fqdn.lower()}'.encode()).hexdigest().upper()


# ---- finding things ------------------------------------------------------------------------------------------
def resolve_host(world: World, name: str) -> SimHost | None:
    """The host a server name designates: short name, FQDN or address (what DNS would answer in the lab)."""
    if not name:
        return None
    text = name.strip()
    return world.get_host_by_name(text) or world.get_host_by_address(text)


def find_vm(host: SimHost, name: str) -> VirtualMachine | None:
    return next((vm for vm in host.vms if vm.name.lower() == name.lower()), None)


def find_vm_by_id(host: SimHost, vm_id: str) -> VirtualMachine | None:
    return next((vm for vm in host.vms if vm.vm_id == vm_id), None)


def counterpart(world: World, host: SimHost, relationship: Relationship):
    """(host, VM, relationship) at the other end: the replica of a primary, the primary of a replica; Nones when gone."""
    other = resolve_host(world, relationship.replica_server if relationship.mode == 'Primary' else relationship.primary_server)
    if other is None or other is host:
        return None, None, None
    vm = find_vm_by_id(other, relationship.vm_id)
    side = other.replication.relationships.get(relationship.vm_id) if vm is not None else None
    return other, (vm if side is not None else None), side


# ---- connecting primary -> Replica server --------------------------------------------------------------------
# Hyper-V reports a failed replication job through ExceptionHelper (decompiled module): a VMMS job that failed maps to
# OperationFailed / NotSpecified, and no mapping produces the categories AuthenticationError or ConnectionError. What tells
# the causes apart is the Windows error code in the message (VMMS's own texts quote it, as event 29210 does for a failed
# authentication, 0x80090303). Not settled: the exact texts, and whether VMMS reports a refused authorization as an access
# denied job (which Hyper-V would map to AccessDenied / PermissionDenied); the lab keeps NotSpecified and quotes 0x80070005.
JOB_FAILED = 'NotSpecified'


@dataclass(frozen=True)
class ConnectionProblem:
    """Why a primary cannot replicate to a Replica server: fault kind (retry class), error category, message."""

    fault: str
    category: str
    message: str


_VERIFY = ('Verify that the specified server is enabled as a Replica server, allows requests from the primary server, and the '
           'specified port for the authentication type is configured correctly.')


def _cannot_connect(name: str, error: str) -> str:
    return f"Hyper-V cannot connect to the specified Replica server '{name}'. Error: {error}. {_VERIFY}"


@dataclass
class ConnectionResult:
    """The outcome of contacting a Replica server: the host reached and how it authorized us, or the problem."""

    replica: SimHost | None = None
    authorization: dict | None = None
    problem: ConnectionProblem | None = None


def connect(world: World, primary: SimHost, server_name: str, port: int, auth: str, thumbprint: str | None) -> ConnectionResult:
    """What the primary's replication client meets on the network, in the order it meets it."""
    replica = resolve_host(world, server_name)
    if replica is None:
        return ConnectionResult(problem=ConnectionProblem('network', JOB_FAILED, _cannot_connect(
            server_name, 'The server name or address could not be resolved (0x00002EE7)')))
    if replica is primary:
        return ConnectionResult(problem=ConnectionProblem('invalid_replica_state', 'InvalidArgument',
                                                          f"The Replica server '{server_name}' is this computer: the primary server "
                                                          'and the Replica server must be different computers.'))
    settings = replica.replica_server
    listeners = {}
    if replica.hyperv_installed and settings.enabled:
        if settings.allowed_authentication_type in ('Kerberos', 'CertificateAndKerberos'):
            listeners[settings.kerberos_port] = 'Kerberos'
        if settings.allowed_authentication_type in ('Certificate', 'CertificateAndKerberos'):
            listeners.setdefault(settings.certificate_port, 'Certificate')
    listener = listeners.get(port)
    if listener is None:
        return ConnectionResult(problem=ConnectionProblem('network', JOB_FAILED, _cannot_connect(
            server_name, 'A connection with the server could not be established (0x00002EFD)')))
    if not listener_open(replica.firewall_rules, listener):
        # Windows Firewall drops the packets: the client waits and times out.
        return ConnectionResult(problem=ConnectionProblem('network', JOB_FAILED, _cannot_connect(
            server_name, 'The operation timed out (0x00002EE2)')))
    if listener != auth:
        return ConnectionResult(problem=ConnectionProblem(
            'authentication', JOB_FAILED,
            f"Hyper-V failed to authenticate the Replica server '{server_name}' using {auth} authentication. Error: The function "
            f'requested is not supported (0x80090302). Port {port} is its {listener} listener; allowed authentication type on '
            f'the Replica server: {settings.allowed_authentication_type}.'))
    problem = _authenticate(primary, replica, server_name, auth, thumbprint)
    if problem is not None:
        return ConnectionResult(problem=problem)
    authorization = authorization_for(replica, primary.fqdn)
    if authorization is None:
        return ConnectionResult(problem=ConnectionProblem(
            'authorization', JOB_FAILED,
            f"The Replica server '{server_name}' is not configured to receive replication from the primary server "
            f"'{primary.fqdn}': no authorization entry matches it and replication from any authenticated server is not "
            'allowed. Access is denied. (0x80070005)'))
    return ConnectionResult(replica=replica, authorization=authorization)


def _authenticate(primary: SimHost, replica: SimHost, server_name: str, auth: str, thumbprint: str | None):
    if auth == 'Kerberos':
        if primary.domain is None or replica.domain is None or primary.domain.lower() != replica.domain.lower():
            return ConnectionProblem('authentication', JOB_FAILED,
                                     f"Hyper-V failed to authenticate the Replica server '{server_name}' using Kerberos "
                                     'authentication. Error: The specified target is unknown or unreachable (0x80090303). The '
                                     'primary and Replica servers must belong to the same or trusted Active Directory domains; use '
                                     'certificate-based authentication otherwise.')
        return None
    if not thumbprint or thumbprint.upper() not in primary.replication.certificates:
        return ConnectionProblem('authentication', JOB_FAILED,
                                 f"Hyper-V failed to authenticate the Replica server '{server_name}' using Certificate "
                                 f"authentication. Error: Cannot find object or property (0x80092004): the certificate with "
                                 f"thumbprint '{thumbprint}' is not in the LocalMachine\\My store of the primary server "
                                 f"'{primary.fqdn}' or does not meet the requirements of Hyper-V Replica.")
    if not replica.replica_server.certificate_thumbprint:
        return ConnectionProblem('authentication', JOB_FAILED,
                                 f"Hyper-V failed to authenticate the Replica server '{server_name}' using Certificate "
                                 'authentication. Error: Cannot find object or property (0x80092004): the Replica server has no '
                                 'certificate configured for certificate-based authentication.')
    return None


# ---- relationships -------------------------------------------------------------------------------------------
@dataclass
class RecoveryPoint:
    """A point the replica can be failed over to (a replica-side checkpoint of the VM's data)."""

    name: str
    created: datetime.datetime
    data_version: int
    guest_network: list = field(default_factory=list)      # the guest OS's addresses at that point (VirtualMachine.guest_network)

    def to_state(self) -> dict:
        return {'name': self.name, 'created': self.created.isoformat(), 'data_version': self.data_version,
                'guest_network': [list(addresses) for addresses in self.guest_network]}


@dataclass
class Statistics:
    """Counters of the monitoring window (Measure-VMReplication)."""

    successful: int = 0
    missed: int = 0
    errors: int = 0
    bytes_total: int = 0
    max_bytes: int = 0
    latency_total: float = 0.0
    window_start: datetime.datetime | None = None


@dataclass
class Relationship:
    """One VM's side of a Hyper-V Replica relationship, as the host holding that VM sees it."""

    vm_id: str
    mode: str                               # Primary | Replica | TestReplica
    state: str
    primary_server: str
    replica_server: str
    replica_port: int
    authentication_type: str
    certificate_thumbprint: str | None = None
    health: str = 'Normal'
    frequency_sec: int = DEFAULT_FREQUENCY_SEC
    recovery_history: int = 0
    vss_frequency_hour: int = 0
    compression: bool = True
    bypass_proxy: bool = False
    replicate_host_kvp: bool = True
    write_order_preservation: bool = False
    auto_resynchronize: bool = True
    auto_resync_start: float = DEFAULT_AUTO_RESYNC_START
    auto_resync_end: float = DEFAULT_AUTO_RESYNC_END
    excluded_disks: list[str] = field(default_factory=list)
    trust_group: str | None = None
    allowed_primary_server: str | None = None
    storage_location: str | None = None
    last_replication_time: datetime.datetime | None = None
    # pending work on the clock
    next_cycle_at: datetime.datetime | None = None
    scheduled_start_at: datetime.datetime | None = None
    operation_ends_at: datetime.datetime | None = None
    initial_method: str | None = None       # Network | Export | Backup
    export_path: str | None = None
    exported_version: int | None = None
    resync_start_at: datetime.datetime | None = None
    # trouble
    fault: str | None = None
    health_messages: list[str] = field(default_factory=list)
    # replica side
    recovery_points: list[RecoveryPoint] = field(default_factory=list)
    prepared_as_replica: bool = False
    failover_undo: dict | None = None       # what Stop-VMFailover restores
    test_vm_id: str | None = None
    statistics: Statistics = field(default_factory=Statistics)

    def to_state(self, vm_name: str) -> dict:
        data = {key: value for key, value in vars(self).items() if key not in ('recovery_points', 'statistics')}
        for key, value in data.items():
            if isinstance(value, datetime.datetime):
                data[key] = value.isoformat()
        data['vm_name'] = vm_name
        data['recovery_points'] = [point.to_state() for point in self.recovery_points]
        data['statistics'] = {key: (value.isoformat() if isinstance(value, datetime.datetime) else value)
                              for key, value in vars(self.statistics).items()}
        return data


@dataclass
class HostReplication:
    """Per-host replication state: relationships by VM id and the machine certificates usable for HTTPS."""

    relationships: dict[str, Relationship] = field(default_factory=dict)
    certificates: list[str] = field(default_factory=list)

    def to_state(self, host: SimHost) -> dict:
        names = {vm.vm_id: vm.name for vm in host.vms}
        return {'certificates': list(self.certificates),
                'relationships': {names.get(vm_id, vm_id): rel.to_state(names.get(vm_id, vm_id))
                                  for vm_id, rel in self.relationships.items()}}

    def patch(self, host: SimHost, value: dict) -> None:
        """Tests break relationships with {'relationships': {vm name: {'fault': kind | None, 'state': ..., ...}}}."""
        unknown = set(value) - {'certificates', 'relationships'}
        if unknown:
            raise ValueError(f'unknown replication field(s): {", ".join(sorted(unknown))}')
        if 'certificates' in value:
            self.certificates = [str(item).upper() for item in value['certificates']]
        for vm_name, changes in value.get('relationships', {}).items():
            vm = find_vm(host, vm_name)
            relationship = self.relationships.get(vm.vm_id) if vm else None
            if relationship is None:
                raise ValueError(f'no replication relationship for VM {vm_name!r} on {host.name}')
            for key, item in changes.items():
                if key == 'fault':
                    set_fault(vm, relationship, item)
                elif key == 'state':
                    _require(key, item, REPLICATION_STATES)
                    relationship.state = item
                elif key == 'health':
                    _require(key, item, REPLICATION_HEALTH)
                    relationship.health = item
                elif key in ('frequency_sec', 'recovery_history'):
                    setattr(relationship, key, int(item))
                else:
                    raise ValueError(f'replication field {key!r} cannot be patched')


def _require(what: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f'{what} must be one of {", ".join(choices)}, not {value!r}')


def fault_message(vm_name: str, kind: FaultKind) -> str:
    if kind.handling == 'retried':
        return (f"Hyper-V could not replicate changes for virtual machine '{vm_name}': {kind.detail} Hyper-V will retry "
                'replication automatically.')
    if kind.handling == 'resynchronize':
        return f"Hyper-V suspended replication for virtual machine '{vm_name}': {kind.detail} Resume replication with resynchronization."
    return (f"Hyper-V stopped replication for virtual machine '{vm_name}': {kind.detail} Replication is not retried: an "
            'administrator must correct the problem and resume replication.')


def set_fault(vm: VirtualMachine, relationship: Relationship, kind_name: str | None) -> None:
    """Put a primary relationship into a documented error condition (or clear it, None) at once."""
    if kind_name is None:
        relationship.fault = None
        return
    _require('fault', kind_name, tuple(FAULT_KINDS))
    if relationship.mode != 'Primary':
        raise ValueError('faults are injected on the primary side of a relationship')
    relationship.fault = kind_name
    record_failure(vm, relationship, FAULT_KINDS[kind_name])


def record_failure(vm: VirtualMachine, relationship: Relationship, kind: FaultKind) -> None:
    """Apply a failed cycle: retried errors warn, administrator errors stop, a resync need waits for resync."""
    relationship.statistics.errors += 1
    relationship.health_messages = [fault_message(vm.name, kind)]
    if kind.handling == 'retried':
        relationship.statistics.missed += 1
        relationship.health = 'Warning'
    elif kind.handling == 'administrator':
        relationship.state, relationship.health = 'Error', 'Critical'
    else:
        relationship.state, relationship.health = 'WaitingForStartResynchronize', 'Critical'
        relationship.fault = None        # the condition is now the state; resynchronizing clears it


def new_recovery_point(vm_name: str, when: datetime.datetime, version: int, guest_network: list) -> RecoveryPoint:
    return RecoveryPoint(f"{vm_name} - Standard Replica - ({when.strftime('%m/%d/%Y - %H:%M:%S')})", when, version, guest_network)


def keep_recovery_points(relationship: Relationship) -> None:
    """The replica keeps the latest point plus RecoveryHistory additional ones."""
    limit = relationship.recovery_history + 1
    relationship.recovery_points = relationship.recovery_points[-limit:]


def in_window(now: datetime.datetime, start: float, end: float) -> bool:
    """Whether the time of day of ``now`` falls in [start, end), a window that may wrap midnight."""
    seconds = now.hour * 3600 + now.minute * 60 + now.second
    return start <= seconds < end if start <= end else seconds >= start or seconds < end


# ---- time passing --------------------------------------------------------------------------------------------
class ReplicationClockwork:
    """Moves every primary relationship of the world forward to a point in simulated time."""

    def __init__(self, world: World):
        self.world = world

    def advance_to(self, target: datetime.datetime) -> None:
        for host in self.world.hosts:
            for vm_id, relationship in list(host.replication.relationships.items()):
                vm = find_vm_by_id(host, vm_id)
                if vm is not None and relationship.mode == 'Primary':
                    self._run(host, vm, relationship, target)
        self.world.replication_clock = target

    def _next_event(self, relationship: Relationship) -> datetime.datetime | None:
        candidates = [relationship.scheduled_start_at, relationship.operation_ends_at, relationship.resync_start_at]
        if relationship.state in ('Replicating', 'WaitingForStartResynchronize'):
            candidates.append(relationship.next_cycle_at)
        candidates = [when for when in candidates if when is not None]
        return min(candidates) if candidates else None

    def _run(self, host: SimHost, vm: VirtualMachine, relationship: Relationship, target: datetime.datetime) -> None:
        while True:
            when = self._next_event(relationship)
            if when is None or when > target:
                return
            if relationship.scheduled_start_at is not None and when == relationship.scheduled_start_at:
                relationship.scheduled_start_at = None
                begin_initial_replication(relationship, when, relationship.initial_method or 'Network')
            elif relationship.operation_ends_at is not None and when == relationship.operation_ends_at:
                relationship.operation_ends_at = None
                self.finish_operation(host, vm, relationship, when)
            elif relationship.resync_start_at is not None and when == relationship.resync_start_at:
                relationship.resync_start_at = None
                begin_resynchronization(relationship, when)
            else:
                relationship.next_cycle_at = when + datetime.timedelta(seconds=relationship.frequency_sec)
                self.cycle(host, vm, relationship, when)

    # ---- operations that end after a while ----------------------------------------------------------------
    def finish_operation(self, host: SimHost, vm: VirtualMachine, relationship: Relationship, when: datetime.datetime) -> None:
        if relationship.state == 'InitialReplicationInProgress' and relationship.initial_method == 'Export':
            # The copy now sits at DestinationPath; the Replica server imports it (World.import_initial_replication).
            relationship.exported_version = vm.data_version
            relationship.state = 'WaitingForInitialReplication'
            return
        if relationship.state in ('InitialReplicationInProgress', 'Resynchronizing'):
            initial = relationship.state == 'InitialReplicationInProgress'
            self.deliver(host, vm, relationship, when, vm.data_version, 0 if initial else BYTES_PER_CHANGE, cycle=not initial)

    def deliver(self, host: SimHost, vm: VirtualMachine, relationship: Relationship, when: datetime.datetime,
                version: int, size: int, cycle: bool = True) -> None:
        """The replica now holds ``version`` of the data: both sides are Replicating and healthy.

        ``cycle``: a delta replication that counts in the statistics (not the initial copy).
        """
        _unused, replica_vm, replica_side = counterpart(self.world, host, relationship)
        relationship.state, relationship.health, relationship.health_messages = 'Replicating', 'Normal', []
        relationship.last_replication_time = when
        relationship.next_cycle_at = when + datetime.timedelta(seconds=relationship.frequency_sec)
        relationship.initial_method = None
        if cycle:
            relationship.statistics.successful += 1
            relationship.statistics.bytes_total += size
            relationship.statistics.max_bytes = max(relationship.statistics.max_bytes, size)
            relationship.statistics.latency_total += 2.0     # lab constant: two seconds per delta transfer
        if replica_side is None:
            return
        replica_vm.data_version = version
        # The guest's network configuration is on its disks: it replicates with the data.
        network = vm.guest_network()
        replica_vm.restore_guest_network(network)
        if replica_side.state not in FAILOVER_STATES:
            replica_side.state = 'Replicating'
        replica_side.health, replica_side.health_messages = 'Normal', []
        replica_side.last_replication_time = when
        points = replica_side.recovery_points
        if not points or (when - points[-1].created).total_seconds() >= RECOVERY_POINT_INTERVAL:
            points.append(new_recovery_point(replica_vm.name, when, version, network))
        else:
            points[-1] = RecoveryPoint(points[-1].name, points[-1].created, version, network)   # the latest point moves forward
        keep_recovery_points(replica_side)

    # ---- one replication cycle ------------------------------------------------------------------------------
    def cycle(self, host: SimHost, vm: VirtualMachine, relationship: Relationship, when: datetime.datetime) -> None:
        if relationship.state == 'WaitingForStartResynchronize':
            if relationship.auto_resynchronize and in_window(when, relationship.auto_resync_start, relationship.auto_resync_end):
                begin_resynchronization(relationship, when)
            return
        problem = self.cycle_problem(host, vm, relationship)
        if problem is not None:
            record_failure(vm, relationship, FAULT_KINDS[problem])
            if problem != 'resync_required' and relationship.state == 'Error':
                relationship.next_cycle_at = None
            return
        _unused, replica_vm, replica_side = counterpart(self.world, host, relationship)
        if replica_side.state == 'Suspended':
            return
        changes = max(vm.data_version - replica_vm.data_version, 0)
        self.deliver(host, vm, relationship, when, vm.data_version, changes * BYTES_PER_CHANGE)

    def cycle_problem(self, host: SimHost, vm: VirtualMachine, relationship: Relationship) -> str | None:
        if relationship.fault is not None:
            return relationship.fault
        result = connect(self.world, host, relationship.replica_server, relationship.replica_port,
                         relationship.authentication_type, relationship.certificate_thumbprint)
        if result.problem is not None:
            return result.problem.fault
        _unused1, _unused2, replica_side = counterpart(self.world, host, relationship)
        if replica_side is None:
            return 'vm_not_found'
        if replica_side.mode != 'Replica' or replica_side.state in FAILOVER_STATES:
            return 'invalid_replica_state'
        return None


def initial_replication_percent(relationship: Relationship, now: datetime.datetime) -> int | None:
    """How far the running initial copy is (0-100), or None when no initial copy is being sent.

    Measure-VMReplication reports it through PendingReplicationSize = InitialReplicationSize * (100 - percent) / 100 while the
    VM's "sending initial replica" task runs (decompiled Hyper-V module, VMReplicationHealth); the lab's copy advances evenly
    over its duration.
    """
    if relationship.state != 'InitialReplicationInProgress' or relationship.operation_ends_at is None:
        return None
    seconds = RESYNCHRONIZATION_SECONDS if relationship.initial_method == 'Backup' else INITIAL_REPLICATION_SECONDS
    remaining = (relationship.operation_ends_at - now).total_seconds()
    return max(0, min(100, int(100 * (seconds - remaining) / seconds)))


def begin_initial_replication(relationship: Relationship, now: datetime.datetime, method: str) -> None:
    relationship.state = 'InitialReplicationInProgress'
    relationship.initial_method = method
    seconds = RESYNCHRONIZATION_SECONDS if method == 'Backup' else INITIAL_REPLICATION_SECONDS
    relationship.operation_ends_at = now + datetime.timedelta(seconds=seconds)


def begin_resynchronization(relationship: Relationship, now: datetime.datetime) -> None:
    relationship.state, relationship.health = 'Resynchronizing', 'Warning'
    relationship.fault = None
    relationship.operation_ends_at = now + datetime.timedelta(seconds=RESYNCHRONIZATION_SECONDS)


# ---- world-level operations (World delegates here; control endpoint: World.replication_control) --------------
def advance(world: World, seconds: float) -> None:
    if seconds < 0:
        raise ValueError('replication time only moves forward')
    ReplicationClockwork(world).advance_to(world.replication_clock + datetime.timedelta(seconds=seconds))


def write_vm_data(world: World, host_name: str, vm_name: str, count: int = 1) -> int:
    """The VM's workload changes its disks ``count`` times; returns the new data version."""
    host = world.get_host_by_name(host_name)
    vm = find_vm(host, vm_name) if host else None
    if vm is None:
        raise ValueError(f'no VM {vm_name!r} on host {host_name!r}')
    vm.data_version += int(count)
    return vm.data_version


def import_initial_replication(world: World, host_name: str, vm_name: str) -> None:
    """The Replica server imports an exported initial copy (Import-InitialVMReplication's effect)."""
    host = world.get_host_by_name(host_name)
    vm = find_vm(host, vm_name) if host else None
    replica_side = host.replication.relationships.get(vm.vm_id) if vm else None
    if replica_side is None or replica_side.mode != 'Replica':
        raise ValueError(f'{vm_name!r} on {host_name!r} is not a Replica virtual machine')
    primary_host, primary_vm, primary_side = counterpart(world, host, replica_side)
    if primary_side is None or primary_side.state != 'WaitingForInitialReplication' or primary_side.exported_version is None:
        raise ValueError(f'no exported initial copy of {vm_name!r} waits for import')
    version = primary_side.exported_version
    primary_side.exported_version = None
    ReplicationClockwork(world).deliver(primary_host, primary_vm, primary_side, world.replication_clock, version, 0, cycle=False)


def inject_fault(world: World, host_name: str, vm_name: str, kind: str | None) -> None:
    host = world.get_host_by_name(host_name)
    if host is None:
        raise ValueError(f'no host {host_name!r}')
    host.replication.patch(host, {'relationships': {vm_name: {'fault': kind}}})


def control(world: World, body: dict) -> dict:
    """One control request; keys are applied in this order: speed, write, fault, import, advance_seconds.

    {"speed": 60}                                          simulated seconds per wall-clock second (0 = manual)
    {"write": {"host": "hv01", "vm": "hv01-web", "count": 1}}
    {"fault": {"host": "hv01", "vm": "hv01-web", "kind": "network" | ... | null}}
    {"import_initial_replication": {"host": "hv02", "vm": "hv01-web"}}
    {"advance_seconds": 300}
    Answers {"clock": ISO time, "speed": n}.
    """
    unknown = set(body) - {'speed', 'write', 'fault', 'import_initial_replication', 'advance_seconds'}
    if unknown:
        raise ValueError(f'unknown replication control field(s): {", ".join(sorted(unknown))}')
    if 'speed' in body:
        speed = float(body['speed'])
        if speed < 0:
            raise ValueError('speed must be >= 0')
        world.replication_speed = speed
    if 'write' in body:
        write_vm_data(world, body['write']['host'], body['write']['vm'], int(body['write'].get('count', 1)))
    if 'fault' in body:
        inject_fault(world, body['fault']['host'], body['fault']['vm'], body['fault'].get('kind'))
    if 'import_initial_replication' in body:
        import_initial_replication(world, body['import_initial_replication']['host'], body['import_initial_replication']['vm'])
    if 'advance_seconds' in body:
        advance(world, float(body['advance_seconds']))
    return {'clock': world.replication_clock.isoformat(), 'speed': world.replication_speed}
