"""Builders for the output objects, with Hyper-V's / ServerManager's real type and property names."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hvlab.engine.reference import FEATURE_CATALOG, vm_version_name
from hvlab.engine.values import LabEnum, LabObject, LabTimeSpan

if TYPE_CHECKING:
    from hvlab.model.world import MigrationNetwork, SimHost, VirtualMachine

HV = 'Microsoft.HyperV.PowerShell'
_VIRTUALIZATION_OBJECT = f'{HV}.VirtualizationObject'

MIGRATION_AUTH = f'{HV}.MigrationAuthenticationType'
MIGRATION_PERFORMANCE = f'{HV}.VMMigrationPerformance'
VM_STATE = f'{HV}.VMState'
_ENUMS = {
    MIGRATION_AUTH: {'CredSSP': 0, 'Kerberos': 1},
    MIGRATION_PERFORMANCE: {'TCPIP': 0, 'Compression': 1, 'SMB': 2},
    VM_STATE: {'Other': 1, 'Running': 2, 'Off': 3, 'Stopping': 4, 'Saved': 6, 'Paused': 9, 'Starting': 10, 'Reset': 11,
               'Saving': 32773, 'Pausing': 32776, 'Resuming': 32777, 'FastSaved': 32779, 'FastSaving': 32780},
    f'{HV}.ControllerType': {'IDE': 0, 'SCSI': 1},
    f'{HV}.VMReplicationState': {'Disabled': 0},
    f'{HV}.VMReplicationHealthState': {'NotApplicable': 0},
    f'{HV}.VMReplicationMode': {'None': 0},
    f'{HV}.RecoveryAuthenticationType': {'Kerberos': 1, 'Certificate': 2, 'CertificateAndKerberos': 3},
    'Microsoft.Windows.ServerManager.Commands.InstallState': {
        'Available': 0, 'Installed': 1, 'InstallPending': 2, 'UninstallPending': 3, 'Removed': 4},
}


def enum(type_name: str, member: str) -> LabEnum:
    return LabEnum(type_name, member, _ENUMS[type_name][member])


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
        'HostNumaStatus': None,
        'NumaStatus': None,
        'IovSupport': False,
        'IovSupportReasons': None,
        'InternalNetworkAdapters': [],
        'ExternalNetworkAdapters': [],
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
        'CimSession': None,
        'IsDeleted': False,
    }
    return LabObject([f'{HV}.VMHost', _VIRTUALIZATION_OBJECT, 'System.Object'], properties,
                     virtualization_text(f'{HV}.VMHost', {'Name': netbios_name(host)}, {}))


def migration_network_object(host: SimHost, network: MigrationNetwork) -> LabObject:
    properties = {'Subnet': network.subnet, 'Priority': network.priority, 'CimSession': None,
                  'ComputerName': netbios_name(host), 'IsDeleted': False}
    return LabObject([f'{HV}.VMMigrationNetwork', _VIRTUALIZATION_OBJECT, 'System.Object'], properties, f'{HV}.VMMigrationNetwork')


def supported_version_object(host: SimHost, version: str) -> LabObject:
    # Version is a System.Version; the seam carries it as its string.
    properties = {'Name': vm_version_name(version), 'Version': version, 'IsDefault': version == host.default_vm_version}
    return LabObject([f'{HV}.VMHostSupportedVersion', 'System.Object'], properties, f'{HV}.VMHostSupportedVersion')


def hard_drive_object(host: SimHost, vm: VirtualMachine, disk) -> LabObject:
    """A HardDiskDrive (Get-VMHardDiskDrive, VirtualMachine.HardDrives, VMReplication.ReplicatedDisks/ExcludedDisks)."""
    location = f'{disk.controller_type} controller number {disk.controller_number} at location {disk.controller_location}'
    drive_id = f'Microsoft:{vm.vm_id.upper()}\\{disk.controller_type}\\{disk.controller_number}\\{disk.controller_location}\\D'
    properties = {
        'Path': disk.path, 'DiskNumber': None, 'ControllerType': enum(f'{HV}.ControllerType', disk.controller_type),
        'ControllerNumber': disk.controller_number, 'ControllerLocation': disk.controller_location,
        'Name': f'Hard Drive on {location}', 'Id': drive_id, 'VMName': vm.name, 'VMId': vm.vm_id,
        'VMSnapshotId': '00000000-0000-0000-0000-000000000000', 'VMSnapshotName': '',
        'CimSession': None, 'ComputerName': netbios_name(host), 'IsDeleted': False,
    }
    text = virtualization_text(f'{HV}.HardDiskDrive', {'Name': properties['Name'], 'VMName': vm.name}, {'Id': drive_id, 'VMId': vm.vm_id})
    return LabObject([f'{HV}.HardDiskDrive', f'{HV}.Drive', f'{HV}.VMDevice', f'{HV}.VMComponentObject', _VIRTUALIZATION_OBJECT,
                      'System.Object'], properties, text)


def vm_object(host: SimHost, vm: VirtualMachine) -> LabObject:
    running = vm.state == 'Running'
    properties = {
        'Name': vm.name,
        'Id': vm.vm_id,
        'VMId': vm.vm_id,
        'VMName': vm.name,
        'State': enum(VM_STATE, vm.state),
        'Status': 'Operating normally',
        'CPUUsage': 3 if running else 0,
        'MemoryAssigned': vm.memory_startup if running else 0,
        'MemoryStartup': vm.memory_startup,
        'DynamicMemoryEnabled': False,
        'Uptime': LabTimeSpan(86400.0 if running else 0.0),
        'Generation': vm.generation,
        'Version': vm.version,
        'Path': vm.path,
        'ConfigurationLocation': vm.path,
        'ProcessorCount': vm.processor_count,
        'HardDrives': [hard_drive_object(host, vm, disk) for disk in vm.disks],
        'ComputerName': netbios_name(host),
        'IsClustered': False,
        'ReplicationState': enum(f'{HV}.VMReplicationState', 'Disabled'),
        'ReplicationHealth': enum(f'{HV}.VMReplicationHealthState', 'NotApplicable'),
        'ReplicationMode': enum(f'{HV}.VMReplicationMode', 'None'),
        'IsDeleted': False,
    }
    text = f"VirtualMachine (Name = '{vm.name}') [Id = '{vm.vm_id}']"
    return LabObject([f'{HV}.VirtualMachine', f'{HV}.VirtualMachineBase', _VIRTUALIZATION_OBJECT, 'System.Object'], properties, text)


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
        'TotalPhysicalMemory': host.memory_bytes, 'PSComputerName': None,
    }
    cim = 'Microsoft.Management.Infrastructure.CimInstance'
    classes = ('Win32_ComputerSystem', 'CIM_UnitaryComputerSystem', 'CIM_ComputerSystem', 'CIM_System', 'CIM_LogicalElement',
               'CIM_ManagedSystemElement')
    type_names = [f'{cim}#root/cimv2/{name}' for name in classes] + [f'{cim}#{name}' for name in classes] + [cim, 'System.Object']
    # CimInstance.ToString(): the class name and its key properties.
    return LabObject(type_names, properties, f'Win32_ComputerSystem (Name = "{netbios_name(host)}")')


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
        'InstallState': enum('Microsoft.Windows.ServerManager.Commands.InstallState', 'Installed' if installed else 'Available'),
        'FeatureType': feature_type,
        'Path': _feature_path(name),
        'Depth': _feature_depth(name),
        'DependsOn': [],
        'Parent': parent,
        'SubFeatures': [child for child, entry in FEATURE_CATALOG.items() if entry[2] == name],
    }
    return LabObject(['Microsoft.Windows.ServerManager.Commands.Feature', 'System.Object'], properties, display)
