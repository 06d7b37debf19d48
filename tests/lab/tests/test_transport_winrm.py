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
                                        ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encoded],
                                        console_mode_stdin=False)
        client.send_command_input(shell_id, command_id, stdin, end=True)
        stdout, stderr, code = client.get_command_output(shell_id, command_id)
        client.cleanup_command(shell_id, command_id)
    finally:
        client.close_shell(shell_id)
    return stdout, stderr, code


def test_runner_returns_the_contract_json(lab):
    stdout, stderr, code = run_runner(lab, {'version': 2, 'statements': [
        {'commands': [{'name': 'Get-VMHost', 'parameters': {}}]},
        {'commands': [{'name': 'Get-VMHost', 'parameters': {'NoSuchParameter': True}}]},
        {'commands': [{'name': 'Remove-Item', 'parameters': {'Path': 'C:\\'}}]},
    ]})
    assert code == 0, stderr
    response = json.loads(stdout)
    assert response['version'] == 2
    # Each output object is the CLIXML PSSerializer.Serialize(object, 1) writes, the depth of remoting (replaces the runner's own
    # JSON form, which kept nested objects and was not what PSRP returns): an enum property is its name, a TimeSpan stays one.
    host = response['output'][0]
    assert host.startswith('<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">')
    assert '<T>Microsoft.HyperV.PowerShell.VMHost</T>' in host and '<S N="FullyQualifiedDomainName">hvlab.test</S>' in host
    assert '<S N="VirtualMachineMigrationAuthenticationType">CredSSP</S>' in host and '<TS N="ResourceMeteringSaveInterval">' in host
    ids = [error['fully_qualified_error_id'] for error in response['errors']]
    assert ids == ['NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVMHost', 'HyperVMobility.CommandNotAllowed']
    counters = lab.control.counters()['hv01']
    assert counters['pipelines'] == 1 and counters['commands'] == {'Get-VMHost': 2}


def test_runner_pipes_the_commands_of_a_statement_and_refuses_a_statement_whole(lab):
    stdout, stderr, code = run_runner(lab, {'version': 2, 'statements': [
        {'commands': [{'name': 'Get-VM', 'parameters': {'Name': ['hv01-web']}},
                      {'name': 'Select-Object', 'parameters': {'ExpandProperty': 'HardDrives'}}]},
        {'commands': [{'name': 'Get-VMHost', 'parameters': {}}, {'name': 'Remove-Item', 'parameters': {}}]},
    ]})
    assert code == 0, stderr
    response = json.loads(stdout)
    assert len(response['output']) == 1 and '<T>Microsoft.HyperV.PowerShell.HardDiskDrive</T>' in response['output'][0]
    assert '<S N="Path">' in response['output'][0]
    assert [error['command'] for error in response['errors']] == ['Remove-Item']
    assert lab.control.counters()['hv01']['commands'] == {'Get-VM': 1, 'Select-Object': 1}


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
