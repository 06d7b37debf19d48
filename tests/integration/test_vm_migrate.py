# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.vm_migrate through real ansible-playbook, on lab hosts joined to a real Samba DC.

The lab's Move-VM enforces Hyper-V's rules (delegation read from the DC, CredSSP only from a CredSSP session,
Compare-VM's incompatibilities), so a move that succeeds here had every precondition in place.
hv01 and hv03 are reached over psrp, hv02 over winrm.
"""

from __future__ import annotations

import pytest

from migration_lab import MIGRATION_SERVICE, pair_lab_fixture  # noqa: F401  pylint: disable=unused-import  # the pair_lab fixture

AD_OPTIONS = {'ad_server': '{{ ad_server }}', 'ad_username': '{{ ad_username }}', 'ad_password': '{{ ad_password }}', 'ad_ca_cert': '{{ ad_ca_cert }}'}


@pytest.fixture(autouse=True, name='configured')
def configured_pair(pair_lab):
    pair_lab.reset()
    return pair_lab


def migrate_task(name, vm, destination, **options):
    return {'name': name, 'hyperv.mobility.vm_migrate': dict(name=vm, destination=destination, **options), 'ignore_errors': True}


def delegation_task(source, peer):
    return {'name': f'delegate {source} to {peer}',
            'hyperv.mobility.kerberos_delegation': dict(computer=source, migration_peers=[peer], **AD_OPTIONS)}


def test_moves_with_kerberos_delegation_both_transports_and_is_idempotent(run_playbook, pair_lab):
    play = {'hosts': 'localhost', 'gather_facts': False, 'tasks': [delegation_task('hv01', 'hv02'), delegation_task('hv02', 'hv03')]}
    assert run_playbook(play, inventory=pair_lab.inventory_path).rc == 0
    # The sources use the delegation once their SYSTEM tickets are new (Microsoft: a new ticket from the DC).
    purge = {'hosts': 'hv01,hv02', 'gather_facts': False, 'tasks': [{'name': 'purge', 'hyperv.mobility.kerberos_tickets': {'state': 'purged'}}]}
    purged = run_playbook(purge, inventory=pair_lab.inventory_path)
    assert purged.rc == 0, purged.stdout[-4000:]
    assert all(purged.task('purge')[host]['changed'] is True for host in ('hv01', 'hv02'))
    assert pair_lab.system_ticket_purges() == {'hv01': 1, 'hv02': 1, 'hv03': 0}
    moves = [
        {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
            migrate_task('compatibility only', 'hv01-web', 'hv02', include_storage=True) | {'check_mode': True},
            migrate_task('move', 'hv01-web', 'hv02', include_storage=True, destination_storage_path='D:\\VMs\\web'),
            migrate_task('move again', 'hv01-web', 'hv02', include_storage=True, destination_storage_path='D:\\VMs\\web')]},
        {'hosts': 'hv02', 'gather_facts': False, 'tasks': [migrate_task('onwards from a winrm host', 'hv01-web', 'hv03', include_storage=True)]},
    ]
    pair_lab.control.reset_counters()
    run = run_playbook(moves, inventory=pair_lab.inventory_path)
    check = run.task('compatibility only')['hv01']
    assert check['changed'] is True and check['compatible'] is True and check['incompatibilities'] == [] and 'would move' in check['msg']
    moved = run.task('move')['hv01']
    assert moved.get('failed') is not True, moved
    assert moved['changed'] is True and moved['host'] == 'hv02.hvlab.test' and moved['duration_seconds'] >= 0.3
    again = run.task('move again')['hv01']
    assert again.get('failed') is not True and again['changed'] is False and 'already on hv02.hvlab.test' in again['msg']
    onwards = run.task('onwards from a winrm host')['hv02']
    assert onwards.get('failed') is not True and onwards['changed'] is True, onwards
    assert 'hv01-web' in pair_lab.vm_names('hv03') and 'hv01-web' not in pair_lab.vm_names('hv01') + pair_lab.vm_names('hv02')
    disks = next(vm for vm in pair_lab.control.host_state('hv03')['vms'] if vm['name'] == 'hv01-web')['disks']
    assert disks[0]['path'] == 'D:\\VMs\\web\\hv01-web.vhdx'                  # destination_storage_path was honoured
    assert pair_lab.control.counters()['hv01']['commands'].get('Move-VM') == 1  # check mode and the rerun moved nothing


def test_idempotent_rerun_costs_one_pipeline_per_host(run_playbook, pair_lab):
    pair_lab.control.patch_host('hv02', vms=pair_lab.seeded_vms['hv02'] + [dict(pair_lab.seeded_vms['hv01'][0])])
    pair_lab.control.patch_host('hv01', vms=pair_lab.seeded_vms['hv01'][1:])
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('rerun', pair_lab.seeded_vms['hv01'][0]['name'], 'hv02')]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('rerun')['hv01']
    assert result.get('failed') is not True and result['changed'] is False
    counters = pair_lab.control.counters()
    assert counters['hv01']['pipelines'] == 1 and counters['hv02']['pipelines'] == 1, counters


def test_without_delegation_kerberos_fails_with_the_fix(run_playbook, pair_lab):
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'hv01-web', 'hv02', include_storage=True)]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True
    assert '0x8009030E' in result['msg'] and 'delegate' in result['why'] and 'kerberos_delegation' in result['fix']
    assert result['errors'][0]['fully_qualified_error_id'].startswith('OperationFailed')
    assert 'hv01-web' in pair_lab.vm_names('hv01')


def test_compare_vm_incompatibilities_are_a_readable_list(run_playbook, pair_lab):
    pair_lab.set_delegation('hv01', [f'{MIGRATION_SERVICE}/hv02.hvlab.test', 'cifs/hv02.hvlab.test'])
    pair_lab.control.patch_host('hv02', os_release='2016')
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('version', 'hv01-web', 'hv02', include_storage=True),
        migrate_task('version and storage', 'hv01-web', 'hv02')]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    version = run.task('version')['hv01']
    assert version['failed'] is True and version['compatible'] is False
    assert [entry['message_id'] for entry in version['incompatibilities']] == [24002]
    assert 'configuration version 10.0, which is not supported' in version['msg'] and 'cannot move from hv01.hvlab.test' in version['msg']
    both = run.task('version and storage')['hv01']
    assert sorted({entry['message_id'] for entry in both['incompatibilities']}) == [24002, 40010]
    assert 'hv01-web' in pair_lab.vm_names('hv01')
    assert pair_lab.control.counters()['hv01']['commands'].get('Move-VM') in (None, 0)


def test_credssp_from_a_non_credssp_session_fails_with_the_explanation(run_playbook, pair_lab):
    for name in ('hv01', 'hv02'):
        pair_lab.control.patch_host(name, migration={'authentication_type': 'CredSSP'})
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'hv01-web', 'hv02', include_storage=True)]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True
    assert 'No credentials are available in the security package (0x8009030E)' in result['msg']
    assert 'session on the source host' in result['why'] and 'basic authentication' in result['why']
    assert 'Kerberos with constrained delegation' in result['fix']
    assert 'hv01-web' in pair_lab.vm_names('hv01')


def test_vm_on_neither_host_is_a_clear_error(run_playbook, pair_lab):
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'no-such-vm', 'hv02')]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and "VM 'no-such-vm' is on neither hv01.hvlab.test (the source) nor hv02.hvlab.test" in result['msg']


def test_destination_storage_path_needs_include_storage(run_playbook, pair_lab):
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'hv01-web', 'hv02', destination_storage_path='D:\\VMs')]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and 'destination_storage_path needs include_storage=true' in result['msg']


@pytest.mark.parametrize('options, words', [
    ({'timeout': 10 ** 12}, 'timeout must be a positive number of seconds, at most 604800'),
    ({'hyperv_port': 70000}, 'hyperv_port must be between 1 and 65535, got 70000'),
    ({'destination_connection': {'read_timeout': -1}}, 'destination_connection.read_timeout must be between 1 and 86400, got -1 (host '),
])
def test_bad_input_fails_before_anything_reaches_a_host(run_playbook, pair_lab, options, words):
    # issue 21 class 1: an enormous timeout used to send Move-VM and then fail with "timestamp too large".
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'hv01-web', 'hv02', **options)]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and words in result['msg'] and not result.get('changed'), result
    counters = pair_lab.control.counters()
    assert all(counters[name]['requests'] == 0 for name in ('hv01', 'hv02')), counters


def test_a_vm_given_by_id_moves_alone_when_its_name_is_shared(run_playbook, pair_lab):
    """Issue 21 class 2: a name two VMs share is refused naming both ids; vm_id moves exactly that VM (Get-VM -Id | Move-VM)."""
    assert run_playbook({'hosts': 'localhost', 'gather_facts': False, 'tasks': [delegation_task('hv01', 'hv02')]},
                        inventory=pair_lab.inventory_path).rc == 0
    purge = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [{'name': 'purge', 'hyperv.mobility.kerberos_tickets': {'state': 'purged'}}]}
    assert run_playbook(purge, inventory=pair_lab.inventory_path).rc == 0  # the new delegation reaches hv01's SYSTEM tickets
    vms = pair_lab.control.host_state('hv01')['vms']
    first = next(vm for vm in vms if vm['name'] == 'hv01-web')
    second = dict(first, id='6f1c7a4e-2b1d-4c8e-9a55-3d0e8f6b2a10')
    pair_lab.control.patch_host('hv01', vms=vms + [second])
    moves = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('by name', 'hv01-web', 'hv02', include_storage=True),
        {'name': 'by id', 'hyperv.mobility.vm_migrate': dict(vm_id=second['id'].upper(), destination='hv02', include_storage=True),
         'ignore_errors': True},
        {'name': 'by id again', 'hyperv.mobility.vm_migrate': dict(vm_id=second['id'], destination='hv02', include_storage=True),
         'ignore_errors': True}]}
    pair_lab.control.reset_counters()
    run = run_playbook(moves, inventory=pair_lab.inventory_path)
    refused = run.task('by name')['hv01']
    assert refused['failed'] is True and "VM name 'hv01-web' matches 2 VMs" in refused['msg'], refused
    assert first['id'] in refused['msg'] and second['id'] in refused['msg']
    moved = run.task('by id')['hv01']
    assert moved.get('failed') is not True and moved['changed'] is True and moved['vm']['id'] == second['id'], moved
    again = run.task('by id again')['hv01']
    assert again.get('failed') is not True and again['changed'] is False and 'already on' in again['msg'], again
    assert [vm['id'] for vm in pair_lab.control.host_state('hv01')['vms'] if vm['name'] == 'hv01-web'] == [first['id']]
    assert [vm['id'] for vm in pair_lab.control.host_state('hv02')['vms'] if vm['name'] == 'hv01-web'] == [second['id']]
    assert pair_lab.control.counters()['hv01']['commands'].get('Move-VM') == 1


NEWER_PROCESSOR = 'Intel(R) Xeon(R) Gold 6430 CPU @ 2.10GHz'


def vm_state(pair_lab, host, name):
    return next(vm for vm in pair_lab.control.host_state(host)['vms'] if vm['name'] == name)


def test_processor_compatibility_is_set_while_the_vm_is_off_and_refused_while_it_runs(run_playbook, pair_lab):
    """A running VM cannot move to another processor model without processor compatibility (Compare-VM); the option sets it
    (Set-VMProcessor) only while the VM is off, and fails before any change, naming the option, the VM and its state, otherwise."""
    pair_lab.set_delegation('hv01', [f'{MIGRATION_SERVICE}/hv02.hvlab.test', 'cifs/hv02.hvlab.test'])
    pair_lab.control.patch_host('hv02', processor_model=NEWER_PROCESSOR)
    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'state': 'Running'}})
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('plain', 'hv01-web', 'hv02', include_storage=True),
        migrate_task('running', 'hv01-web', 'hv02', include_storage=True, processor_compatibility=True)]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    plain = run.task('plain')['hv01']
    assert plain['failed'] is True and [entry['message_id'] for entry in plain['incompatibilities']] == [24004]
    assert 'processor-specific features' in plain['msg']
    running = run.task('running')['hv01']
    assert running['failed'] is True and running['processor_compatibility'] is False
    assert "processor_compatibility=True needs VM 'hv01-web' off" in running['msg'] and 'is Running on hv01.hvlab.test' in running['msg']
    commands = pair_lab.control.counters()['hv01']['commands']
    assert commands.get('Set-VMProcessor') in (None, 0) and commands.get('Move-VM') in (None, 0)
    assert vm_state(pair_lab, 'hv01', 'hv01-web')['processor_compatibility'] is False

    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'state': 'Off'}})
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('check', 'hv01-web', 'hv02', include_storage=True, processor_compatibility=True) | {'check_mode': True},
        migrate_task('off', 'hv01-web', 'hv02', include_storage=True, processor_compatibility=True),
        migrate_task('again', 'hv01-web', 'hv02', include_storage=True, processor_compatibility=True)]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    check = run.task('check')['hv01']
    assert check['changed'] is True and check['processor_compatibility'] is True and 'would move' in check['msg']
    moved = run.task('off')['hv01']
    assert moved.get('failed') is not True and moved['changed'] is True and moved['processor_compatibility'] is True, moved
    again = run.task('again')['hv01']
    assert again.get('failed') is not True and again['changed'] is False
    assert vm_state(pair_lab, 'hv02', 'hv01-web')['processor_compatibility'] is True
    commands = pair_lab.control.counters()['hv01']['commands']
    assert commands.get('Set-VMProcessor') == 1 and commands.get('Move-VM') == 1, commands


def test_processor_compatibility_already_set_moves_a_running_vm_without_a_change(run_playbook, pair_lab):
    pair_lab.set_delegation('hv01', [f'{MIGRATION_SERVICE}/hv02.hvlab.test', 'cifs/hv02.hvlab.test'])
    pair_lab.control.patch_host('hv02', processor_model=NEWER_PROCESSOR)
    pair_lab.control.patch_host('hv01', vms={'hv01-web': {'state': 'Running', 'processor_compatibility': True}})
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [
        migrate_task('move', 'hv01-web', 'hv02', include_storage=True, processor_compatibility=True)]}
    moved = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert moved.get('failed') is not True and moved['changed'] is True, (moved['msg'], moved.get('errors'))
    commands = pair_lab.control.counters()['hv01']['commands']
    assert commands.get('Set-VMProcessor') in (None, 0) and commands.get('Move-VM') == 1, commands


def test_processor_compatibility_must_be_a_boolean(run_playbook, pair_lab):
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'hv01-web', 'hv02', processor_compatibility='sometimes')]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and 'processor_compatibility' in result['msg'] and 'bool' in result['msg'], result
    counters = pair_lab.control.counters()
    assert all(counters[name]['requests'] == 0 for name in ('hv01', 'hv02')), counters


def adapter_switches(pair_lab, host, name):
    return [adapter['switch_name'] for adapter in vm_state(pair_lab, host, name)['network_adapters']]


@pytest.mark.parametrize('source, destination', [('hv01', 'hv02'), ('hv02', 'hv03')], ids=['psrp', 'winrm'])
def test_a_destination_without_the_vms_switch_needs_switch_map_and_the_move_connects_the_adapter(run_playbook, pair_lab, source, destination):
    """Issue 16: a destination whose switch has another name. Without switch_map the move is refused before anything changes, naming the
    adapter, the switch and the destination's switches; with it the adapter is connected to the mapped switch on Compare-VM's report and
    the VM moves with it (one pipeline on the source: the report cannot travel back over remoting); the rerun changes nothing."""
    vm = f'{source}-web'
    pair_lab.set_delegation(source, [f'{MIGRATION_SERVICE}/{destination}.hvlab.test', f'cifs/{destination}.hvlab.test'])
    pair_lab.control.patch_host(destination, switches=[{'name': 'Production'}, {'name': 'Backup', 'switch_type': 'Internal'}])
    pair_lab.control.patch_host(source, vms={vm: {'network_adapters': [{'name': 'Front end', 'switch_name': 'LAN'},
                                                                       {'name': 'Heartbeat', 'switch_name': None}]}})
    pair_lab.control.reset_counters()
    mapped = {'lan': 'Production', 'Unused': 'Backup'}
    play = {'hosts': source, 'gather_facts': False, 'tasks': [
        migrate_task('unmapped', vm, destination, include_storage=True),
        migrate_task('mapped elsewhere', vm, destination, include_storage=True, switch_map={'LAN': 'Storage'}),
        migrate_task('check', vm, destination, include_storage=True, switch_map=mapped) | {'check_mode': True},
        migrate_task('mapped', vm, destination, include_storage=True, switch_map=mapped),
        migrate_task('again', vm, destination, include_storage=True, switch_map=mapped)]}
    run = run_playbook(play, inventory=pair_lab.inventory_path)
    unmapped = run.task('unmapped')[source]
    assert unmapped['failed'] is True and not unmapped.get('changed')
    assert ("network adapter 'Front end' of VM '%s' is connected to switch 'LAN', which %s.hvlab.test does not have (its switches: "
            "Production, Backup); map it with switch_map" % (vm, destination)) in unmapped['msg'], unmapped['msg']
    assert [entry['message_id'] for entry in unmapped['incompatibilities']] == [33012]
    elsewhere = run.task('mapped elsewhere')[source]
    assert elsewhere['failed'] is True and "to 'Storage', which %s.hvlab.test does not have either" % destination in elsewhere['msg']
    check = run.task('check')[source]
    assert check['changed'] is True and check['switches'] == [{'adapter': 'Front end', 'switch': 'LAN', 'to': 'Production'}], check
    assert "connecting network adapter 'Front end' (switch 'LAN') to 'Production'" in check['msg']
    moved = run.task('mapped')[source]
    assert moved.get('failed') is not True and moved['changed'] is True, (moved['msg'], moved.get('errors'))
    assert moved['switches'] == [{'adapter': 'Front end', 'switch': 'LAN', 'to': 'Production'}]
    again = run.task('again')[source]
    assert again.get('failed') is not True and again['changed'] is False and 'already on' in again['msg'], again
    assert vm not in pair_lab.vm_names(source)
    assert adapter_switches(pair_lab, destination, vm) == ['Production', None]
    commands = pair_lab.control.counters()[source]['commands']
    assert commands.get('Move-VM') == 1 and commands.get('Connect-VMNetworkAdapter') == 1, commands


@pytest.mark.parametrize('value, words', [
    ('LAN', 'switch_map'),
    ({'LAN': ''}, "switch_map: every destination switch name must be a non-empty string, got ''"),
    ({' ': 'Production'}, 'switch_map: every source switch name must be a non-empty string'),
    ({'LAN': 'Prod\x07uction'}, 'holds a control character'),
    ({'LAN': 'Production', 'lan': 'Backup'}, 'switch_map names a source switch twice'),
])
def test_bad_switch_map_is_refused_naming_the_option_before_any_request(run_playbook, pair_lab, value, words):
    pair_lab.control.reset_counters()
    play = {'hosts': 'hv01', 'gather_facts': False, 'tasks': [migrate_task('move', 'hv01-web', 'hv02', switch_map=value)]}
    result = run_playbook(play, inventory=pair_lab.inventory_path).task('move')['hv01']
    assert result['failed'] is True and words in result['msg'], result
    counters = pair_lab.control.counters()
    assert all(counters[name]['requests'] == 0 for name in ('hv01', 'hv02')), counters
