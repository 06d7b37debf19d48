# -*- coding: utf-8 -*-
"""host_info: facts from one pipeline, the same whether the objects came over psrp (pypsrp's objects) or winrm (the runner's CLIXML)."""

import pytest

from clixml import Enum, Obj, PSVersion, TimeSpan, clixml_document, pypsrp_object
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, psrp_output, runner_output
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.host_identity import COMPUTER_SYSTEM_TYPE, IDENTITY_COMMAND
from ansible_collections.hyperv.mobility.plugins.modules.host_info import READ_COMMANDS, HostFacts, HostInfo

HV = 'Microsoft.HyperV.PowerShell.'
VIRT = HV + 'VirtualizationObject'


def computer_system(host_name, domain, joined=True):
    return Obj([COMPUTER_SYSTEM_TYPE, 'Microsoft.Management.Infrastructure.CimInstance', 'System.Object'], {
        'Name': host_name.upper(), 'DNSHostName': host_name, 'Domain': domain, 'PartOfDomain': joined,
        'Workgroup': None if joined else domain}, 'Win32_ComputerSystem (Name = "%s")' % host_name.upper())


def objects():
    """What the host returns for the read pipeline (objects psrpcore serializes as a host would)."""
    feature = Obj(['Microsoft.Windows.ServerManager.Commands.Feature', 'System.Object'], {
        'Name': 'Hyper-V', 'DisplayName': 'Hyper-V', 'Installed': True,
        'InstallState': Enum('Microsoft.Windows.ServerManager.Commands.InstallState', 'Installed', 1)}, 'Hyper-V')
    vmhost = Obj([HV + 'VMHost', VIRT, 'System.Object'], {
        # Hyper-V's FullyQualifiedDomainName is Win32_ComputerSystem.Domain: the domain, not the host's FQDN.
        'ComputerName': 'HV01', 'FullyQualifiedDomainName': 'hvlab.test', 'VirtualMachinePath': 'C:\\VMs',
        'VirtualHardDiskPath': 'C:\\VHDs', 'VirtualMachineMigrationEnabled': True,
        'VirtualMachineMigrationAuthenticationType': Enum(HV + 'MigrationAuthenticationType', 'Kerberos', 1),
        'VirtualMachineMigrationPerformanceOption': Enum(HV + 'VMMigrationPerformance', 'Compression', 1),
        'UseAnyNetworkForMigration': False, 'MaximumVirtualMachineMigrations': 2, 'MaximumStorageMigrations': 2,
        'ResourceMeteringSaveInterval': TimeSpan(3600.0)})
    versions = [Obj([HV + 'VMHostSupportedVersion', 'System.Object'],
                    {'Name': name, 'Version': PSVersion(version), 'IsDefault': default})
                for version, name, default in (('9.0', 'Microsoft Windows 10 May 2019 Update/Server 1903', False),
                                               ('10.0', 'Microsoft Windows Server 2022', True),
                                               ('8.0', 'Microsoft Windows Server 2016/Windows 10 Anniversary Update', False))]
    networks = [Obj([HV + 'VMMigrationNetwork', VIRT, 'System.Object'], {'Subnet': subnet, 'Priority': priority})
                for subnet, priority in (('10.0.0.0/8', 5), ('192.168.10.0/24', 1))]
    vms = [Obj([HV + 'VirtualMachine', HV + 'VirtualMachineBase', VIRT, 'System.Object'], {
        'Name': name, 'Id': vm_id, 'State': Enum(HV + 'VMState', state, number), 'Version': version, 'Generation': 2,
        'Uptime': TimeSpan(0.0)}, "VirtualMachine (Name = '%s')" % name)
        for name, vm_id, state, number, version in (('web01', '0f8fad5b-d9cb-469f-a165-70867728950e', 'Running', 2, '10.0'),
                                                    ('app01', '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'Off', 3, '9.0'))]
    replica = Obj([HV + 'VMReplicationServer', VIRT, 'System.Object'], {
        'ReplicationEnabled': False, 'RepEnabled': False, 'AllowedAuthenticationType': Enum(HV + 'RecoveryAuthenticationType', 'Kerberos', 1),
        'KerberosAuthenticationPort': 80, 'CertificateAuthenticationPort': 443, 'CertificateThumbprint': None,
        'ReplicationAllowedFromAnyServer': False, 'DefaultStorageLocation': 'D:\\Replica', 'MonitoringInterval': TimeSpan(43200.0)})
    return [computer_system('hv01', 'hvlab.test'), feature, vmhost] + versions + networks + vms + [replica]


EXPECTED = {
    'hyperv_installed': True,
    'computer_name': 'HV01', 'fqdn': 'hv01.hvlab.test', 'domain': 'hvlab.test', 'domain_joined': True,
    'virtual_machine_path': 'C:\\VMs', 'virtual_hard_disk_path': 'C:\\VHDs',
    'os_name': 'Microsoft Windows Server 2022', 'default_vm_version': '10.0',
    'supported_vm_versions': [
        {'version': '8.0', 'name': 'Microsoft Windows Server 2016/Windows 10 Anniversary Update', 'is_default': False},
        {'version': '9.0', 'name': 'Microsoft Windows 10 May 2019 Update/Server 1903', 'is_default': False},
        {'version': '10.0', 'name': 'Microsoft Windows Server 2022', 'is_default': True},
    ],
    'live_migration': {'enabled': True, 'authentication_type': 'Kerberos', 'performance_option': 'Compression',
                       'use_any_network': False, 'maximum_vm_migrations': 2, 'maximum_storage_migrations': 2},
    'migration_networks': [{'subnet': '192.168.10.0/24', 'priority': 1}, {'subnet': '10.0.0.0/8', 'priority': 5}],
    'replica_server': {'enabled': False, 'allowed_authentication_type': 'Kerberos', 'kerberos_authentication_port': 80,
                       'certificate_authentication_port': 443, 'certificate_thumbprint': None,
                       'allowed_from_any_server': False, 'default_storage_location': 'D:\\Replica'},
    'vms': [
        {'name': 'app01', 'id': '7c9e6679-7425-40de-944b-e07fc1f90ae7', 'state': 'Off', 'version': '9.0', 'generation': 2},
        {'name': 'web01', 'id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'state': 'Running', 'version': '10.0', 'generation': 2},
    ],
}


def test_facts_over_psrp():
    result = PipelineResult([psrp_output(pypsrp_object(item)) for item in objects()])
    assert HostFacts(result).as_result() == EXPECTED


def test_facts_over_winrm_are_identical():
    result = PipelineResult([runner_output(clixml_document(item)) for item in objects()])
    assert HostFacts(result).as_result() == EXPECTED


def test_one_pipeline_of_read_only_commands():
    names = [command.name for command in READ_COMMANDS]
    assert READ_COMMANDS[0] is IDENTITY_COMMAND
    assert names == ['Get-CimInstance', 'Get-WindowsFeature', 'Get-VMHost', 'Get-VMHostSupportedVersion', 'Get-VMMigrationNetwork', 'Get-VM',
                     'Get-VMReplicationServer']
    assert all(command.read_only for command in READ_COMMANDS)


def test_host_without_hyperv_module_gives_empty_facts():
    feature = Obj(['Microsoft.Windows.ServerManager.Commands.Feature', 'System.Object'], {'Name': 'Hyper-V', 'Installed': False})
    missing = [ErrorRecordData(name, "The term '%s' is not recognized as the name of a cmdlet" % name, 'CommandNotFoundException')
               for name in ('Get-VMHost', 'Get-VM')]
    result = PipelineResult([psrp_output(pypsrp_object(feature))], missing)
    assert HostInfo({}).failures(result) == []
    facts = HostFacts(result).as_result()
    assert facts['hyperv_installed'] is False and facts['live_migration'] is None and facts['replica_server'] is None
    assert facts['vms'] == [] and facts['fqdn'] is None and facts['domain_joined'] is False and facts['default_vm_version'] is None


@pytest.mark.parametrize('names, fqdn, domain', [
    (computer_system('hv01', 'corp.example.com'), 'hv01.corp.example.com', 'corp.example.com'),
    (computer_system('hv01', 'WORKGROUP', joined=False), 'hv01', None),
])
def test_names_come_from_win32_computer_system_not_from_get_vmhost(names, fqdn, domain):
    # Replaces the FQDN read from Get-VMHost (an invented behaviour): its FullyQualifiedDomainName is the domain or workgroup.
    vmhost = Obj([HV + 'VMHost', 'System.Object'], {'FullyQualifiedDomainName': names.properties['Domain'], 'ComputerName': 'HV01'})
    facts = HostFacts(PipelineResult([psrp_output(pypsrp_object(names)), psrp_output(pypsrp_object(vmhost))])).as_result()
    assert facts['fqdn'] == fqdn and facts['domain'] == domain and facts['domain_joined'] is (domain is not None)
    assert facts['computer_name'] == 'HV01'


def test_other_errors_block():
    error = ErrorRecordData('Get-VM', 'Access denied', 'AccessDenied,Microsoft.HyperV.PowerShell.Commands.GetVM', 'PermissionDenied')
    assert HostInfo({}).failures(PipelineResult(errors=[error])) == [error]
