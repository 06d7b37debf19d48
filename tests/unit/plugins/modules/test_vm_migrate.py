# -*- coding: utf-8 -*-
"""vm_migrate: Compare-VM's report read from either transport, and refused moves explained."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, PSObjectData
from ansible_collections.hyperv.mobility.plugins.modules.vm_migrate import explain, find_vm, incompatibilities_of, plain, vm_view

HV = 'Microsoft.HyperV.PowerShell.'
VERSION = "The virtual machine 'web' is using configuration version 10.0, which is not supported by the destination host 'HV02'."


def report_with(entries):
    return PipelineResult([PSObjectData([HV + 'VMCompatibilityReport'], {'Incompatibilities': entries})])


def test_incompatibilities_as_psrp_gives_them_dicts_of_properties():
    result = report_with([{'Message': VERSION, 'MessageId': 24002, 'Source': {'Name': 'web'}}])
    assert incompatibilities_of(result) == [{'message': VERSION, 'message_id': 24002}]


def test_incompatibilities_as_the_winrm_runner_gives_nested_objects():
    nested = {'type_names': [HV + 'VMCompatibilityError'], 'to_string': VERSION, 'properties': {'Message': VERSION, 'MessageId': 24002}}
    assert incompatibilities_of(report_with([nested])) == [{'message': VERSION, 'message_id': 24002}]
    assert plain(nested) == {'Message': VERSION, 'MessageId': 24002}


def test_no_report_and_an_empty_report_mean_no_incompatibility():
    assert incompatibilities_of(PipelineResult()) == [] and incompatibilities_of(report_with(None)) == []


def test_find_vm_is_case_insensitive_and_vm_view_is_plain():
    vm = PSObjectData([HV + 'VirtualMachine'], {'Name': 'Web', 'Id': 'abc', 'State': 'Running', 'Version': '10.0'})
    result = PipelineResult([vm])
    assert find_vm(result, 'web') is vm and find_vm(result, 'db') is None
    assert vm_view(vm) == {'name': 'Web', 'id': 'abc', 'state': 'Running', 'version': '10.0'}


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
