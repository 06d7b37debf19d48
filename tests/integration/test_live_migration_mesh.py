# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/live_migration.yml (role live_migration_mesh) on three lab hosts joined to a real Samba DC.

One run writes delegation for every direction, configures every host and proves every direction with the preflight;
then VMs really move around the ring with vm_migrate (the lab's Move-VM reads delegation from the DC), and a second
run changes nothing.
"""

from __future__ import annotations

import pytest
import yaml

from migration_lab import INSTALLED_MIGRATION, MIGRATION_SERVICE, pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture
PLAYBOOK = 'playbooks/live_migration.yml'
HOST_DELEGATION_TASK = "hyperv.mobility.live_migration_mesh : This host's delegation (changed, or failed with its account's message)"


@pytest.fixture(autouse=True)
def fresh_domain_hosts(pair_lab):
    """Seeded VMs, no delegation, and hosts as Hyper-V installs them (migration off, CredSSP, no networks)."""
    pair_lab.reset_as_installed()
    pair_lab.control.reset_counters()


def expected_services(peers):
    return sorted(f'{service}/{name}' for peer in peers for service in ('cifs', MIGRATION_SERVICE) for name in (peer, f'{peer}.hvlab.test'))


def task_runs_per_host(run):
    """How many tasks ran for each host (a skipped task ran too: its condition is evaluated in a worker); a run_once task
    counts for the one host it ran on."""
    runs = {}
    for result in run.results:
        for host in result['hosts']:
            runs[host] = runs.get(host, 0) + 1
    return runs


def module_processes(run):
    """How many module processes the run started: results that carry a module's invocation (an action plugin such as assert
    or set_fact runs in the worker and has none)."""
    return sum(1 for result in run.results for outcome in result['hosts'].values() if 'invocation' in outcome)


def summary_rows(run):
    """The summary table, shown once (run_once: by the first host still in the play)."""
    shown = run.task('hyperv.mobility.live_migration_mesh : Summarise the preflight of every direction')
    return next(result['msg'] for result in shown.values() if 'msg' in result)


def test_mesh_configures_every_direction_moves_vms_round_the_ring_and_reruns_unchanged(run_playbook, pair_lab):
    names = [host['name'] for host in pair_lab.hosts]
    first = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})
    assert first.rc == 0, first.stdout[-4000:]
    assert pair_lab.system_ticket_purges() == {name: 1 for name in names}      # every host's delegation changed
    for name in names:
        peers = [peer for peer in names if peer != name]
        assert pair_lab.delegation_of(name) == expected_services(peers)
        state = pair_lab.control.host_state(name)
        assert state['migration']['enabled'] and state['migration']['authentication_type'] == 'Kerberos'
        assert state['migration_networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]
    rows = summary_rows(first)
    assert rows[0] == 'source | destination | status | first failing check'
    assert sorted(rows[1:]) == sorted(f'{source} | {destination} | ok | ' for source in names for destination in names if source != destination)

    ring = [('hv01', 'hv02'), ('hv02', 'hv03'), ('hv03', 'hv01')]
    vm = pair_lab.vm_names('hv01')[0]
    tasks = [{'name': f'{source} to {destination}', 'hyperv.mobility.vm_migrate': {'name': vm, 'destination': destination, 'include_storage': True},
              'when': f"inventory_hostname == '{source}'"} for source, destination in ring]
    moves = run_playbook([{'hosts': 'hyperv_hosts', 'gather_facts': False, 'tasks': tasks}], inventory=pair_lab.inventory_path)
    assert moves.rc == 0, moves.stdout[-4000:]
    for source, destination in ring:
        assert moves.task(f'{source} to {destination}')[source]['changed'] is True
    assert vm in pair_lab.vm_names('hv01') and vm not in pair_lab.vm_names('hv02') + pair_lab.vm_names('hv03')

    pair_lab.control.reset_counters()
    second = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})
    assert second.rc == 0 and second.changed_hosts() == [], second.stdout[-4000:]
    assert pair_lab.system_ticket_purges() == {name: 1 for name in names}      # nothing changed: no purge


def test_without_the_purge_a_kerberos_move_right_after_the_mesh_fails_and_the_notice_names_the_hosts(run_playbook, pair_lab):
    run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_pairs': [{'source': 'hv01', 'destination': 'hv02'}]})
    assert run.rc == 0, run.stdout[-4000:]
    assert pair_lab.system_ticket_purges() == {'hv01': 0, 'hv02': 0, 'hv03': 0}
    assert 'klist -li 0x3e7 purge' in run.task('hyperv.mobility.live_migration_mesh : Tell where new Kerberos tickets are needed')['hv01']['msg']
    vm = pair_lab.vm_names('hv01')[0]
    task = {'name': 'move', 'hyperv.mobility.vm_migrate': {'name': vm, 'destination': 'hv02', 'include_storage': True}, 'when': "inventory_hostname == 'hv01'"}
    moved = run_playbook([{'hosts': 'hyperv_hosts', 'gather_facts': False, 'tasks': [task]}], inventory=pair_lab.inventory_path)
    assert moved.rc != 0
    assert '0x8009030E' in str(moved.task('move')['hv01'].get('msg')), moved.stdout[-4000:]
    assert vm in pair_lab.vm_names('hv01')


def test_explicit_pairs_delegate_only_their_direction(run_playbook, pair_lab):
    run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path,
                       extra_vars={'live_migration_mesh_pairs': [{'source': 'hv01', 'destination': 'hv02'}]})
    assert run.rc == 0, run.stdout[-4000:]
    assert pair_lab.delegation_of('hv01') == expected_services(['hv02'])
    assert pair_lab.delegation_of('hv02') == [] and pair_lab.delegation_of('hv03') == []
    assert summary_rows(run)[1:] == ['hv01 | hv02 | ok | ']


def test_a_host_whose_account_is_missing_fails_alone_and_its_direction_is_not_checked(run_playbook, pair_lab, tmp_path):
    # One task delegates every host; hv03's computer account does not exist (its inventory names another account). Of the
    # hosts only hv03 fails its own part of the delegation, with the account's message; hv01 is delegated. hv03's direction
    # is listed as not checked, and the verdict (run once) names it alone.
    inventory = yaml.safe_load(pair_lab.inventory_path.read_text(encoding='utf-8'))
    host_vars = find_host_vars(inventory, 'hv03')
    host_vars['hyperv_computer_name'] = 'hv09'
    broken_inventory = tmp_path / 'inventory.yml'
    broken_inventory.write_text(yaml.safe_dump(inventory, sort_keys=False), encoding='utf-8')
    pairs = [{'source': 'hv01', 'destination': 'hv02'}, {'source': 'hv03', 'destination': 'hv01'}]
    run = run_playbook(PLAYBOOK, inventory=broken_inventory, extra_vars={'live_migration_mesh_pairs': pairs})
    assert run.rc != 0
    failed = [(result['task']['name'], host) for result in run.results for host, outcome in result['hosts'].items() if outcome.get('failed')]
    assert failed == [(HOST_DELEGATION_TASK, 'hv03'),
                      ('hyperv.mobility.live_migration_mesh : Fail when a direction is not ready', 'hv01')], failed
    verdict = run.task('hyperv.mobility.live_migration_mesh : Fail when a direction is not ready')['hv01']['msg']
    assert 'hv03 -> hv01' in verdict and 'hv01 -> hv02' not in verdict, verdict
    assert "'hv09' not found" in run.task(HOST_DELEGATION_TASK)['hv03']['msg']
    assert pair_lab.delegation_of('hv01') == expected_services(['hv02'])
    assert pair_lab.delegation_of('hv03') == []
    assert run.stats['hv02']['failures'] == 0 and run.stats['hv03']['failures'] == 1, run.stats
    rows = summary_rows(run)
    assert 'hv01 | hv02 | ok | ' in rows, rows
    assert any(row.startswith('hv03 | hv01 | not checked') for row in rows), rows


def find_host_vars(inventory, name):
    """The vars mapping of host NAME anywhere in a YAML inventory."""
    if isinstance(inventory, dict):
        hosts = inventory.get('hosts')
        if isinstance(hosts, dict) and name in hosts:
            if hosts[name] is None:
                hosts[name] = {}
            return hosts[name]
        for value in inventory.values():
            found = find_host_vars(value, name)
            if found is not None:
                return found
    return None


def test_a_broken_direction_is_named_in_the_summary_and_fails_the_play(run_playbook, pair_lab):
    # hv03 runs an older Hyper-V that cannot host the seeded configuration version 10.0 VMs of hv01 and hv02.
    pair_lab.control.patch_host('hv03', os_release='2016')
    run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path)
    assert run.rc != 0
    rows = summary_rows(run)
    assert any(row.startswith('hv01 | hv03 | failed | vm_versions') for row in rows), rows
    assert any(row.startswith('hv03 | hv01 | ok') for row in rows), rows
    failure = run.task('hyperv.mobility.live_migration_mesh : Fail when a direction is not ready')['hv01']
    assert failure.get('failed') and 'hv01 -> hv03: vm_versions' in failure['msg']


def test_each_host_costs_two_pipelines_from_scratch_and_one_on_a_rerun(run_playbook, pair_lab):
    # Phase 1 reads each host once for its settings and its mesh facts (1) and writes the settings (1, only when they change);
    # phase 2 evaluates every direction on the controller from those facts: no host round trip, whatever N is.
    first = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path)
    assert first.rc == 0, first.stdout[-4000:]
    counters = pair_lab.control.counters()
    assert {name: counters[name]['pipelines'] for name in counters} == {host['name']: 2 for host in pair_lab.hosts}
    pair_lab.control.reset_counters()
    second = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path)
    assert second.rc == 0 and second.changed_hosts() == [], second.stdout[-4000:]
    counters = pair_lab.control.counters()
    assert {name: counters[name]['pipelines'] for name in counters} == {host['name']: 1 for host in pair_lab.hosts}
    # Task runs (each one worker fork on the controller) per host on the rerun: the two roles' argument checks, the host role's
    # input check (which notes the host's settings), the host's part of the settings and its part of the delegation (neither
    # starts a module process). The first host also runs the seven run_once tasks (the inventory check, live_migration on
    # every host, their mesh facts, the delegation of every host, phase 2's evaluation, its summary and its verdict), once
    # for the whole mesh, of which three start a module process: live_migration, kerberos_delegation and the evaluation.
    names = [host['name'] for host in pair_lab.hosts]
    assert task_runs_per_host(second) == {name: 5 + (7 if name == names[0] else 0) for name in names}, task_runs_per_host(second)
    assert module_processes(second) == 3, [result['task']['name'] for result in second.results]


def test_a_host_down_has_its_directions_listed_as_not_checked(run_playbook, pair_lab):
    pair_lab.control.inject_fault('hv03', 'host_down', count=50)
    try:
        run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path)
    finally:
        pair_lab.control.clear_faults()
    assert run.rc != 0
    rows = summary_rows(run)
    assert len(rows) == 1 + 6, rows                                   # no direction dropped
    for row in rows[1:]:
        source, destination, status = row.split(' | ')[:3]
        if 'hv03' in (source, destination):
            assert status == 'not checked (host unreachable)', row
        else:
            assert status == 'ok', row


def test_check_mode_finishes_reports_the_changes_and_which_directions_would_then_be_ready(run_playbook, pair_lab):
    run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, check=True)
    assert run.rc == 0, run.stdout[-4000:]
    names = [host['name'] for host in pair_lab.hosts]
    assert sorted(run.changed_hosts()) == sorted(names)               # what the run would change
    assert sorted(summary_rows(run)[1:]) == sorted(f'{source} | {destination} | ok | ' for source in names for destination in names if source != destination)
    for name in names:                                               # and nothing changed
        assert pair_lab.delegation_of(name) == []
        assert pair_lab.control.host_state(name)['migration'] == INSTALLED_MIGRATION


def test_a_run_failing_after_the_delegation_changed_has_purged_the_tickets_and_reports_the_changes(run_playbook, pair_lab):
    # After the delegation of phase 1 nothing reads a host any more (its mesh facts come from the settings task's own read):
    # what can fail after a delegation changed is phase 2 (a direction not ready). The purge ran right after the delegation
    # task, before phase 2 (issue 21 class 7), and the failed run still reports what it changed. (This test replaces one that
    # failed the separate mesh-facts read after the purge: that read no longer exists.)
    pair_lab.control.patch_host('hv03', os_release='2016')      # hv01, hv02 -> hv03: the seeded 10.0 VMs do not fit
    run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})
    assert run.rc != 0
    failed = [(result['task']['name'], host) for result in run.results for host, outcome in result['hosts'].items() if outcome.get('failed')]
    assert failed == [('hyperv.mobility.live_migration_mesh : Fail when a direction is not ready', 'hv01')], failed
    assert pair_lab.system_ticket_purges() == {'hv01': 1, 'hv02': 1, 'hv03': 1}
    assert sorted(run.changed_hosts()) == ['hv01', 'hv02', 'hv03']


def test_a_host_whose_settings_were_partly_applied_shows_changed_in_the_recap(run_playbook, pair_lab):
    # hv01's one write pipeline applies its migration settings, then the lab fails Add-VMMigrationNetwork (a Hyper-V operation
    # failing inside VMMS). The task fails reporting changed and what it applied, so the play recap counts hv01 as changed
    # as well as failed (issue 21 class 7): the host did change. The rerun applies the rest.
    pair_lab.control.patch_host('hv01', failing_commands={'Add-VMMigrationNetwork': 1})
    try:
        run = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})
    finally:
        pair_lab.control.patch_host('hv01', failing_commands={})
    assert run.rc != 0
    (settings,) = run.task('hyperv.mobility.live_migration_host : Configure live migration on every host of the play').values()
    partial = settings['hosts']['hv01']
    assert partial['failed'] is True and partial['changed'] is True, partial
    assert partial['applied'] and not any('Add-VMMigrationNetwork' in line for line in partial['applied']), partial
    assert pair_lab.control.host_state('hv01')['migration']['enabled'] is True      # what the task said it applied is applied
    assert pair_lab.control.host_state('hv01')['migration_networks'] == []
    assert run.stats['hv01']['changed'] >= 1 and run.stats['hv01']['failures'] == 1, run.stats
    assert 'hv01' in run.changed_hosts()
    rerun = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})
    assert rerun.rc == 0, rerun.stdout[-4000:]
    assert pair_lab.control.host_state('hv01')['migration_networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]
