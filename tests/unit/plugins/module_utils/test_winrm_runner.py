# -*- coding: utf-8 -*-
"""The fixed runner script and its request / response encoding (contracts.md, "Wire protocol of the WinRM runner")."""

import base64
import hashlib
import json
import os
import re

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host import runner as winrm_runner
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Command

CMDLETS_JSON = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'tests', 'lab', 'hvlab', 'cmdlets.json')

# The lab (and any host-side allow-listing) recognises the runner by this hash: changing the script is a deliberate act
# that updates this pin together with them.
PINNED_SHA256 = 'a5f30177c2aff8d81e2cafdcf556a74dfb583d9330bc66cff89c05f7032bd94e'


def documented_cmdlets():
    with open(CMDLETS_JSON, encoding='utf-8') as handle:
        return set(json.load(handle))


def test_allow_list_is_every_documented_cmdlet():
    assert set(winrm_runner.ALLOWED_CMDLETS) == documented_cmdlets()
    assert len(winrm_runner.ALLOWED_CMDLETS) == len(set(winrm_runner.ALLOWED_CMDLETS))


def test_script_carries_the_allow_list_groups_verbatim():
    for group in winrm_runner.ALLOWED_GROUPS:
        assert "'%s'" % group in winrm_runner.RUNNER_SCRIPT


def test_command_line_stays_under_the_cmd_limit():
    line = winrm_runner.command_line()
    assert len(line) <= winrm_runner.MAX_COMMAND_LINE < 8191
    assert line.startswith('powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ')


def test_encoded_command_is_utf16le_base64_of_the_script():
    encoded = winrm_runner.command_arguments()[-1]
    assert base64.b64decode(encoded).decode('utf-16-le') == winrm_runner.RUNNER_SCRIPT


def test_runner_sha256_is_pinned():
    assert winrm_runner.RUNNER_SHA256 == hashlib.sha256(winrm_runner.RUNNER_SCRIPT.encode('utf-8')).hexdigest()
    assert winrm_runner.RUNNER_SHA256 == PINNED_SHA256


def test_script_is_fixed_text_without_interpolated_data():
    # The request is read from stdin and parsed as JSON; cmdlets are invoked by name with splatting.
    assert '($input|Out-String)' in winrm_runner.RUNNER_SCRIPT
    assert '& $n @a' in winrm_runner.RUNNER_SCRIPT
    assert winrm_runner.NOT_ALLOWED_ERROR_ID in winrm_runner.RUNNER_SCRIPT


def test_script_braces_and_parentheses_balance():
    text = re.sub(r"'[^']*'|\"[^\"]*\"", '', winrm_runner.RUNNER_SCRIPT)
    for opening, closing in ('{}', '()', '[]'):
        assert text.count(opening) == text.count(closing), opening


def test_request_round_trip_one_statement_per_command_and_piped_commands_in_one():
    commands = [Command('Get-VMHost'), Command('Set-VMHost', {'VirtualMachineMigrationAuthenticationType': 'Kerberos',
                                                              'UseAnyNetworkForMigration': False}),
                Command('Enable-VMMigration', {'Passthru': True}),
                Command('Get-VM', {'Name': ['wéb01', 'db*']}).pipe(Command('Select-Object', {'ExpandProperty': 'HardDrives'}))]
    stdin = winrm_runner.encode_request(commands)
    assert re.match(r'^[A-Za-z0-9+/=]+$', stdin)
    assert winrm_runner.decode_request(stdin) == {
        'version': 2,
        'statements': [
            {'commands': [{'name': 'Get-VMHost', 'parameters': {}}]},
            {'commands': [{'name': 'Set-VMHost', 'parameters': {'VirtualMachineMigrationAuthenticationType': 'Kerberos',
                                                                'UseAnyNetworkForMigration': False}}]},
            {'commands': [{'name': 'Enable-VMMigration', 'parameters': {'Passthru': True}}]},
            {'commands': [{'name': 'Get-VM', 'parameters': {'Name': ['wéb01', 'db*']}},
                          {'name': 'Select-Object', 'parameters': {'ExpandProperty': 'HardDrives'}}]},
        ],
    }


def test_request_refuses_values_that_are_not_plain_data():
    with pytest.raises(TypeError, match='cannot be sent'):
        winrm_runner.encode_request([Command('Get-VM', {'Name': object()})])


def test_decode_response():
    document = '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S>x</S></Objs>'
    stdout = json.dumps({'version': 2, 'output': [document], 'errors': [], 'warnings': ['careful']}).encode('utf-8')
    response = winrm_runner.decode_response(b'\xef\xbb\xbf' + stdout)
    assert response['output'] == [document]
    assert response['warnings'] == ['careful']


def test_decode_response_normalises_null_and_single_values():
    response = winrm_runner.decode_response('{"version": 2, "output": null, "errors": {"command": "x"}}')
    assert response['output'] == [] and response['errors'] == [{'command': 'x'}] and response['warnings'] == []


@pytest.mark.parametrize('stdout', [b'', b'not json', b'{"version": 1, "output": []}', b'[1, 2]'])
def test_decode_response_rejects_other_documents(stdout):
    with pytest.raises(winrm_runner.RunnerProtocolError):
        winrm_runner.decode_response(stdout)


def _syntax_problems(script):
    """ERROR and MISSING nodes of a PowerShell parse tree (tree-sitter-powershell), with their line and text."""
    import tree_sitter  # pylint: disable=import-outside-toplevel
    import tree_sitter_powershell  # pylint: disable=import-outside-toplevel
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    problems, pending = [], [parser.parse(script.encode('utf-8')).root_node]
    while pending:
        node = pending.pop()
        if node.type == 'ERROR' or node.is_missing:
            problems.append((node.type, node.start_point[0] + 1, node.text.decode('utf-8', 'replace')[:80]))
        pending.extend(node.children)
    return problems


def test_the_runner_parses_as_powershell():
    assert _syntax_problems(winrm_runner.RUNNER_SCRIPT) == []


@pytest.mark.parametrize('broken', [
    winrm_runner.RUNNER_SCRIPT.replace('foreach($i in $ev){', 'foreach($i in $ev){{', 1),   # an unclosed block
    winrm_runner.RUNNER_SCRIPT.replace("-split':'", "-split", 1),                           # an operator without operand
    winrm_runner.RUNNER_SCRIPT.replace('catch{', 'catch', 1),                               # a catch without a block
])
def test_the_grammar_finds_a_broken_runner(broken):
    assert _syntax_problems(broken)


def test_the_runner_serializes_output_with_powershells_remoting_depth():
    # PSSerializer at depth 1 is what PSRP uses (SerializationDepthForRemoting = 1): the two transports return the same objects.
    assert '[Management.Automation.PSSerializer]::Serialize($i,1)' in winrm_runner.RUNNER_SCRIPT
    assert 'ConvertTo-Json' in winrm_runner.RUNNER_SCRIPT and '-Depth 4' in winrm_runner.RUNNER_SCRIPT


class _RecordingProtocol:
    """pywinrm's Protocol as far as the transport uses it, recording run_command's arguments."""

    def __init__(self):
        self.calls = []

    def open_shell(self, **kwargs):
        return 'shell'

    def run_command(self, shell_id, command, arguments=(), console_mode_stdin=True, skip_cmd_shell=False):
        self.calls.append(dict(command=command, console_mode_stdin=console_mode_stdin, skip_cmd_shell=skip_cmd_shell))
        return 'command'

    def send_command_input(self, shell_id, command_id, stdin, end=False):
        self.stdin = stdin

    def get_command_output(self, shell_id, command_id):
        return json.dumps({'version': 2, 'output': [], 'errors': [], 'warnings': []}).encode('utf-8'), b'', 0

    def cleanup_command(self, shell_id, command_id):
        pass

    def close_shell(self, shell_id):
        pass


def test_the_runner_gets_stdin_as_a_pipe_not_a_console():
    # ansible-core turns WINRS_CONSOLEMODE_STDIN off when it feeds stdin; powershell.exe then hands stdin to the script as $input.
    from ansible_collections.hyperv.mobility.plugins.module_utils._host.winrm import WinrmTransport  # pylint: disable=import-outside-toplevel
    transport = WinrmTransport(options=None)
    transport._protocol = protocol = _RecordingProtocol()  # pylint: disable=protected-access
    transport.run([Command('Get-VMHost')])
    assert protocol.calls == [dict(command='powershell.exe', console_mode_stdin=False, skip_cmd_shell=False)]
    assert winrm_runner.decode_request(protocol.stdin)['statements'] == [{'commands': [{'name': 'Get-VMHost', 'parameters': {}}]}]
