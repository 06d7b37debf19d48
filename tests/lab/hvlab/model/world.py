"""The simulated estate: Hyper-V hosts, their settings and their virtual machines.

Only data and invariants live here; the cmdlets that read and change it are in ``hvlab.engine``.
Every public entry point takes the world's single lock, so the transport threads and the control
endpoint may call in at the same time.
"""

from __future__ import annotations

import copy
import datetime
import ipaddress
import threading
import time
import uuid
from dataclasses import dataclass, field

from hvlab.model.directory import Directory, DirectoryError, SystemTicketCache
from hvlab.model import firewall, programs, replication, vmm
from hvlab.engine.executor import Executor
from hvlab.engine.signatures import find_signature
from hvlab.engine.reference import (FEATURE_CATALOG, MIGRATION_AUTH_TYPES, MIGRATION_PERFORMANCE_OPTIONS, OS_RELEASES, REPLICA_AUTH_TYPES, VM_STATES,
                                    canonical_subnet, vm_version_key)


@dataclass
class VirtualDisk:
    """A virtual hard disk attached to a VM."""

    path: str
    controller_type: str = 'SCSI'
    controller_number: int = 0
    controller_location: int = 0

    def to_state(self) -> dict:
        return {'path': self.path, 'controller_type': self.controller_type,
                'controller_number': self.controller_number, 'controller_location': self.controller_location}


# The failover TCP/IP settings of an adapter (Set-VMNetworkAdapterFailoverConfiguration), as VMNetworkAdapterFailoverSetting names them.
FAILOVER_FIELDS = ('IPv4Address', 'IPv4SubnetMask', 'IPv4DefaultGateway', 'IPv4PreferredDNSServer', 'IPv4AlternateDNSServer',
                   'IPv6Address', 'IPv6SubnetPrefixLength', 'IPv6DefaultGateway', 'IPv6PreferredDNSServer', 'IPv6AlternateDNSServer')


# The kinds of virtual switch (VMSwitchType): External has a port on a physical NIC, Internal a port in the management OS.
SWITCH_TYPES = ('Private', 'Internal', 'External')


@dataclass
class VirtualSwitch:
    """A host's virtual switch (Get-VMSwitch). A VM's adapter names the switch it is connected to; a move needs a switch of that
    name on the destination (Compare-VM reports 33012 otherwise, hvlab.engine.cmdlets.migration)."""

    name: str = 'LAN'
    switch_type: str = 'External'
    switch_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def to_state(self) -> dict:
        return {'name': self.name, 'switch_type': self.switch_type, 'id': self.switch_id}


@dataclass
class NetworkAdapter:
    """A VM's synthetic network adapter: its switch, the switch a test failover VM connects it to, and the TCP/IP settings the
    guest gets after a failover (none set: the guest keeps the primary's)."""

    name: str = 'Network Adapter'
    adapter_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    switch_name: str | None = 'LAN'
    test_replica_switch_name: str | None = None
    failover: dict = field(default_factory=dict)
    # The addresses the guest OS has configured on this adapter: the guest's own, on the VM's disks (so replicated with its
    # data), changed by a failover that injects failover TCP/IP settings; reported by Hyper-V while the guest runs.
    guest_addresses: list = field(default_factory=list)

    def to_state(self) -> dict:
        return {'name': self.name, 'id': self.adapter_id, 'switch_name': self.switch_name,
                'test_replica_switch_name': self.test_replica_switch_name, 'failover': dict(self.failover),
                'guest_addresses': list(self.guest_addresses)}

    def copy(self, **changes) -> NetworkAdapter:
        fields = dict(name=self.name, switch_name=self.switch_name, test_replica_switch_name=self.test_replica_switch_name,
                      failover=dict(self.failover))
        fields.update(changes)
        return NetworkAdapter(**fields)


def _addresses(values) -> list[str]:
    """A guest's addresses as the tests give them (a value that is no IP address is refused)."""
    return [str(ipaddress.ip_address(address)) for address in values or []]


@dataclass
class VirtualMachine:
    """A VM registered on a host."""

    name: str
    vm_id: str
    state: str = 'Off'
    version: str = '10.0'
    generation: int = 2
    processor_count: int = 2
    processor_compatibility: bool = False
    memory_startup: int = 2 * 1024 ** 3
    path: str = ''
    # Where checkpoints and the smart paging file go (Get-VM SnapshotFileLocation, SmartPagingFilePath): '' is the VM's folder
    # (path), as New-VM -Path puts all three there; Move-VMStorage sets each.
    snapshot_path: str = ''
    smart_paging_path: str = ''
    disks: list[VirtualDisk] = field(default_factory=list)
    data_version: int = 0          # the VM's data: grows as the workload writes; Hyper-V Replica copies it
    # The guest OS: whether it answers the heartbeat integration service, and how long it takes to boot after Start-VM
    # (the heartbeat reports NoContact until then). Lab choices; Hyper-V documents only the heartbeat's values.
    guest_responding: bool = True
    boot_seconds: float = 0.0
    started_at: float | None = None
    network_adapters: list[NetworkAdapter] = field(default_factory=lambda: [NetworkAdapter()])

    def guest_network(self) -> list[list[str]]:
        """The guest OS's addresses, adapter by adapter in the VM's order (what replication copies with the data)."""
        return [list(adapter.guest_addresses) for adapter in self.network_adapters]

    def restore_guest_network(self, network: list[list[str]]) -> None:
        """The guest OS's addresses as ``guest_network`` read them on the VM whose data this VM now holds."""
        # Not strict: a point recorded before the lab kept guest addresses has none, and the lab does not model adapters
        # added or removed while a VM replicates.
        for adapter, addresses in zip(self.network_adapters, network, strict=False):
            adapter.guest_addresses = list(addresses)

    @property
    def checkpoint_folder(self) -> str:
        return self.snapshot_path or self.path

    @property
    def smart_paging_folder(self) -> str:
        return self.smart_paging_path or self.path

    def heartbeat(self) -> str:
        """VMHeartbeatStatus of a running VM."""
        booted = self.started_at is None or time.monotonic() - self.started_at >= self.boot_seconds
        return 'OkApplicationsUnknown' if self.guest_responding and booted else 'NoContact'

    def to_state(self) -> dict:
        return {'name': self.name, 'id': self.vm_id, 'state': self.state, 'version': self.version,
                'generation': self.generation, 'processor_count': self.processor_count,
                'processor_compatibility': self.processor_compatibility, 'memory_startup': self.memory_startup,
                'path': self.path, 'snapshot_path': self.snapshot_path, 'smart_paging_path': self.smart_paging_path,
                'disks': [disk.to_state() for disk in self.disks], 'data_version': self.data_version,
                'guest_responding': self.guest_responding, 'boot_seconds': self.boot_seconds,
                'network_adapters': [adapter.to_state() for adapter in self.network_adapters]}

    @classmethod
    def from_state(cls, data: dict) -> VirtualMachine:
        known = {'name', 'id', 'state', 'version', 'generation', 'processor_count', 'processor_compatibility',
                 'memory_startup', 'path', 'snapshot_path', 'smart_paging_path', 'disks', 'data_version', 'guest_responding', 'boot_seconds',
                 'network_adapters'}
        _reject_unknown('vm', data, known)
        vm = cls(name=data['name'], vm_id=str(uuid.UUID(str(data.get('id') or uuid.uuid4()))))
        vm.apply(data)
        return vm

    def apply(self, data: dict) -> None:
        """Change the given fields (partial update used by SimHost.patch)."""
        for key, value in data.items():
            if key == 'id':
                self.vm_id = str(uuid.UUID(str(value)))
            elif key == 'state':
                _require_choice('vm state', value, VM_STATES)
                self.state = value
            elif key == 'disks':
                self.disks = [VirtualDisk(**disk) for disk in value]
            elif key == 'network_adapters':
                self.network_adapters = [NetworkAdapter(name=item['name'], adapter_id=str(item.get('id') or uuid.uuid4()),
                                                        switch_name=item.get('switch_name'),
                                                        test_replica_switch_name=item.get('test_replica_switch_name'),
                                                        failover=dict(item.get('failover') or {}),
                                                        guest_addresses=_addresses(item.get('guest_addresses')))
                                         for item in value]
            elif key in ('generation', 'processor_count', 'memory_startup', 'data_version'):
                setattr(self, key, int(value))
            elif key in ('processor_compatibility', 'guest_responding'):
                setattr(self, key, bool(value))
            elif key == 'boot_seconds':
                self.boot_seconds = float(value)
            elif key in ('name', 'version', 'path', 'snapshot_path', 'smart_paging_path'):
                setattr(self, key, str(value))
            else:
                raise ValueError(f'unknown vm field {key!r}')


@dataclass
class MigrationNetwork:
    """One entry of the host's incoming live-migration network list (Get-VMMigrationNetwork)."""

    subnet: str
    priority: int = 0

    def to_state(self) -> dict:
        return {'subnet': self.subnet, 'priority': self.priority}


@dataclass
class MigrationSettings:
    """Live-migration settings as a fresh Windows Server 2012 R2+ host has them."""

    enabled: bool = False
    authentication_type: str = 'CredSSP'
    performance_option: str = 'Compression'
    maximum_vm_migrations: int = 2
    maximum_storage_migrations: int = 2
    use_any_network: bool = False


@dataclass
class HostSettings:
    """The remaining Set-VMHost settings (defaults of a fresh host)."""

    virtual_hard_disk_path: str = 'C:\\ProgramData\\Microsoft\\Windows\\Virtual Hard Disks'
    virtual_machine_path: str = 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'
    numa_spanning_enabled: bool = True
    enhanced_session_mode: bool = False
    mac_address_minimum: str = '00155D0A0A00'
    mac_address_maximum: str = '00155D0A0AFF'
    fibre_channel_wwnn: str = 'C003FF0000FFFF00'
    fibre_channel_wwpn_minimum: str = 'C003FFD8E7290000'
    fibre_channel_wwpn_maximum: str = 'C003FFD8E729FFFF'
    resource_metering_save_interval: float = 3600.0


@dataclass
class ReplicaServerSettings:
    """Hyper-V Replica server settings (Get-/Set-VMReplicationServer, hvlab.engine.cmdlets.replica_server).

    authorization_entries: dicts {'allowed_primary_server', 'replica_storage_location', 'trust_group'}.
    """

    enabled: bool = False
    allowed_authentication_type: str = 'Kerberos'
    kerberos_port: int = 80
    certificate_port: int = 443
    certificate_thumbprint: str | None = None
    allow_any_server: bool = True
    default_storage_location: str = 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'
    monitoring_interval: float = 12 * 3600.0
    monitoring_start_time: float = 15 * 3600.0
    authorization_entries: list[dict] = field(default_factory=list)


_SEEDED_FEATURES = ('Hyper-V', 'RSAT', 'RSAT-Role-Tools', 'RSAT-Hyper-V-Tools', 'Hyper-V-Tools', 'Hyper-V-PowerShell')


def _reject_unknown(what: str, data: dict, known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f'unknown {what} field(s): {", ".join(unknown)}')


def _require_choice(what: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f'{what} must be one of {", ".join(choices)}, not {value!r}')


_PATCHABLE = {'files', 'site_recovery', 'failing_commands', 'vmm', 'services',
              'domain', 'os_release', 'supported_vm_versions', 'default_vm_version', 'hyperv_installed', 'features',
              'logical_processors', 'processor_manufacturer', 'processor_model', 'memory_bytes', 'clustered', 'migration', 'migration_networks',
              'settings', 'vms', 'replica_server', 'network_addresses', 'firewall_rules', 'replication', 'system_tickets', 'switches'}


def canonical_interface(text: str) -> str:
    """A NIC address with its prefix ('192.168.10.1/24'); a bare address gets the full-length prefix."""
    return ipaddress.ip_interface(str(text).strip()).with_prefixlen


class SimHost:
    """One simulated Hyper-V host. Cmdlets run through ``execute``; tests read/break it via to_state/patch."""

    def __init__(self, world: World, name: str, address: str, domain: str | None, os_release: str = '2022'):
        self.world = world
        self.name = name
        self.address = address
        self.domain = domain
        # The workgroup a host not joined to a domain belongs to (Windows' default name).
        self.workgroup = 'WORKGROUP'
        self.os = OS_RELEASES[os_release]
        self.supported_vm_versions = list(self.os.supported_vm_versions)
        self.default_vm_version = self.os.default_vm_version
        self.logical_processors = 16
        # The host's processors: their manufacturer (CPUID vendor, as Win32_Processor.Manufacturer reports it) and model, the
        # lab's stand-in for the feature set a generation exposes. A running or saved VM moves only between hosts of one
        # manufacturer, and between models only with processor compatibility (Compare-VM, hvlab.engine.cmdlets.migration).
        self.processor_manufacturer = 'GenuineIntel'
        self.processor_model = 'Intel(R) Xeon(R) Gold 6230R CPU @ 2.10GHz'
        self.memory_bytes = 128 * 1024 ** 3
        self.clustered = False
        self.features = {feature: feature in _SEEDED_FEATURES for feature in FEATURE_CATALOG}
        # Fault injection: cmdlet name (lower case) -> how many more calls fail as a Hyper-V operation failure.
        self.failing_commands: dict[str, int] = {}
        self.migration = MigrationSettings()
        self.migration_networks: list[MigrationNetwork] = []
        self.settings = HostSettings()
        self.replica_server = ReplicaServerSettings()
        # Hyper-V Replica (hvlab.model.replication): predefined firewall rules, relationships, Replica-capable certificates.
        self.firewall_rules = firewall.default_firewall_rules()
        self.replication = replication.HostReplication(certificates=[replication.lab_certificate_thumbprint(self.fqdn)])
        self.vms: list[VirtualMachine] = []
        # The host's virtual switches: one external switch 'LAN' by default, the switch every lab VM's adapter is on.
        self.switches: list[VirtualSwitch] = [VirtualSwitch()]
        # The host's NIC addresses with prefixes: live migration connects only between networks both ends are on.
        self.network_addresses: list[str] = [canonical_interface(f'{address}/24')]
        # Files the lab's programs read and write (hvlab.model.programs): lower-case path -> content. Tests put the downloaded
        # installer and the vault credentials file here, where a playbook would copy them with win_copy.
        self.files: dict[str, str] = {}
        self.site_recovery = programs.SiteRecoveryHost()
        # The SYSTEM logon session's Kerberos tickets (hvlab.model.directory.SystemTicketCache): what Kerberos moves use.
        self.system_tickets = SystemTicketCache()
        # A VMM server (hvlab.model.vmm): set through the control endpoint on the lab machine that plays it.
        self.vmm: vmm.VmmServer | None = None

    # ---- identity -------------------------------------------------------------------------------
    @property
    def fqdn(self) -> str:
        """DNS name: short name + primary DNS suffix; a workgroup host has only its short name."""
        return f'{self.name}.{self.domain}' if self.domain else self.name

    @property
    def hyperv_installed(self) -> bool:
        return self.features['Hyper-V']

    def names_itself(self, computer_name: str) -> bool:
        """True when a -ComputerName value designates this host (name, FQDN, address, localhost, '.')."""
        wanted = computer_name.strip().lower()
        own = {self.name.lower(), self.fqdn.lower(), self.address, 'localhost', '.', '127.0.0.1', '::1'}
        return wanted in own

    # ---- commands -------------------------------------------------------------------------------
    def execute(self, statements, identity, variables=None):
        """Run statements (lists of piped Commands) as ``identity``; see hvlab.engine.Execution. variables: the session state to run
        in (what -OutVariable set), shared with other calls; a new one by default."""
        with self.world.lock:
            self.world.sync_replication_clock()
            return Executor(self, identity, variables=variables).run(statements)

    def run_program(self, line: str, skip_cmd_shell: bool) -> programs.ProgramOutcome:
        """A program started through WinRS (hvlab.model.programs); runs outside the world lock (registration calls Azure)."""
        return programs.Programs(self).run(line, skip_cmd_shell)

    # ---- files ----------------------------------------------------------------------------------
    def has_file(self, path: str) -> bool:
        with self.world.lock:
            return path.lower() in self.files

    def file_content(self, path: str) -> str | None:
        with self.world.lock:
            return self.files.get(path.lower())

    def put_file(self, path: str, content: str) -> None:
        with self.world.lock:
            self.files[path.lower()] = content

    def _patch_files(self, value) -> None:
        if not isinstance(value, dict):
            raise ValueError('files must be an object {path: content or null}')
        for path, content in value.items():
            if content is None:
                self.files.pop(path.lower(), None)
            else:
                self.files[path.lower()] = str(content)

    def _patch_vmm(self, value) -> None:
        if value is None:
            self.vmm = None
        elif self.vmm is None:
            self.vmm = vmm.VmmServer.from_state(value)
        else:
            self.vmm.apply(value)

    # ---- services (Get-Service / Stop-Service) ----------------------------------------------------
    def services(self) -> dict:
        """The Windows services of what is installed here: name -> {display_name, status, start_mode}."""
        with self.world.lock:
            found = {}
            if self.vmm is not None:
                # A highly available VMM's service is started by the cluster on the node that owns the role: manual start.
                found[vmm.VMM_SERVICE] = {'display_name': vmm.VMM_SERVICE_DISPLAY_NAME, 'status': self.vmm.service_status,
                                          'start_mode': 'Manual' if self.vmm.highly_available else 'Automatic'}
            found.update(self.site_recovery.services())
            return found

    def _patch_services(self, value) -> None:
        """Start or stop installed services ({name: {'status': 'Running' | 'Stopped'}}); what is installed decides which exist."""
        installed = self.services()
        for name, entry in dict(value).items():
            if name not in installed:
                raise ValueError(f'services: {name!r} is not installed on {self.name}')
            _reject_unknown('service', entry, {'status', 'display_name', 'start_mode'})
            for fixed in ('display_name', 'start_mode'):
                if fixed in entry and entry[fixed] != installed[name][fixed]:
                    raise ValueError(f'services: the {fixed} of {name} comes with what is installed')
            if 'status' in entry:
                _require_choice('service status', entry['status'], vmm.SERVICE_STATUSES)
                self.set_service_status(name, entry['status'])

    def set_service_status(self, name: str, status: str) -> None:
        with self.world.lock:
            if name == vmm.VMM_SERVICE and self.vmm is not None:
                self.vmm.service_status = status
            else:
                self.site_recovery.set_service_status(name, status)

    def _patch_site_recovery(self, value) -> None:
        _reject_unknown('site_recovery', value, {'products', 'registration', 'history'})
        self.site_recovery = programs.SiteRecoveryHost(products=dict(value.get('products') or {}), registration=value.get('registration'),
                                                       history=[dict(entry) for entry in value.get('history') or []])

    # ---- VMs ------------------------------------------------------------------------------------
    def add_vm(self, name: str, **fields) -> VirtualMachine:
        # Ids are stable per name and host; Hyper-V does not require unique names, so a second VM of one name gets another id.
        taken = {vm.vm_id for vm in self.vms}
        vm_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f'{name}.{self.fqdn}'))
        copy = 1
        while vm_id in taken:
            copy += 1
            vm_id = str(uuid.uuid5(uuid.NAMESPACE_DNS, f'{name}.{copy}.{self.fqdn}'))
        vm = VirtualMachine(name=name, vm_id=vm_id,
                            version=self.default_vm_version,
                            path=f'{self.settings.virtual_machine_path}\\{name}')
        vm.disks = [VirtualDisk(path=f'{self.settings.virtual_hard_disk_path}\\{name}.vhdx')]
        vm.apply(fields)
        self.vms.append(vm)
        return vm

    def available_memory(self) -> int:
        """Bytes a new running VM can get: the capacity less the memory of the running VMs and of the moves transferring
        to this host now (reserved when their transfer starts). The root partition's own reserve is not modelled."""
        with self.world.lock:
            running = sum(vm.memory_startup for vm in self.vms if vm.state == 'Running')
            incoming = sum(active.memory_bytes for active in self.world.active_migrations
                           if active.destination == self.name and active.state == 'migrating')
            return max(self.memory_bytes - running - incoming, 0)

    def add_migration_network(self, subnet: str, priority: int = 0) -> MigrationNetwork:
        """Append an incoming live-migration network; ``subnet`` must already be canonical."""
        network = MigrationNetwork(canonical_subnet(subnet), priority)
        self.migration_networks.append(network)
        return network

    # ---- control endpoint -----------------------------------------------------------------------
    def to_state(self) -> dict:
        """The host's full world state as JSON-able data (control endpoint GET /hosts/<name>)."""
        with self.world.lock:
            return {
                'name': self.name, 'fqdn': self.fqdn, 'address': self.address, 'domain': self.domain,
                'os_release': self.os.key, 'os_caption': self.os.caption, 'os_version': self.os.version,
                'supported_vm_versions': list(self.supported_vm_versions), 'default_vm_version': self.default_vm_version,
                'hyperv_installed': self.hyperv_installed, 'features': dict(self.features),
                'logical_processors': self.logical_processors, 'memory_bytes': self.memory_bytes,
                'processor_manufacturer': self.processor_manufacturer, 'processor_model': self.processor_model,
                'clustered': self.clustered,
                'migration': vars(self.migration).copy(),
                'migration_networks': [network.to_state() for network in self.migration_networks],
                'failing_commands': dict(self.failing_commands),
                'settings': vars(self.settings).copy(),
                'replica_server': copy.deepcopy(vars(self.replica_server)),
                'vms': [vm.to_state() for vm in self.vms],
                'switches': [switch.to_state() for switch in self.switches],
                'network_addresses': list(self.network_addresses),
                'firewall_rules': [rule.to_state() for rule in self.firewall_rules],
                'replication': self.replication.to_state(self),
                'files': dict(sorted(self.files.items())),
                'site_recovery': self.site_recovery.to_state(),
                'system_tickets': self.system_tickets.to_state(),
                'vmm': self.vmm.to_state() if self.vmm is not None else None,
                'services': self.services(),
            }

    def patch(self, fields: dict) -> None:
        """Change parts of the world state (control endpoint PATCH). Nested dicts merge; lists replace.

        ``vms`` may be a list (replaces every VM) or a dict {vm name: {field: value}} (changes those VMs).
        Invalid input raises ValueError and leaves the host unchanged.
        """
        with self.world.lock:
            _reject_unknown('host', fields, _PATCHABLE | {'name', 'fqdn', 'address'})
            for fixed in ('name', 'fqdn', 'address'):
                if fixed in fields and fields[fixed] != getattr(self, fixed):
                    raise ValueError(f'{fixed} cannot be changed (the transport listens on it)')
            staged = copy.deepcopy(self.__dict__ | {'world': None})
            try:
                self._apply_patch(fields)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                world = self.world
                self.__dict__.update(staged)
                self.world = world
                raise ValueError(str(error)) from error

    def _apply_patch(self, fields: dict) -> None:
        for key, value in fields.items():
            handler = getattr(self, f'_patch_{key}', None)
            if handler is not None:
                handler(value)
            elif key in ('logical_processors', 'memory_bytes'):
                setattr(self, key, int(value))
            elif key == 'clustered':
                self.clustered = bool(value)
            elif key in ('processor_manufacturer', 'processor_model'):
                if not str(value).strip():
                    raise ValueError(f'{key} must be a non-empty string')
                setattr(self, key, str(value))

    def _patch_system_tickets(self, value) -> None:
        """The tickets come from the DC, so a patch only keeps them (state as to_state wrote it) or drops them (obtained_at null),
        and sets the record of purges."""
        _reject_unknown('system_tickets', value, {'obtained_at', 'delegates_to', 'protocol_transition', 'purges'})
        if value.get('obtained_at') is None:
            self.system_tickets.account, self.system_tickets.obtained_at = None, None
        self.system_tickets.purges = [str(entry) for entry in value.get('purges') or []]

    def _patch_domain(self, value) -> None:
        self.domain = str(value) if value else None

    def _patch_os_release(self, value) -> None:
        _require_choice('os_release', value, tuple(OS_RELEASES))
        self.os = OS_RELEASES[value]
        self.supported_vm_versions = list(self.os.supported_vm_versions)
        self.default_vm_version = self.os.default_vm_version

    def _patch_supported_vm_versions(self, value) -> None:
        self.supported_vm_versions = sorted((str(v) for v in value), key=vm_version_key)

    def _patch_default_vm_version(self, value) -> None:
        if str(value) not in self.supported_vm_versions:
            raise ValueError(f'default_vm_version {value!r} is not among the supported versions')
        self.default_vm_version = str(value)

    def _patch_hyperv_installed(self, value) -> None:
        self.features['Hyper-V'] = bool(value)

    def _patch_failing_commands(self, value) -> None:
        failing = {}
        for name, count in dict(value).items():
            if find_signature(str(name)) is None:
                raise ValueError(f'failing_commands: {name!r} is not a documented cmdlet')
            failing[str(name).lower()] = int(count)
        self.failing_commands = {name: count for name, count in failing.items() if count > 0}

    def take_command_failure(self, name: str) -> bool:
        """True when an injected failure is pending for this cmdlet (and use it up)."""
        remaining = self.failing_commands.get(name.lower(), 0)
        if remaining <= 0:
            return False
        if remaining == 1:
            del self.failing_commands[name.lower()]
        else:
            self.failing_commands[name.lower()] = remaining - 1
        return True

    def _patch_features(self, value) -> None:
        _reject_unknown('feature', value, set(FEATURE_CATALOG))
        self.features.update({name: bool(installed) for name, installed in value.items()})

    def _patch_migration(self, value) -> None:
        _reject_unknown('migration', value, set(vars(self.migration)))
        if 'authentication_type' in value:
            _require_choice('authentication_type', value['authentication_type'], MIGRATION_AUTH_TYPES)
        if 'performance_option' in value:
            _require_choice('performance_option', value['performance_option'], MIGRATION_PERFORMANCE_OPTIONS)
        for key, item in value.items():
            setattr(self.migration, key, type(getattr(self.migration, key))(item))

    def _patch_migration_networks(self, value) -> None:
        networks = []
        for entry in value:
            _reject_unknown('migration network', entry, {'subnet', 'priority'})
            networks.append(MigrationNetwork(canonical_subnet(entry['subnet']), int(entry.get('priority', 0))))
        self.migration_networks = networks

    def _patch_switches(self, value) -> None:
        """The host's switches, replaced whole: [{name, switch_type?}]; names are unique (case-insensitive), as Hyper-V keeps them."""
        switches = []
        for entry in value:
            _reject_unknown('switch', entry, {'name', 'switch_type', 'id'})
            name = str(entry['name'])
            if not name.strip() or any(name.lower() == switch.name.lower() for switch in switches):
                raise ValueError(f'switch names must be non-empty and unique, not {name!r}')
            switch_type = entry.get('switch_type', 'External')
            _require_choice('switch_type', switch_type, SWITCH_TYPES)
            switches.append(VirtualSwitch(name, switch_type, str(entry.get('id') or uuid.uuid4())))
        self.switches = switches

    def switch_named(self, name: str | None) -> VirtualSwitch | None:
        return next((switch for switch in self.switches if name is not None and switch.name.lower() == name.lower()), None)

    def _patch_settings(self, value) -> None:
        _reject_unknown('settings', value, set(vars(self.settings)))
        for key, item in value.items():
            setattr(self.settings, key, type(getattr(self.settings, key))(item))

    def _patch_replica_server(self, value) -> None:
        _reject_unknown('replica_server', value, set(vars(self.replica_server)))
        if 'allowed_authentication_type' in value:
            _require_choice('allowed_authentication_type', value['allowed_authentication_type'], REPLICA_AUTH_TYPES)
        for key, item in value.items():
            setattr(self.replica_server, key, copy.deepcopy(item))

    def _patch_firewall_rules(self, value) -> None:
        self.firewall_rules = firewall.patch_firewall_rules(self.firewall_rules, value)

    def _patch_replication(self, value) -> None:
        self.replication.patch(self, value)

    def _patch_network_addresses(self, value) -> None:
        self.network_addresses = [canonical_interface(entry) for entry in value]

    def _patch_vms(self, value) -> None:
        if isinstance(value, list):
            self.vms = [VirtualMachine.from_state(entry) for entry in value]
            return
        for vm_name, changes in value.items():
            vm = next((vm for vm in self.vms if vm.name.lower() == vm_name.lower()), None)
            if vm is None:
                raise ValueError(f'no VM named {vm_name!r} on {self.name}')
            vm.apply(changes)

    def __repr__(self) -> str:
        return f'SimHost({self.name!r}, {self.address!r}, domain={self.domain!r})'


_SEED_ROLES = (('web', 'Running'), ('db', 'Running'), ('app', 'Off'))


class World:
    """All simulated hosts, guarded by one lock."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.hosts: list[SimHost] = []
        # Live migration (hvlab.engine.cmdlets.migration): how long a move takes, the moves under way, the
        # condition a queued move waits on (waiting releases the lock so other sessions keep working), and
        # the domain's directory (hvlab.model.directory.Directory) that Kerberos moves read delegation from.
        self.migration_seconds = 0.2
        self.active_migrations: list = []
        self.migration_history: list = []     # every move that was queued, kept (migration.ActiveMigration)
        self.migration_changed = threading.Condition(self.lock)
        self.directory = None
        # The Site Recovery service the hosts' provider registers with ({url, ca_path}: the fake Azure), or None.
        self.site_recovery_service: dict | None = None
        # Hyper-V Replica's simulated clock (hvlab.model.replication): moves on advance_replication, or with wall-clock
        # time times replication_speed when that is > 0.
        self.replication_clock = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.replication_speed = 0.0
        self._replication_synced_at = time.monotonic()

    def configure_directory(self, ldap_url: str, user: str, password: str, ca_path: str | None) -> None:
        """Join the lab to a domain controller: Kerberos live migrations read delegation from it over LDAPS.

        The hosts of the domain "boot" now: each one's SYSTEM session gets its tickets, carrying its computer account as it
        is now (a host whose account cannot be read gets them at its first Kerberos move).
        """
        with self.lock:
            self.directory = Directory(ldap_url, user, password, ca_path)
            for host in self.hosts:
                host.system_tickets = SystemTicketCache()
                if not self.renew_system_tickets(host):
                    break               # the DC does not answer: no host got tickets

    def renew_system_tickets(self, host: SimHost) -> bool:
        """The host's SYSTEM session gets new tickets now (at boot, and right after a purge: a domain member's computer account
        authenticates again within moments - the conservative case, no source gives the delay). False when the DC did not answer."""
        with self.lock:
            if self.directory is None or not host.domain:
                return True
            try:
                account = self.directory.computer(host.name)
            except DirectoryError:
                return False
            if account is not None:
                host.system_tickets.fill(account, self.replication_clock)
            return True

    def configure_site_recovery(self, url: str, ca_path: str | None) -> None:
        """Where the hosts' Site Recovery provider reaches the service (the cloud's public endpoint, here the fake Azure)."""
        with self.lock:
            self.site_recovery_service = {'url': url.rstrip('/'), 'ca_path': ca_path}

    @classmethod
    def create(cls, host_count: int = 3, domain: str = 'hvlab.test') -> World:
        """Seed hv01..hvNN at 127.0.10.N in ``domain`` (Windows Server 2022), each with 2-3 VMs."""
        if not 1 <= host_count <= 253:
            raise ValueError('host_count must be between 1 and 253 (127.0.10.254 is the control endpoint)')
        world = cls()
        for number in range(1, host_count + 1):
            host = SimHost(world, f'hv{number:02d}', f'127.0.10.{number}', domain or None)
            # Management NIC (127.0.10.N/24) plus a private migration network, IPv4 and IPv6.
            host.network_addresses += [f'192.168.10.{number}/24', f'2001:db8:10::{number:x}/64']
            vm_count = 3 if number % 2 else 2
            for role, state in _SEED_ROLES[:vm_count]:
                host.add_vm(f'{host.name}-{role}', state=state)
            world.hosts.append(host)
        return world

    def advance_replication(self, seconds: float) -> None:
        """Let ``seconds`` of replication time pass: initial copies finish, cycles run, faults show."""
        with self.lock:
            replication.advance(self, seconds)

    def sync_replication_clock(self) -> None:
        """In real-time mode (replication_speed > 0) catch the simulated clock up with the wall clock."""
        with self.lock:
            now = time.monotonic()
            elapsed, self._replication_synced_at = now - self._replication_synced_at, now
            if self.replication_speed > 0:
                replication.advance(self, elapsed * self.replication_speed)

    def replication_control(self, body: dict) -> dict:
        """Control endpoint entry (POST /replication): speed, data writes, faults, import, advance_seconds."""
        with self.lock:
            self.sync_replication_clock()
            return replication.control(self, body)

    def migrations(self) -> list[dict]:
        """Every move since the lab started or the history was cleared (control endpoint GET /migrations), times in seconds
        of time.monotonic()."""
        with self.lock:
            return [record.to_state() for record in self.migration_history]

    def clear_migrations(self) -> None:
        with self.lock:
            self.migration_history = [record for record in self.migration_history if record.finished is None]

    def get_host_by_address(self, address: str) -> SimHost | None:
        return next((host for host in self.hosts if host.address == address), None)

    def get_host_by_network_address(self, address: str) -> SimHost | None:
        """The host owning a NIC address (any of its network_addresses, or its listening address)."""
        try:
            wanted = ipaddress.ip_address(address.strip())
        except ValueError:
            return None
        return next((host for host in self.hosts if wanted == ipaddress.ip_address(host.address)
                     or any(ipaddress.ip_interface(entry).ip == wanted for entry in host.network_addresses)), None)

    def get_host_by_name(self, name: str) -> SimHost | None:
        """Find a host by short name or FQDN (case-insensitive)."""
        wanted = name.lower()
        return next((host for host in self.hosts if wanted in (host.name.lower(), host.fqdn.lower())), None)
