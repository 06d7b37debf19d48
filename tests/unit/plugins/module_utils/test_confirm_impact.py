# -*- coding: utf-8 -*-
"""Every ConfirmImpact-High cmdlet is sent with -Confirm:$false: a remote session cannot answer PowerShell's prompt.

Driven by the lab's reference data (tests/lab/hvlab/reference/cmdlet_behaviour.json, each fact with its source): a cmdlet
the data calls High, or whose impact no source settles ("unknown"), and the collection does not answer fails here.
"""

import ast
import json
import os

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import CONFIRM_IMPACT_HIGH, Command

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
TRAITS = os.path.join(ROOT, 'tests', 'lab', 'hvlab', 'reference', 'cmdlet_behaviour.json')
PLUGINS = os.path.join(ROOT, 'plugins')


def traits():
    with open(TRAITS) as handle:
        return json.load(handle)['cmdlets']


def high_impact():
    return sorted(name for name, entry in traits().items() if entry['confirm_impact'] in ('High', 'unknown'))


def test_the_collection_answers_exactly_the_cmdlets_the_reference_calls_high():
    assert high_impact(), 'the reference data lists no High cmdlet: it was not read'
    assert sorted(CONFIRM_IMPACT_HIGH) == sorted(name.lower() for name in high_impact())


@pytest.mark.parametrize('name', high_impact())
def test_a_high_impact_command_carries_confirm_false(name):
    assert Command(name).parameters['Confirm'] is False
    assert Command(name.upper(), {'VMName': 'web01'}).parameters == {'VMName': 'web01', 'Confirm': False}


def test_other_commands_are_sent_as_given():
    medium = [name for name, entry in traits().items() if entry['confirm_impact'] == 'Medium'][0]
    assert 'Confirm' not in Command(medium).parameters and Command('Get-VM').parameters == {}


def _command_calls():
    """(file, cmdlet name, literal parameters or None) of every Command('Literal-Name', ...) in plugins/."""
    found = []
    for folder, _unused, files in os.walk(PLUGINS):
        for file_name in files:
            if not file_name.endswith('.py'):
                continue
            path = os.path.join(folder, file_name)
            with open(path) as handle:
                tree = ast.parse(handle.read(), path)
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'Command' and node.args \
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                    found.append((os.path.relpath(path, ROOT), node.args[0].value, node))
    return found


def test_no_module_asks_for_a_prompt():
    calls = _command_calls()
    sent = set(name.lower() for _unused, name, _node in calls)
    # The scan sees the modules' commands (it must find the failover ones), and none passes Confirm itself.
    assert {'start-vmfailover', 'complete-vmfailover', 'enable-netfirewallrule'} <= sent
    for path, name, node in calls:
        for argument in node.args[1:]:
            if isinstance(argument, ast.Dict):
                keys = [key.value for key in argument.keys if isinstance(key, ast.Constant)]
                assert 'Confirm' not in keys, '%s sends %s with its own Confirm' % (path, name)
