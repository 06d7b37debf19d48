"""Delayed command faults and the per-host record of commands with their parameters, through unmodified pypsrp and pywinrm."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import time

import pytest
import requests
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from hvlab.control import ControlError
from hvlab.transport.controls import RECORDED_COMMANDS
from transport_helpers import lab, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order
from test_transport_winrm import run_runner  # pylint: disable=wrong-import-order

AWKWARD = 'vm \'"; $(Stop-Computer) `n\nüñí 名前'


def wsman(lab):
    return WSMan('127.0.11.1', port=lab.https_port, ssl=True, auth='basic', username='labadmin', password=lab.password,
                 cert_validation=lab.ca_path, reconnection_retries=0)


def invoke(pool, name, **parameters):
    shell = PowerShell(pool)
    shell.add_cmdlet(name)
    for key, value in parameters.items():
        shell.add_parameter(key, value)
    return shell.invoke()


def test_delayed_fault_lets_the_first_commands_through(lab):
    lab.control.inject_fault('hv01', 'drop_after', after=2)
    with RunspacePool(wsman(lab)) as pool:
        invoke(pool, 'Get-VMHost')
        invoke(pool, 'Get-VMHost')
        assert lab.control.pending_faults()['hv01'] == {'drop_after': 1}
        with pytest.raises(requests.exceptions.ConnectionError):
            invoke(pool, 'Get-VMHost')
    assert lab.control.pending_faults()['hv01'] == {}
    assert lab.control.counters()['hv01']['pipelines'] == 3  # drop_after: the third one ran, then the connection dropped


def test_after_is_only_for_command_faults(lab):
    with pytest.raises(ControlError) as caught:
        lab.control.inject_fault('hv01', 'host_down', after=1)
    assert caught.value.status == 400


def test_psrp_commands_are_recorded_with_their_parameters(lab):
    with RunspacePool(wsman(lab)) as pool:
        invoke(pool, 'Get-VM', Name=AWKWARD)
        invoke(pool, 'Get-VMHost')
    recorded = lab.control.commands('hv01')
    assert without_time(recorded) == [{'name': 'Get-VM', 'parameters': [['Name', AWKWARD]]}, {'name': 'Get-VMHost', 'parameters': []}]
    assert recorded[0]['time'] <= recorded[1]['time'] <= time.time()
    assert lab.control.commands('hv02') == []
    lab.control.reset_counters()
    assert lab.control.commands('hv01') == []


def test_winrm_runner_commands_are_recorded(lab):
    _unused, stderr, code = run_runner(lab, {'version': 2, 'statements': [{'commands': [{'name': 'Get-VM', 'parameters': {'Name': AWKWARD}}]}]})
    assert code == 0, stderr
    assert without_time(lab.control.commands('hv01')) == [{'name': 'Get-VM', 'parameters': [['Name', AWKWARD]]}]


def without_time(recorded):
    """The records without their time stamp (asserted on its own)."""
    return [{key: value for key, value in entry.items() if key != 'time'} for entry in recorded]


def test_the_record_keeps_the_last_commands_only(lab):
    statements = [{'commands': [{'name': 'Get-VMHost', 'parameters': {'ComputerName': str(number)}}]} for number in range(RECORDED_COMMANDS + 5)]
    run_runner(lab, {'version': 2, 'statements': statements})
    recorded = lab.control.commands('hv01')
    assert len(recorded) == RECORDED_COMMANDS and recorded[-1]['parameters'] == [['ComputerName', str(RECORDED_COMMANDS + 4)]]
