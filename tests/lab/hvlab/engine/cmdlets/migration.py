"""Compare-VM and Move-VM: live migration between lab hosts, enforcing the rules Hyper-V enforces.

Both cmdlets run on the SOURCE host's session; -DestinationHost names another lab host by short name,
FQDN or any of its addresses. A move meets the rules in the order Hyper-V meets them; the first one
that fails ends the attempt with an error record (FullyQualifiedErrorId ``OperationFailed,...MoveVM``,
category NotSpecified, VirtualizationException, as Windows writes them):

1. Source: live migration enabled (Enable-VMMigration).
2. Connection: the destination's migration service listens only when Hyper-V runs and live migration is
   enabled there; otherwise the connection is refused (0x8007274D). It listens on every address of the
   host when UseAnyNetworkForMigration is set, else only on the host's addresses that fall inside one of
   its migration networks (Get-VMMigrationNetwork); no such address = refused. The source connects from a
   NIC on the same subnet as one of those addresses (SimHost.network_addresses); when it has none the
   connection times out (0x8007274C).
3. Authentication type: both hosts must use the same VirtualMachineMigrationAuthenticationType; the
   destination rejects the other protocol (0x80090302).
4. CredSSP: the source can present the user's credentials only when the user signed in to the source
   with CredSSP (Identity.auth == 'credssp'). Any other session - the lab transport offers basic and
   NTLM - fails with the 0x8009030E "No credentials are available in the security package" error the
   procedure quotes.
5. Kerberos: both hosts in the same domain; the world's directory (World.configure_directory) is read
   on every attempt. The source computer account must be allowed to delegate, either classic constrained
   delegation (msDS-AllowedToDelegateTo holds "Microsoft Virtual System Migration Service/<destination
   as written in -DestinationHost>", plus "cifs/<destination>" when storage moves or the source's
   performance option is SMB; and, because the session reached the source with NTLM/basic rather than
   Kerberos, "use any authentication protocol" = TRUSTED_TO_AUTH_FOR_DELEGATION), or resource-based
   delegation (the destination account's msDS-AllowedToActOnBehalfOfOtherIdentity grants the source's
   SID). Classic delegation must be in AD now and in the source's cached SYSTEM tickets (a change is seen only
   after ``klist -li 0x3e7 purge`` on the source or after the tickets' 10 hours). Missing delegation fails
   with 0x8009030E and "Failed to authenticate the connection at the source host: no suitable credentials
   available."; a missing destination account with 0x80090303;
   no directory configured or a DC that does not answer with 0x80090311 "No authority could be
   contacted for authentication."
6. Compatibility (Compare-VM's Incompatibilities): the destination supports the VM's configuration
   version (Get-VMHostSupportedVersion); a running, paused or saved VM only between hosts of one processor manufacturer,
   and between processor models (SimHost.processor_model) only with CompatibilityForMigrationEnabled (Get-VMProcessor);
   every switch the VM's network adapters are connected to exists on the destination (Get-VMSwitch; 33012 "Could not find Ethernet
   switch '<name>'." with the adapter as Source, per Compare-VM's page); no VM with the same Id on the destination; without
   -IncludeStorage / -Vhds every VM file must be on shared storage (an SMB path), as Move-VM's page
   assumes. Move-VM writes the messages as an error record and, as its page documents, outputs the
   VMCompatibilityReport.
7. Concurrency: a move counts against MaximumVirtualMachineMigrations of both hosts (incoming and
   outgoing together), a move with storage also against MaximumStorageMigrations. Like Hyper-V, which
   queues live migrations beyond the limit instead of refusing them, a move beyond a limit waits (the
   session's command blocks) until a slot is free on both ends, then transfers.
8. Memory (a running VM): the destination allocates the VM's assigned memory when the transfer starts (the "skeleton VM"
   is created with its memory before any page is copied); when the destination's available memory (SimHost.available_memory:
   capacity less the running VMs and the incoming moves already transferring) is smaller, the move fails at the destination
   with 0x8007000E. A VM that is off needs no memory to move. Compare-VM does not report it (it checks the configuration, not
   the destination's load): the conservative reading, no source says Compare-VM looks at free memory.
9. Transfer: the VM stays on the source, listed in World.active_migrations as 'migrating', for
   World.migration_seconds (default 0.2 s; the world lock is released meanwhile so other sessions keep
   working), then moves to the destination; with storage its files move to -DestinationStoragePath
   (or per -Vhds / -VirtualMachinePath). A VM already queued or migrating cannot be moved again.
   Every move that reached rule 7 is kept in World.migration_history (queued / started / finished times, result), so tests
   and the benchmark count the moves in flight on each host (control endpoint GET /migrations).

The report's VM is Compare-VM's copy of the VM, planned on the destination (decompiled MoveVM: MoveTo(report) migrates the report's
planned VM, whose Server is the destination): Connect-VMNetworkAdapter on an incompatibility's Source changes that copy, and
Move-VM -CompatibilityReport (the report piped or given) moves the VM of this host with the report's Id to the report's destination
with the report's storage plan, checking rules 1-9 again with the copy's switches; the moved VM's adapters keep the copy's switches.
Remoting hands the report back at depth 1, so the fix and the move run in one pipeline on the host: Compare-VM -OutVariable, then
Get-Variable (hvlab.engine.executor keeps the variables of one execute() call).

Compare-VM checks 1-5 the same way (it asks the destination over the same authenticated connection, so
those failures are error records, not incompatibilities) and returns the report of 6. It never moves.
The HRESULT texts are Windows' FormatMessage texts; where Windows adds a Hyper-V specific sentence the
lab's wording is modelled on the VMMS events (20306 and its neighbours) and says which rule failed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import ntpath
import time
from dataclasses import dataclass, field

from hvlab.model.directory import DirectoryError
from hvlab.engine.context import CmdletContext
from hvlab.engine.cmdlets.network_adapter import PlannedAdapter, adapter_object
from hvlab.engine.objects import HV, enum, netbios_name, reference_object, vm_object
from hvlab.engine.values import LabObject

MIGRATION_SERVICE = 'Microsoft Virtual System Migration Service'
_QUEUE_LIMIT_SECONDS = 120.0

# Windows error texts (FormatMessage) of the HRESULTs a failed move reports.
E_CONNECTION_REFUSED = 'No connection could be made because the target machine actively refused it. (0x8007274D)'
E_TIMED_OUT = ('A connection attempt failed because the connected party did not properly respond after a period of time, or '
               'established connection failed because connected host has failed to respond. (0x8007274C)')
E_HOST_UNKNOWN = 'No such host is known. (0x80072AF9)'
E_UNSUPPORTED = 'The function requested is not supported (0x80090302).'
E_NO_CREDENTIALS = 'No credentials are available in the security package (0x8009030E).'
E_TARGET_UNKNOWN = 'The specified target is unknown or unreachable (0x80090303).'
E_NO_AUTHORITY = 'No authority could be contacted for authentication. (0x80090311)'
E_OUT_OF_MEMORY = 'Not enough memory resources are available to complete this operation. (0x8007000E)'

# Incompatibility message ids of the lab's report (VMCompatibilityError.MessageId).
MSG_VERSION_UNSUPPORTED = 24002
MSG_ID_EXISTS = 21016
MSG_STORAGE_NOT_SHARED = 40010
MSG_PROCESSOR_FEATURES = 24004
MSG_PROCESSOR_MANUFACTURER = 24006
# Compare-VM's page (example 2): a network adapter connected to a switch the host does not have.
MSG_SWITCH_NOT_FOUND = 33012
# VM states that keep the processor state a move carries over (Microsoft: running or saved VMs, not VMs that are shut down).
PROCESSOR_STATE_KEPT = ('Running', 'Paused', 'Saved')


class MigrationFailure(Exception):
    """A move ends with one error record; ``message`` is the record's text."""

    def __init__(self, message: str, error_id: str = 'OperationFailed', category: str = 'NotSpecified'):
        super().__init__(message)
        self.message = message
        self.error_id = error_id
        self.category = category


@dataclass
class ActiveMigration:
    """One move known to the world: queued (waiting for slots) or migrating (transferring)."""

    vm_id: str
    vm_name: str
    source: str
    destination: str
    with_storage: bool
    state: str = 'queued'
    started: float | None = None
    memory_bytes: int = 0           # reserved on the destination while transferring (a running VM's assigned memory)
    moves_vm: bool = True           # False for a storage-only move (Move-VMStorage): it counts against storage migrations only
    queued: float = field(default_factory=time.monotonic)
    finished: float | None = None
    result: str | None = None

    def to_state(self) -> dict:
        return {'vm_id': self.vm_id, 'vm_name': self.vm_name, 'source': self.source, 'destination': self.destination,
                'with_storage': self.with_storage, 'moves_vm': self.moves_vm, 'state': self.state, 'memory_bytes': self.memory_bytes,
                'queued': self.queued, 'started': self.started, 'finished': self.finished, 'result': self.result}


@dataclass
class StoragePlan:
    """Where the VM's files go: nothing moves, one folder for all, or per-file placement (-Vhds)."""

    moves: bool = False
    folder: str | None = None
    vm_path: str | None = None
    snapshot_path: str | None = None
    smart_paging_path: str | None = None
    vhds: dict[str, str] = field(default_factory=dict)


@dataclass
class MoveRequest:
    """What the command asked: the VM on this host, the destination as written and where the storage goes."""

    source: object
    vm: object
    destination: object
    destination_text: str
    storage: StoragePlan
    # The switch of each adapter (adapter id -> switch name) after the move: a compatibility report's planned VM's (Move-VM
    # -CompatibilityReport); None = the VM's own adapters' switches.
    planned_switches: dict | None = None

    def switch_of(self, adapter) -> str | None:
        return adapter.switch_name if self.planned_switches is None else self.planned_switches.get(adapter.adapter_id, adapter.switch_name)

    def failed_at_destination(self, *details: str) -> MigrationFailure:
        lines = [f"Virtual machine migration operation for '{self.vm.name}' failed at migration destination "
                 f"'{netbios_name(self.destination)}'. (Virtual machine ID {self.vm.vm_id.upper()})", *details]
        return MigrationFailure('\n'.join(lines))

    def failed_at_source(self, *details: str) -> MigrationFailure:
        lines = [f"Virtual machine migration operation for '{self.vm.name}' failed at migration source "
                 f"'{netbios_name(self.source)}'. (Virtual machine ID {self.vm.vm_id.upper()})", *details]
        return MigrationFailure('\n'.join(lines))

    def connection_failed(self, reason: str, *details: str) -> MigrationFailure:
        return self.failed_at_source(f"Failed to establish a connection with host '{self.destination_text}': {reason}", *details)


# ---- resolving the command ------------------------------------------------------------------------
def _not_modelled(ctx: CmdletContext, what: str) -> None:
    ctx.write_error('HvLab.NotImplemented', f'{ctx.signature.name} {what} is documented but not modelled by the lab.',
                    'NotImplemented', exception_type='System.NotImplementedException')


def _unsupported_shape(ctx: CmdletContext) -> bool:
    """Parameter sets and switches the lab does not model: an honest error instead of a wrong answer."""
    if ctx.bound.switch('AsJob'):
        _not_modelled(ctx, '-AsJob')
        return True
    if 'DestinationCimSession' in ctx.bound:
        ctx.write_error('HvLab.CimSessionNotSupported', 'The lab does not model CIM sessions; use -DestinationHost to name the '
                                                        'destination.', 'NotImplemented', exception_type='System.NotSupportedException')
        return True
    if ctx.bound.parameter_set in ('Register', 'Copy') or (ctx.bound.parameter_set == 'CompatibilityReport' and ctx.signature.name != 'Move-VM'):
        _not_modelled(ctx, f'parameter set {ctx.bound.parameter_set}')
        return True
    return False


def _find_vm(ctx: CmdletContext, host):
    vm_object_in = ctx.bound.get('VM')
    if vm_object_in is not None:
        wanted = str(vm_object_in.properties.get('Id') or vm_object_in.properties.get('VMId') or '')
        found = next((vm for vm in host.vms if vm.vm_id == wanted.lower()), None)
        if found is None:
            ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual machine with id "{wanted}".',
                            'InvalidArgument', target=wanted)
        return found
    name = ctx.bound.get('Name')
    found = next((vm for vm in host.vms if vm.name.lower() == name.lower()), None)
    if found is None:
        ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual machine with name "{name}".',
                        'InvalidArgument', target=name)
    return found


def storage_plan(ctx: CmdletContext, vm) -> StoragePlan:
    """The storage part of the request; raises MigrationFailure(InvalidParameter) for malformed -Vhds."""
    vhds = ctx.bound.get('Vhds')
    vm_path = ctx.bound.get('VirtualMachinePath')
    snapshot_path, smart_paging_path = ctx.bound.get('SnapshotFilePath'), ctx.bound.get('SmartPagingFilePath')
    if ctx.bound.switch('IncludeStorage'):
        return StoragePlan(moves=True, folder=ctx.bound.get('DestinationStoragePath'))
    if ctx.bound.get('DestinationStoragePath') is not None:
        raise MigrationFailure('The DestinationStoragePath parameter can be used only together with the IncludeStorage parameter.',
                               'InvalidParameter', 'InvalidArgument')
    if not vhds and vm_path is None and snapshot_path is None and smart_paging_path is None:
        return StoragePlan()
    placement = {}
    disk_paths = {disk.path.lower(): disk.path for disk in vm.disks}
    for entry in vhds or []:
        keys = {str(key).lower(): value for key, value in entry.items()}
        source, destination = keys.get('sourcefilepath'), keys.get('destinationfilepath')
        if not source or not destination:
            raise MigrationFailure('Each hashtable in Vhds must contain the keys SourceFilePath and DestinationFilePath.',
                                   'InvalidParameter', 'InvalidArgument')
        if str(source).lower() not in disk_paths:
            raise MigrationFailure(f"The virtual hard disk '{source}' is not attached to the virtual machine '{vm.name}'.",
                                   'InvalidParameter', 'InvalidArgument')
        if ntpath.basename(str(source)).lower() != ntpath.basename(str(destination)).lower():
            raise MigrationFailure(f"The file name of the destination path '{destination}' must be the same as the file name of the "
                                   f"source path '{source}'.", 'InvalidParameter', 'InvalidArgument')
        placement[disk_paths[str(source).lower()]] = str(destination)
    return StoragePlan(moves=True, vm_path=vm_path, snapshot_path=snapshot_path, smart_paging_path=smart_paging_path, vhds=placement)


def _find_destination(ctx: CmdletContext, text: str):
    world = ctx.host.world
    return world.get_host_by_name(text) or world.get_host_by_network_address(text)


def _resolve(ctx: CmdletContext) -> MoveRequest | None:
    """The request, or None after writing the error that ends the command."""
    if _unsupported_shape(ctx):
        return None
    if ctx.bound.parameter_set == 'CompatibilityReport':
        return _resolve_report(ctx)
    targets = ctx.local_targets()
    if not targets:
        return None
    source = targets[0]
    vm = _find_vm(ctx, source)
    if vm is None:
        return None
    text = ctx.bound.get('DestinationHost')
    destination = _find_destination(ctx, text)
    try:
        storage = storage_plan(ctx, vm)
    except MigrationFailure as failure:
        ctx.write_error(failure.error_id, failure.message, failure.category)
        return None
    request = MoveRequest(source, vm, destination, text, storage)
    if destination is None:
        _write_failure(ctx, request.connection_failed(E_HOST_UNKNOWN))
        return None
    if destination is source:
        _write_failure(ctx, request.failed_at_source(
            f"The destination host '{text}' is the host the virtual machine runs on; a virtual machine cannot be migrated to "
            'its own host.'))
        return None
    return request


@dataclass
class PlannedVM:
    """What a compatibility report stands for (its LabObject.backing): the request Compare-VM checked and the planned VM's adapters."""

    request: MoveRequest
    adapters: list = field(default_factory=list)


def _resolve_report(ctx: CmdletContext) -> MoveRequest | None:
    """Move-VM -CompatibilityReport: the VM of this host with the report VM's Id (decompiled MoveVM), to the report's destination."""
    report = ctx.bound.get('CompatibilityReport')
    planned = getattr(report, 'backing', None)
    if not isinstance(planned, PlannedVM):
        # A report that crossed remoting is a deserialized property bag: the binder cannot make a VMCompatibilityReport of it.
        ctx.write_error('CannotConvertArgumentNoMessage', 'Cannot bind parameter \'CompatibilityReport\': the value is not a '
                                                          'Microsoft.HyperV.PowerShell.VMCompatibilityReport.', 'InvalidArgument')
        return None
    vm_id = planned.request.vm.vm_id
    vm = next((candidate for candidate in ctx.host.vms if candidate.vm_id == vm_id), None)
    if vm is None:
        ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual machine with id "{vm_id}".', 'InvalidArgument', target=vm_id)
        return None
    origin = planned.request
    return MoveRequest(ctx.host, vm, origin.destination, origin.destination_text, origin.storage,
                       planned_switches={adapter.adapter_id: adapter.switch_name for adapter in planned.adapters})


def _write_failure(ctx: CmdletContext, failure: MigrationFailure, target: str | None = None) -> None:
    ctx.write_error(failure.error_id, failure.message, failure.category, target=target)


# ---- rules 1-5: reaching and authenticating to the destination --------------------------------------
def _accepting_addresses(host) -> list:
    """The destination's addresses its migration service listens on (rule 2)."""
    interfaces = [ipaddress.ip_interface(entry) for entry in host.network_addresses]
    if host.migration.use_any_network:
        return interfaces
    networks = [ipaddress.ip_network(network.subnet, strict=False) for network in host.migration_networks]
    return [interface for interface in interfaces if any(interface.ip in network for network in networks)]


def _source_reaches(source, accepting: list) -> bool:
    own = [ipaddress.ip_interface(entry) for entry in source.network_addresses]
    return any(address.ip in interface.network for address in accepting for interface in own)


class ConnectionRules:
    """Rules 1-5 for one request, as the source's migration service meets them."""

    def __init__(self, ctx: CmdletContext, request: MoveRequest):
        self.identity = ctx.identity
        self.request = request
        self.source = request.source
        self.destination = request.destination

    def check(self) -> None:
        """Raise MigrationFailure for the first rule the request breaks."""
        self._source_enabled()
        self._destination_listens()
        self._same_authentication_type()
        if self.source.migration.authentication_type == 'CredSSP':
            self._credssp()
        else:
            self._kerberos()

    def _source_enabled(self) -> None:
        if not self.source.migration.enabled:
            raise self.request.failed_at_source(
                f"Virtual machine migration is not enabled on host '{netbios_name(self.source)}': incoming and outgoing live "
                'migrations are disabled (Enable-VMMigration).')

    def _destination_listens(self) -> None:
        destination = self.destination
        if not destination.hyperv_installed or not destination.migration.enabled:
            raise self.request.connection_failed(E_CONNECTION_REFUSED)
        accepting = _accepting_addresses(destination)
        if not accepting:
            raise self.request.connection_failed(E_CONNECTION_REFUSED)
        if not _source_reaches(self.source, accepting):
            raise self.request.connection_failed(E_TIMED_OUT)

    def _same_authentication_type(self) -> None:
        ours, theirs = self.source.migration.authentication_type, self.destination.migration.authentication_type
        if ours != theirs:
            raise self.request.connection_failed(
                E_UNSUPPORTED, 'The Virtual Machine Management Service failed to authenticate the connection for a Virtual Machine '
                               f"migration at the destination host '{netbios_name(self.destination)}': it accepts {theirs} "
                               f'authentication and the source host uses {ours}.')

    def _credssp(self) -> None:
        if self.identity.auth.lower() != 'credssp':
            raise self.request.connection_failed(E_NO_CREDENTIALS)

    def _kerberos(self) -> None:
        source, destination = self.source, self.destination
        if not source.domain or source.domain.lower() != (destination.domain or '').lower():
            raise self.request.connection_failed(E_NO_AUTHORITY)
        directory = source.world.directory
        if directory is None:
            raise self.request.connection_failed(
                E_NO_AUTHORITY, f"No domain controller is reachable for domain '{source.domain}' (the lab world has no directory "
                                'configured: World.configure_directory).')
        try:
            source_account = directory.computer(source.name)
            destination_account = directory.computer(destination.name)
        except DirectoryError as error:
            raise self.request.connection_failed(E_NO_AUTHORITY, f"The domain controller for '{source.domain}' did not answer: "
                                                                 f'{error}') from error
        if source_account is None:
            raise self.request.connection_failed(E_NO_CREDENTIALS, f"The computer account '{source.name.upper()}$' does not exist "
                                                                   f"in domain '{source.domain}'.")
        if destination_account is None:
            raise self.request.connection_failed(E_TARGET_UNKNOWN)
        if destination_account.allows_to_act(source_account.sid):
            return          # resource-based constrained delegation covers every service of the destination account
        # The source authenticates with its SYSTEM session's tickets: a delegation written after they were issued is not seen
        # until they are purged (klist -li 0x3e7 purge) or expire (hvlab.model.directory.SystemTicketCache).
        accounts = (source_account, source.system_tickets.tickets_for(source_account, source.world.replication_clock))
        missing = [spn for spn in self.required_spns() if not all(account.delegates_to(spn) for account in accounts)]
        transition_missing = self.identity.auth.lower() != 'kerberos' and not all(account.protocol_transition for account in accounts)
        if missing or transition_missing:
            raise self.request.connection_failed(
                E_NO_CREDENTIALS, 'The Virtual Machine Management Service failed to authenticate the connection for a Virtual '
                                  'Machine migration at the source host: no suitable credentials available.')

    def required_spns(self) -> list[str]:
        """The services the source must be allowed to delegate to, for the destination name as written."""
        spns = [f'{MIGRATION_SERVICE}/{self.request.destination_text}']
        if self.request.storage.moves or self.source.migration.performance_option == 'SMB':
            spns.append(f'cifs/{self.request.destination_text}')
        return spns


# ---- rule 6: compatibility ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Incompatibility:
    """One entry of a compatibility report's Incompatibilities (VMCompatibilityError); adapter: the network adapter it is about
    (its Source), else the VM is."""

    message: str
    message_id: int
    adapter: object = None


def _is_shared(path: str) -> bool:
    return path.startswith('\\\\')


def incompatibilities(request: MoveRequest) -> list[Incompatibility]:
    vm, destination = request.vm, request.destination
    found = []
    if vm.version not in destination.supported_vm_versions:
        found.append(Incompatibility(
            f"The virtual machine '{vm.name}' is using configuration version {vm.version}, which is not supported by the destination "
            f"host '{netbios_name(destination)}'. Supported versions: {', '.join(destination.supported_vm_versions)}.",
            MSG_VERSION_UNSUPPORTED))
    found += _processor_incompatibilities(request)
    found += _switch_incompatibilities(request)
    if any(other.vm_id == vm.vm_id for other in destination.vms):
        found.append(Incompatibility(
            f"A virtual machine with the identifier '{vm.vm_id.upper()}' already exists on host '{netbios_name(destination)}'.",
            MSG_ID_EXISTS))
    if not request.storage.moves:
        for path in [vm.path] + [disk.path for disk in vm.disks]:
            if not _is_shared(path):
                found.append(Incompatibility(
                    f"The file '{path}' is not accessible from host '{netbios_name(destination)}': moving a virtual machine without "
                    'its storage requires its files on shared storage (an SMB share). Use -IncludeStorage or -Vhds to move the '
                    'storage too.', MSG_STORAGE_NOT_SHARED))
    return found


def _processor_incompatibilities(request: MoveRequest) -> list[Incompatibility]:
    """A running, paused or saved VM keeps its processor state: it moves only to a host of the same processor manufacturer, and to
    another processor model only with processor compatibility for migration (Get-VMProcessor CompatibilityForMigrationEnabled). A VM
    that is off enumerates the destination's processor when it starts, so nothing is checked."""
    vm, source, destination = request.vm, request.source, request.destination
    if vm.state not in PROCESSOR_STATE_KEPT:
        return []
    if source.processor_manufacturer != destination.processor_manufacturer:
        return [Incompatibility(
            f"The virtual machine '{vm.name}' cannot be moved to host '{netbios_name(destination)}': its processor manufacturer "
            f"({destination.processor_manufacturer}) differs from this host's ({source.processor_manufacturer}). Processor compatibility "
            'does not span manufacturers: shut the virtual machine down to move it.', MSG_PROCESSOR_MANUFACTURER)]
    if source.processor_model != destination.processor_model and not vm.processor_compatibility:
        return [Incompatibility(
            f"Virtual machine '{vm.name}' is using processor-specific features not supported on host '{netbios_name(destination)}'. "
            'Turn on processor compatibility for migration (Set-VMProcessor -CompatibilityForMigrationEnabled) while the virtual '
            'machine is off to move it to a host with another processor model.', MSG_PROCESSOR_FEATURES)]
    return []


def _switch_incompatibilities(request: MoveRequest) -> list[Incompatibility]:
    """Each adapter connected to a switch the destination does not have (a disconnected adapter needs none)."""
    return [Incompatibility(f"Could not find Ethernet switch '{request.switch_of(adapter)}'.", MSG_SWITCH_NOT_FOUND, adapter)
            for adapter in request.vm.network_adapters
            if request.switch_of(adapter) is not None and request.destination.switch_named(request.switch_of(adapter)) is None]


def compatibility_report(request: MoveRequest, found: list[Incompatibility]) -> LabObject:
    source_vm = vm_object(request.source, request.vm)
    planned = PlannedVM(request, [dataclasses.replace(adapter, switch_name=request.switch_of(adapter)) for adapter in request.vm.network_adapters])
    errors = [reference_object(f'{HV}.VMCompatibilityError', {'Message': item.message, 'MessageId': item.message_id,
                                                              'Source': _source_of(item, planned, source_vm)},
                               f'{HV}.VMCompatibilityError')
              for item in found]
    operation = 'MoveVirtualMachineAndStorage' if request.storage.moves else 'MoveVirtualMachine'
    properties = {
        'VM': source_vm,
        'OperationType': enum(f'{HV}.OperationType', operation),
        'Destination': request.destination_text,
        'Path': request.vm.path,
        'VhdDestinationPath': request.storage.folder,
        'Incompatibilities': errors,
    }
    report = reference_object(f'{HV}.VMCompatibilityReport', properties, f'{HV}.VMCompatibilityReport')
    report.backing = planned
    return report


def _source_of(item: Incompatibility, planned: PlannedVM, source_vm: LabObject) -> LabObject:
    """An incompatibility's Source: the planned VM's copy of the adapter it is about (changing it changes the report), else the VM.
    The copy's SwitchName stays the missing switch's name: no source says what Hyper-V shows there (unsettled)."""
    if item.adapter is None:
        return source_vm
    copy = next(adapter for adapter in planned.adapters if adapter.adapter_id == item.adapter.adapter_id)
    source = adapter_object(planned.request.destination, planned.request.vm, copy)
    source.backing = PlannedAdapter(planned.request.destination, planned.request.vm, copy)
    return source


# ---- rules 7-8: slots, transfer, commit ------------------------------------------------------------------
class Transfer:
    """Queues a checked move until both hosts have a free slot, waits the transfer time, moves the VM."""

    def __init__(self, request: MoveRequest):
        self.request = request
        self.world = request.source.world
        running = request.vm.state == 'Running'
        self.record = ActiveMigration(request.vm.vm_id, request.vm.name, request.source.name, request.destination.name,
                                      request.storage.moves, memory_bytes=request.vm.memory_startup if running else 0)

    def run(self) -> None:
        if any(active.vm_id == self.request.vm.vm_id for active in self.world.active_migrations):
            raise self.request.failed_at_source(f"The virtual machine '{self.request.vm.name}' is already being migrated.")
        self.world.active_migrations.append(self.record)
        self.world.migration_history.append(self.record)
        self.record.result = 'failed'
        try:
            self._wait_for_slots()
            self._reserve_memory()
            self.record.state, self.record.started = 'migrating', time.monotonic()
            self._wait(self.world.migration_seconds)
            self._commit()
            self.record.result = 'moved'
        finally:
            self.record.finished = time.monotonic()
            self.world.active_migrations.remove(self.record)
            self.world.migration_changed.notify_all()

    def _reserve_memory(self) -> None:
        """Rule 8: the destination must hold the running VM's memory besides what it runs and receives already."""
        destination = self.request.destination
        if self.record.memory_bytes > destination.available_memory():
            raise self.request.failed_at_destination(
                f"'{self.request.vm.name}' could not initialize memory: {E_OUT_OF_MEMORY}",
                f"The destination host '{netbios_name(destination)}' has {destination.available_memory() // 1024 ** 2} MB available; "
                f'the virtual machine needs {self.record.memory_bytes // 1024 ** 2} MB.')

    def _migrating_on(self, host, storage_only: bool) -> int:
        return sum(1 for active in self.world.active_migrations
                   if active.state == 'migrating' and host.name in (active.source, active.destination)
                   and (active.with_storage if storage_only else active.moves_vm))

    def _slots_free(self) -> bool:
        for host in (self.request.source, self.request.destination):
            if self._migrating_on(host, False) >= host.migration.maximum_vm_migrations:
                return False
            if self.record.with_storage and self._migrating_on(host, True) >= host.migration.maximum_storage_migrations:
                return False
        return True

    def _wait_for_slots(self) -> None:
        deadline = time.monotonic() + _QUEUE_LIMIT_SECONDS
        while not self._slots_free():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self.request.failed_at_source('The migration was queued and no migration slot became free in time.')
            self.world.migration_changed.wait(remaining)

    def _wait(self, seconds: float) -> None:
        # Condition.wait releases the world lock (whatever its recursion depth) so other sessions run meanwhile.
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            self.world.migration_changed.wait(remaining)

    def _commit(self) -> None:
        request = self.request
        if request.vm not in request.source.vms:
            raise request.failed_at_source(f"The virtual machine '{request.vm.name}' was removed during the migration.")
        relocate_storage(request.vm, request.storage)
        for adapter in request.vm.network_adapters:
            adapter.switch_name = request.switch_of(adapter)
        request.source.vms.remove(request.vm)
        request.destination.vms.append(request.vm)


def relocate_storage(vm, storage: StoragePlan) -> None:
    """The VM's files where the plan puts them: one folder for the configuration, checkpoints, smart paging file and every disk
    (by its file name), or each item where it is given."""
    if storage.folder is not None:
        vm.path = vm.snapshot_path = vm.smart_paging_path = storage.folder
        for disk in vm.disks:
            disk.path = ntpath.join(storage.folder, ntpath.basename(disk.path))
    if storage.vm_path is not None:
        # The checkpoint and smart paging folders that followed the VM's folder stay where they were.
        vm.snapshot_path, vm.smart_paging_path = vm.checkpoint_folder, vm.smart_paging_folder
        vm.path = storage.vm_path
    if storage.snapshot_path is not None:
        vm.snapshot_path = storage.snapshot_path
    if storage.smart_paging_path is not None:
        vm.smart_paging_path = storage.smart_paging_path
    for disk in vm.disks:
        disk.path = storage.vhds.get(disk.path, disk.path)


# ---- the cmdlets -------------------------------------------------------------------------------------------
def compare_vm(ctx: CmdletContext) -> None:
    # Compare-VM declares SupportsShouldProcess and asks first (decompiled CompareVM): resolving the VM and the destination
    # and the check itself run after it, so with -WhatIf it resolves, compares and reports nothing.
    vm_in = ctx.bound.get('VM')
    named = ctx.bound.get('Name') if vm_in is None else str(vm_in.properties.get('Name') or '')
    if not ctx.should_process(named):
        return
    request = _resolve(ctx)
    if request is None:
        return
    try:
        ConnectionRules(ctx, request).check()
    except MigrationFailure as failure:
        _write_failure(ctx, failure, target=request.destination_text)
        return
    ctx.write_output(compatibility_report(request, incompatibilities(request)))


def move_vm(ctx: CmdletContext) -> None:
    request = _resolve(ctx)
    # Not settled where Move-VM asks: the lab asks once the request is resolved, before it contacts the destination.
    if request is None or not ctx.should_process(request.vm.name):
        return
    try:
        ConnectionRules(ctx, request).check()
        found = incompatibilities(request)
        if found:
            ctx.write_output(compatibility_report(request, found))
            raise request.failed_at_source(*(item.message for item in found))
        Transfer(request).run()
    except MigrationFailure as failure:
        _write_failure(ctx, failure, target=request.destination_text)
        return
    if ctx.passthru:
        ctx.write_output(vm_object(request.destination, request.vm))


# Get-VM -Id <guid> | Compare-VM / Move-VM: the piped VirtualMachine binds to -VM (ValueFromPipeline, cmdlets.json); a piped
# compatibility report binds to Move-VM's -CompatibilityReport.
VM_OBJECT_INPUT = ('Compare-VM', 'Move-VM')
OBJECT_INPUT = {'Move-VM': {f'{HV}.VMCompatibilityReport': 'CompatibilityReport'}}

CMDLETS = {
    'Compare-VM': compare_vm,
    'Move-VM': move_vm,
}
