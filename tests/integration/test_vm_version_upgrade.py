# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.vm_migrate upgrade_version through real ansible-playbook: a destination that does not run the VM's configuration
version gets it after Update-VMVersion on the source (the VM off), never while it runs, never when the upgrade cannot help; without
the option the failure names it as the fix.

The destination stands for a release that no longer runs the older versions: the lab host's supported versions are set to 9.0 and
10.0 (Get-VMHostSupportedVersion reports what the host is configured with; which releases drop which versions is not modelled)."""

from __future__ import annotations

import pytest

from migration_lab import MIGRATION_SERVICE, pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture


@pytest.fixture(autouse=True, name='configured')
def configured_pair(pair_lab):
    pair_lab.reset()
    pair_lab.set_delegation('hv01', [f'{MIGRATION_SERVICE}/hv02.hvlab.test', 'cifs/hv02.hvlab.test'])
    pair_lab.control.patch_host('hv02', supported_vm_versions=['9.0', '10.0'], default_vm_version='10.0')
    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'version': '8.0', 'state': 'Off'}})
    return pair_lab


def migrate_task(task, **options):
    return {'name': task, 'hyperv.mobility.vm_migrate': dict(name='hv01-web', destination='hv02', include_storage=True, **options),
            'ignore_errors': True}


def vm_state(pair_lab, host, name='hv01-web'):
    return next((vm for vm in pair_lab.control.host_state(host)['vms'] if vm['name'] == name), None)


def commands(pair_lab):
    return pair_lab.control.counters()['hv01']['commands']


def test_the_vm_is_upgraded_while_off_then_moves_and_a_rerun_is_ok(run_playbook, pair_lab):
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('without the option'),
        migrate_task('check', upgrade_version=True) | {'check_mode': True}]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    plain = run.task('without the option')['hv01']
    assert plain['failed'] is True and [entry['message_id'] for entry in plain['incompatibilities']] == [24002], plain
    assert 'upgrade_version=true' in plain['fix'] and 'upgrade_version=true' in plain['msg'] and '9.0, 10.0' in plain['fix']
    check = run.task('check')['hv01']
    assert check.get('failed') is not True and check['changed'] is True and check['compatible'] is None, check
    assert check['version_upgrade'] == {'from': '8.0', 'to': '10.0'} and 'irreversible' in check['msg']
    assert commands(pair_lab).get('Update-VMVersion') in (None, 0) and vm_state(pair_lab, 'hv01')['version'] == '8.0'
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('upgrade and move', upgrade_version=True),
        migrate_task('again', upgrade_version=True)]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    moved = run.task('upgrade and move')['hv01']
    assert moved.get('failed') is not True and moved['changed'] is True, moved
    assert moved['version_upgrade'] == {'from': '8.0', 'to': '10.0'} and moved['vm']['version'] == '10.0'
    again = run.task('again')['hv01']
    assert again.get('failed') is not True and again['changed'] is False and 'already on' in again['msg'], again
    assert vm_state(pair_lab, 'hv01') is None and vm_state(pair_lab, 'hv02')['version'] == '10.0'
    assert commands(pair_lab).get('Update-VMVersion') == 1 and commands(pair_lab).get('Move-VM') == 1
    assert commands(pair_lab).get('Compare-VM') == 5       # in each of the four tasks' reads, and once more after the upgrade


@pytest.mark.parametrize('state', ['Running', 'Saved'])
def test_a_vm_that_is_not_off_is_refused_naming_the_option_vm_and_state(run_playbook, pair_lab, state):
    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'state': state}})
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', upgrade_version=True)]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and "upgrade_version=true needs VM 'hv01-web' off" in result['msg'], result
    assert f'it is {state} on hv01.hvlab.test' in result['msg']
    assert commands(pair_lab).get('Update-VMVersion') in (None, 0) and commands(pair_lab).get('Move-VM') in (None, 0)
    after = vm_state(pair_lab, 'hv01')
    assert after['version'] == '8.0' and after['state'] == state


def test_an_upgrade_the_destination_cannot_run_is_refused_before_any_change(run_playbook, pair_lab):
    pair_lab.control.patch_host('hv02', supported_vm_versions=['9.0'], default_vm_version='9.0')
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', upgrade_version=True)]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and "upgrade_version cannot make VM 'hv01-web' movable" in result['msg'], result
    assert 'version 10.0, which the destination does not support (it supports 9.0)' in result['msg']
    assert commands(pair_lab).get('Update-VMVersion') in (None, 0) and vm_state(pair_lab, 'hv01')['version'] == '8.0'


def test_a_supported_version_moves_without_an_upgrade(run_playbook, pair_lab):
    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'version': '9.0'}})
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', upgrade_version=True)]}
    moved = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert moved.get('failed') is not True and moved['changed'] is True and 'version_upgrade' not in moved, moved
    assert vm_state(pair_lab, 'hv02')['version'] == '9.0' and commands(pair_lab).get('Update-VMVersion') in (None, 0)
