# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Concurrent runs (issue 21 class 5) against three lab hosts joined to a real Samba DC.

- Two real ``ansible-playbook playbooks/live_migration.yml`` runs at once both succeed and leave the mesh configured once:
  each delegated service and each migration network is reported as changed by exactly one of the runs. Which run meets a
  collision (LDAP attributeOrValueExists, Add-VMMigrationNetwork's SubnetAlreadyExists) depends on timing, so the invariants
  hold whether or not one happened; the hosts answer slowly (lab latency) to make the two runs overlap.
- Deterministically, over psrp (hv01) and winrm (hv02): "another run" adds the network between the task's read and its
  Add-VMMigrationNetwork; the host refuses the Add as Hyper-V does, the task reads again, converges and reports the network
  as applied by another run.
"""

from __future__ import annotations

import threading

import pytest
from hvlab.engine import cmdlets as lab_cmdlets

from migration_lab import configured_mesh, expected_services, pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture

PLAYBOOK = 'playbooks/live_migration.yml'
# One task delegates every host (run once): each host's result is its entry under `computers`.
DELEGATION_TASK = "hyperv.mobility.live_migration_mesh : Delegate every host's computer account to the services of its destinations (Kerberos)"


def delegation_of_host(run, name):
    """The host's entry of the run's one delegation task."""
    (result,) = run.task(DELEGATION_TASK).values()
    return result['computers'][name]


# One task configures every host (run once): each host's result is its entry under `hosts`.
HOST_TASK = 'hyperv.mobility.live_migration_host : Configure live migration on every host of the play'


def settings_of_host(run, name):
    """The host's entry of the run's one live_migration task."""
    (result,) = run.task(HOST_TASK).values()
    return result['hosts'][name]


NETWORK_LINE = 'Add-VMMigrationNetwork 192.168.10.0/24 (priority 1)'


@pytest.fixture(autouse=True)
def installed_domain_hosts(pair_lab):
    pair_lab.reset_as_installed()
    yield
    for host in pair_lab.hosts:
        pair_lab.control.set_latency(host['name'], 0)


def test_two_live_migration_runs_at_once_both_succeed_and_each_change_is_reported_once(run_playbook, pair_lab):
    names = [host['name'] for host in pair_lab.hosts]
    for name in names:
        pair_lab.control.set_latency(name, 150)
    start = threading.Barrier(2)
    runs = [None, None]

    def run(index):
        start.wait()
        runs[index] = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for done in runs:
        assert done.rc == 0, done.stdout[-4000:] + done.stderr[-2000:]

    assert pair_lab.mesh_state() == configured_mesh(names)
    for name in names:
        added = [service for done in runs for service in delegation_of_host(done, name)['services_added']]
        assert sorted(added) == expected_services([peer for peer in names if peer != name])   # each service added by one run only
        host_results = [settings_of_host(done, name) for done in runs]
        assert sum(result['changes'].count(NETWORK_LINE) for result in host_results) == 1
        for result in host_results:
            assert result.get('applied_by_another_run', []) in ([], [NETWORK_LINE])

    for name in names:
        pair_lab.control.set_latency(name, 0)
    again = run_playbook(PLAYBOOK, inventory=pair_lab.inventory_path, extra_vars={'live_migration_mesh_purge_tickets': True})
    assert again.rc == 0, again.stdout[-4000:]
    assert again.changed_hosts() == []


@pytest.mark.parametrize('host', ['hv01', 'hv02'], ids=['psrp', 'winrm'])
def test_a_network_another_run_adds_between_read_and_write_converges(run_playbook, pair_lab, monkeypatch, host):
    real_add = lab_cmdlets.REGISTRY['add-vmmigrationnetwork']
    raced = []

    def another_run_adds_first(ctx):
        if not raced:
            raced.append(ctx.host.name)
            ctx.host.add_migration_network('192.168.10.0/24', 1)
        real_add(ctx)

    monkeypatch.setitem(lab_cmdlets.REGISTRY, 'add-vmmigrationnetwork', another_run_adds_first)
    task = {'hyperv.mobility.live_migration': {'state': 'enabled', 'authentication': 'kerberos',
                                               'networks': [{'subnet': '192.168.10.0/24', 'priority': 1}], 'use_any_network': False}}
    done = run_playbook([{'hosts': host, 'gather_facts': False, 'tasks': [task]}], inventory=pair_lab.inventory_path)
    assert done.rc == 0, done.stdout[-4000:]
    assert raced == [host]
    result = done.task('hyperv.mobility.live_migration')[host]
    assert result['changed'] is True                       # Enable-VMMigration and Set-VMHost were this run's
    assert result['applied_by_another_run'] == [NETWORK_LINE]
    assert NETWORK_LINE not in result['changes'] and 'Enable-VMMigration' in result['changes']
    assert result['after']['networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]
    assert 'Another run changed' in str(result['warnings'])
    assert pair_lab.control.host_state(host)['migration_networks'] == [{'subnet': '192.168.10.0/24', 'priority': 1}]


FRESH_REPLICA_SERVER = {'enabled': False, 'allowed_authentication_type': 'Kerberos', 'kerberos_port': 80, 'certificate_port': 443,
                        'certificate_thumbprint': None, 'allow_any_server': True,
                        'default_storage_location': 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V', 'authorization_entries': []}
ENTRY_LINE = 'New-VMReplicationAuthorizationEntry *.hvlab.test (storage D:\\Replica, trust group HVLAB)'


@pytest.mark.parametrize('host', ['hv01', 'hv02'], ids=['psrp', 'winrm'])
def test_an_authorization_entry_another_run_adds_between_read_and_write_converges(run_playbook, pair_lab, monkeypatch, host):
    """replica_server: "another run" adds the entry just before this task's New-VMReplicationAuthorizationEntry, which the lab
    refuses (an entry for that primary server exists); the task reads again, finds every change in place and succeeds,
    reporting the entry as applied by another run. tests/integration/test_replica_server.py races two real runs."""
    real_new = lab_cmdlets.REGISTRY['new-vmreplicationauthorizationentry']
    raced = []
    entry = {'allowed_primary_server': '*.hvlab.test', 'replica_storage_location': 'D:\\Replica', 'trust_group': 'HVLAB'}

    def another_run_adds_first(ctx):
        if not raced:
            raced.append(ctx.host.name)
            ctx.host.replica_server.authorization_entries.append(dict(entry))
        real_new(ctx)

    monkeypatch.setitem(lab_cmdlets.REGISTRY, 'new-vmreplicationauthorizationentry', another_run_adds_first)
    pair_lab.control.patch_host(host, replica_server=FRESH_REPLICA_SERVER)
    try:
        task = {'hyperv.mobility.replica_server': {'state': 'enabled', 'authentication': 'kerberos', 'kerberos_port': 80, 'authorization_entries': [
            {'primary_server': '*.hvlab.test', 'storage_location': 'D:\\Replica', 'trust_group': 'HVLAB'}]}}
        done = run_playbook([{'hosts': host, 'gather_facts': False, 'tasks': [task]}], inventory=pair_lab.inventory_path)
        assert done.rc == 0, done.stdout[-4000:]
        assert raced == [host]
        result = done.task('hyperv.mobility.replica_server')[host]
        assert result['changed'] is True and result['applied_by_another_run'] == [ENTRY_LINE], result
        assert ENTRY_LINE not in result['changes'] and any(line.startswith('Set-VMReplicationServer') for line in result['changes'])
        assert 'Another run changed' in str(result['warnings'])
        assert pair_lab.control.host_state(host)['replica_server']['authorization_entries'] == [entry]
    finally:
        pair_lab.control.patch_host(host, replica_server=FRESH_REPLICA_SERVER)
