# -*- coding: utf-8 -*-
"""docs/inventory: the constructed-inventory example builds the groups its README promises, and the replication_pairs it
computes are valid input for the replica role. Runs the real ansible-inventory / ansible commands."""

import json
import os
import subprocess
import sys

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from collection_path import COLLECTIONS_ROOT, REPO_ROOT

INVENTORY = os.path.join(REPO_ROOT, 'docs', 'inventory')
SOURCES = ['-i', os.path.join(INVENTORY, 'hosts.yml'), '-i', os.path.join(INVENTORY, 'constructed.yml')]
BIN = os.path.dirname(sys.executable)


def run(command):
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS_ROOT, ANSIBLE_INVENTORY_UNPARSED_FAILED='true',
                       ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED='true', ANSIBLE_NOCOLOR='1')
    completed = subprocess.run([os.path.join(BIN, command[0])] + command[1:], capture_output=True, text=True, env=environment,
                               check=False, timeout=60)
    assert completed.returncode == 0, completed.stderr
    assert 'WARNING' not in completed.stderr, completed.stderr
    return completed.stdout


def test_constructed_inventory_groups_meshes_pairs_and_roles():
    inventory = json.loads(run(['ansible-inventory'] + SOURCES + ['--list']))

    def members(group):
        return sorted(inventory.get(group, {}).get('hosts', []))

    assert members('hyperv_hosts') == ['hv01', 'hv02', 'hv03', 'hv04', 'hv05']
    assert members('migration_mesh_east') == ['hv01', 'hv02']
    assert members('migration_mesh_west') == ['hv03', 'hv04']
    assert members('replication_pair_web_east_west') == ['hv01', 'hv03']
    assert members('replication_pair_db_east_west') == ['hv02', 'hv03']
    assert members('replica_primaries') == ['hv01', 'hv02']
    assert members('replica_servers') == ['hv03']
    # the stand-alone host joins no mesh and no pair
    hv05_groups = [group for group, data in inventory.items() if 'hv05' in data.get('hosts', [])]
    assert sorted(hv05_groups) == ['hyperv_hosts', 'site_lab']
    computer_name = inventory['_meta']['hostvars']['hv01']['hyperv_computer_name']
    # composed values are marked unsafe (not templated again) in the JSON output
    assert (computer_name.get('__ansible_unsafe') if isinstance(computer_name, dict) else computer_name) == 'HV01'


def test_computed_replication_pairs_are_valid_input_of_the_replica_role():
    output = run(['ansible', 'hv05'] + SOURCES + ['-m', 'ansible.builtin.debug', '-a', 'var=replication_pairs'])
    assert output.startswith('hv05 | SUCCESS => ')
    pairs = json.loads(output.split('=>', 1)[1])['replication_pairs']
    assert pairs == [{'primary': 'hv01', 'replica': 'hv03', 'vms': ['web01', 'web02']},
                     {'primary': 'hv02', 'replica': 'hv03', 'vms': ['db01']}]
    with open(os.path.join(REPO_ROOT, 'roles', 'replica', 'meta', 'argument_specs.yml'), encoding='utf-8') as handle:
        spec = yaml.safe_load(handle)['argument_specs']['main']['options']
    result = ArgumentSpecValidator({'replication_pairs': spec['replication_pairs']}).validate({'replication_pairs': pairs})
    assert not result.error_messages
