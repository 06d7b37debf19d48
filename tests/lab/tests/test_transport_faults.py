"""Fault injection, latency and the control endpoint, seen through unmodified pypsrp."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import time

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, WinRMTransportError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvlab.control import ControlError
from transport_helpers import lab, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order


def wsman(lab):
    return WSMan('127.0.11.1', port=lab.https_port, ssl=True, auth='basic', username='labadmin', password=lab.password,
                 cert_validation=lab.ca_path, reconnection_retries=0)


def pipelines(lab):
    return lab.control.counters()['hv01']['pipelines']


def invoke_in_open_pool(lab, kind):
    """Open a pool, inject the fault, run one pipeline; return the exception it raised."""
    with RunspacePool(wsman(lab)) as pool:
        lab.control.inject_fault('hv01', kind)
        ps = PowerShell(pool)
        ps.add_cmdlet('Get-VMHost')
        with pytest.raises(Exception) as caught:
            ps.invoke()
        # The fault is spent: the next pipeline works.
        ok = PowerShell(pool)
        ok.add_cmdlet('Get-VMHost')
        assert len(ok.invoke()) == 1
    return caught.value


def test_http_500(lab):
    error = invoke_in_open_pool(lab, 'http_500')
    assert isinstance(error, WinRMTransportError) and error.code == 500
    assert pipelines(lab) == 1  # only the second pipeline ran


def test_wsman_fault(lab):
    error = invoke_in_open_pool(lab, 'wsman_fault')
    assert isinstance(error, WSManFaultError) and error.code == 0x80004005
    assert pipelines(lab) == 1


def test_drop_before_does_not_run(lab):
    error = invoke_in_open_pool(lab, 'drop_before')
    assert isinstance(error, requests.exceptions.ConnectionError)
    assert pipelines(lab) == 1


def test_drop_after_runs_then_drops(lab):
    error = invoke_in_open_pool(lab, 'drop_after')
    assert isinstance(error, requests.exceptions.ConnectionError)
    assert pipelines(lab) == 2  # the dropped one did run


def test_auth_failure_then_recovers(lab):
    lab.control.inject_fault('hv01', 'auth_failure')
    with pytest.raises(AuthenticationError):
        RunspacePool(wsman(lab)).open()
    with RunspacePool(wsman(lab)) as pool:
        assert len(PowerShell(pool).add_cmdlet('Get-VMHost').invoke()) == 1


def test_host_down_refuses_connections(lab):
    lab.control.inject_fault('hv01', 'host_down', count=2)
    for _unused in range(2):
        with pytest.raises(requests.exceptions.ConnectionError):
            RunspacePool(wsman(lab)).open()
    assert lab.control.pending_faults()['hv01'] == {}
    with RunspacePool(wsman(lab)) as pool:
        assert len(PowerShell(pool).add_cmdlet('Get-VMHost').invoke()) == 1


def test_faults_are_per_host_and_clearable(lab):
    lab.control.inject_fault('hv02', 'http_500', count=3)
    with RunspacePool(wsman(lab)) as pool:
        assert len(PowerShell(pool).add_cmdlet('Get-VMHost').invoke()) == 1
    assert lab.control.pending_faults()['hv02'] == {'http_500': 3}
    lab.control.clear_faults()
    assert lab.control.pending_faults()['hv02'] == {}
    with pytest.raises(ControlError) as caught:
        lab.control.inject_fault('hv01', 'meteor_strike')
    assert caught.value.status == 400


def test_latency_slows_each_request(lab):
    with RunspacePool(wsman(lab)) as pool:
        start = time.monotonic()
        PowerShell(pool).add_cmdlet('Get-VMHost').invoke()
        fast = time.monotonic() - start
        lab.control.set_latency('hv01', 150)
        start = time.monotonic()
        PowerShell(pool).add_cmdlet('Get-VMHost').invoke()
        slow = time.monotonic() - start
    # a pipeline is Command + Receive (+ Signal): at least two delayed requests
    assert slow >= 0.3 > fast


def test_control_reads_and_patches_host_state(lab):
    assert lab.control.health() == {'ok': True}
    assert [host['name'] for host in lab.control.hosts()] == ['hv01', 'hv02']
    state = lab.control.host_state('hv01')
    assert state['name'] == 'hv01'
    with pytest.raises(ControlError) as caught:
        lab.control.host_state('hv99')
    assert caught.value.status == 404


@pytest.mark.parametrize('kind, code', [('access_denied', 5), ('access_denied_hresult', 0x80070005)])
def test_access_denied_is_a_wsman_fault_with_either_code(lab, kind, code):
    lab.control.inject_fault('hv01', kind)
    with pytest.raises(WSManFaultError) as caught:
        with RunspacePool(wsman(lab)):
            pass
    assert caught.value.code == code and caught.value.reason == 'Access is denied.'
    assert pipelines(lab) == 0


def test_a_program_that_is_not_there_is_refused_at_the_command_step(lab):
    # pypsrp's recording test_winrs_no_cmd_shell (a real Windows host): with WINRS_SKIP_CMD_SHELL, WinRS answers the Command with
    # fault 2147942402 from the shell's cmd plugin, not with cmd.exe's "is not recognized" and exit code 1 (which the lab used to).
    from pypsrp.shell import Process, WinRS  # pylint: disable=import-outside-toplevel
    shell = WinRS(wsman(lab))
    shell.open()
    try:
        with pytest.raises(WSManFaultError) as caught:
            Process(shell, 'D:\\Downloads\\AzureSiteRecoveryProvider.exe /x:D:\\Downloads /q', no_shell=True).invoke()
    finally:
        shell.close()
    fault = caught.value
    assert (fault.code, fault.reason) == (2147942402, 'The system cannot find the file specified.')
    assert (fault.provider, fault.provider_path) == ('Shell cmd plugin', '%systemroot%\\system32\\winrscmd.dll')
