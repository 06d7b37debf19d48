# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.host_drain through real ansible-playbook: hv01 emptied onto hv02-hv04 (Kerberos, delegation in a real
Samba DC). The moves in flight are counted from the lab's own records of every move (GET /migrations), never from timings.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from hvlab.control import peak_in_flight
from migration_lab import MIGRATION_SERVICE, start_migration_lab

GIB = 1024 ** 3
PEERS = ('hv02', 'hv03', 'hv04')


@pytest.fixture(scope='module', name='drain_lab')
def drain_lab_fixture(samba_dc, tmp_path_factory):
    lab = start_migration_lab(tmp_path_factory.mktemp('drain-lab'), samba_dc, host_count=4)
    lab.seeded_vms = {host['name']: lab.control.host_state(host['name'])['vms'] for host in lab.hosts}
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture(autouse=True, name='configured')
def configured_lab(drain_lab):
    drain_lab.reset()
    services = [f'{service}/{peer}.hvlab.test' for peer in PEERS for service in (MIGRATION_SERVICE, 'cifs')]
    drain_lab.set_delegation('hv01', services)
    drain_lab.control.clear_migrations()
    return drain_lab


def vm(name, state='Running', memory_gb=2, vm_id=None, version='10.0'):
    return {'name': name, 'id': vm_id or str(uuid.uuid5(uuid.NAMESPACE_DNS, name)), 'state': state, 'memory_startup': memory_gb * GIB,
            'version': version, 'path': f'C:\\VMs\\{name}', 'disks': [{'path': f'C:\\VMs\\{name}\\{name}.vhdx'}]}


def drain_play(name, check_mode=False, **options):
    task = {'name': name, 'hyperv.mobility.host_drain': dict(dict(destinations=list(PEERS), include_storage=True, retry_delay=0.2), **options),
            'ignore_errors': True}
    if check_mode:
        task['check_mode'] = True
    return {'hosts': 'hv01', 'gather_facts': False, 'tasks': [task]}


def test_drains_many_vms_in_parallel_within_the_limits_and_a_rerun_changes_nothing(run_playbook, drain_lab):
    vms = [vm(f'app{number:02d}', 'Running' if number % 3 else 'Off') for number in range(12)]
    drain_lab.control.patch_host('hv01', vms=vms, migration={'maximum_vm_migrations': 3})
    drain_lab.control.patch_host('hv02', migration={'maximum_vm_migrations': 1})

    plan = run_playbook(drain_play('plan', check_mode=True), inventory=drain_lab.inventory_path).task('plan')['hv01']
    assert plan.get('failed') is not True, plan.get('msg')
    assert plan['changed'] is True and plan['summary'] == {'planned': 12}
    assert drain_lab.control.migrations() == [] and len(drain_lab.vm_names('hv01')) == 12

    drained = run_playbook(drain_play('drain'), inventory=drain_lab.inventory_path).task('drain')['hv01']
    assert drained.get('failed') is not True, drained.get('msg')
    assert drained['changed'] is True and drained['summary'] == {'moved': 12}
    assert drain_lab.vm_names('hv01') == []
    arrived = sorted(name for peer in PEERS for name in drain_lab.vm_names(peer) if name.startswith('app'))
    assert arrived == sorted(entry['name'] for entry in vms)
    assert all(entry['attempts'] == 1 and entry['destination'].split('.')[0] in PEERS for entry in drained['vms'])
    assert set(drained['placements']) == set(arrived)

    records = drain_lab.control.migrations()
    assert len(records) == 12 and all(record['result'] == 'moved' for record in records)
    assert 2 <= peak_in_flight(records, 'hv01') <= 3          # in parallel, within the source's limit
    assert peak_in_flight(records, 'hv02') == 1
    assert all(peak_in_flight(records, peer) <= 2 for peer in ('hv03', 'hv04'))
    assert drained['peak_in_flight']['hv01.hvlab.test'] <= 3 and drained['peak_in_flight']['hv02.hvlab.test'] == 1

    again = run_playbook(drain_play('again'), inventory=drain_lab.inventory_path).task('again')['hv01']
    assert again.get('failed') is not True and again['changed'] is False and again['vms'] == []
    assert len(drain_lab.control.migrations()) == 12


def test_a_vm_that_cannot_fit_or_is_incompatible_is_reported_and_the_others_move(run_playbook, drain_lab):
    clone_id = str(uuid.uuid4())
    twin_id = str(uuid.uuid4())
    drain_lab.control.patch_host('hv01', vms=[
        vm('huge', memory_gb=512), vm('clone', vm_id=clone_id), vm('twin', vm_id=twin_id), vm('web'), vm('db'),
        vm('keep'), vm('cold', state='Off')])
    # hv02 already holds VMs with the ids of 'clone' and 'twin': Compare-VM refuses both there.
    hv02_vms = drain_lab.control.host_state('hv02')['vms'] + [vm('clone-copy', vm_id=clone_id), vm('twin-copy', vm_id=twin_id)]
    drain_lab.control.patch_host('hv02', vms=hv02_vms)

    run = run_playbook(drain_play('drain', exclude=['keep'], on_off_vms='leave', pin={'clone': 'hv02'}), inventory=drain_lab.inventory_path)
    result = run.task('drain')['hv01']
    assert result.get('failed') is True
    by_name = {entry['name']: entry for entry in result['vms']}
    assert {name: entry['result'] for name, entry in by_name.items()} == {
        'huge': 'not_placed', 'clone': 'not_placed', 'twin': 'moved', 'web': 'moved', 'db': 'moved', 'keep': 'excluded', 'cold': 'left'}
    assert 'runs with 524288 MB' in by_name['huge']['reason'] and 'free memory' in by_name['huge']['fix']
    assert 'already exists on host' in by_name['clone']['reason'] and by_name['clone']['incompatibilities'][0]['destination'] == 'hv02.hvlab.test'
    assert by_name['twin']['destination'] != 'hv02.hvlab.test'      # placed again after Compare-VM refused hv02
    assert "2 of 7 VMs stay on hv01.hvlab.test" in result['msg'] and "'huge'" in result['msg'] and "'clone'" in result['msg']
    assert drain_lab.vm_names('hv01') == ['clone', 'cold', 'huge', 'keep']
    assert sorted(record['vm_name'] for record in drain_lab.control.migrations()) == ['db', 'twin', 'web']


def test_a_failed_move_is_tried_again_and_the_attempts_are_reported(run_playbook, drain_lab):
    drain_lab.control.patch_host('hv01', vms=[vm('web'), vm('db')], failing_commands={'Move-VM': 1})
    result = run_playbook(drain_play('drain', retries=2), inventory=drain_lab.inventory_path).task('drain')['hv01']
    assert result.get('failed') is not True, result.get('msg')
    assert sorted(entry['attempts'] for entry in result['vms']) == [1, 2]
    assert drain_lab.vm_names('hv01') == []


def test_a_move_waiting_for_its_retry_holds_no_slot(run_playbook, drain_lab):
    """hv01 moves one VM at a time. The largest VM's first move fails; while it waits for its retry, the smaller VM takes the
    slot and moves, then the largest moves (the lab's records give the order, not timings)."""
    drain_lab.control.patch_host('hv01', vms=[vm('big', memory_gb=4), vm('small', memory_gb=2)], failing_commands={'Move-VM': 1},
                                 migration={'maximum_vm_migrations': 1})
    result = run_playbook(drain_play('drain', retries=1, retry_delay=3), inventory=drain_lab.inventory_path).task('drain')['hv01']
    assert result.get('failed') is not True, result.get('msg')
    assert {entry['name']: entry['attempts'] for entry in result['vms']} == {'big': 2, 'small': 1}
    moved = sorted(drain_lab.control.migrations(), key=lambda record: record['started'])
    assert [record['vm_name'] for record in moved] == ['small', 'big'] and all(record['result'] == 'moved' for record in moved)
    assert result['peak_in_flight']['hv01.hvlab.test'] == 1


def test_moves_past_move_timeout_are_reported_and_left_to_hyper_v(run_playbook, drain_lab):
    """move_timeout bounds each Move-VM: a move still running then is reported (failed, not tried again) and Hyper-V finishes it."""
    drain_lab.control.patch_host('hv01', vms=[vm('slow'), vm('web', state='Off')])
    drain_lab.control.patch_host('hv02', vms=[])
    saved = drain_lab.world.migration_seconds
    drain_lab.control.set_migration_time(4.0)        # every move takes 4 s in the lab; move_timeout is 2 s
    try:
        result = run_playbook(drain_play('drain', move_timeout=2, pin={'slow': 'hv02', 'web': 'hv03'}),
                              inventory=drain_lab.inventory_path).task('drain')['hv01']
        by_name = {entry['name']: entry for entry in result['vms']}
        assert result.get('failed') is True and '2 of 2 VMs stay on hv01.hvlab.test' in result['msg']
        for name in ('slow', 'web'):
            assert by_name[name]['result'] == 'failed' and by_name[name]['attempts'] == 1
            assert 'did not finish within move_timeout (2 seconds)' in by_name[name]['reason'] and 'host_info' in by_name[name]['fix']
    finally:
        for _unused in range(100):                   # Hyper-V goes on with the moves: the lab finishes them
            if all(record['finished'] is not None for record in drain_lab.control.migrations()):
                break
            time.sleep(0.2)
        drain_lab.control.set_migration_time(saved)
    assert sorted(record['vm_name'] for record in drain_lab.control.migrations()) == ['slow', 'web']
    assert drain_lab.vm_names('hv02') == ['slow'] and 'web' in drain_lab.vm_names('hv03')


def test_move_timeout_must_be_a_positive_number_of_seconds(run_playbook, drain_lab):
    drain_lab.control.patch_host('hv01', vms=[vm('web')])
    result = run_playbook(drain_play('drain', move_timeout=0), inventory=drain_lab.inventory_path).task('drain')['hv01']
    assert result.get('failed') is True and 'move_timeout must be a positive number of seconds, at most 604800 (7 days), got 0' in result['msg']
    assert drain_lab.vm_names('hv01') == ['web'] and drain_lab.control.migrations() == []


def test_bad_options_fail_before_any_change(run_playbook, drain_lab):
    drain_lab.control.patch_host('hv01', vms=[vm('web')])
    result = run_playbook(drain_play('drain', pin={'web': 'hv09'}), inventory=drain_lab.inventory_path).task('drain')['hv01']
    assert result.get('failed') is True and 'pin names destinations that destinations does not list (web: hv09)' in result['msg']
    assert drain_lab.vm_names('hv01') == ['web'] and drain_lab.control.migrations() == []


def adapter_switches(lab, host, name):
    return [adapter['switch_name'] for adapter in next(entry for entry in lab.control.host_state(host)['vms'] if entry['name'] == name)
            ['network_adapters']]


def test_a_vm_is_placed_only_where_its_switch_is_or_is_mapped_and_moves_onto_the_mapped_switch(run_playbook, drain_lab):
    """Issue 16: hv02 and hv03 call their switch Production, hv04 keeps LAN. Without switch_map the VMs on LAN go to hv04 only and
    the VM on DMZ (which no destination has) is reported with the switch and the fix; with {'DMZ': 'Production'} it moves to hv02 or
    hv03 onto Production (hv04 has neither); the rerun changes nothing."""
    for peer in ('hv02', 'hv03'):
        drain_lab.control.patch_host(peer, switches=[{'name': 'Production'}])
    dmz = dict(vm('dmz'), network_adapters=[{'name': 'Public', 'switch_name': 'DMZ'}])
    drain_lab.control.patch_host('hv01', vms=[vm('web1'), vm('web2'), dmz])

    first = run_playbook(drain_play('unmapped'), inventory=drain_lab.inventory_path).task('unmapped')['hv01']
    by_name = {entry['name']: entry for entry in first['vms']}
    assert first['failed'] is True and {name: entry['result'] for name, entry in by_name.items()} == {
        'web1': 'moved', 'web2': 'moved', 'dmz': 'not_placed'}
    assert by_name['web1']['destination'] == by_name['web2']['destination'] == 'hv04.hvlab.test'
    assert by_name['web1']['switches'] == []
    assert ("network adapter 'Public' of VM 'dmz' is connected to switch 'DMZ', which hv02.hvlab.test does not have (its switches: "
            "Production)") in by_name['dmz']['reason']
    assert 'switch_map' in by_name['dmz']['fix'] and drain_lab.vm_names('hv01') == ['dmz']
    assert sorted(record['vm_name'] for record in drain_lab.control.migrations()) == ['web1', 'web2']

    mapped = run_playbook(drain_play('mapped', switch_map={'DMZ': 'Production'}), inventory=drain_lab.inventory_path).task('mapped')['hv01']
    assert mapped.get('failed') is not True, mapped.get('msg')
    [entry] = mapped['vms']
    assert entry['result'] == 'moved' and entry['destination'] in ('hv02.hvlab.test', 'hv03.hvlab.test')
    assert entry['switches'] == [{'adapter': 'Public', 'switch': 'DMZ', 'to': 'Production'}]
    assert mapped['placements']['dmz']['switches'] == entry['switches']
    assert adapter_switches(drain_lab, entry['destination'].split('.')[0], 'dmz') == ['Production']
    again = run_playbook(drain_play('again', switch_map={'DMZ': 'Production'}), inventory=drain_lab.inventory_path).task('again')['hv01']
    assert again.get('failed') is not True and again['changed'] is False and again['vms'] == []


def test_a_bad_switch_map_fails_before_any_change(run_playbook, drain_lab):
    drain_lab.control.patch_host('hv01', vms=[vm('web')])
    result = run_playbook(drain_play('drain', switch_map={'LAN': ''}), inventory=drain_lab.inventory_path).task('drain')['hv01']
    assert result.get('failed') is True and 'switch_map: every destination switch name must be a non-empty string' in result['msg']
    assert drain_lab.vm_names('hv01') == ['web'] and drain_lab.control.migrations() == []


# ---- playbooks/drain_host.yml and playbooks/maintenance.yml -------------------------------------------------------------
def delegate_everyone(lab):
    """Every host may delegate to every other (maintenance moves VMs both ways)."""
    names = [host['name'] for host in lab.hosts]
    for source in names:
        lab.set_delegation(source, [f'{service}/{peer}.hvlab.test' for peer in names if peer != source
                                    for service in (MIGRATION_SERVICE, 'cifs')])


def test_drain_host_playbook_writes_the_placement_file_and_the_report(run_playbook, drain_lab, tmp_path):
    drain_lab.control.patch_host('hv01', vms=[vm(f'svc{number}') for number in range(6)] + [vm('huge', memory_gb=512)])
    extra = {'drain_host': 'hv01', 'drain_report_dir': str(tmp_path), 'drain_include_storage': True, 'drain_poll_seconds': 1}
    saved = drain_lab.world.migration_seconds
    drain_lab.control.set_migration_time(1.5)        # moves long enough for the drain to be polled while it runs
    try:
        # The screen a person watches (the default callback): the drain's progress lines are on it.
        run = run_playbook('playbooks/drain_host.yml', inventory=drain_lab.inventory_path, extra_vars=extra,
                           environment={'ANSIBLE_STDOUT_CALLBACK': 'ansible.builtin.default'})
    finally:
        drain_lab.control.set_migration_time(saved)
    assert run.rc != 0 and "1 of 7 VMs stay on hv01.hvlab.test: 'huge'" in run.stdout
    # The drain ran in the background and each poll printed its progress (moves done / in flight / left), from its progress file.
    progress = [line for line in run.stdout.splitlines() if 'hv01 drain progress:' in line]
    assert len(progress) >= 2, run.stdout[-4000:]
    assert '6 moved, 0 failed, 0 in flight, 0 left of 6' in progress[-1], progress
    assert json.loads((tmp_path / 'hv01.progress.json').read_text())['moved'] == 6
    assert drain_lab.vm_names('hv01') == ['huge']
    placement = json.loads((tmp_path / 'hv01.placement.json').read_text())
    assert placement['source_host'] == 'hv01' and sorted(placement['placements']) == [f'svc{number}' for number in range(6)]
    assert all(entry['destination_host'] in PEERS for entry in placement['placements'].values())
    report = json.loads((tmp_path / 'hv01.drain.json').read_text())
    assert report['summary'] == {'moved': 6, 'not_placed': 1}
    markdown = (tmp_path / 'hv01.drain.md').read_text()
    assert markdown.startswith('# Drain of hv01') and '| huge | Running | 524288 |' in markdown and 'not_placed' in markdown

    # The host is emptied of what can move; a rerun moves nothing and keeps the placements of the first run.
    drain_lab.control.patch_host('hv01', vms=[])
    again = run_playbook('playbooks/drain_host.yml', inventory=drain_lab.inventory_path, extra_vars=extra)
    assert again.rc == 0 and again.task('Drain the host (host_drain)')['hv01']['changed'] is False
    assert json.loads((tmp_path / 'hv01.drain.json').read_text())['changed'] is False     # the drain's own result
    assert sorted(json.loads((tmp_path / 'hv01.placement.json').read_text())['placements']) == [f'svc{number}' for number in range(6)]


def test_maintenance_drains_each_host_runs_the_tasks_on_an_empty_host_and_returns_every_vm(run_playbook, drain_lab, tmp_path):
    delegate_everyone(drain_lab)
    seeded = {host['name']: drain_lab.vm_names(host['name']) for host in drain_lab.hosts}
    maintenance = tmp_path / 'patch.yml'
    maintenance.write_text(
        '- name: Read the host under maintenance\n'
        '  hyperv.mobility.host_info:\n'
        '  register: maintenance_host\n'
        '- name: It runs no VM\n'
        '  ansible.builtin.assert:\n'
        '    that: maintenance_host.vms | length == 0\n', encoding='utf-8')
    extra = {'drain_report_dir': str(tmp_path / 'reports'), 'drain_include_storage': True, 'maintenance_tasks': str(maintenance)}
    run = run_playbook('playbooks/maintenance.yml', inventory=drain_lab.inventory_path, extra_vars=extra)
    assert run.rc == 0, run.stdout[-6000:]
    # serial: 1 - one result per host under maintenance, each asserted while that host was drained
    checked = [(host, bool(outcome.get('failed'))) for entry in run.results if entry['task']['name'] == 'It runs no VM'
               for host, outcome in entry['hosts'].items()]
    assert sorted(checked) == [(name, False) for name in sorted(seeded)]
    assert {host['name']: drain_lab.vm_names(host['name']) for host in drain_lab.hosts} == seeded
    assert not list((tmp_path / 'reports').glob('*.placement.json'))


def test_maintenance_with_a_switch_map_returns_each_vm_onto_the_switch_it_had(run_playbook, drain_lab, tmp_path):
    """The peers call their switch Production: the drain maps LAN to it (drain_switch_map), and the return maps each moved adapter
    back to LAN from the placement file."""
    delegate_everyone(drain_lab)
    for peer in PEERS:
        drain_lab.control.patch_host(peer, switches=[{'name': 'Production'}])
    drain_lab.control.patch_host('hv01', vms=[vm('web'), vm('db')])
    extra = {'drain_report_dir': str(tmp_path / 'reports'), 'drain_include_storage': True, 'drain_switch_map': {'LAN': 'Production'}}
    run = run_playbook('playbooks/maintenance.yml', inventory=drain_lab.inventory_path, extra_vars=extra, limit='hv01')
    assert run.rc == 0, run.stdout[-6000:]
    # The drain runs as an async job: its own result is the report the playbook writes from the finished job.
    drained = json.loads((tmp_path / 'reports' / 'hv01.drain.json').read_text())
    assert len(drained['vms']) == 2
    assert all(entry['switches'] == [{'adapter': 'Network Adapter', 'switch': 'LAN', 'to': 'Production'}] for entry in drained['vms'])
    assert drain_lab.vm_names('hv01') == ['db', 'web']
    assert adapter_switches(drain_lab, 'hv01', 'web') == ['LAN'] and adapter_switches(drain_lab, 'hv01', 'db') == ['LAN']
    assert sorted(record['vm_name'] for record in drain_lab.control.migrations()) == ['db', 'db', 'web', 'web']
