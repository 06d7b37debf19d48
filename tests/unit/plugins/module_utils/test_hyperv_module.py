# -*- coding: utf-8 -*-
"""The module base class: argument spec merging, argument validation, error translation, the read/diff/apply flow."""

import json

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hyperv.mobility.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import OutcomeUnknownError, RetryPolicy
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command, PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import ConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    CONNECTION_ARGUMENT_SPEC, HostResource, HypervModule, connection_argument_spec, state_diff,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, PSObjectData

from test_host_session import ScriptedTransport, dropped_error


class ModuleExit(Exception):
    def __init__(self, result, failed):
        super().__init__(result)
        self.result = result
        self.failed = failed


def run_module(capsys, args, body):
    """Run body(module) inside a real AnsibleModule with args; return (result dict, failed)."""
    with patch_module_args(args):
        with pytest.raises(SystemExit) as exited:
            body()
    output = json.loads(capsys.readouterr().out)
    return output, exited.value.code != 0


BASE_ARGS = {'hyperv_host': 'hv01.hvlab.test', 'hyperv_user': 'labadmin', 'hyperv_password': 's3cret'}


def test_doc_fragment_and_argument_spec_agree():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
    assert set(documented) == set(CONNECTION_ARGUMENT_SPEC)
    for name, spec in CONNECTION_ARGUMENT_SPEC.items():
        doc = documented[name]
        assert doc['type'] == spec['type'], name
        assert doc.get('default') == spec.get('default'), name
        assert doc.get('choices') == spec.get('choices'), name
        assert bool(doc.get('required')) == bool(spec.get('required')), name
    assert CONNECTION_ARGUMENT_SPEC['hyperv_password']['no_log'] is True


def test_module_options_merge_but_cannot_redefine_connection_options():
    spec = connection_argument_spec({'name': {'type': 'str'}})
    assert 'name' in spec and 'hyperv_host' in spec
    with pytest.raises(ValueError, match='hyperv_port'):
        connection_argument_spec({'hyperv_port': {'type': 'str'}})


def test_state_diff():
    assert state_diff({'a': 1, 'b': 2}, {'a': 1, 'b': 3, 'c': None}) == ['b']
    assert state_diff({'a': [1]}, {'a': [1], 'd': 0}) == ['d']


def test_missing_host_fails_argument_validation(capsys):
    result, failed = run_module(capsys, {}, HypervModule)
    assert failed and 'hyperv_host' in result['msg']


def test_certificate_auth_requires_the_certificate_files(capsys):
    result, failed = run_module(capsys, dict(BASE_ARGS, hyperv_auth='certificate'), HypervModule)
    assert failed and 'hyperv_cert_pem' in result['msg']


def test_unknown_transport_is_refused(capsys):
    result, failed = run_module(capsys, dict(BASE_ARGS, hyperv_transport='ssh'), HypervModule)
    assert failed and 'hyperv_transport' in result['msg']


def test_password_is_not_logged_and_options_reach_the_session(capsys):
    def body():
        module = HypervModule()
        options = module.session.options
        module.exit_json(port=options.port, protocol=options.protocol, validate=options.validate_certs, secret='s3cret')

    result, failed = run_module(capsys, BASE_ARGS, body)
    assert not failed and (result['port'], result['protocol'], result['validate']) == (5986, 'https', True)
    # no_log values are masked wherever they appear in the result
    assert 's3cret' not in json.dumps(result) and result['secret'] != 's3cret'


# ------------------------------------------------------------------ run_resource

class MigrationSwitch(HostResource):
    """A tiny resource: live migration on or off (Get-VMHost / Enable- / Disable-VMMigration)."""

    def read_commands(self):
        return [Command('Get-VMHost')]

    def current_state(self, result):
        return {'enabled': result.of_type('Microsoft.HyperV.PowerShell.VMHost')[0]['VirtualMachineMigrationEnabled']}

    def desired_state(self, before):
        return dict(before, enabled=self.params['enabled'])

    def apply_commands(self, before, after):
        return [Command('Enable-VMMigration' if after['enabled'] else 'Disable-VMMigration')]


def vmhost(enabled):
    return PipelineResult([PSObjectData(['Microsoft.HyperV.PowerShell.VMHost'], {'VirtualMachineMigrationEnabled': enabled})])


def resource_module(transport, check_mode=False, diff=False):
    """A HypervModule whose session runs on a scripted transport (the rest is the real AnsibleModule)."""
    module = HypervModule(argument_spec={'enabled': {'type': 'bool', 'required': True}})
    module.module.check_mode = check_mode
    module.module._diff = diff  # pylint: disable=protected-access
    session = HostSession(ConnectionOptions.from_params(module.params), retry_policy=RetryPolicy(0), transport=transport)
    module._session = session  # pylint: disable=protected-access
    return module


def test_run_resource_unchanged_costs_one_pipeline(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(True)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).run_resource(
        MigrationSwitch({'enabled': True})))
    assert not failed and result['changed'] is False and result['before'] == result['after'] == {'enabled': True}
    assert transport.runs == [['Get-VMHost']]


def test_run_resource_applies_in_one_more_pipeline_with_diff(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult()])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True, _ansible_diff=True),
                                lambda: resource_module(transport, diff=True).run_resource(MigrationSwitch({'enabled': True})))
    assert not failed and result['changed'] is True
    assert result['diff'] == {'before': {'enabled': False}, 'after': {'enabled': True}}
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration']]


def test_run_resource_check_mode_reports_without_writing(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport, check_mode=True).run_resource(
        MigrationSwitch({'enabled': True})))
    assert not failed and result['changed'] is True and result['after'] == {'enabled': True}
    assert transport.runs == [['Get-VMHost']]


def test_run_resource_rereads_after_an_unknown_outcome_and_accepts_an_applied_change(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), dropped_error(), vmhost(True)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).run_resource(
        MigrationSwitch({'enabled': True})))
    assert not failed and result['changed'] is True
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration'], ['Get-VMHost']]
    assert result['confirmed_by_reread'] is True


def test_run_resource_fails_when_the_reread_shows_the_change_missing(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), dropped_error(), vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).run_resource(
        MigrationSwitch({'enabled': True})))
    assert failed and result['outcome_unknown'] is True and result['not_applied'] == ['enabled']
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration'], ['Get-VMHost']]


def test_cmdlet_error_becomes_a_failure_quoting_it(capsys):
    error = ErrorRecordData('Enable-VMMigration', 'The operation failed.', 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.EnableVMMigration',
                            'NotSpecified', 'Microsoft.HyperV.PowerShell.VirtualizationException')
    # read, the failing write, then the re-read that tells what was and was not applied
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult(errors=[error]), vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).run_resource(
        MigrationSwitch({'enabled': True})))
    assert failed
    assert 'Enable-VMMigration failed: The operation failed. (FullyQualifiedErrorId: OperationFailed,' in result['msg']
    assert '(applied: nothing; not applied: enabled; run the task again to converge)' in result['msg']
    assert result['errors'] == [error.to_dict()] and result['host'] == 'hv01.hvlab.test'
    assert result['applied'] == [] and result['not_applied'] == ['enabled']
    assert result['before'] == {'enabled': False} and result['after'] == {'enabled': False}


def test_outcome_unknown_error_is_a_connection_error():
    assert issubclass(OutcomeUnknownError, Exception)
    error = OutcomeUnknownError('m', host='hv01')
    assert error.host == 'hv01' and error.message == 'm'
