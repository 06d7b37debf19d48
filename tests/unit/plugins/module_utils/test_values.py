# -*- coding: utf-8 -*-
"""Conversion of real pypsrp objects (CLIXML -> pypsrp) and of the runner's CLIXML into plain values: the same for both."""

import datetime
import uuid

import pytest
from pypsrp.serializer import Serializer

from clixml import Enum, Obj, PSGuid, PSUInt, PSVersion, TimeSpan, clixml_document, pypsrp_error_record, pypsrp_object
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import (
    ErrorRecordData, PSObjectData, duration_to_seconds, psrp_error, psrp_output, runner_error, runner_output,
)

HV = 'Microsoft.HyperV.PowerShell.'


def vmhost():
    return Obj([HV + 'VMHost', HV + 'VirtualizationObject', 'System.Object'], {
        'ComputerName': 'HV01',
        'VirtualMachineMigrationEnabled': True,
        'VirtualMachineMigrationAuthenticationType': Enum(HV + 'MigrationAuthenticationType', 'Kerberos', 1),
        'VirtualMachineMigrationPerformanceOption': Enum(HV + 'VMMigrationPerformance', 'SMB', 2),
        'ResourceMeteringSaveInterval': TimeSpan(5400.5),
        'MaximumVirtualMachineMigrations': 2,
        'InternalNetworkAdapters': [],
        'Tags': ['a', 'b'],
        'Settings': {'Key': 'Value'},
        'CimSession': None,
    })


def test_top_level_object_becomes_psobjectdata_with_plain_properties():
    converted = psrp_output(pypsrp_object(vmhost()))
    assert isinstance(converted, PSObjectData)
    assert converted.type_names == [HV + 'VMHost', HV + 'VirtualizationObject', 'System.Object']
    assert converted.is_type(HV + 'vmhost')
    assert converted.to_string == HV + 'VMHost'
    assert converted.properties == {
        'ComputerName': 'HV01',
        'VirtualMachineMigrationEnabled': True,
        'VirtualMachineMigrationAuthenticationType': 'Kerberos',
        'VirtualMachineMigrationPerformanceOption': 'SMB',
        'ResourceMeteringSaveInterval': 5400.5,
        'MaximumVirtualMachineMigrations': 2,
        'InternalNetworkAdapters': [],
        'Tags': ['a', 'b'],
        'Settings': {'Key': 'Value'},
        'CimSession': None,
    }


def test_nested_objects_become_dicts_and_lists_of_objects_lists_of_dicts():
    drive = Obj([HV + 'HardDiskDrive', 'System.Object'], {'Path': 'C:\\vm\\a.vhdx', 'ControllerType': Enum(HV + 'ControllerType', 'SCSI', 1)},
                "HardDiskDrive (Name = 'Hard Drive')")
    vm = Obj([HV + 'VirtualMachine', 'System.Object'], {'Name': 'web01', 'State': Enum(HV + 'VMState', 'Running', 2),
                                                        'Uptime': TimeSpan(86400.0), 'HardDrives': [drive], 'Owner': drive})
    converted = psrp_output(pypsrp_object(vm))
    assert converted['HardDrives'] == [{'Path': 'C:\\vm\\a.vhdx', 'ControllerType': 'SCSI'}]
    assert converted['Owner'] == {'Path': 'C:\\vm\\a.vhdx', 'ControllerType': 'SCSI'}
    assert converted['State'] == 'Running'
    assert converted['Uptime'] == 86400.0


def test_objects_nested_past_the_depth_limit_become_their_tostring():
    inner = Obj(['Deep', 'System.Object'], {'X': 1}, 'deep-object')
    for level in range(4):
        inner = Obj(['Level%d' % level, 'System.Object'], {'Child': inner}, 'level%d' % level)
    converted = psrp_output(pypsrp_object(inner))
    # depth 0 is the output object itself; the object at depth 4 is cut to its ToString(), like the WinRM runner does
    assert converted['Child']['Child']['Child'] == {'Child': 'deep-object'}


def test_primitives_guid_version_and_uint():
    guid = uuid.UUID('0f8fad5b-d9cb-469f-a165-70867728950e')
    obj = Obj([HV + 'VMHostSupportedVersion', 'System.Object'], {'Id': PSGuid(str(guid)), 'Version': PSVersion('10.0'),
                                                                 'Priority': PSUInt(5), 'IsDefault': False, 'Ratio': 0.5})
    converted = psrp_output(pypsrp_object(obj))
    assert converted.properties == {'Id': str(guid), 'Version': '10.0', 'Priority': 5, 'IsDefault': False, 'Ratio': 0.5}


def test_primitive_output_values_pass_through():
    assert psrp_output(pypsrp_object('text')) == 'text'
    assert psrp_output(pypsrp_object(42)) == 42
    assert psrp_output(pypsrp_object(['a', 1])) == ['a', 1]
    assert psrp_output(pypsrp_object(Enum(HV + 'VMState', 'Off', 3))) == 'Off'


def test_deserialized_type_names_from_a_real_host_are_stripped():
    # What Windows PowerShell remoting sends: 'Deserialized.' type names and extended properties (MS).
    xml = ('<Obj RefId="0"><TN RefId="0"><T>Deserialized.Microsoft.HyperV.PowerShell.VMMigrationNetwork</T>'
           '<T>Deserialized.System.Object</T></TN><ToString>Microsoft.HyperV.PowerShell.VMMigrationNetwork</ToString>'
           '<Props><S N="Subnet">192.168.10.0/24</S><U32 N="Priority">1</U32></Props>'
           '<MS><S N="PSComputerName">hv01</S><TS N="Age">PT1M30S</TS></MS></Obj>')
    converted = psrp_output(Serializer().deserialize(xml))
    assert converted.type_names == [HV + 'VMMigrationNetwork', 'System.Object']
    assert converted.properties == {'Subnet': '192.168.10.0/24', 'Priority': 1, 'PSComputerName': 'hv01', 'Age': 90.0}


@pytest.mark.parametrize('text, seconds', [
    ('PT0S', 0.0), ('PT1M30S', 90.0), ('PT0.5S', 0.5), ('P1DT2H', 93600.0), ('-PT5M', -300.0), ('P2D', 172800.0),
])
def test_duration_to_seconds(text, seconds):
    assert duration_to_seconds(text) == seconds


def test_duration_rejects_other_text():
    with pytest.raises(ValueError):
        duration_to_seconds('5 minutes')


def test_error_record_from_pypsrp():
    record = pypsrp_error_record(
        "A parameter cannot be found that matches parameter name 'Bogus'.",
        'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMHost', 'InvalidArgument',
        'System.Management.Automation.ParameterBindingException', 'Set-VMHost', target='Bogus')
    assert psrp_error(record, None) == ErrorRecordData(
        command='Set-VMHost',
        message="A parameter cannot be found that matches parameter name 'Bogus'.",
        fully_qualified_error_id='NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMHost',
        category='InvalidArgument',
        exception_type='System.Management.Automation.ParameterBindingException',
        target='Bogus',
    )


def _samples():
    drive = Obj([HV + 'HardDiskDrive', 'System.Object'], {'Path': 'C:\\vm\\a.vhdx'}, "HardDiskDrive (Name = 'Hard Drive')")
    deep = Obj(['Deep', 'System.Object'], {'X': 1}, 'deep-object')
    for level in range(4):
        deep = Obj(['Level%d' % level, 'System.Object'], {'Child': deep}, 'level%d' % level)
    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    return [
        vmhost(), deep, 'text', 42, ['a', 1], Enum(HV + 'VMState', 'Off', 3), {'Key': 'Value'},
        Obj([HV + 'VirtualMachine', 'System.Object'], {'HardDrives': [drive], 'Owner': drive, 'Notes': 'a\r\nb_x000D_'}),
        Obj([HV + 'VMHostSupportedVersion', 'System.Object'], {'Id': PSGuid('0f8fad5b-d9cb-469f-a165-70867728950e'),
                                                               'Version': PSVersion('10.0'), 'Priority': PSUInt(5), 'When': stamp}),
    ]


@pytest.mark.parametrize('value', _samples(), ids=lambda value: type(value).__name__)
def test_the_runner_clixml_converts_to_what_psrp_gives_for_the_same_object(value):
    # Replaces the runner's JSON form (its own conversion, which kept nested objects): the runner now returns the CLIXML that
    # PSSerializer writes, the serializer remoting uses, and both transports convert it by the same rules.
    assert runner_output(clixml_document(value)) == psrp_output(pypsrp_object(value))


def test_the_runner_reads_what_windows_powershell_serializer_writes():
    # PSSerializer.Serialize(object, 1) on Windows PowerShell 5.1: a namespace on Objs, Deserialized type names, ToString before
    # Props, extended properties (MS), a TimeSpan, an enum property at depth 0 as its name, a nested object as its ToString().
    text = ('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj RefId="0"><TN RefId="0">'
            '<T>Microsoft.HyperV.PowerShell.VMReplication</T><T>System.Object</T></TN>'
            "<ToString>VMReplication (VMName = 'web_x005F_01')</ToString><Props><S N=\"VMName\">web_x005F_01</S>"
            '<S N="ReplicationState">Replicating</S><Obj N="ExcludedDisks" RefId="1"><TN RefId="1"><T>System.Collections.Generic.List`1'
            '[[Microsoft.HyperV.PowerShell.HardDiskDrive, Microsoft.HyperV.PowerShell.Objects]]</T><T>System.Object</T></TN><LST>'
            "<S>HardDiskDrive (Name = 'Hard Drive')</S></LST></Obj><TS N=\"AutoResynchronizeIntervalEnd\">PT6H</TS><Nil N=\"CertificateThumbprint\" />"
            '<U32 N="ReplicaServerPort">80</U32></Props><MS><S N="PSComputerName">hv01</S></MS></Obj></Objs>')
    converted = runner_output(text)
    assert converted == PSObjectData([HV + 'VMReplication', 'System.Object'], {
        'VMName': 'web_01', 'ReplicationState': 'Replicating', 'ExcludedDisks': ["HardDiskDrive (Name = 'Hard Drive')"],
        'AutoResynchronizeIntervalEnd': 21600.0, 'CertificateThumbprint': None, 'ReplicaServerPort': 80, 'PSComputerName': 'hv01',
    }, "VMReplication (VMName = 'web_01')")
    assert converted == psrp_output(Serializer().deserialize(text[text.index('<Obj RefId'):-len('</Objs>')]))


def test_runner_error():
    record = {'command': 'Get-VM', 'message': 'nope', 'fully_qualified_error_id': 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM',
              'category': 'InvalidArgument', 'exception_type': 'Microsoft.HyperV.PowerShell.VirtualizationException', 'target': 'x'}
    assert runner_error(record).to_dict() == record


def test_datetime_stays_an_iso_string():
    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    converted = psrp_output(pypsrp_object(Obj(['T', 'System.Object'], {'When': stamp})))
    assert converted['When'].startswith('2026-01-02T03:04:05')
