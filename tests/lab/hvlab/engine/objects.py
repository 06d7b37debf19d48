"""Builders for the output objects, with Hyper-V's / ServerManager's real type and property names."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from hvlab import reference as facts
from hvlab.engine.reference import FEATURE_CATALOG, vm_version_name
from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan

if TYPE_CHECKING:
    from hvlab.model.world import MigrationNetwork, SimHost, VirtualMachine

HV = 'Microsoft.HyperV.PowerShell'

MIGRATION_AUTH = f'{HV}.MigrationAuthenticationType'
MIGRATION_PERFORMANCE = f'{HV}.VMMigrationPerformance'
VM_STATE = f'{HV}.VMState'
# The decompiled module's VMHeartbeatStatus (Microsoft.HyperV.PowerShell), and System.ServiceProcess's service enums.
VM_HEARTBEAT = f'{HV}.VMHeartbeatStatus'
SERVICE_STATUS = 'System.ServiceProcess.ServiceControllerStatus'
SERVICE_START_MODE = 'System.ServiceProcess.ServiceStartMode'
SERVICE_TYPE = 'System.ServiceProcess.ServiceType'
SERVICE_CONTROLLER = 'System.ServiceProcess.ServiceController'
INSTALL_STATE = 'Microsoft.Windows.ServerManager.Commands.InstallState'
# ServerManager's InstallState is the one enum the lab sends that no reference file describes (see fidelity.md, "Facts no
# source settles": the Feature type); every other enum comes from types.json.
_UNSOURCED_ENUMS = {INSTALL_STATE: {'Available': 0, 'Installed': 1, 'InstallPending': 2, 'UninstallPending': 3, 'Removed': 4}}
ZERO_GUID = '00000000-0000-0000-0000-000000000000'
# The value of a DateTime property the lab does not model (a VM's CreationTime): a fixed instant, not "now", so that objects
# read twice are equal.
LAB_EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
_ZERO_VALUES = {'System.Boolean': False, 'System.Byte': 0, 'System.SByte': 0, 'System.Int16': 0, 'System.UInt16': 0,
                'System.Int32': 0, 'System.UInt32': 0, 'System.Int64': 0, 'System.UInt64': 0, 'System.Double': 0.0,
                'System.Single': 0.0, 'System.Guid': ZERO_GUID, 'System.DateTime': LAB_EPOCH}


def enum_members(type_name: str) -> dict[str, int]:
    if type_name in _UNSOURCED_ENUMS:
        return _UNSOURCED_ENUMS[type_name]
    return facts.enum_members(type_name)


def enum(type_name: str, member: str) -> LabEnum:
    """A member of an enum by its name, with the number types.json gives it (KeyError for a member the enum does not have)."""
    return LabEnum(type_name, member, enum_members(type_name)[member])


def _unmodelled_value(spec: dict):
    """What a property the lab does not model holds: .NET's default for a value type (0, false, the zero Guid, the enum's
    zero member or else its first), null for a reference type or a Nullable. The shape is the real one; the value is the lab's."""
    dotnet = spec['type']
    if dotnet.startswith('System.Nullable[') or dotnet.endswith('[]') or '.Generic.' in dotnet:
        return None
    if spec.get('enum'):
        try:
            members = enum_members(spec['enum'])
        except KeyError:
            return None         # an enum whose members no reference lists: null (its shape at depth 1 is a string)
        name = next((member for member, number in members.items() if number == 0), next(iter(members)))
        return LabEnum(spec['enum'], name, members[name])
    if dotnet == 'System.TimeSpan':
        return LabTimeSpan(0.0)
    return _ZERO_VALUES.get(dotnet)


def reference_object(type_name: str, values: dict, to_string: str, extended: dict | None = None) -> LabObject:
    """An output object of a type types.json describes: its type names, every property in the reference's order with its
    .NET type, the lab's values for the properties it models and the unmodelled default for the others.

    A property the reference does not list is refused (ValueError): the lab cannot invent one. extended: type-data members
    (types.json ``type_data_members``), refused likewise when the reference does not list them.
    """
    reference = facts.output_type(type_name)
    declared = reference['properties']
    invented = [name for name in values if name not in declared]
    invented += [name for name in (extended or {}) if name not in reference.get('type_data_members', {})]
    if invented:
        raise ValueError(f'{type_name} has no property {", ".join(invented)} (tests/lab/hvlab/reference/types.json)')
    properties = {name: values[name] if name in values else _unmodelled_value(spec) for name, spec in declared.items()}
    return LabObject(list(reference['type_names']), properties, to_string, {name: spec['type'] for name, spec in declared.items()},
                     dict(extended or {}))


def netbios_name(host: SimHost) -> str:
    """Hyper-V reports the computer's NetBIOS name, which Windows keeps in upper case."""
    return host.name.upper()


def domain_or_workgroup(host: SimHost) -> str:
    """Win32_ComputerSystem.Domain: the domain's DNS name, or the workgroup's name when the computer is not in a domain."""
    return host.domain or host.workgroup


def virtualization_text(type_name: str, friendly: dict, unique: dict) -> str:
    """VirtualizationObject.ToString() (decompiled Hyper-V module): the short type name, the friendly identifiers in
    parentheses, the unique ones in brackets, each as Name = 'value'. Which properties are identifiers is per type; the lab
    names the ones the decompiled classes mark (VMComponentObject: VMName friendly, VMId unique; VMHost: Name)."""
    parts = [type_name.rsplit('.', 1)[-1]]
    if friendly:
        parts.append('(%s)' % ', '.join(f"{name} = '{value}'" for name, value in friendly.items()))
    if unique:
        parts.append('[%s]' % ', '.join(f"{name} = '{value}'" for name, value in unique.items()))
    return ' '.join(parts)


def vmhost_object(host: SimHost) -> LabObject:
    migration, settings = host.migration, host.settings
    properties = {
        'ComputerName': netbios_name(host),
        'LogicalProcessorCount': host.logical_processors,
        'ResourceMeteringSaveInterval': LabTimeSpan(settings.resource_metering_save_interval),
        'SupportedVmVersions': list(host.supported_vm_versions),
        'EnableEnhancedSessionMode': settings.enhanced_session_mode,
        'Name': netbios_name(host),
        # The decompiled VMHost reads it from Win32_ComputerSystem.Domain: the domain (or workgroup), not the host's own FQDN.
        'FullyQualifiedDomainName': domain_or_workgroup(host),
        'MemoryCapacity': host.memory_bytes,
        'VirtualHardDiskPath': settings.virtual_hard_disk_path,
        'VirtualMachinePath': settings.virtual_machine_path,
        'MacAddressMinimum': settings.mac_address_minimum,
        'MacAddressMaximum': settings.mac_address_maximum,
        'FibreChannelWwnn': settings.fibre_channel_wwnn,
        'FibreChannelWwpnMinimum': settings.fibre_channel_wwpn_minimum,
        'FibreChannelWwpnMaximum': settings.fibre_channel_wwpn_maximum,
        'NumaSpanningEnabled': settings.numa_spanning_enabled,
        'MaximumStorageMigrations': migration.maximum_storage_migrations,
        'MaximumVirtualMachineMigrations': migration.maximum_vm_migrations,
        'UseAnyNetworkForMigration': migration.use_any_network,
        'VirtualMachineMigrationEnabled': migration.enabled,
        'VirtualMachineMigrationAuthenticationType': enum(MIGRATION_AUTH, migration.authentication_type),
        'VirtualMachineMigrationPerformanceOption': enum(MIGRATION_PERFORMANCE, migration.performance_option),
    }
    return reference_object(f'{HV}.VMHost', properties, virtualization_text(f'{HV}.VMHost', {'Name': netbios_name(host)}, {}))


def migration_network_object(host: SimHost, network: MigrationNetwork) -> LabObject:
    properties = {'Subnet': network.subnet, 'Priority': network.priority, 'ComputerName': netbios_name(host)}
    return reference_object(f'{HV}.VMMigrationNetwork', properties,
                            virtualization_text(f'{HV}.VMMigrationNetwork', {'Subnet': network.subnet}, {}))


def supported_version_object(host: SimHost, version: str) -> LabObject:
    properties = {'Name': vm_version_name(version), 'Version': version, 'IsDefault': version == host.default_vm_version,
                  'ComputerName': netbios_name(host)}
    return reference_object(f'{HV}.VMHostSupportedVersion', properties, 'VMHostSupportedVersion')


def hard_drive_object(host: SimHost, vm: VirtualMachine, disk) -> LabObject:
    """A HardDiskDrive (Get-VMHardDiskDrive, VirtualMachine.HardDrives, VMReplication.ReplicatedDisks/ExcludedDisks)."""
    location = f'{disk.controller_type} controller number {disk.controller_number} at location {disk.controller_location}'
    drive_id = f'Microsoft:{vm.vm_id.upper()}\\{disk.controller_type}\\{disk.controller_number}\\{disk.controller_location}\\D'
    properties = {
        'Path': disk.path, 'ControllerType': enum(f'{HV}.ControllerType', disk.controller_type),
        'ControllerNumber': disk.controller_number, 'ControllerLocation': disk.controller_location,
        'Name': f'Hard Drive on {location}', 'Id': drive_id, 'VMName': vm.name, 'VMId': vm.vm_id, 'VMSnapshotName': '',
        'ComputerName': netbios_name(host),
    }
    text = virtualization_text(f'{HV}.HardDiskDrive', {'Name': properties['Name'], 'VMName': vm.name}, {'Id': drive_id, 'VMId': vm.vm_id})
    return reference_object(f'{HV}.HardDiskDrive', properties, text)


def vm_object(host: SimHost, vm: VirtualMachine) -> LabObject:
    running = vm.state == 'Running'
    properties = {
        'Name': vm.name,
        'Id': vm.vm_id,
        'State': enum(VM_STATE, vm.state),
        'Status': 'Operating normally',
        'CPUUsage': 3 if running else 0,
        'MemoryAssigned': vm.memory_startup if running else 0,
        # Static memory: what the guest is assigned is what it demands (dynamic memory is not modelled).
        'MemoryDemand': vm.memory_startup if running else 0,
        'MemoryStartup': vm.memory_startup,
        'Uptime': LabTimeSpan(86400.0 if running else 0.0),
        # Null unless the VM runs (types.json: no heartbeat component data), else what the guest's heartbeat service answers.
        'Heartbeat': enum(VM_HEARTBEAT, vm.heartbeat()) if running else None,
        'Generation': vm.generation,
        'Version': vm.version,
        'Path': vm.path,
        'ConfigurationLocation': vm.path,
        'SnapshotFileLocation': vm.checkpoint_folder,
        'SmartPagingFilePath': vm.smart_paging_folder,
        'ProcessorCount': vm.processor_count,
        'HardDrives': [hard_drive_object(host, vm, disk) for disk in vm.disks],
        'ComputerName': netbios_name(host),
        'ReplicationState': enum(f'{HV}.VMReplicationState', 'Disabled'),
        'ReplicationHealth': enum(f'{HV}.VMReplicationHealthState', 'NotApplicable'),
        'ReplicationMode': enum(f'{HV}.VMReplicationMode', 'None'),
        'VirtualMachineType': enum(f'{HV}.VirtualMachineType', 'RealizedVirtualMachine'),
        'VirtualMachineSubType': enum(f'{HV}.VirtualMachineSubType', f'Generation{vm.generation}'),
    }
    return reference_object(f'{HV}.VirtualMachine', properties,
                            virtualization_text(f'{HV}.VirtualMachine', {'Name': vm.name}, {'Id': vm.vm_id}))


def computer_system_object(host: SimHost) -> LabObject:
    """Win32_ComputerSystem as Get-CimInstance returns it: the host's names (a subset of the class's properties).

    Per the class's page: DNSHostName is the name in DNS, Domain the domain or (not in a domain) the workgroup, PartOfDomain
    whether it is in a domain, Workgroup the workgroup when it is not; DomainRole 3 = member server, 2 = standalone server.
    """
    joined = host.domain is not None
    properties = {
        'Name': netbios_name(host), 'Caption': netbios_name(host), 'DNSHostName': host.name, 'Domain': domain_or_workgroup(host),
        'PartOfDomain': joined, 'Workgroup': None if joined else host.workgroup, 'DomainRole': 3 if joined else 2,
        'Manufacturer': 'HvLab', 'Model': 'Simulated Hyper-V host', 'NumberOfLogicalProcessors': host.logical_processors,
        'TotalPhysicalMemory': host.memory_bytes, 'HypervisorPresent': True,
    }
    # CimInstance.ToString(): the class name and its key properties.
    return reference_object('Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem', properties,
                            f'Win32_ComputerSystem (Name = "{netbios_name(host)}")')


def operating_system_object(host: SimHost) -> LabObject:
    """Win32_OperatingSystem (a subset): the class's page gives FreePhysicalMemory and TotalVisibleMemorySize in kilobytes.

    Free memory is the capacity less the running VMs and the moves transferring here (SimHost.available_memory); the host
    OS's own use is not modelled.
    """
    properties = {
        'CSName': netbios_name(host), 'Caption': host.os.caption, 'Version': host.os.version,
        'TotalVisibleMemorySize': host.memory_bytes // 1024, 'FreePhysicalMemory': host.available_memory() // 1024,
    }
    return reference_object('Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem', properties,
                            'Win32_OperatingSystem (Name = "%s")' % host.os.caption)


def _feature_depth(name: str) -> int:
    parent = FEATURE_CATALOG[name][2]
    return 1 if parent is None or parent not in FEATURE_CATALOG else 1 + _feature_depth(parent)


def _feature_path(name: str) -> str:
    display, _unused, parent = FEATURE_CATALOG[name]
    return display if parent is None or parent not in FEATURE_CATALOG else f'{_feature_path(parent)}\\{display}'


def feature_object(host: SimHost, name: str) -> LabObject:
    display, feature_type, parent = FEATURE_CATALOG[name]
    installed = host.features[name]
    properties = {
        'Name': name,
        'DisplayName': display,
        'Description': f'{display}.',
        'Installed': installed,
        'InstallState': enum(INSTALL_STATE, 'Installed' if installed else 'Available'),
        'FeatureType': feature_type,
        'Path': _feature_path(name),
        'Depth': _feature_depth(name),
        'DependsOn': [],
        'Parent': parent,
        'SubFeatures': [child for child, entry in FEATURE_CATALOG.items() if entry[2] == name],
    }
    return reference_object('Microsoft.Windows.ServerManager.Commands.Feature', properties, display)


def service_object(name: str, display_name: str, status: str, start_mode: str) -> LabObject:
    """A System.ServiceProcess.ServiceController as Get-Service returns it (a Win32 service of this computer); Name and
    RequiredServices are types.ps1xml's aliases of ServiceName and ServicesDependedOn."""
    running = status == 'Running'
    properties = {'ServiceName': name, 'DisplayName': display_name, 'Status': enum(SERVICE_STATUS, status),
                  'StartType': enum(SERVICE_START_MODE, start_mode), 'CanStop': running, 'CanShutdown': running,
                  'CanPauseAndContinue': False, 'MachineName': '.', 'ServiceType': enum(SERVICE_TYPE, 'Win32OwnProcess'),
                  'DependentServices': [], 'ServicesDependedOn': []}
    return reference_object(SERVICE_CONTROLLER, properties, SERVICE_CONTROLLER, extended={'Name': name, 'RequiredServices': []})
