# -*- coding: utf-8 -*-
"""The lab's reference facts (tests/lab/hvlab/reference) are complete for what the collection calls, consistent, and sourced."""

import json
import os
import re
import sys

import pytest

from collection_path import REPO_ROOT
from ansible_collections.hyperv.mobility.plugins.module_utils._host.runner import ALLOWED_CMDLETS

from hvlab import reference

sys.path.insert(0, os.path.join(REPO_ROOT, 'scripts', 'reference'))
import extract_hyperv_reference as extractor  # noqa: E402  pylint: disable=wrong-import-position

# Cmdlets the open issues will add to the collection (issue 14's list).
PLANNED_CMDLETS = ('Get-VMHardDiskDrive', 'Select-Object', 'Get-VMSnapshot', 'Start-VM', 'Get-VMIntegrationService',
                   'Set-VMNetworkAdapterFailoverConfiguration', 'Get-VMNetworkAdapterFailoverConfiguration', 'Set-VMNetworkAdapter',
                   'Get-VMNetworkAdapter', 'Set-VMProcessor', 'Get-VMProcessor', 'Move-VMStorage', 'Update-VMVersion', 'Get-VMSwitch',
                   'Get-VMMemory', 'Get-CimInstance', 'Compare-VM', 'Move-VM')
COMMAND_CALL = re.compile(r"""\bCommand\(\s*['"]([A-Za-z]+-[A-Za-z]+)['"]""")
HEX40 = re.compile(r'^[0-9a-f]{40}$')
# NOTES.md: a parameter present on only one stored version of a page is listed apart.
OPTIONAL_SIGNATURE_KEYS = {'partially_documented_parameters'}

SIGNATURES_JSON = os.path.join(REPO_ROOT, 'tests', 'lab', 'hvlab', 'cmdlets.json')
CMDLETS = reference.load('cmdlet_behaviour.json')
TYPES = reference.load('types.json')
REMOTING = reference.load('remoting.json')
DOCUMENTS = {'cmdlet_behaviour.json': CMDLETS, 'types.json': TYPES, 'remoting.json': REMOTING}


def cmdlets_called_by_plugins():
    names = set()
    for folder, _subfolders, files in os.walk(os.path.join(REPO_ROOT, 'plugins')):
        for name in files:
            if name.endswith('.py'):
                with open(os.path.join(folder, name), encoding='utf-8') as handle:
                    names.update(COMMAND_CALL.findall(handle.read()))
    return names


def source_lists(node, path=''):
    """(path, list of source ids) for every 'sources' list below node (the top-level table is a dict, not a list)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'sources' and isinstance(value, list):
                yield path, value
            else:
                yield from source_lists(value, '%s/%s' % (path, key))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from source_lists(item, '%s[%d]' % (path, index))


def test_the_plugins_call_cmdlets_through_command():
    # Guards the scan below: if the call syntax changes, the completeness test must not pass on an empty set.
    assert {'Get-VMHost', 'Start-VMFailover', 'Get-NetFirewallRule'} <= cmdlets_called_by_plugins()


@pytest.mark.parametrize('origin, names', [
    ('Command(...) in plugins/', sorted(cmdlets_called_by_plugins())),
    ('the winrm runner ALLOWED_CMDLETS', sorted(ALLOWED_CMDLETS)),
    ('the open issues', sorted(PLANNED_CMDLETS)),
])
def test_every_cmdlet_the_collection_calls_has_an_entry(origin, names):
    missing = [name for name in names if name not in CMDLETS['cmdlets']]
    assert not missing, 'cmdlets from %s without an entry in cmdlet_behaviour.json: %s' % (origin, ', '.join(missing))


def test_every_output_type_named_exists_in_types_json():
    named = {(cmdlet, type_name) for cmdlet, entry in CMDLETS['cmdlets'].items()
             for output in entry['output_types'] for type_name in output['types']}
    assert named, 'no output types at all'
    assert sorted(item for item in named if item[1] not in TYPES['types']) == []


def test_should_process_facts_hang_together():
    for name, entry in CMDLETS['cmdlets'].items():
        if entry['supports_should_process']:
            assert entry['confirm_impact'] in ('High', 'Medium', 'Low', 'unknown'), name
            assert entry['should_process_after_state_checks'] in (True, False, 'unknown'), name
        else:
            assert (entry['confirm_impact'], entry['should_process_after_state_checks']) == (None, None), name
        if entry['should_process_after_state_checks'] is True:
            assert entry['state_checks_after_should_process'] == [], name


def test_error_records_of_hyperv_cmdlets_name_their_cmdlet_class():
    for name, entry in CMDLETS['cmdlets'].items():
        for error in entry['errors']:
            if entry['module'] == 'Hyper-V':
                assert error['fully_qualified_error_id'].endswith(',' + entry['implementation']), (name, error)
                assert error['category'] not in REMOTING['errors']['hyperv_exception_helper']['never'], (name, error)


def test_every_fact_has_a_source_and_every_source_is_pinned():
    for file_name, document in DOCUMENTS.items():
        table = document['sources']
        for path, ids in source_lists(document):
            assert ids, '%s%s has an empty sources list' % (file_name, path)
            unknown = [item for item in ids if item not in table]
            assert not unknown, '%s%s cites unknown sources %s' % (file_name, path, unknown)
        for key, entry in table.items():
            if 'repo' in entry:
                assert entry['path'] and HEX40.match(entry['commit']), (file_name, key, entry)
            else:
                assert entry.get('url', '').startswith('https://') or entry.get('code_index_id'), (file_name, key, entry)
            assert entry['what'], (file_name, key)
        cited = {item for _path, ids in source_lists(document) for item in ids}
        assert set(table) == cited, '%s lists sources nothing cites' % file_name


@pytest.mark.parametrize('section', ['cmdlets', 'types', 'enums'])
def test_every_entry_has_its_own_sources(section):
    document = CMDLETS if section == 'cmdlets' else TYPES
    assert [name for name, entry in document[section].items() if not entry.get('sources')] == []


def test_remoting_kinds_follow_the_serializer_rule_for_every_known_type():
    kinds = set(REMOTING['serialization']['remoting_kinds'])
    for type_name, entry in TYPES['types'].items():
        for prop, detail in entry['properties'].items():
            assert detail['remoting'] in kinds, (type_name, prop)
            if detail['type'] == 'unknown':
                assert detail['remoting'] == 'unknown', (type_name, prop)
            else:
                assert detail['remoting'] == extractor.classify_remoting(detail['type']), (type_name, prop)


def test_enum_properties_name_a_recorded_enum_and_list_its_members_in_value_order():
    for type_name, entry in TYPES['types'].items():
        for prop, detail in entry['properties'].items():
            if 'enum' in detail:
                members = TYPES['enums'][detail['enum']]['members']
                assert detail['enum_members'] == sorted(members, key=members.get), (type_name, prop)
                assert extractor.element_type(detail['type']) == detail['enum'], (type_name, prop)


def test_hyperv_types_name_their_own_hierarchy_and_identifiers_that_exist():
    for type_name, entry in TYPES['types'].items():
        if not type_name.startswith('Microsoft.HyperV.PowerShell.'):
            continue
        assert entry['type_names'][0] == type_name and entry['type_names'][-1] == 'System.Object', type_name
        for prop in re.findall(r"(\w+) = '<\w+>'", entry['to_string']):
            assert prop in entry['properties'], (type_name, prop)


def test_the_loader_refuses_an_unknown_file_naming_the_choices():
    with pytest.raises(ValueError, match='cmdlet_behaviour.json, types.json, remoting.json, planned_cmdlets.json'):
        reference.load('cmdlets.json')


def documented_signatures():
    with open(SIGNATURES_JSON, encoding='utf-8') as handle:
        return json.load(handle)


def test_every_planned_cmdlet_has_a_signature_in_one_place_only():
    documented, planned = documented_signatures(), reference.load('planned_cmdlets.json')
    assert sorted(set(documented) & set(planned)) == []
    assert sorted(name for name in PLANNED_CMDLETS if name not in documented and name not in planned) == []
    assert sorted(set(planned) - set(PLANNED_CMDLETS)) == []


@pytest.mark.parametrize('origin', ['hvlab/cmdlets.json', 'reference/planned_cmdlets.json'])
def test_signatures_keep_the_lab_schema_and_name_their_page(origin):
    entries = documented_signatures() if origin == 'hvlab/cmdlets.json' else reference.load('planned_cmdlets.json')
    model = documented_signatures()['Get-VMHost']
    for name, entry in entries.items():
        assert set(entry) - OPTIONAL_SIGNATURE_KEYS == set(model) - OPTIONAL_SIGNATURE_KEYS, name
        assert entry['name'] == name and entry['source_repo'].startswith('MicrosoftDocs/') and HEX40.match(entry['source_commit']), name
        sets = [item['name'] for item in entry['parameter_sets']]
        # a page marks at most one set "(Default)" (Set-ADComputer's marks none)
        assert [item['default'] for item in entry['parameter_sets']].count(True) <= 1, name
        assert entry['parameter_count'] == len(entry['parameters']), name
        for parameter in entry['parameters']:
            assert list(parameter) == list(model['parameters'][0]), (name, parameter['name'])
            assert set(parameter['parameter_sets']) <= set(sets), (name, parameter['name'])
