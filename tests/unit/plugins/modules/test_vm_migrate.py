# -*- coding: utf-8 -*-
"""vm_migrate: Compare-VM's report read from either transport, and refused moves explained."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, PSObjectData
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import ModuleFailure
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import find_one_vm
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.reads import compare_vm as compare_statement, vm_processor as processor_statement
from ansible_collections.hyperv.mobility.plugins.modules.vm_migrate import explain, incompatibilities_of, vm_view

HV = 'Microsoft.HyperV.PowerShell.'
VERSION = "The virtual machine 'web' is using configuration version 10.0, which is not supported by the destination host 'HV02'."


def test_compare_vm_expands_the_incompatibilities_in_the_same_statement():
    statement = compare_statement({'Name': 'web', 'DestinationHost': 'hv02.hvlab.test'})
    assert [(command.name, command.parameters) for command in statement.commands] == [
        ('Compare-VM', {'Name': 'web', 'DestinationHost': 'hv02.hvlab.test'}),
        ('Select-Object', {'ExpandProperty': 'Incompatibilities'})]
    assert statement.read_only


def test_compare_vm_of_a_vm_given_by_id_gets_the_vm_object_of_get_vm():
    statement = compare_statement({'DestinationHost': 'hv02.hvlab.test'}, '0f8fad5b-d9cb-469f-a165-70867728950e')
    assert [(command.name, command.parameters) for command in statement.commands] == [
        ('Get-VM', {'Id': '0f8fad5b-d9cb-469f-a165-70867728950e'}),
        ('Compare-VM', {'DestinationHost': 'hv02.hvlab.test'}),
        ('Select-Object', {'ExpandProperty': 'Incompatibilities'})]
    assert statement.read_only


def test_incompatibilities_are_the_top_level_compatibility_errors():
    error = PSObjectData([HV + 'VMCompatibilityError', 'System.Object'], {'Message': VERSION, 'MessageId': 24002,
                                                                          'Source': "VirtualMachine (Name = 'web') [Id = '1']"})
    assert incompatibilities_of(PipelineResult([error])) == [{'message': VERSION, 'message_id': 24002}]


def test_a_report_read_over_remoting_holds_no_message():
    # Replaces the tests that read nested VMCompatibilityError objects out of the report (an invented behaviour): a host
    # serializes at depth 1, so the report's Incompatibilities arrive as the errors' ToString(), their type name.
    report = PSObjectData([HV + 'VMCompatibilityReport'], {'Incompatibilities': [HV + 'VMCompatibilityError']})
    assert incompatibilities_of(PipelineResult([report])) == []
    assert incompatibilities_of(PipelineResult()) == []


def test_find_vm_is_case_insensitive_and_vm_view_is_plain():
    vm = PSObjectData([HV + 'VirtualMachine'], {'Name': 'Web', 'Id': 'abc', 'State': 'Running', 'Version': '10.0'})
    vms = PipelineResult([vm]).of_type(HV + 'VirtualMachine')
    assert find_one_vm(vms, 'web', None, 'hv01') is vm and find_one_vm(vms, 'db', None, 'hv01') is None
    assert find_one_vm(vms, None, 'abc', 'hv01') is vm and find_one_vm(vms, None, 'abd', 'hv01') is None
    assert vm_view(vm) == {'name': 'Web', 'id': 'abc', 'state': 'Running', 'version': '10.0'}


def test_a_name_two_vms_share_fails_naming_both_ids():
    first = PSObjectData([HV + 'VirtualMachine'], {'Name': 'web', 'Id': 'AAA'})
    second = PSObjectData([HV + 'VirtualMachine'], {'Name': 'WEB', 'Id': 'bbb'})
    with pytest.raises(ModuleFailure) as caught:
        find_one_vm([first, second], 'Web', None, 'hv01')
    assert caught.value.msg.startswith("VM name 'Web' matches 2 VMs on hv01: web (id aaa), WEB (id bbb).") and 'vm_id' in caught.value.msg
    assert caught.value.details['vms'] == [{'name': 'web', 'id': 'aaa'}, {'name': 'WEB', 'id': 'bbb'}]
    assert find_one_vm([first, second], None, 'bbb', 'hv01') is second


def error(message):
    return ErrorRecordData('Move-VM', message, 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.MoveVM')


NO_CREDENTIALS = "Failed to establish a connection with host 'hv02': No credentials are available in the security package (0x8009030E)."


def test_no_credentials_with_credssp_explains_the_session_rule():
    why, fix = explain([error(NO_CREDENTIALS)], 'CredSSP', 'basic', False)
    assert 'session on the source host' in why and 'basic authentication' in why and 'Kerberos' in fix


def test_no_credentials_with_kerberos_points_to_delegation():
    why, fix = explain([error(NO_CREDENTIALS)], 'Kerberos', 'ntlm', True)
    assert 'delegate' in why and 'cifs' in why and 'kerberos_delegation' in fix and 'klist -li 0x3e7 purge' in fix


@pytest.mark.parametrize('code, words', [('0x8007274D', 'refuses'), ('0x8007274C', 'no address'), ('0x80090302', 'different'),
                                         ('0x80090311', 'domain controller'), ('0x80090303', 'computer account')])
def test_connection_errors_are_explained(code, words):
    why, fix = explain([error('Failed to establish a connection: something (%s).' % code.lower())], 'Kerberos', 'ntlm', False)
    assert words in why and fix


def test_unknown_errors_point_to_the_preflight():
    why, fix = explain([error('The operation failed.')], 'Kerberos', 'ntlm', False)
    assert why is None and 'migration_preflight' in fix


def test_the_processor_settings_are_read_by_name_or_from_the_vm_object_of_get_vm():
    by_name = processor_statement('web')
    assert [(command.name, command.parameters) for command in by_name.commands] == [('Get-VMProcessor', {'VMName': ['web']})]
    by_id = processor_statement(None, '0f8fad5b-d9cb-469f-a165-70867728950e')
    assert [(command.name, command.parameters) for command in by_id.commands] == [
        ('Get-VM', {'Id': '0f8fad5b-d9cb-469f-a165-70867728950e'}), ('Get-VMProcessor', {})]
    assert by_name.read_only and by_id.read_only
