# -*- coding: utf-8 -*-
"""HostSession: failure classification, retry policy, outcome-unknown writes, connection options."""

import http.client

import pytest
import requests
import urllib3
from pypsrp import exceptions as pypsrp_exceptions
from winrm import exceptions as winrm_exceptions

from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import (
    FAILURE_NOT_SENT, FAILURE_PERMANENT, FAILURE_TRANSIENT, HostAuthenticationError, HostCommandError, HostConnectionError,
    OutcomeUnknownError, ProgramNotFoundError, RetryPolicy,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command, PipelineResult, Program
from ansible_collections.hyperv.mobility.plugins.module_utils._host.failures import PipelineNotSent, failure_kind, failure_reason
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import ConnectionOptions
from ansible_collections.hyperv.mobility.plugins.module_utils._host.psrp import PsrpTransport
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession
from ansible_collections.hyperv.mobility.plugins.module_utils._host.winrm import WinrmTransport
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, PSObjectData


def refused_error():
    """A real 'connection refused' from requests (nothing listens on port 1 of the loopback)."""
    try:
        requests.get('http://127.0.0.1:1/wsman', timeout=2)
    except requests.exceptions.ConnectionError as exc:
        return exc
    raise AssertionError('something listens on 127.0.0.1:1')


def dropped_error():
    return requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError('Connection aborted.', http.client.RemoteDisconnected('Remote end closed connection without response')))


def http_500():
    return pypsrp_exceptions.WinRMTransportError('http', 500, 'Internal Server Error')


def wsman_fault(code=2150858770):
    # pypsrp: (fault code, machine, reason, provider, provider path, provider fault)
    return pypsrp_exceptions.WSManFaultError(code, 'hv01', 'The WS-Management service cannot process the request.', None, None, None)


class RecordedSleep:
    def __init__(self):
        self.delays = []

    def __call__(self, seconds):
        self.delays.append(seconds)


# ------------------------------------------------------------------ classification

@pytest.mark.parametrize('make_error, reason, kind', [
    (refused_error, 'refused', FAILURE_NOT_SENT),
    (dropped_error, 'dropped', FAILURE_TRANSIENT),
    (http_500, 'http', FAILURE_TRANSIENT),
    (wsman_fault, 'wsman', FAILURE_TRANSIENT),
    (lambda: wsman_fault(5), 'access_denied', FAILURE_PERMANENT),
    # Windows hosts also answer access denied as the HRESULT 0x80070005 (subcode w:InternalError): not a transient fault.
    (lambda: wsman_fault(2147942405), 'access_denied', FAILURE_PERMANENT),
    (lambda: wsman_fault('2147942405'), 'access_denied', FAILURE_PERMANENT),
    (lambda: wsman_fault(2147942402), 'file_not_found', FAILURE_PERMANENT),
    (lambda: requests.exceptions.ReadTimeout('read timed out'), 'timeout', FAILURE_TRANSIENT),
    (lambda: requests.exceptions.ConnectTimeout('connect timed out'), 'refused', FAILURE_NOT_SENT),
    (lambda: requests.exceptions.SSLError('certificate verify failed'), 'tls', FAILURE_PERMANENT),
    # The peer closing the connection during the TLS handshake (a host going down) is a drop, not a certificate problem.
    (lambda: requests.exceptions.SSLError("HTTPSConnectionPool(host='h', port=5986): Max retries exceeded (Caused by "
                                          "SSLError(SSLEOFError(8, '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of "
                                          "protocol (_ssl.c:1006)')))"), 'dropped', FAILURE_TRANSIENT),
    (lambda: PermissionError('Access denied: Server did not respond with NTLM challenge token'), 'auth', FAILURE_PERMANENT),
    (lambda: pypsrp_exceptions.AuthenticationError('Failed to authenticate'), 'auth', FAILURE_PERMANENT),
    (lambda: pypsrp_exceptions.WinRMTransportError('http', 401, 'Unauthorized'), 'auth', FAILURE_PERMANENT),
    (lambda: pypsrp_exceptions.WinRMTransportError('http', 404, 'Not Found'), 'http', FAILURE_PERMANENT),
    (lambda: winrm_exceptions.InvalidCredentialsError('the specified credentials were rejected by the server'), 'auth', FAILURE_PERMANENT),
    (lambda: winrm_exceptions.WinRMTransportError('http', 503, 'busy'), 'http', FAILURE_TRANSIENT),
    (winrm_exceptions.WinRMOperationTimeoutError, 'timeout', FAILURE_TRANSIENT),
    (lambda: winrm_exceptions.WSManFaultError(500, 'm', 'r', 'Access is denied.', wsman_fault_code=5), 'access_denied', FAILURE_PERMANENT),
    (lambda: winrm_exceptions.WSManFaultError(500, 'm', 'r', 'Access is denied.', fault_subcode='w:InternalError',
                                              wsman_fault_code=2147942405), 'access_denied', FAILURE_PERMANENT),
    (lambda: winrm_exceptions.WSManFaultError(500, 'm', 'r', 'busy', wsman_fault_code=2150858843), 'wsman', FAILURE_TRANSIENT),
    (lambda: ConnectionResetError(104, 'Connection reset by peer'), 'dropped', FAILURE_TRANSIENT),
])
def test_failure_classification(make_error, reason, kind):
    error = make_error()
    assert failure_reason(error) == reason
    assert failure_kind(error) == kind


def test_failure_before_the_pipeline_is_not_sent():
    assert failure_kind(PipelineNotSent(http_500())) == FAILURE_NOT_SENT
    assert failure_kind(PipelineNotSent(requests.exceptions.SSLError('bad cert'))) == FAILURE_PERMANENT


def test_programming_errors_are_not_transport_failures():
    assert failure_kind(KeyError('x')) is None
    assert failure_kind(ValueError('x')) is None


# ------------------------------------------------------------------ retry policy

def test_backoff_is_exponential_and_bounded():
    policy = RetryPolicy(retries=6, base_delay=0.5, max_delay=4.0, rand=lambda: 1.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    low = RetryPolicy(retries=1, base_delay=1.0, rand=lambda: 0.0)
    assert low.delay(1) == 0.5  # jitter keeps at least half of the step


def test_policy_retries_until_success():
    sleep = RecordedSleep()
    outcomes = [http_500(), http_500(), 'done']

    def operation():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert RetryPolicy(retries=3, sleep=sleep, rand=lambda: 1.0).run(operation, failure_kind, idempotent=True) == 'done'
    assert sleep.delays == [0.5, 1.0]


def test_policy_gives_up_after_the_bound():
    sleep = RecordedSleep()
    calls = []

    def operation():
        calls.append(1)
        raise http_500()

    with pytest.raises(pypsrp_exceptions.WinRMTransportError):
        RetryPolicy(retries=2, sleep=sleep).run(operation, failure_kind, idempotent=True)
    assert len(calls) == 3 and len(sleep.delays) == 2


@pytest.mark.parametrize('kind, idempotent, allowed', [
    (FAILURE_NOT_SENT, False, True), (FAILURE_NOT_SENT, True, True),
    (FAILURE_TRANSIENT, True, True), (FAILURE_TRANSIENT, False, False),
    (FAILURE_PERMANENT, True, False), (FAILURE_PERMANENT, False, False),
])
def test_what_may_be_retried(kind, idempotent, allowed):
    assert RetryPolicy.may_retry(kind, idempotent) is allowed


def test_negative_retries_are_refused():
    with pytest.raises(ValueError):
        RetryPolicy(retries=-1)


# ------------------------------------------------------------------ the session with a scripted transport

class ScriptedTransport:
    """A transport whose open()/run() outcomes are given in advance (exceptions are raised, results returned)."""

    def __init__(self, open_outcomes=(), run_outcomes=()):
        self.open_outcomes = list(open_outcomes)
        self.run_outcomes = list(run_outcomes)
        self.opened = 0
        self.runs = []
        self.discarded = 0
        self.closed = 0
        self._open = False

    def open(self):
        if self._open:
            return
        if self.open_outcomes and isinstance(self.open_outcomes[0], Exception):
            raise self.open_outcomes.pop(0)
        if self.open_outcomes:
            self.open_outcomes.pop(0)
        self.opened += 1
        self._open = True

    def run(self, commands):
        self.open()
        self.runs.append([command.name for command in commands])
        outcome = self.run_outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def discard(self):
        self.discarded += 1
        self._open = False

    def close(self):
        self.closed += 1
        self._open = False


def session_with(transport, retries=3):
    options = ConnectionOptions(host='hv01.hvlab.test', user='labadmin', password='x', retries=retries)
    return HostSession(options, retry_policy=RetryPolicy(retries=retries, sleep=RecordedSleep()), transport=transport)


VMHOST = PSObjectData(['Microsoft.HyperV.PowerShell.VMHost', 'System.Object'], {'ComputerName': 'HV01'}, 'VMHost')


def test_read_pipeline_is_retried_after_a_dropped_connection():
    transport = ScriptedTransport(run_outcomes=[dropped_error(), PipelineResult([VMHOST])])
    result = session_with(transport).run([Command('Get-VMHost')])
    assert result.of_type('Microsoft.HyperV.PowerShell.VMHost') == [VMHOST]
    assert transport.runs == [['Get-VMHost'], ['Get-VMHost']]
    assert transport.discarded == 1  # the broken connection was dropped before the retry
    assert transport.opened == 2


def test_opening_is_retried_even_for_a_write():
    transport = ScriptedTransport(open_outcomes=[http_500(), refused_error()], run_outcomes=[PipelineResult()])
    session_with(transport).run([Command('Set-VMHost', {'UseAnyNetworkForMigration': False})])
    assert transport.runs == [['Set-VMHost']]


def test_write_with_unknown_outcome_is_not_repeated():
    transport = ScriptedTransport(run_outcomes=[dropped_error(), PipelineResult()])
    with pytest.raises(OutcomeUnknownError) as raised:
        session_with(transport).run([Command('Get-VMHost'), Command('Set-VMHost', {'MaximumVirtualMachineMigrations': 4})])
    assert transport.runs == [['Get-VMHost', 'Set-VMHost']]
    assert 'hv01.hvlab.test' in str(raised.value) and 'not repeated' in str(raised.value)


def test_write_refused_before_sending_is_retried():
    transport = ScriptedTransport(run_outcomes=[PipelineNotSent(http_500()), PipelineResult()])
    session_with(transport).run([Command('Enable-VMMigration')])
    assert transport.runs == [['Enable-VMMigration'], ['Enable-VMMigration']]


def test_a_write_may_be_declared_safe_to_repeat():
    transport = ScriptedTransport(run_outcomes=[http_500(), PipelineResult()])
    session_with(transport).run([Command('Set-VMHost', {'UseAnyNetworkForMigration': True})], read_only=True)
    assert len(transport.runs) == 2


class ProgramTransport(ScriptedTransport):
    """A transport whose run_program outcomes are scripted like run's."""

    def run_program(self, program):
        self.open()
        self.runs.append(program.path)
        outcome = self.run_outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


def test_a_program_the_host_does_not_have_is_not_found_not_an_unknown_outcome():
    # pypsrp's recording test_winrs_no_cmd_shell: WinRS answers the Command with fault 2147942402; nothing ran.
    transport = ProgramTransport(run_outcomes=[wsman_fault(2147942402)])
    program = Program('D:\\Downloads\\AzureSiteRecoveryProvider.exe', ['/x:D:\\Downloads', '/q'])
    with pytest.raises(ProgramNotFoundError) as raised:
        session_with(transport).run_program(program)
    assert raised.value.path == program.path and 'AzureSiteRecoveryProvider.exe not found on hv01.hvlab.test' in raised.value.message
    assert len(transport.runs) == 1


def test_authentication_failure_is_not_retried_and_says_what_to_check():
    transport = ScriptedTransport(open_outcomes=[pypsrp_exceptions.AuthenticationError('Failed to authenticate the user labadmin with ntlm')])
    with pytest.raises(HostAuthenticationError) as raised:
        session_with(transport).run([Command('Get-VMHost')])
    message = str(raised.value)
    assert 'hv01.hvlab.test' in message and "'labadmin'" in message and 'hyperv_password' in message
    assert transport.runs == []


def test_unreachable_host_reports_after_bounded_attempts():
    transport = ScriptedTransport(open_outcomes=[refused_error() for _unused in range(3)])
    with pytest.raises(HostConnectionError) as raised:
        session_with(transport, retries=2).run([Command('Get-VMHost')])
    message = str(raised.value)
    assert 'hv01.hvlab.test' in message and 'after 3 attempt(s)' in message
    assert 'port 5986' in message and 'firewall' in message
    assert not isinstance(raised.value, OutcomeUnknownError)


def test_tls_failure_points_at_the_ca_option():
    transport = ScriptedTransport(open_outcomes=[requests.exceptions.SSLError('certificate verify failed: self-signed certificate')])
    with pytest.raises(HostConnectionError) as raised:
        session_with(transport).run([Command('Get-VMHost')])
    assert 'hyperv_ca_cert' in str(raised.value) and 'attempt' not in str(raised.value)


def test_cmdlet_errors_raise_host_command_error_quoting_the_record():
    error = ErrorRecordData('Set-VMHost', "A parameter cannot be found that matches parameter name 'Bogus'.",
                            'NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMHost', 'InvalidArgument')
    transport = ScriptedTransport(run_outcomes=[PipelineResult(errors=[error])])
    with pytest.raises(HostCommandError) as raised:
        session_with(transport).run([Command('Set-VMHost', {'Bogus': 1})])
    assert raised.value.errors == [error]
    assert str(raised.value) == ("hv01.hvlab.test: Set-VMHost failed: A parameter cannot be found that matches parameter "
                                 "name 'Bogus'. (FullyQualifiedErrorId: NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.SetVMHost)")


def test_cmdlet_errors_can_be_inspected_instead():
    error = ErrorRecordData('Get-VM', 'no VM', 'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM')
    transport = ScriptedTransport(run_outcomes=[PipelineResult([VMHOST], [error], ['w'])])
    result = session_with(transport).run([Command('Get-VMHost'), Command('Get-VM', {'Name': 'x'})], check=False)
    assert result.errors_of('get-vm') == [error] and result.warnings == ['w']


def test_programming_errors_propagate_untouched():
    transport = ScriptedTransport(run_outcomes=[KeyError('bug')])
    with pytest.raises(KeyError):
        session_with(transport).run([Command('Get-VMHost')])


def test_session_counts_pipelines_and_closes():
    transport = ScriptedTransport(run_outcomes=[PipelineResult(), PipelineResult()])
    with session_with(transport) as session:
        session.run([Command('Get-VMHost')])
        session.run([Command('Get-VM')])
        assert session.pipelines_run == 2
        assert session.run([]).output == []
    assert transport.closed == 1


def test_command_read_only_by_verb():
    assert Command('Get-VMHost').read_only and Command('Test-VMReplicationConnection').read_only
    assert not Command('Set-VMHost').read_only and not Command('Move-VM').read_only


# ------------------------------------------------------------------ connection options and library arguments

def test_connection_defaults_follow_ansible_core():
    options = ConnectionOptions(host='hv01')
    assert (options.protocol, options.port, options.auth, options.transport, options.validate_certs) == ('https', 5986, 'negotiate', 'psrp', True)
    assert ConnectionOptions(host='hv01', port=5985).protocol == 'http'
    assert ConnectionOptions(host='hv01', protocol='http').port == 5985
    assert ConnectionOptions(host='hv01', operation_timeout=60, read_timeout=30).read_timeout == 61
    assert ConnectionOptions(host='hv01', protocol='http').endpoint == 'http://hv01:5985/wsman'


@pytest.mark.parametrize('field, value', [('transport', 'ssh'), ('auth', 'digest'), ('protocol', 'ftp')])
def test_connection_options_reject_unknown_values(field, value):
    with pytest.raises(ValueError):
        ConnectionOptions(host='hv01', **{field: value})


def test_from_params_uses_the_module_options():
    params = dict(hyperv_host='hv02', hyperv_port=None, hyperv_user='u', hyperv_password='p', hyperv_transport='winrm',
                  hyperv_auth='basic', hyperv_protocol='http', hyperv_validate_certs=False, hyperv_ca_cert=None,
                  hyperv_cert_pem=None, hyperv_cert_key_pem=None, hyperv_connection_timeout=5, hyperv_operation_timeout=10,
                  hyperv_read_timeout=15, hyperv_retries=0)
    options = ConnectionOptions.from_params(params)
    assert (options.host, options.port, options.transport, options.auth, options.validate_certs, options.retries) == \
        ('hv02', 5985, 'winrm', 'basic', False, 0)


def test_psrp_arguments_carry_tls_and_certificate_settings():
    options = ConnectionOptions(host='hv01', user='u', password='p', ca_cert='/ca.pem', auth='certificate',
                                cert_pem='/c.pem', cert_key_pem='/k.pem')
    kwargs = PsrpTransport(options)._wsman_kwargs()  # pylint: disable=protected-access
    assert kwargs['cert_validation'] == '/ca.pem' and kwargs['ssl'] is True and kwargs['port'] == 5986
    assert kwargs['certificate_pem'] == '/c.pem' and kwargs['certificate_key_pem'] == '/k.pem'
    no_validation = PsrpTransport(ConnectionOptions(host='hv01', validate_certs=False, ca_cert='/ca.pem'))._wsman_kwargs()  # pylint: disable=protected-access
    assert no_validation['cert_validation'] is False


def test_winrm_protocol_is_built_from_the_options():
    plain = ConnectionOptions(host='hv01', user='u', password='p', protocol='http', auth='negotiate')
    protocol = WinrmTransport(plain)._make_protocol()  # pylint: disable=protected-access
    assert protocol.transport.endpoint == 'http://hv01:5985/wsman'
    assert protocol.transport.auth_method == 'ntlm'
    with_ca = ConnectionOptions(host='hv01', user='u', password='p', ca_cert='/ca.pem', auth='basic')
    validating = WinrmTransport(with_ca)._make_protocol()  # pylint: disable=protected-access
    assert validating.transport.server_cert_validation == 'validate' and validating.transport.ca_trust_path == '/ca.pem'
