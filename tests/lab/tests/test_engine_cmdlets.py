"""Behaviour of the modelled cmdlets and their documented errors."""

import pytest

from hvlab.engine import Command, Identity, LabEnum, LabObject, LabTimeSpan
from hvlab.model.world import World

IDENTITY = Identity('labadmin', 'basic', 'winrm')
HV = 'Microsoft.HyperV.PowerShell'


@pytest.fixture(name='host')
def host_fixture():
    return World.create(3).hosts[0]


def run(host, name, *parameters):
    return host.execute([[Command(name, list(parameters))]], IDENTITY)


def only_error(execution):
    assert len(execution.errors) == 1, execution.errors
    return execution.errors[0]


# ---- Get-VMHost / Set-VMHost ---------------------------------------------------------------------
def test_get_vmhost_fresh_host_defaults(host):
    execution = run(host, 'Get-VMHost')
    assert execution.errors == [] and execution.warnings == []
    vmhost = execution.output[0]
    assert isinstance(vmhost, LabObject)
    assert vmhost.type_names == [f'{HV}.VMHost', f'{HV}.VirtualizationObject', 'System.Object']
    assert vmhost['Name'] == 'HV01'
    # The decompiled VMHost reads FullyQualifiedDomainName from Win32_ComputerSystem.Domain: the domain, not the host's FQDN
    # (this test expected hv01.hvlab.test, the lab's old invention).
    assert vmhost['FullyQualifiedDomainName'] == 'hvlab.test'
    assert vmhost.to_string == "VMHost (Name = 'HV01')"
    assert vmhost['VirtualMachineMigrationEnabled'] is False
    assert vmhost['VirtualMachineMigrationAuthenticationType'] == LabEnum(f'{HV}.MigrationAuthenticationType', 'CredSSP', 0)
    assert vmhost['VirtualMachineMigrationPerformanceOption'] == LabEnum(f'{HV}.VMMigrationPerformance', 'Compression', 1)
    assert vmhost['MaximumVirtualMachineMigrations'] == 2
    assert vmhost['MaximumStorageMigrations'] == 2
    assert vmhost['UseAnyNetworkForMigration'] is False
    assert vmhost['ResourceMeteringSaveInterval'] == LabTimeSpan(3600.0)
    assert vmhost['LogicalProcessorCount'] == 16


def test_set_vmhost_changes_every_modelled_setting(host):
    execution = run(host, 'Set-VMHost', ('VirtualMachineMigrationAuthenticationType', 'Kerberos'),
                    ('VirtualMachineMigrationPerformanceOption', 'SMB'), ('MaximumVirtualMachineMigrations', 4),
                    ('MaximumStorageMigrations', 3), ('UseAnyNetworkForMigration', True), ('VirtualMachinePath', 'D:\\VMs'),
                    ('VirtualHardDiskPath', 'D:\\VHDs'), ('NumaSpanningEnabled', False), ('EnableEnhancedSessionMode', True),
                    ('MacAddressMinimum', '00155d020600'), ('MacAddressMaximum', '00155D0206FF'),
                    ('ResourceMeteringSaveInterval', '12:00:00'))
    assert execution.errors == [] and execution.output == []
    vmhost = run(host, 'Get-VMHost').output[0]
    assert vmhost['VirtualMachineMigrationAuthenticationType'].name == 'Kerberos'
    assert vmhost['VirtualMachineMigrationPerformanceOption'].name == 'SMB'
    assert (vmhost['MaximumVirtualMachineMigrations'], vmhost['MaximumStorageMigrations']) == (4, 3)
    assert vmhost['UseAnyNetworkForMigration'] is True
    assert (vmhost['VirtualMachinePath'], vmhost['VirtualHardDiskPath']) == ('D:\\VMs', 'D:\\VHDs')
    assert vmhost['NumaSpanningEnabled'] is False and vmhost['EnableEnhancedSessionMode'] is True
    assert vmhost['MacAddressMinimum'] == '00155D020600'
    assert vmhost['ResourceMeteringSaveInterval'] == LabTimeSpan(43200.0)


def test_set_vmhost_passthru_emits_the_host(host):
    output = run(host, 'Set-VMHost', ('MaximumStorageMigrations', 5), ('Passthru', None)).output
    assert len(output) == 1 and output[0]['MaximumStorageMigrations'] == 5


@pytest.mark.parametrize('parameter', ['MaximumVirtualMachineMigrations', 'MaximumStorageMigrations'])
def test_set_vmhost_zero_migrations_is_refused(host, parameter):
    error = only_error(run(host, 'Set-VMHost', (parameter, 0)))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert error.category == 'InvalidArgument'
    assert error.exception_type == f'{HV}.VirtualizationException'
    assert host.migration.maximum_vm_migrations == 2 and host.migration.maximum_storage_migrations == 2


@pytest.mark.parametrize('interval', ['00:59:59', '1.00:00:01', '2'])
def test_set_vmhost_metering_interval_outside_one_to_24_hours(host, interval):
    error = only_error(run(host, 'Set-VMHost', ('ResourceMeteringSaveInterval', interval)))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMHost'
    assert host.settings.resource_metering_save_interval == 3600.0


def test_set_vmhost_metering_interval_bounds_are_valid(host):
    assert run(host, 'Set-VMHost', ('ResourceMeteringSaveInterval', '1.00:00:00')).errors == []
    assert host.settings.resource_metering_save_interval == 86400.0


def test_set_vmhost_rejects_a_bad_value_without_applying_the_others(host):
    error = only_error(run(host, 'Set-VMHost', ('MacAddressMinimum', 'zz'), ('MaximumStorageMigrations', 7)))
    assert error.target == 'MacAddressMinimum'
    assert host.migration.maximum_storage_migrations == 2


def test_set_vmhost_whatif_changes_nothing(host):
    assert run(host, 'Set-VMHost', ('UseAnyNetworkForMigration', True), ('WhatIf', None), ('Passthru', None)).output == []
    assert host.migration.use_any_network is False


def test_computer_name_may_only_name_this_host(host):
    for name in ('hv01', 'HV01.hvlab.test', 'localhost', '.', '127.0.10.1'):
        assert len(run(host, 'Get-VMHost', ('ComputerName', name)).output) == 1, name
    execution = run(host, 'Get-VMHost', ('ComputerName', ['hv02', 'hv01']))
    assert len(execution.output) == 1
    error = only_error(execution)
    assert error.fully_qualified_error_id == 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost'
    assert error.target == 'hv02'


def test_the_host_names_come_from_win32_computer_system(host):
    system = run(host, 'Get-CimInstance', ('ClassName', 'Win32_ComputerSystem')).output[0]
    assert system.type_names[0] == 'Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem'
    assert (system['Name'], system['DNSHostName'], system['Domain'], system['PartOfDomain'], system['Workgroup']) == \
        ('HV01', 'hv01', 'hvlab.test', True, None)
    host.patch({'domain': None})
    system = run(host, 'Get-CimInstance', ('ClassName', 'Win32_ComputerSystem')).output[0]
    assert (system['Domain'], system['PartOfDomain'], system['Workgroup']) == ('WORKGROUP', False, 'WORKGROUP')
    assert run(host, 'Get-VMHost').output[0]['FullyQualifiedDomainName'] == 'WORKGROUP'
    error = only_error(run(host, 'Get-CimInstance', ('ClassName', 'Win32_NoSuchClass')))
    assert (error.fully_qualified_error_id, error.category, error.message) == (
        'HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand', 'MetadataError', 'Invalid class ')


# ---- Enable-/Disable-VMMigration -----------------------------------------------------------------
def test_enable_and_disable_migration(host):
    assert run(host, 'Enable-VMMigration').output == []
    assert host.migration.enabled is True
    output = run(host, 'Disable-VMMigration', ('Passthru', None)).output
    assert output[0]['VirtualMachineMigrationEnabled'] is False


def test_enable_migration_on_workgroup_host_fails(host):
    host.patch({'domain': None})
    error = only_error(run(host, 'Enable-VMMigration'))
    assert error.fully_qualified_error_id == 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.EnableVMMigration'
    assert 'not a member of a domain' in error.message
    assert host.migration.enabled is False
    assert run(host, 'Disable-VMMigration').errors == []


def test_enable_migration_whatif(host):
    assert run(host, 'Enable-VMMigration', ('WhatIf', True)).errors == []
    assert host.migration.enabled is False


# ---- migration networks --------------------------------------------------------------------------
def test_add_get_networks_with_priority_and_passthru(host):
    first = run(host, 'Add-VMMigrationNetwork', ('Subnet', '192.168.10.0/24'), ('Priority', 1), ('Passthru', None))
    assert first.errors == []
    assert first.output[0].type_names[0] == f'{HV}.VMMigrationNetwork'
    run(host, 'Add-VMMigrationNetwork', ('Subnet', '2001:836c:6456:1c99::/64'), ('Priority', 8))
    run(host, 'Add-VMMigrationNetwork', ('Subnet', '192.168.0.1'))
    subnets = [network['Subnet'] for network in run(host, 'Get-VMMigrationNetwork').output]
    assert subnets == ['192.168.10.0/24', '2001:836c:6456:1c99::/64', '192.168.0.1/32']
    assert [n['Subnet'] for n in run(host, 'Get-VMMigrationNetwork', ('Priority', 8)).output] == ['2001:836c:6456:1c99::/64']
    assert [n['Subnet'] for n in run(host, 'Get-VMMigrationNetwork', (None, '192.168.*')).output] == ['192.168.10.0/24', '192.168.0.1/32']


@pytest.mark.parametrize('subnet', ['192.168.10.0/33', '300.1.1.1', 'corp-net', '10.0.0.0/', '2001:db8::/129'])
def test_add_invalid_subnet(host, subnet):
    error = only_error(run(host, 'Add-VMMigrationNetwork', ('Subnet', subnet)))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork'
    assert error.category == 'InvalidArgument'
    assert subnet in error.message
    assert host.migration_networks == []


def test_add_duplicate_network(host):
    run(host, 'Add-VMMigrationNetwork', ('Subnet', '10.1.0.0/16'))
    error = only_error(run(host, 'Add-VMMigrationNetwork', ('Subnet', '10.1.0.0/16'), ('Priority', 3)))
    # The decompiled cmdlet: CreateOperationFailedException(SubnetAlreadyExists formatted with -Subnet as given), no target.
    assert error.fully_qualified_error_id == 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork'
    assert error.category == 'InvalidOperation'
    assert error.target is None
    assert "'10.1.0.0/16'" in error.message and 'already exists' in error.message
    assert len(host.migration_networks) == 1


def test_set_to_an_existing_subnet_names_the_selected_subnet(host):
    run(host, 'Add-VMMigrationNetwork', ('Subnet', '10.1.0.0/16'))
    run(host, 'Add-VMMigrationNetwork', ('Subnet', '10.2.0.0/16'))
    error = only_error(run(host, 'Set-VMMigrationNetwork', ('Subnet', '10.2.0.0/16'), ('NewSubnet', '10.1.0.0/16')))
    assert error.fully_qualified_error_id == 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.SetVMMigrationNetwork'
    assert error.category == 'InvalidOperation'
    assert "'10.2.0.0/16'" in error.message
    assert sorted(network.subnet for network in host.migration_networks) == ['10.1.0.0/16', '10.2.0.0/16']


def test_set_network_subnet_and_priority(host):
    run(host, 'Add-VMMigrationNetwork', ('Subnet', '192.168.10.0/24'))
    execution = run(host, 'Set-VMMigrationNetwork', (None, '192.168.10.*'), (None, '192.168.20.0/24'), ('NewPriority', 4),
                    ('Passthru', None))
    assert execution.errors == []
    assert host.to_state()['migration_networks'] == [{'subnet': '192.168.20.0/24', 'priority': 4}]


def test_set_network_not_found_and_invalid_new_subnet(host):
    error = only_error(run(host, 'Set-VMMigrationNetwork', ('Subnet', '10.9.0.0/16'), ('NewPriority', 2)))
    assert error.fully_qualified_error_id == 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMMigrationNetwork'
    error = only_error(run(host, 'Set-VMMigrationNetwork', ('Subnet', '10.9.0.0/16'), ('NewSubnet', 'bad')))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.SetVMMigrationNetwork'


def test_remove_network_with_wildcard_and_exact(host):
    for subnet in ('192.168.1.0/24', '192.168.2.0/24', '10.0.0.0/8'):
        run(host, 'Add-VMMigrationNetwork', ('Subnet', subnet))
    assert run(host, 'Remove-VMMigrationNetwork', ('Subnet', '192.168.*')).errors == []
    assert [n.subnet for n in host.migration_networks] == ['10.0.0.0/8']
    assert run(host, 'Remove-VMMigrationNetwork', ('Subnet', '172.*')).errors == []
    error = only_error(run(host, 'Remove-VMMigrationNetwork', ('Subnet', '172.16.0.0/12')))
    assert error.fully_qualified_error_id == 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.RemoveVMMigrationNetwork'
    assert run(host, 'Remove-VMMigrationNetwork', ('Subnet', '10.0.0.0/8'), ('WhatIf', None)).errors == []
    assert len(host.migration_networks) == 1
    output = run(host, 'Remove-VMMigrationNetwork', ('Subnet', '10.0.0.0/8'), ('Passthru', None)).output
    assert output[0]['Subnet'] == '10.0.0.0/8' and host.migration_networks == []


# ---- Get-VM --------------------------------------------------------------------------------------
def test_get_vm_lists_every_vm_with_hyperv_types(host):
    output = run(host, 'Get-VM').output
    assert [vm['Name'] for vm in output] == ['hv01-web', 'hv01-db', 'hv01-app']
    web = output[0]
    assert web.type_names[0] == f'{HV}.VirtualMachine'
    assert web['State'] == LabEnum(f'{HV}.VMState', 'Running', 2)
    assert output[2]['State'] == LabEnum(f'{HV}.VMState', 'Off', 3)
    assert web['Version'] == '10.0' and web['Generation'] == 2
    assert web['HardDrives'][0].type_names[0] == f'{HV}.HardDiskDrive'


def test_get_vm_wildcards_and_not_found(host):
    assert [vm['Name'] for vm in run(host, 'Get-VM', (None, '*-d?')).output] == ['hv01-db']
    assert run(host, 'Get-VM', (None, 'zz*')).errors == []
    error = only_error(run(host, 'Get-VM', (None, 'ghost')))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM'
    assert error.message == 'Hyper-V was unable to find a virtual machine with name "ghost".'
    assert error.target == 'ghost'


def test_get_vm_by_unknown_id(host):
    error = only_error(run(host, 'Get-VM', ('Id', '00000000-0000-0000-0000-000000000001')))
    assert error.fully_qualified_error_id == 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM'


# ---- Get-VMHostSupportedVersion / Get-WindowsFeature ---------------------------------------------
def test_supported_versions_of_server_2022(host):
    output = run(host, 'Get-VMHostSupportedVersion').output
    assert [item['Version'] for item in output][-3:] == ['9.2', '9.3', '10.0']
    assert [item['Version'] for item in output if item['IsDefault']] == ['10.0']
    default = run(host, 'Get-VMHostSupportedVersion', ('Default', None)).output
    assert len(default) == 1 and default[0]['Version'] == '10.0'
    assert default[0].type_names[0] == f'{HV}.VMHostSupportedVersion'


def test_supported_versions_follow_the_os_release(host):
    host.patch({'os_release': '2019'})
    output = run(host, 'Get-VMHostSupportedVersion').output
    assert output[-1]['Version'] == '9.0' and output[-1]['IsDefault'] is True


def test_windows_feature(host):
    output = run(host, 'Get-WindowsFeature', (None, ['Hyper-V', 'Hyper-V-PowerShell', 'RSAT-Hyper-V-Tools'])).output
    assert [feature['Name'] for feature in output] == ['Hyper-V', 'RSAT-Hyper-V-Tools', 'Hyper-V-PowerShell']
    assert all(feature['Installed'] for feature in output)
    assert output[0].type_names[0] == 'Microsoft.Windows.ServerManager.Commands.Feature'
    assert output[0]['InstallState'].name == 'Installed'
    clustering = run(host, 'Get-WindowsFeature', ('Name', 'Failover*')).output[0]
    assert clustering['Installed'] is False and clustering['InstallState'].name == 'Available'


def test_without_hyperv_role_hyperv_cmdlets_fail_and_without_module_they_are_unknown(host):
    host.patch({'hyperv_installed': False})
    error = only_error(run(host, 'Get-VMHost'))
    assert error.fully_qualified_error_id == 'ObjectNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost'
    assert run(host, 'Get-WindowsFeature', ('Name', 'Hyper-V')).output[0]['Installed'] is False
    host.patch({'features': {'Hyper-V-PowerShell': False}})
    assert only_error(run(host, 'Get-VM')).fully_qualified_error_id == 'CommandNotFoundException'
