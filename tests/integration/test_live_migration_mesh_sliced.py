# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/live_migration.yml sliced: phase 1 as four slices (--limit, as AWX job slicing splits a job) leaving the hosts'
mesh facts in ansible-core's jsonfile fact cache, then phase 2 once from the cache - against the result of one run.

Eight lab hosts joined to the real Samba DC; the fact cache lives in the repository's build folder (.build/, ignored by git).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from migration_lab import start_migration_lab

PLAYBOOK = 'playbooks/live_migration.yml'
CHECK_TASK = "hyperv.mobility.live_migration_mesh : Check every direction of the mesh from the hosts' facts"
HOSTS = 8
SLICES = 4
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope='module', name='mesh_lab')
def mesh_lab_fixture(samba_dc, tmp_path_factory):
    lab = start_migration_lab(tmp_path_factory.mktemp('mesh-lab'), samba_dc, host_count=HOSTS)
    lab.seeded_vms = {host['name']: lab.control.host_state(host['name'])['vms'] for host in lab.hosts}
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(name='fact_cache')
def fact_cache_fixture():
    """ansible-core's jsonfile fact cache in the repository's build folder, one folder per test, removed afterwards."""
    folder = REPO_ROOT / '.build' / 'fact-cache' / uuid.uuid4().hex
    folder.mkdir(parents=True)
    try:
        yield {'ANSIBLE_CACHE_PLUGIN': 'ansible.builtin.jsonfile', 'ANSIBLE_CACHE_PLUGIN_CONNECTION': str(folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def directions_of(run):
    """{(source, destination): (status, checks)} from the one evaluation of phase 2."""
    results = run.task(CHECK_TASK)
    evaluation = next(result for result in results.values() if 'directions' in result)
    return {(entry['source'], entry['destination']): (entry['status'], entry['checks']) for entry in evaluation['directions']}


def test_four_slices_then_one_evaluation_give_exactly_the_result_of_one_run(run_playbook, mesh_lab, fact_cache):
    names = [host['name'] for host in mesh_lab.hosts]
    mesh_lab.reset_as_installed()
    mesh_lab.control.reset_counters()
    for number in range(SLICES):
        part = names[number::SLICES]
        run = run_playbook(PLAYBOOK, inventory=mesh_lab.inventory_path, extra_vars={'live_migration_mesh_phase': 'hosts'},
                           limit=','.join(part), environment=fact_cache)
        assert run.rc == 0, run.stdout[-4000:]
        assert sorted(run.stats) == sorted(part)
    # phase 1 wrote each host's delegation to every destination of the whole mesh, not only those of its slice
    for name in names:
        assert len(mesh_lab.delegation_of(name)) == 4 * (HOSTS - 1)
    counters = mesh_lab.control.counters()
    mesh_lab.control.reset_counters()
    evaluation = run_playbook(PLAYBOOK, inventory=mesh_lab.inventory_path, extra_vars={'live_migration_mesh_phase': 'evaluate'},
                              environment=fact_cache)
    assert evaluation.rc == 0, evaluation.stdout[-4000:]
    assert all(counter['pipelines'] == 0 for counter in mesh_lab.control.counters().values())   # phase 2 reads no host
    assert all(counters[name]['pipelines'] == 2 for name in names)   # read (settings and facts), write
    sliced = directions_of(evaluation)
    assert len(sliced) == HOSTS * (HOSTS - 1)

    mesh_lab.reset_as_installed()
    mesh_lab.control.reset_counters()
    one = run_playbook(PLAYBOOK, inventory=mesh_lab.inventory_path)
    assert one.rc == 0, one.stdout[-4000:]
    assert directions_of(one) == sliced
    assert set(status for status, checks in sliced.values()) == {'ok'}
