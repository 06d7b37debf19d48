# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.vm_migrate storage_path (Move-VMStorage) through real ansible-playbook: the VM stays on its host, running, and
its files move to one folder there; a rerun reads the paths and sends nothing; check mode changes nothing.
hv01 is reached over psrp, hv02 over winrm (the runner's allow-list)."""

from __future__ import annotations

import pytest

from migration_lab import pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture


@pytest.fixture(autouse=True, name='configured')
def configured_pair(pair_lab):
    pair_lab.reset()
    return pair_lab


def storage_task(task, storage_path, **vm):
    return {'name': task, 'hyperv.mobility.vm_migrate': dict(storage_path=storage_path, **vm), 'ignore_errors': True}


def vm_state(pair_lab, host, name):
    return next(vm for vm in pair_lab.control.host_state(host)['vms'] if vm['name'] == name)


def files(vm):
    return [vm['path'], vm['snapshot_path'] or vm['path'], vm['smart_paging_path'] or vm['path']] + [disk['path'] for disk in vm['disks']]


@pytest.mark.parametrize('host', ['hv01', 'hv02'])
def test_a_running_vm_storage_moves_on_its_host_rerun_ok_check_mode_changes_nothing(run_playbook, pair_lab, host):
    vm = f'{host}-web'
    pair_lab.control.patch_host(host, vms={vm: {'state': 'Running'}})
    before = vm_state(pair_lab, host, vm)
    assert not any(path.startswith('D:\\VMs\\web') for path in files(before))
    play = {'hosts': host, 'gather_facts': False, 'tasks': [
        storage_task('would move', 'D:\\VMs\\web', name=vm) | {'check_mode': True},
        storage_task('move', 'D:\\VMs\\web', name=vm),
        storage_task('again', 'd:\\vms\\web\\', name=vm)]}
    pair_lab.control.reset_counters()
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    would = run.task('would move')[host]
    assert would.get('failed') is not True and would['changed'] is True, would
    assert sorted(move['item'] for move in would['storage_moves']) == ['checkpoints', 'configuration', 'disk', 'smart_paging']
    assert {move['path'] for move in would['storage_moves']} == set(files(before))
    assert 'would move' in would['msg']
    moved = run.task('move')[host]
    assert moved.get('failed') is not True and moved['changed'] is True and moved['host'] == f'{host}.hvlab.test', moved
    assert moved['storage_moves'] == would['storage_moves']
    again = run.task('again')[host]
    assert again.get('failed') is not True and again['changed'] is False and again['storage_moves'] == [], again
    after = vm_state(pair_lab, host, vm)
    assert after['state'] == 'Running' and vm in pair_lab.vm_names(host)
    assert files(after) == ['D:\\VMs\\web'] * 3 + [f'D:\\VMs\\web\\{vm}.vhdx']
    counters = pair_lab.control.counters()[host]
    assert counters['commands'].get('Move-VMStorage') == 1      # check mode and the rerun sent none
    assert counters['pipelines'] == 4                           # a read per task, one Move-VMStorage


def test_a_vm_given_by_id_and_files_already_below_the_folder(run_playbook, pair_lab):
    vm = vm_state(pair_lab, 'hv01', 'hv01-web')
    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'path': 'E:\\Hyper-V\\web', 'snapshot_path': 'E:\\Hyper-V\\web\\Snapshots',
                                                          'smart_paging_path': 'E:\\Hyper-V',
                                                          'disks': [dict(vm['disks'][0], path='E:\\Hyper-V\\web\\Disks\\hv01-web.vhdx')]}})
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        storage_task('below', 'E:\\Hyper-V', vm_id=vm['id'].upper()),
        storage_task('by id', 'F:\\web', vm_id=vm['id'])]}
    pair_lab.control.reset_counters()
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    below = run.task('below')['hv01']
    assert below.get('failed') is not True and below['changed'] is False and below['vm']['id'] == vm['id'], below
    moved = run.task('by id')['hv01']
    assert moved.get('failed') is not True and moved['changed'] is True, moved
    assert files(vm_state(pair_lab, 'hv01', 'hv01-web')) == ['F:\\web'] * 3 + ['F:\\web\\hv01-web.vhdx']
    assert pair_lab.control.counters()['hv01']['commands'].get('Move-VMStorage') == 1


def test_a_vm_not_on_the_host_fails_naming_it(run_playbook, pair_lab):
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [storage_task('missing', 'D:\\VMs', name='no-such-vm')]}
    missing = run_playbook(play, inventory=pair_lab.inventory_path).task('missing')['hv01']
    assert missing['failed'] is True and "VM 'no-such-vm' is not on hv01.hvlab.test" in missing['msg'], missing


@pytest.mark.parametrize('options, words', [
    ({'storage_path': 'VMs\\web'}, 'storage_path must be an absolute folder path on the host'),
    ({'storage_path': 'D:\\VMs\nweb'}, 'storage_path'),
    ({'storage_path': 'D:\\VMs\\web', 'destination': 'hv02'}, 'excludes destination'),
])
def test_bad_input_fails_before_anything_reaches_a_host(run_playbook, pair_lab, options, words):
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [{'name': 'move', 'hyperv.mobility.vm_migrate': dict(name='hv01-web', **options),
                                                               'ignore_errors': True}]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and words in result['msg'] and not result.get('changed'), result
    counters = pair_lab.control.counters()
    assert all(counters[name]['requests'] == 0 for name in ('hv01', 'hv02')), counters
