# -*- coding: utf-8 -*-
"""The module base class: argument spec merging, argument validation, error translation, the read/diff/apply flow."""

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import OutcomeUnknownError, RetryPolicy
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command, PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import ConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession
from ansible_collections.hyperv.mobility.plugins.module_utils._host import options as options_module
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import CONNECTION_ARGUMENT_SPEC
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    MAX_WAIT_SECONDS, HostResource, HypervModule, ModuleFailure, Resource, Step, StepFailed, WaitStopped, check_range, connection_argument_spec,
    state_diff,
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


def test_the_password_options_are_no_log():
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
        module.exit(port=options.port, protocol=options.protocol, validate=options.validate_certs, secret='s3cret')

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
        return {'enabled': result.of_type('Microsoft.HyperV.PowerShell.VMHost')[0].get('VirtualMachineMigrationEnabled')}

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
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).execute(MigrationSwitch))
    assert not failed and result['changed'] is False and result['before'] == result['after'] == {'enabled': True}
    assert transport.runs == [['Get-VMHost']]


def test_run_resource_applies_in_one_more_pipeline_with_diff(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult()])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True, _ansible_diff=True),
                                lambda: resource_module(transport, diff=True).execute(MigrationSwitch))
    assert not failed and result['changed'] is True
    assert result['diff'] == {'before': {'enabled': False}, 'after': {'enabled': True}}
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration']]


def test_run_resource_check_mode_reports_without_writing(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport, check_mode=True).execute(MigrationSwitch))
    assert not failed and result['changed'] is True and result['after'] == {'enabled': True}
    assert transport.runs == [['Get-VMHost']]


def test_run_resource_rereads_after_an_unknown_outcome_and_accepts_an_applied_change(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), dropped_error(), vmhost(True)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).execute(MigrationSwitch))
    assert not failed and result['changed'] is True
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration'], ['Get-VMHost']]
    assert result['confirmed_by_reread'] is True


def test_run_resource_fails_when_the_reread_shows_the_change_missing(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), dropped_error(), vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).execute(MigrationSwitch))
    assert failed and result['outcome_unknown'] is True and result['not_applied'] == ['enabled']
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration'], ['Get-VMHost']]


def test_cmdlet_error_becomes_a_failure_quoting_it(capsys):
    error = ErrorRecordData('Enable-VMMigration', 'The operation failed.', 'OperationFailed,Microsoft.HyperV.PowerShell.Commands.EnableVMMigration',
                            'NotSpecified', 'Microsoft.HyperV.PowerShell.VirtualizationException')
    # read, the failing write, then the re-read that tells what was and was not applied
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult(errors=[error]), vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).execute(MigrationSwitch))
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


def test_a_failed_write_that_applied_nothing_reports_changed_false(capsys):
    error = ErrorRecordData('Enable-VMMigration', 'The operation failed.', 'OperationFailed', 'NotSpecified')
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult(errors=[error]), vmhost(False)])
    result, failed = run_module(capsys, dict(BASE_ARGS, enabled=True), lambda: resource_module(transport).execute(MigrationSwitch))
    assert failed and result['changed'] is False and result['applied'] == [] and result['not_applied'] == ['enabled']


# ------------------------------------------------------------------ a plan of several write steps (issue 21 class 1)

class TwoSteps(Resource):
    """A plan of two write steps, each one pipeline; then, when asked, something that fails after the writes."""

    def run(self, module):
        module.read([Command('Get-VMHost')])
        steps = [Step(module.session, [Command('Enable-VMMigration')]),
                 Step(module.session, [Command('Set-VMHost', {'MaximumVirtualMachineMigrations': 4}),
                                       Command('Add-VMMigrationNetwork', {'Subnet': '10.0.0.0/24'})])]
        try:
            module.run_steps(steps)
        except StepFailed as failed:
            raise ModuleFailure('step on %s failed: %s' % (failed.step.session.options.host, failed.msg))
        if self.params['then'] == 'fail':
            raise ModuleFailure('the wait after the writes timed out')
        if self.params['then'] == 'crash':
            raise OverflowError('timestamp too large to convert to C _PyTime_t')
        return dict(changed=True)


def plan_module(transport, check_mode=False):
    module = HypervModule(argument_spec={'then': {'type': 'str', 'default': 'return'}})
    module.module.check_mode = check_mode
    module._session = HostSession(module.connection_options, retry_policy=RetryPolicy(0), transport=transport)  # pylint: disable=protected-access
    return module


STEP_TWO = ['Set-VMHost MaximumVirtualMachineMigrations=4', 'Add-VMMigrationNetwork Subnet=10.0.0.0/24']


def test_a_failed_second_step_reports_changed_with_what_was_and_was_not_applied(capsys):
    denied = ErrorRecordData('Set-VMHost', 'Access is denied.', 'AccessDenied,Microsoft.HyperV.PowerShell.Commands.SetVMHost', 'PermissionDenied')
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult(), PipelineResult(errors=[denied])])
    result, failed = run_module(capsys, BASE_ARGS, lambda: plan_module(transport).execute(TwoSteps))
    assert failed and result['changed'] is True
    # Add-VMMigrationNetwork ran in the same pipeline (PowerShell goes on with the next statement) and wrote no error record.
    assert result['applied'] == ['Enable-VMMigration', 'Add-VMMigrationNetwork Subnet=10.0.0.0/24']
    assert result['not_applied'] == ['Set-VMHost MaximumVirtualMachineMigrations=4'] and 'unknown' not in result
    assert 'Set-VMHost failed: Access is denied.' in result['msg']
    assert result['msg'].endswith('(applied: Enable-VMMigration, Add-VMMigrationNetwork Subnet=10.0.0.0/24; not applied: '
                                  'Set-VMHost MaximumVirtualMachineMigrations=4; run the task again to converge)')


def test_a_step_never_sent_is_not_applied_and_one_whose_answer_was_lost_is_unknown(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), dropped_error(), PipelineResult()])
    result, failed = run_module(capsys, BASE_ARGS, lambda: plan_module(transport).execute(TwoSteps))
    assert failed and result['changed'] is True and result['outcome_unknown'] is True
    assert result['applied'] == [] and result['unknown'] == ['Enable-VMMigration'] and result['not_applied'] == STEP_TWO
    assert transport.runs == [['Get-VMHost'], ['Enable-VMMigration']]     # the plan stops: step two is never sent


def test_a_failure_after_the_writes_still_says_changed_and_what_was_applied(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult(), PipelineResult()])
    result, failed = run_module(capsys, dict(BASE_ARGS, then='fail'), lambda: plan_module(transport).execute(TwoSteps))
    assert failed and result['changed'] is True and result['applied'] == ['Enable-VMMigration'] + STEP_TWO and result['not_applied'] == []
    assert result['msg'].startswith('the wait after the writes timed out (applied: Enable-VMMigration, ')


def test_an_unexpected_exception_after_a_write_is_a_message_with_changed_not_a_traceback(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False), PipelineResult(), PipelineResult()])
    result, failed = run_module(capsys, dict(BASE_ARGS, then='crash'), lambda: plan_module(transport).execute(TwoSteps))
    assert failed and result['changed'] is True and len(result['applied']) == 3
    assert result['msg'].startswith('unexpected error on hv01.hvlab.test: OverflowError: timestamp too large')
    assert 'Traceback' not in result['msg']


def test_a_failure_before_any_write_reports_no_outcome(capsys):
    transport = ScriptedTransport(run_outcomes=[PipelineResult(errors=[ErrorRecordData('Get-VMHost', 'no', 'X', 'NotSpecified')])])

    class ReadFails(Resource):
        def run(self, module):
            module.read([Command('Get-VMHost')], check=True)

    result, failed = run_module(capsys, BASE_ARGS, lambda: plan_module(transport).execute(ReadFails))
    assert failed and 'applied' not in result and not result.get('changed')


def test_a_write_in_check_mode_is_refused_by_the_skeleton(capsys):
    transport = ScriptedTransport(run_outcomes=[vmhost(False)])
    result, failed = run_module(capsys, BASE_ARGS, lambda: plan_module(transport, check_mode=True).execute(TwoSteps))
    assert failed and 'a write was attempted in check mode' in result['msg'] and transport.runs == [['Get-VMHost']]


def test_options_are_validated_before_anything_is_read(capsys):
    transport = ScriptedTransport()

    class Bounded(Resource):
        def validate(self):
            check_range('timeout', self.params['timeout'], 1, MAX_WAIT_SECONDS)

        def run(self, module):
            raise AssertionError('never reached')

    def body():
        module = HypervModule(argument_spec={'timeout': {'type': 'int'}})
        module._session = HostSession(module.connection_options, transport=transport)  # pylint: disable=protected-access
        module.execute(Bounded)

    result, failed = run_module(capsys, dict(BASE_ARGS, timeout=10 ** 12), body)
    assert failed and result['msg'] == 'timeout must be between 1 and %d, got %d' % (MAX_WAIT_SECONDS, 10 ** 12)
    assert transport.runs == [] and transport.opened == 0


# ------------------------------------------------------------------ waiting

def test_wait_until_keeps_each_state_once_and_stops_at_the_timeout(capsys):
    states = iter(['Ready', 'Ready', 'Copying', 'Copying', 'Copying'])
    now = [0.0]

    def body():
        module = plan_module(ScriptedTransport())
        waited = module.wait_until(lambda: next(states), lambda state: state == 'Done', timeout=3, interval=1,
                                   state_of=lambda state: {'state': state}, clock=lambda: now[0], sleep=lambda seconds: now.__setitem__(0, now[0] + seconds))
        module.exit(report=waited.report(), last=waited.value)

    result, failed = run_module(capsys, BASE_ARGS, body)
    assert not failed and result['last'] == 'Copying' and result['report']['finished'] is False
    assert result['report']['progress'] == [{'state': 'Ready', 'elapsed_seconds': 0.0}, {'state': 'Copying', 'elapsed_seconds': 2.0}]


def test_wait_until_gives_up_when_the_work_failed():
    module_states = iter(['Copying', 'Error'])
    with pytest.raises(WaitStopped) as stopped:
        HypervModule.wait_until(None, lambda: next(module_states), lambda state: state == 'Done', timeout=60, interval=1,
                                stop=lambda state: 'stopped in %s' % state if state == 'Error' else None, sleep=lambda seconds: None)
    assert stopped.value.msg == 'stopped in Error' and stopped.value.waited.value == 'Error'


# ------------------------------------------------------------------ connection options, before any connection (issue 21 class 3)

@pytest.mark.parametrize('given, words', [
    ({'hyperv_port': 0}, 'hyperv_port must be between 1 and 65535, got 0 (host hv01.hvlab.test)'),
    ({'hyperv_port': 70000}, 'hyperv_port must be between 1 and 65535, got 70000'),
    ({'hyperv_connection_timeout': -5}, 'hyperv_connection_timeout must be between 1 and 86400, got -5'),
    ({'hyperv_operation_timeout': 10 ** 15}, 'hyperv_operation_timeout must be between 1 and 86400'),
    ({'hyperv_read_timeout': 0}, 'hyperv_read_timeout must be between 1 and 86400, got 0'),
    ({'hyperv_retries': -1}, 'hyperv_retries must be between 0 and 20, got -1'),
    ({'hyperv_retries': 10 ** 9}, 'hyperv_retries must be between 0 and 20'),
    ({'hyperv_ca_cert': '/nonexistent/ca.pem'}, 'hyperv_ca_cert: /nonexistent/ca.pem does not exist on the controller (host hv01.hvlab.test)'),
    ({'hyperv_auth': 'certificate', 'hyperv_cert_pem': '/nonexistent/c.pem', 'hyperv_cert_key_pem': '/nonexistent/k.pem'},
     'hyperv_cert_pem: /nonexistent/c.pem does not exist'),
])
def test_bad_connection_options_fail_naming_the_option_and_the_host(capsys, given, words):
    result, failed = run_module(capsys, dict(BASE_ARGS, **given), HypervModule)
    assert failed and words in result['msg'] and 'Traceback' not in result['msg']


@pytest.mark.parametrize('transport, auth, package', [
    ('psrp', 'credssp', 'pypsrp[credssp]'), ('psrp', 'kerberos', 'pyspnego[kerberos]'),
    ('winrm', 'credssp', 'pywinrm[credssp]'), ('winrm', 'kerberos', 'pywinrm[kerberos]'),
])
def test_a_missing_authentication_library_is_named_with_its_pip_package(capsys, monkeypatch, transport, auth, package):
    monkeypatch.setattr(options_module, '_importable', lambda name: False)
    result, failed = run_module(capsys, dict(BASE_ARGS, hyperv_transport=transport, hyperv_auth=auth, hyperv_user='admin@HVLAB.TEST'), HypervModule)
    assert failed and 'hyperv_auth=%s over %s needs the Python package %s' % (auth, transport, package) in result['msg']
    assert 'hv01.hvlab.test' in result['msg']


def test_kerberos_without_a_realm_is_refused_unless_the_user_names_one(capsys, monkeypatch):
    monkeypatch.setattr(options_module, '_importable', lambda name: True)
    monkeypatch.setattr(options_module, 'kerberos_default_realm', lambda: None)
    result, failed = run_module(capsys, dict(BASE_ARGS, hyperv_auth='kerberos', hyperv_user='labadmin'), HypervModule)
    assert failed and "hyperv_auth=kerberos for user 'labadmin': the controller has no Kerberos default realm" in result['msg']
    assert ConnectionOptions(host='hv01', auth='kerberos', user='labadmin@HVLAB.TEST').problems() == []


def test_kerberos_default_realm_is_read_from_the_configuration(tmp_path, monkeypatch):
    config = tmp_path / 'krb5.conf'
    config.write_text('[libdefaults]\n  default_realm = HVLAB.TEST\n')
    monkeypatch.setenv('KRB5_CONFIG', str(config))
    assert options_module.kerberos_default_realm() == 'HVLAB.TEST'
    monkeypatch.setenv('KRB5_CONFIG', str(tmp_path / 'absent.conf'))
    assert options_module.kerberos_default_realm() is None


def test_a_destination_connection_is_checked_with_its_own_option_names():
    problems = ConnectionOptions(host='hv02', port=0, ca_cert='/nonexistent').problems('destination_connection.')
    assert problems == ['destination_connection.port must be between 1 and 65535, got 0 (host hv02)',
                        'destination_connection.ca_cert: /nonexistent does not exist on the controller (host hv02)']


def test_a_plan_whose_first_step_cannot_reach_the_host_reports_nothing_applied(capsys):
    refused = ConnectionRefusedError(111, 'Connection refused')
    transport = ScriptedTransport(run_outcomes=[vmhost(False), refused])
    result, failed = run_module(capsys, BASE_ARGS, lambda: plan_module(transport).execute(TwoSteps))
    assert failed and result['changed'] is False and result['applied'] == []
    assert result['not_applied'] == ['Enable-VMMigration'] + STEP_TWO and 'run the task again to converge' in result['msg']


class TwoSettings(HostResource):
    """Migration on and a limit, written in one pipeline (Enable-VMMigration, Set-VMHost)."""

    def read_commands(self):
        return [Command('Get-VMHost')]

    def current_state(self, result):
        vmhost = result.of_type('Microsoft.HyperV.PowerShell.VMHost')[0]
        return {'enabled': vmhost.get('VirtualMachineMigrationEnabled'), 'limit': vmhost.get('MaximumVirtualMachineMigrations')}

    def desired_state(self, before):
        return {'enabled': True, 'limit': 4}

    def apply_commands(self, before, after):
        return [Command('Enable-VMMigration'), Command('Set-VMHost', {'MaximumVirtualMachineMigrations': 4})]


def vmhost_with(enabled, limit):
    return PipelineResult([PSObjectData(['Microsoft.HyperV.PowerShell.VMHost'],
                                        {'VirtualMachineMigrationEnabled': enabled, 'MaximumVirtualMachineMigrations': limit})])


def test_a_write_pipeline_that_partly_failed_reports_the_keys_the_reread_found_applied(capsys):
    denied = ErrorRecordData('Set-VMHost', 'The operation failed.', 'OperationFailed', 'NotSpecified')
    transport = ScriptedTransport(run_outcomes=[vmhost_with(False, 2), PipelineResult(errors=[denied]), vmhost_with(True, 2)])
    result, failed = run_module(capsys, BASE_ARGS, lambda: resource_module_of(transport).execute(TwoSettings))
    assert failed and result['changed'] is True and result['applied'] == ['enabled'] and result['not_applied'] == ['limit']
    assert result['after'] == {'enabled': True, 'limit': 2} and '(applied: enabled; not applied: limit;' in result['msg']


def resource_module_of(transport):
    module = HypervModule()
    module._session = HostSession(module.connection_options, retry_policy=RetryPolicy(0), transport=transport)  # pylint: disable=protected-access
    return module


# ------------------------------------------------------------------ a concurrent run made the change first (issue 21 class 5)
class AddNetwork(HostResource):
    """Two networks added in one pipeline; the host refuses an Add whose subnet exists (another run added it)."""

    def read_commands(self):
        return [Command('Get-VMMigrationNetwork')]

    def current_state(self, result):
        return {'networks': sorted(item.get('Subnet') for item in result.output)}

    def desired_state(self, before):
        return {'networks': ['10.1.0.0/16', '10.2.0.0/16']}

    def apply_commands(self, before, after):
        return [Command('Add-VMMigrationNetwork', {'Subnet': subnet}) for subnet in after['networks'] if subnet not in before['networks']]

    def made_by_another_run(self, command, error):
        return error.fully_qualified_error_id.startswith('OperationFailed,') and "'%s'" % command.parameters['Subnet'] in error.message


def networks(*subnets):
    return PipelineResult([PSObjectData(['Microsoft.HyperV.PowerShell.VMMigrationNetwork'], {'Subnet': subnet}) for subnet in subnets])


def subnet_exists(subnet):
    return ErrorRecordData('Add-VMMigrationNetwork', "The migration network '%s' already exists." % subnet,
                           'OperationFailed,Microsoft.HyperV.PowerShell.Commands.AddVMMigrationNetwork', 'InvalidOperation')


@pytest.fixture
def warned(monkeypatch):
    """The warnings the module gives (ansible-core's own list is process-wide and other tests leave it in any state)."""
    messages = []
    monkeypatch.setattr(HypervModule, 'warn', lambda _module, message: messages.append(message))
    return messages


def test_a_change_another_run_made_first_converges_and_reports_only_this_runs_change(capsys, warned):
    transport = ScriptedTransport(run_outcomes=[networks(), PipelineResult(errors=[subnet_exists('10.2.0.0/16')]),
                                                networks('10.1.0.0/16', '10.2.0.0/16')])
    result, failed = run_module(capsys, BASE_ARGS, lambda: resource_module_of(transport).execute(AddNetwork))
    assert not failed and result['changed'] is True
    assert result['after'] == {'networks': ['10.1.0.0/16', '10.2.0.0/16']}
    assert len(warned) == 1 and 'Another run changed hv01.hvlab.test' in warned[0] and 'Subnet=10.2.0.0/16 was already done' in warned[0]
    assert '10.1.0.0/16' not in warned[0]
    assert [commands[0] for commands in transport.runs] == ['Get-VMMigrationNetwork', 'Add-VMMigrationNetwork', 'Get-VMMigrationNetwork']


def test_every_change_made_by_another_run_reports_unchanged(capsys, warned):
    transport = ScriptedTransport(run_outcomes=[networks(), PipelineResult(errors=[subnet_exists('10.1.0.0/16'), subnet_exists('10.2.0.0/16')]),
                                                networks('10.1.0.0/16', '10.2.0.0/16')])
    result, failed = run_module(capsys, BASE_ARGS, lambda: resource_module_of(transport).execute(AddNetwork))
    assert not failed and result['changed'] is False
    assert 'Subnet=10.1.0.0/16, Add-VMMigrationNetwork Subnet=10.2.0.0/16 was already done' in warned[0]


def test_a_concurrent_error_does_not_converge_when_the_reread_still_differs(capsys):
    transport = ScriptedTransport(run_outcomes=[networks(), PipelineResult(errors=[subnet_exists('10.2.0.0/16')]), networks('10.2.0.0/16')])
    result, failed = run_module(capsys, BASE_ARGS, lambda: resource_module_of(transport).execute(AddNetwork))
    assert failed and 'already exists' in result['msg'] and result['not_applied'] == ['networks']


@pytest.mark.parametrize('error', [
    ErrorRecordData('Add-VMMigrationNetwork', "The migration network '10.9.0.0/16' already exists.", 'OperationFailed,X', 'InvalidOperation'),
    ErrorRecordData('Add-VMMigrationNetwork', 'Access denied.', 'AccessDenied,X', 'PermissionDenied'),
    ErrorRecordData(None, "The migration network '10.1.0.0/16' already exists.", 'OperationFailed,X', 'InvalidOperation'),
], ids=['another subnet', 'another error', 'no command'])
def test_an_error_that_is_not_this_runs_change_made_elsewhere_fails_as_before(capsys, error):
    transport = ScriptedTransport(run_outcomes=[networks(), PipelineResult(errors=[error]), networks('10.1.0.0/16', '10.2.0.0/16')])
    result, failed = run_module(capsys, BASE_ARGS, lambda: resource_module_of(transport).execute(AddNetwork))
    assert failed and result['errors'] == [error.to_dict()]


def test_journal_text_names_only_the_lists_that_hold_something():
    """A failure's text never says "not applied: nothing" (issue 21 class 7): it lists what was applied, what was not and
    what is unknown, and says so when the failure came after every planned change."""
    from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import Journal
    journal = Journal()
    journal.plan(['networks', 'enabled'])
    journal.record(applied=['networks'])
    assert journal.text() == '(applied: networks; not applied: enabled; run the task again to converge)'
    journal.record(unknown=['enabled'])
    assert journal.text() == '(applied: networks; outcome unknown: enabled; run the task again to converge)'
    journal.settle(['networks', 'enabled'])
    assert journal.text() == '(applied: networks, enabled; the failure came after every planned change; run the task again to converge)'
    assert journal.report() == dict(changed=True, applied=['networks', 'enabled'], not_applied=[])
