# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench` part `drain`: empty a host of 40 VMs onto 4 destinations, in one lab run.

1. playbooks/drain_host.yml (hyperv.mobility.host_drain: parallel moves within MaximumVirtualMachineMigrations), with the
   hosts' default limit (2) and with the source's limit raised to 8 (each destination keeps 2);
2. the same 40 moves as a serial loop of hyperv.mobility.vm_migrate tasks (round robin over the destinations), which is
   what a playbook without host_drain does.

Each run starts from the same state (the 40 VMs on hv01, the destinations as seeded). The moves in flight over time come
from the lab's own record of every move (GET /migrations), so they are counts, not guesses from the controller.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from benchlab import REPO_ROOT, Ansible, Lab, Ports, load_average, table
from hvlab.control import in_flight_series, peak_in_flight

VM_COUNT = 40
SOURCE = 'hv01'
DESTINATIONS = ('hv02', 'hv03', 'hv04', 'hv05')
DRAIN_PLAYBOOK = REPO_ROOT / 'playbooks' / 'drain_host.yml'
BASELINE = {'enabled': True, 'authentication_type': 'Kerberos', 'use_any_network': False, 'maximum_vm_migrations': 2,
            'maximum_storage_migrations': 2}
# The lab's transfer time per move (World.migration_seconds), set explicitly so every run states what it measured with.
DEFAULT_MOVE_SECONDS = 0.2
AD = {name: '{{ %s }}' % name for name in ('ad_server', 'ad_username', 'ad_password', 'ad_ca_cert')}


def bench_vm(number: int) -> dict:
    name = 'drain%02d' % number
    return {'name': name, 'id': str(uuid.uuid5(uuid.NAMESPACE_DNS, name + '.bench')), 'state': 'Running', 'memory_startup': 2 * 1024 ** 3,
            'version': '10.0', 'path': 'C:\\VMs\\%s' % name, 'disks': [{'path': 'C:\\VMs\\%s\\%s.vhdx' % (name, name)}]}


def setup_plays() -> list:
    """What an operator does once: delegation from the source to each destination, then the source's tickets renewed."""
    delegation = {'name': 'delegation', 'hyperv.mobility.kerberos_delegation': dict(computer=SOURCE, migration_peers=list(DESTINATIONS), **AD)}
    purge = {'name': 'purge', 'hyperv.mobility.kerberos_tickets': {'state': 'purged'}}
    return [{'hosts': 'localhost', 'gather_facts': False, 'tasks': [delegation]}, {'hosts': SOURCE, 'gather_facts': False, 'tasks': [purge]}]


def serial_plays() -> list:
    moves = [{'vm': 'drain%02d' % number, 'destination': DESTINATIONS[number % len(DESTINATIONS)]} for number in range(VM_COUNT)]
    return [{'hosts': SOURCE, 'gather_facts': False, 'tasks': [
        {'name': 'move', 'hyperv.mobility.vm_migrate': {'name': '{{ item.vm }}', 'destination': '{{ item.destination }}', 'include_storage': True},
         'loop': moves}]}]


def reset(lab: Lab, seeded: dict, source_limit: int) -> None:
    """The 40 VMs on the source, the destinations as seeded, the limits of the run, no record of earlier moves."""
    for name in (SOURCE,) + DESTINATIONS:
        limits = dict(BASELINE, maximum_vm_migrations=source_limit if name == SOURCE else 2)
        vms = [bench_vm(number) for number in range(VM_COUNT)] if name == SOURCE else seeded[name]
        lab.control.patch_host(name, vms=vms, migration=limits, migration_networks=[{'subnet': '192.168.10.0/24', 'priority': 1}])
    lab.control.clear_migrations()


def profile(records: list, buckets: int = 12) -> str:
    """Moves in flight over time as a row of numbers: the most in flight in each of `buckets` equal slices of the run."""
    series = in_flight_series(records)
    if not series:
        return ''
    end = series[-1][0] or 1.0
    peaks = []
    for index in range(buckets):
        low, high = end * index / buckets, end * (index + 1) / buckets
        before = [count for moment, count in series if moment <= low]
        inside = [count for moment, count in series if low < moment <= high]
        peaks.append(max(inside + before[-1:] or [0]))
    return ' '.join(str(peak) for peak in peaks)


def measure(ansible: Ansible, ports: Ports, move_seconds: float | None = None) -> list:
    """The three runs; move_seconds: how long each move transfers in the lab (None: the lab's default)."""
    rows = []
    with tempfile.TemporaryDirectory(prefix='bench-drain-') as state_dir, Lab(1 + len(DESTINATIONS), Path(state_dir), ports) as lab:
        move_time = lab.control.set_migration_time(DEFAULT_MOVE_SECONDS if move_seconds is None else move_seconds)
        seeded = {name: lab.control.host_state(name)['vms'] for name in DESTINATIONS}
        reset(lab, seeded, 2)
        setup = ansible.run(ansible.write_playbook(setup_plays()), lab.inventory)
        if setup.returncode != 0:
            raise RuntimeError('drain benchmark set-up failed:\n' + setup.output[-3000:])
        runs = (('host_drain, limits 2 (defaults)', 2, DRAIN_PLAYBOOK), ('host_drain, source limit 8', 8, DRAIN_PLAYBOOK),
                ('serial vm_migrate loop', 2, ansible.write_playbook(serial_plays())))
        for label, source_limit, playbook in runs:
            reset(lab, seeded, source_limit)
            load_before = load_average()
            extra = {'drain_host': SOURCE, 'drain_include_storage': True, 'drain_report_dir': str(Path(state_dir) / 'reports')}
            cost = ansible.run(playbook, lab.inventory, extra_vars=extra if playbook == DRAIN_PLAYBOOK else None)
            records = lab.control.migrations()
            left = len(lab.control.host_state(SOURCE)['vms'])
            row = {'run': label, 'source_limit': source_limit, 'move_seconds': move_time,
                   'moves': sum(record['result'] == 'moved' for record in records), 'left': left, 'peak_in_flight': peak_in_flight(records),
                   'profile': profile(records), 'load': load_before + ' → ' + load_average(), **cost.summary()}
            rows.append(row)
            print('  %(run)s: %(wall_s).1f s wall, %(moves)d moves, peak %(peak_in_flight)d in flight, rc=%(rc)d (load %(load)s)' % row, flush=True)
            if cost.returncode != 0:
                print(cost.output[-3000:], flush=True)
    return rows


def drain_table(rows: list) -> str:
    headers = ['run', 'source limit', 'lab s per move', 'wall s', 'controller CPU s', 'moves', 'VMs left', 'peak in flight',
               'in flight over time (12 slices)', 'load']
    return table(headers, [[row['run'], row['source_limit'], '%.1f' % row.get('move_seconds', DEFAULT_MOVE_SECONDS), '%.1f' % row['wall_s'],
                            '%.1f' % row['cpu_s'], row['moves'], row['left'], row['peak_in_flight'], row['profile'], row['load']] for row in rows])
