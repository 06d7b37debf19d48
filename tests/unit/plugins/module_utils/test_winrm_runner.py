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
SHARED_CMDLETS_JSON = '/work/shared/reference/cmdlets.json'

# The lab (and any host-side allow-listing) recognises the runner by this hash: changing the script is a deliberate act
# that updates this pin together with them.
PINNED_SHA256 = '7a78dc155e5839e4620ca4901baed4e0ae7e7a6700c0c06a9aa57d7bd9d88f80'


def documented_cmdlets():
    path = CMDLETS_JSON if os.path.exists(CMDLETS_JSON) else SHARED_CMDLETS_JSON
    with open(path) as handle:
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


def test_request_round_trip_one_statement_per_command():
    commands = [Command('Get-VMHost'), Command('Set-VMHost', {'VirtualMachineMigrationAuthenticationType': 'Kerberos',
                                                              'UseAnyNetworkForMigration': False}),
                Command('Enable-VMMigration', {'Confirm': False, 'Passthru': True}),
                Command('Get-VM', {'Name': ['wéb01', 'db*']})]
    stdin = winrm_runner.encode_request(commands)
    assert re.match(r'^[A-Za-z0-9+/=]+$', stdin)
    assert winrm_runner.decode_request(stdin) == {
        'version': 1,
        'statements': [
            {'commands': [{'name': 'Get-VMHost', 'parameters': {}}]},
            {'commands': [{'name': 'Set-VMHost', 'parameters': {'VirtualMachineMigrationAuthenticationType': 'Kerberos',
                                                                'UseAnyNetworkForMigration': False}}]},
            {'commands': [{'name': 'Enable-VMMigration', 'parameters': {'Confirm': False, 'Passthru': True}}]},
            {'commands': [{'name': 'Get-VM', 'parameters': {'Name': ['wéb01', 'db*']}}]},
        ],
    }


def test_request_refuses_values_that_are_not_plain_data():
    with pytest.raises(TypeError, match='cannot be sent'):
        winrm_runner.encode_request([Command('Get-VM', {'Name': object()})])


def test_decode_response():
    stdout = json.dumps({'version': 1, 'output': [{'type_names': ['T'], 'to_string': 't', 'properties': {}}],
                         'errors': [], 'warnings': ['careful']}).encode('utf-8')
    response = winrm_runner.decode_response(b'\xef\xbb\xbf' + stdout)
    assert response['output'][0]['type_names'] == ['T']
    assert response['warnings'] == ['careful']


def test_decode_response_normalises_null_and_single_values():
    response = winrm_runner.decode_response('{"version": 1, "output": null, "errors": {"command": "x"}}')
    assert response['output'] == [] and response['errors'] == [{'command': 'x'}] and response['warnings'] == []


@pytest.mark.parametrize('stdout', [b'', b'not json', b'{"version": 2, "output": []}', b'[1, 2]'])
def test_decode_response_rejects_other_documents(stdout):
    with pytest.raises(winrm_runner.RunnerProtocolError):
        winrm_runner.decode_response(stdout)
