# -*- coding: utf-8 -*-
"""Program command lines: what _host.commands.Program writes is what a Windows program reads back (CommandLineToArgvW rules,
as the lab's hvlab.model.programs parses them), secrets are masked, and ambiguous values are refused."""

import pytest

from hvlab.model.programs import command_line_argv
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import Program, quote_argument

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
