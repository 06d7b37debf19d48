# -*- coding: utf-8 -*-
"""Program command lines and command descriptions: what _host.commands.Program writes is what a Windows program reads back (CommandLineToArgvW rules,
as the lab's hvlab.model.programs parses them), secrets are masked, and ambiguous values are refused."""

import json
import os

import pytest

from collection_path import REPO_ROOT
from hvlab.model.programs import command_line_argv
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import SWITCH_PARAMETERS, Command, Program, describe, quote_argument

AWKWARD_VALUES = [
    'C:\\Program Files\\Microsoft Azure Site Recovery Provider\\DRConfigurator.exe',
    'C:\\', 'C:\\folder with space\\', 'D:\\a\\\\b\\\\', 'hv01.corp.example.com', 'pa ss&w|o<r>d^%PATH%', '$(whoami); `id`',
    'Ünïcødé – 名前', '', '/x:C:\\ASR extract', 'trailing\\\\\\',
]


@pytest.mark.parametrize('value', AWKWARD_VALUES)
def test_each_argument_reaches_the_program_unchanged(value):
    program = Program('C:\\ASR\\setup dr.exe', ['/r', value, '/q'])
    assert command_line_argv(program.command_line(), skip_cmd_shell=True) == ['C:\\ASR\\setup dr.exe', '/r', value, '/q']


def test_plain_switches_and_paths_are_not_quoted_and_others_are():
    assert quote_argument('/Friendlyname') == '/Friendlyname'
    assert quote_argument('C:\\ASR\\vault.VaultCredentials') == 'C:\\ASR\\vault.VaultCredentials'
    assert quote_argument('a b') == '"a b"'
    assert quote_argument('C:\\a b\\') == '"C:\\a b\\\\"'  # the closing quote would be escaped by a single trailing backslash
    assert quote_argument('') == '""'


@pytest.mark.parametrize('value', ['say "hi"', 'line\nbreak', 'tab\there', 'nul\x00'])
def test_a_quote_or_control_character_is_refused(value):
    with pytest.raises(ValueError, match='double quote or a control character'):
        quote_argument(value)


def test_secrets_are_masked_in_the_display_only():
    program = Program('C:\\p\\DRConfigurator.exe', ['/proxyUsername', 'svc', '/proxyPassword', 'S3cret pass'], secrets=['S3cret pass', None])
    assert program.display() == 'C:\\p\\DRConfigurator.exe /proxyUsername svc /proxyPassword ********'
    assert '"S3cret pass"' in program.command_line()
    assert 'S3cret' not in repr(program)


def test_through_cmd_a_quoted_program_with_quoted_arguments_breaks_as_on_windows():
    """Why programs skip cmd.exe: cmd /c strips the first and last quote of such a line (more than two quotes)."""
    line = Program('C:\\Program Files\\x.exe', ['a b']).command_line()
    assert command_line_argv(line, skip_cmd_shell=True) == ['C:\\Program Files\\x.exe', 'a b']
    assert command_line_argv(line, skip_cmd_shell=False)[0] == 'C:\\Program'


def test_the_switches_a_description_knows_are_the_documented_switch_parameters():
    # describe() shows '-Name' only for SwitchParameter parameters of the documented cmdlets (the lab's copy of them).
    path = os.path.join(REPO_ROOT, 'tests', 'lab', 'hvlab', 'cmdlets.json')
    with open(path, encoding='utf-8') as handle:
        cmdlets = json.load(handle)
    documented = set(parameter['name'] for cmdlet in cmdlets.values() for parameter in cmdlet['parameters']
                     if parameter['type'] == 'SwitchParameter')
    assert SWITCH_PARAMETERS == documented


def test_describe_puts_switches_first_and_leaves_out_what_is_implied_or_only_keeps_a_prompt_away():
    command = Command('Set-VMReplication', {'VMName': 'web01', 'Reverse': True, 'ReplicaServerPort': 8080, 'CompressionEnabled': True,
                                            'Force': True})
    assert describe(command, implied=('VMName',)) == 'Set-VMReplication -Reverse ReplicaServerPort=8080 CompressionEnabled=True'
    assert describe(Command('Enable-VMMigration')) == 'Enable-VMMigration'


def test_describe_shows_a_switch_turned_off_as_powershell_writes_it_last():
    # -Confirm:$false is sent with every ConfirmImpact-High cmdlet (Command adds it), so the line shows it: it is what ran.
    command = Command('Start-VMFailover', {'VMName': 'web01', 'Prepare': True})
    assert describe(command, implied=('VMName',)) == 'Start-VMFailover -Prepare -Confirm:$false'
