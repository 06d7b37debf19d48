# -*- coding: utf-8 -*-
"""Conversion of real pypsrp objects (CLIXML -> pypsrp) and runner JSON into plain values."""

import datetime
import uuid

import pytest
from pypsrp.serializer import Serializer

from clixml import Enum, Obj, PSGuid, PSUInt, PSVersion, TimeSpan, pypsrp_error_record, pypsrp_object
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


def test_runner_output_matches_psrp_output_for_the_same_object():
    runner_json = {
        'type_names': [HV + 'VMHost', HV + 'VirtualizationObject', 'System.Object'],
        'to_string': HV + 'VMHost',
        'properties': {
            'ComputerName': 'HV01', 'VirtualMachineMigrationEnabled': True,
            'VirtualMachineMigrationAuthenticationType': 'Kerberos', 'VirtualMachineMigrationPerformanceOption': 'SMB',
            'ResourceMeteringSaveInterval': 5400.5, 'MaximumVirtualMachineMigrations': 2, 'InternalNetworkAdapters': [],
            'Tags': ['a', 'b'], 'Settings': {'Key': 'Value'}, 'CimSession': None,
        },
    }
    assert runner_output(runner_json) == psrp_output(pypsrp_object(vmhost()))


def test_runner_nested_objects_become_dicts():
    nested = {'type_names': ['X'], 'to_string': 'x', 'properties': {'A': 1}}
    converted = runner_output({'type_names': ['T'], 'to_string': 't', 'properties': {'Child': nested, 'List': [nested]}})
    assert converted.properties == {'Child': {'A': 1}, 'List': [{'A': 1}]}
    assert runner_output([nested]) == [{'A': 1}]
    assert runner_output('plain') == 'plain'


def test_runner_error():
    record = {'command': 'Get-VM', 'message': 'nope', 'fully_qualified_error_id': 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM',
              'category': 'InvalidArgument', 'exception_type': 'Microsoft.HyperV.PowerShell.VirtualizationException', 'target': 'x'}
    assert runner_error(record).to_dict() == record


def test_datetime_stays_an_iso_string():
    stamp = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    converted = psrp_output(pypsrp_object(Obj(['T', 'System.Object'], {'When': stamp})))
    assert converted['When'].startswith('2026-01-02T03:04:05')
