# -*- coding: utf-8 -*-
"""`ansible-doc hyperv.mobility.<name>` shows complete documentation for every module, filter and role: the real ansible-doc,
one process for all of them (-j), so a DOCUMENTATION that does not parse, or parses without the parts users read, fails here."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from collection_path import COLLECTIONS_ROOT, REPO_ROOT

BIN = os.path.dirname(sys.executable)


def plugin_names(folder):
    path = os.path.join(REPO_ROOT, 'plugins', folder)
    return sorted(name[:-3] for name in os.listdir(path) if name.endswith('.py') and not name.startswith('__'))


MODULES = plugin_names('modules')
FILTERS = plugin_names('filter')
ROLES = sorted(name for name in os.listdir(os.path.join(REPO_ROOT, 'roles'))
               if os.path.isfile(os.path.join(REPO_ROOT, 'roles', name, 'meta', 'argument_specs.yml')))


def ansible_doc(plugin_type, names):
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_NOCOLOR='1')
    completed = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', plugin_type, '-j'] + ['hyperv.mobility.' + name for name in names],
                               capture_output=True, text=True, env=environment, check=False, timeout=120)
    return completed, (json.loads(completed.stdout) if completed.stdout.strip() else {})


@pytest.fixture(scope='module', name='module_docs')
def all_module_docs():
    completed, docs = ansible_doc('module', MODULES)
    return completed, docs


@pytest.mark.parametrize('name', MODULES)
def test_module_documentation_is_complete(module_docs, name):
    completed, docs = module_docs
    fqcn = 'hyperv.mobility.' + name
    assert fqcn in docs, 'ansible-doc could not read %s: %s' % (fqcn, [line for line in completed.stderr.splitlines() if name in line])
    doc = docs[fqcn]['doc']
    assert doc['module'] == name and doc['short_description'] and doc['description'] and doc['author']
    assert doc.get('version_added'), 'version_added missing'
    for option, spec in (doc.get('options') or {}).items():
        assert spec.get('description'), '%s: option %s has no description' % (fqcn, option)
        assert spec.get('type') or spec.get('choices'), '%s: option %s has no type' % (fqcn, option)
    for attribute, spec in (doc.get('attributes') or {}).items():
        assert spec.get('description') and spec.get('support'), '%s: attribute %s needs a description and support' % (fqcn, attribute)
    assert docs[fqcn]['examples'].strip(), '%s has no EXAMPLES' % fqcn
    assert docs[fqcn]['return'], '%s has no RETURN' % fqcn
    for key, spec in docs[fqcn]['return'].items():
        assert spec.get('description') and spec.get('returned') and spec.get('type'), '%s: return value %s is incomplete' % (fqcn, key)


def runtime_groups():
    """{module: sorted FQCNs of the module_defaults groups meta/runtime.yml puts it in}."""
    with open(os.path.join(REPO_ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as runtime:
        action_groups = yaml.safe_load(runtime)['action_groups']
    groups = {}
    for group, members in action_groups.items():
        for member in members:
            groups.setdefault(member, []).append('hyperv.mobility.' + group)
    return {module: sorted(names) for module, names in groups.items()}


@pytest.mark.parametrize('name', MODULES)
def test_attributes_say_check_and_diff_mode_and_the_runtime_groups(module_docs, name):
    """The attributes come from the hyperv.mobility.attributes fragment's variants: a module that forgets its group variant, or takes
    the wrong one, documents a membership meta/runtime.yml does not give it."""
    attributes = module_docs[1]['hyperv.mobility.' + name]['doc']['attributes']
    assert attributes['check_mode']['support'] == 'full'
    assert attributes['diff_mode']['support'] in ('full', 'none')
    assert sorted(attributes['action_group']['membership']) == runtime_groups()[name]


def galaxy_version():
    with open(os.path.join(REPO_ROOT, 'galaxy.yml'), encoding='utf-8') as galaxy:
        return yaml.safe_load(galaxy)['version']


def version_key(version):
    return tuple(int(part) for part in str(version).split('.'))


def versions_added(spec, where):
    """(where, version_added) of an option and of its sub-options, at any depth."""
    found = [(where, spec['version_added'])] if 'version_added' in spec else []
    for name, child in (spec.get('suboptions') or {}).items():
        found.extend(versions_added(child, '%s.%s' % (where, name)))
    return found


@pytest.mark.parametrize('name', MODULES)
def test_nothing_claims_a_release_after_galaxy_version(module_docs, name):
    """version_added of the module and of every option is a release this collection has reached (galaxy.yml)."""
    doc = module_docs[1]['hyperv.mobility.' + name]['doc']
    claimed = [('module', doc['version_added'])]
    for option, spec in (doc.get('options') or {}).items():
        claimed.extend(versions_added(spec, option))
    assert [entry for entry in claimed if version_key(entry[1]) > version_key(galaxy_version())] == []


def test_every_module_is_in_the_listing():
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_NOCOLOR='1')
    completed = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-l', '-j', 'hyperv.mobility'], capture_output=True, text=True,
                               env=environment, check=False, timeout=120)
    assert sorted(json.loads(completed.stdout)) == ['hyperv.mobility.' + name for name in MODULES]


def test_filter_documentation_is_complete():
    completed, docs = ansible_doc('filter', FILTERS)
    assert completed.returncode == 0, completed.stderr
    for name in FILTERS:
        doc = docs['hyperv.mobility.' + name]['doc']
        assert doc['name'] == name and doc['short_description'] and doc['options']['_input']['description']
        assert docs['hyperv.mobility.' + name]['examples'].strip() and docs['hyperv.mobility.' + name]['return']['_value']


def test_role_documentation_is_complete():
    completed, docs = ansible_doc('role', ROLES)
    assert completed.returncode == 0, completed.stderr
    for name in ROLES:
        entry_point = docs['hyperv.mobility.' + name]['entry_points']['main']
        assert entry_point['short_description']
        for option, spec in entry_point['options'].items():
            assert spec.get('description') and spec.get('type'), 'role %s: option %s is incomplete' % (name, option)
