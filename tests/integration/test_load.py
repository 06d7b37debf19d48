# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load: 20 forks against 20 lab hosts at once; the lab's concurrency limits hold and nothing is lost.

An in-process lab of 20 hosts joined to the Samba DC (migration_lab), each allowed ONE simultaneous live migration
(MaximumVirtualMachineMigrations = 1, incoming and outgoing together). One ansible-playbook run with 20 forks reads
every host (host_info) and moves every host's web VM to the next host of the ring at the same moment, so every host
is asked for two migrations at once (its own outgoing one and its neighbour's incoming one): Hyper-V queues the one
beyond the limit, and so must the lab. A sampler thread watches the world's active migrations throughout.

Nothing lost: every host answers every task, every VM ends up exactly once in the lab (the moved ones on the next host),
and each host ran exactly one Move-VM.
"""

from __future__ import annotations

import collections
import threading
import time

import pytest

from migration_lab import BASELINE_MIGRATION, MIGRATION_SERVICE, start_migration_lab

HOSTS = 20
FORKS = 20
SAMPLE_SECONDS = 0.005
MOVE_SECONDS = 3.0


class MigrationSampler(threading.Thread):
    """Samples World.active_migrations (under the world's lock) until stopped: peak migrations per host, queued seen."""

    def __init__(self, world) -> None:
        super().__init__(daemon=True)
        self.world = world
        self.peak: collections.Counter[str] = collections.Counter()
        self.queued_seen = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            with self.world.lock:
                active = [(entry.state, entry.source, entry.destination) for entry in self.world.active_migrations]
            self.samples += 1
            migrating = collections.Counter(host for state, *hosts in active if state == 'migrating' for host in hosts)
            for host, count in migrating.items():
                self.peak[host] = max(self.peak[host], count)
            self.queued_seen = max(self.queued_seen, sum(1 for state, *_unused in active if state != 'migrating'))
            time.sleep(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


@pytest.fixture(name='ring_lab')
def ring_lab_fixture(samba_dc, tmp_path):
    lab = start_migration_lab(tmp_path / 'ring-lab', samba_dc, host_count=HOSTS)
    try:
        names = [host['name'] for host in lab.hosts]
        for index, source in enumerate(names):
            destination = names[(index + 1) % len(names)]
            lab.set_delegation(source, [f'{service}/{name}' for service in ('cifs', MIGRATION_SERVICE) for name in (destination, f'{destination}.hvlab.test')])
            lab.control.patch_host(source, migration=dict(BASELINE_MIGRATION, maximum_vm_migrations=1),
                                   migration_networks=[{'subnet': '192.168.10.0/24', 'priority': 1}])
        # Each move lasts long enough that neighbours' moves overlap on a loaded machine too (20 module processes start over
        # several seconds on 2 CPUs): without it the moves could run one after another and never load the limit.
        lab.world.migration_seconds = MOVE_SECONDS
        lab.control.reset_counters()
        yield lab
    finally:
        lab.stop()


def test_twenty_forks_against_twenty_hosts(ring_lab, run_playbook, monkeypatch):
    names = [host['name'] for host in ring_lab.hosts]
    next_host = {name: names[(index + 1) % len(names)] for index, name in enumerate(names)}
    vms_before = {name: ring_lab.vm_names(name) for name in names}
    monkeypatch.setenv('ANSIBLE_FORKS', str(FORKS))
    play = {'hosts': 'hyperv_hosts', 'gather_facts': False, 'vars': {'ring_next': next_host}, 'tasks': [
        {'name': 'read', 'hyperv.mobility.host_info': {}},
        {'name': 'move', 'hyperv.mobility.vm_migrate': {'name': '{{ inventory_hostname }}-web', 'destination': '{{ ring_next[inventory_hostname] }}',
                                                        'include_storage': True}},
    ]}
    sampler = MigrationSampler(ring_lab.world)
    sampler.start()
    started = time.monotonic()
    try:
        run = run_playbook(play, inventory=ring_lab.inventory_path)
    finally:
        sampler.stop()
    elapsed = time.monotonic() - started
    assert run.rc == 0, run.stdout[-4000:]

    # Every host answered every task.
    for task in ('read', 'move'):
        results = run.task(task)
        assert sorted(results) == sorted(names), (task, sorted(results))
        assert not [host for host, result in results.items() if result.get('failed')], results
    assert all(run.task('read')[name]['fqdn'] == f'{name}.hvlab.test' for name in names)
    assert all(run.task('move')[name]['changed'] is True for name in names)

    # The limit held (never two migrations at once on a host) and was really reached (moves waited in the queue).
    assert sampler.samples > 10
    assert max(sampler.peak.values()) == 1, dict(sampler.peak)
    assert sampler.queued_seen >= 1, 'no move ever waited for a slot: the test did not load the limit'

    # Nothing lost or duplicated: every VM exists once, each web VM on the next host, one Move-VM per host.
    everywhere = [vm for name in names for vm in ring_lab.vm_names(name)]
    assert sorted(everywhere) == sorted(vm for vms in vms_before.values() for vm in vms)
    for name in names:
        assert f'{name}-web' in ring_lab.vm_names(next_host[name])
    counters = ring_lab.control.counters()
    assert {name: counters[name]['commands'].get('Move-VM', 0) for name in names} == {name: 1 for name in names}
    print(f'\n20 hosts, {FORKS} forks: {elapsed:.1f} s for the playbook, {sampler.samples} samples, '
          f'up to {sampler.queued_seen} moves queued at once')
