"""pywinrm 0.5.0, unmodified, over HTTP+NTLM (encrypted): WinRS cmd shell and the collection's runner."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import base64
import json
import runpy

import pytest
import winrm
from winrm.exceptions import InvalidCredentialsError

from transport_helpers import lab, runner_path, transport_lab  # noqa: F401  pylint: disable=unused-import,wrong-import-order

ENDPOINT = 'http://127.0.11.1:%d/wsman'


def protocol(lab, password=None):
    return winrm.Protocol(ENDPOINT % lab.http_port, transport='ntlm', username='labadmin', password=password or lab.password,
                          message_encryption='auto')


def run_runner(lab, request_document):
    runner = runpy.run_path(lab.runner_path)
    script = runner['RUNNER_SCRIPT']
    encoded = base64.b64encode(script.encode('utf-16-le')).decode('ascii')
    stdin = base64.b64encode(json.dumps(request_document).encode('utf-8'))
    client = protocol(lab)
    shell_id = client.open_shell()
    try:
        command_id = client.run_command(shell_id, 'powershell.exe',
                                        ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded])
        client.send_command_input(shell_id, command_id, stdin, end=True)
        stdout, stderr, code = client.get_command_output(shell_id, command_id)
        client.cleanup_command(shell_id, command_id)
    finally:
        client.close_shell(shell_id)
    return stdout, stderr, code


def test_runner_returns_the_contract_json(lab):
    stdout, stderr, code = run_runner(lab, {'version': 1, 'statements': [
        {'commands': [{'name': 'Get-VMHost', 'parameters': {}}]},
        {'commands': [{'name': 'Get-VMHost', 'parameters': {'NoSuchParameter': True}}]},
        {'commands': [{'name': 'Remove-Item', 'parameters': {'Path': 'C:\\'}}]},
    ]})
    assert code == 0, stderr
    response = json.loads(stdout)
    assert response['version'] == 1
    host = response['output'][0]
    assert host['type_names'][0] == 'Microsoft.HyperV.PowerShell.VMHost'
    assert host['properties']['FullyQualifiedDomainName'] == 'hv01.hvlab.test'
    # enums travel as their names, TimeSpans as seconds
    assert host['properties']['VirtualMachineMigrationAuthenticationType'] in ('CredSSP', 'Kerberos')
    assert isinstance(host['properties']['ResourceMeteringSaveInterval'], (int, float))
    ids = [error['fully_qualified_error_id'] for error in response['errors']]
    assert ids == ['NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost', 'HyperVMobility.CommandNotAllowed']
    counters = lab.control.counters()['hv01']
    assert counters['pipelines'] == 1 and counters['commands'] == {'Get-VMHost': 2}


def test_other_command_lines_fail_like_windows(lab):
    client = protocol(lab)
    shell_id = client.open_shell()
    try:
        command_id = client.run_command(shell_id, 'ipconfig', ['/all'])
        stdout, stderr, code = client.get_command_output(shell_id, command_id)
        other = base64.b64encode('Get-Process'.encode('utf-16-le')).decode('ascii')
        command_id = client.run_command(shell_id, 'powershell.exe', ['-EncodedCommand', other])
        _unused, ps_stderr, ps_code = client.get_command_output(shell_id, command_id)
    finally:
        client.close_shell(shell_id)
    assert (stdout, code) == (b'', 1)
    assert b"'ipconfig' is not recognized as an internal or external command" in stderr
    assert ps_code == 1 and ps_stderr
    assert lab.control.counters()['hv01']['pipelines'] == 0


def test_runner_with_bad_stdin_exits_1(lab):
    runner = runpy.run_path(lab.runner_path)
    encoded = base64.b64encode(runner['RUNNER_SCRIPT'].encode('utf-16-le')).decode('ascii')
    client = protocol(lab)
    shell_id = client.open_shell()
    try:
        command_id = client.run_command(shell_id, 'powershell.exe', ['-EncodedCommand', encoded])
        client.send_command_input(shell_id, command_id, b'not base64 json', end=True)
        _unused, stderr, code = client.get_command_output(shell_id, command_id)
    finally:
        client.close_shell(shell_id)
    assert code == 1 and stderr.startswith(b'hyperv.mobility runner failed')


def test_wrong_password_is_rejected(lab):
    with pytest.raises(InvalidCredentialsError):
        protocol(lab, password='wrong').open_shell()
