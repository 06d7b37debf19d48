# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.vm_replication_info against the lab, through real ansible-playbook, over psrp and winrm.

Once per module: hv02 becomes a Replica server (with hyperv.mobility.replica_server), and VMs of hv01 and hv03 made for
this module replicate to it (set up with the plain cmdlets over pypsrp, so this test does not depend on
hyperv.mobility.vm_replication). Replication time is moved by the lab's control endpoint, and the documented error
conditions are injected there: a network error (retried by Hyper-V), a broken virtual hard disk chain (needs an
administrator), a change log past half the disk (resynchronization). The tests then only read.
"""

from __future__ import annotations

import uuid

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

RUN_ID = uuid.uuid4().hex[:6]
HEALTHY, RETRIED, BROKEN, RESYNC = (f'ri{RUN_ID}-ok', f'ri{RUN_ID}-net', f'ri{RUN_ID}-chain', f'ri{RUN_ID}-resync')
UNREPLICATED = f'ri{RUN_ID}-plain'
PRIMARY_VMS = {'hv01': [HEALTHY, RETRIED, BROKEN, UNREPLICATED], 'hv03': [RESYNC]}
INITIAL_REPLICATION_SECONDS = 120


def new_vm(name):
    return {'name': name, 'id': str(uuid.uuid4()), 'state': 'Running', 'version': '10.0', 'path': f'C:\\VMs\\{name}',
            'disks': [{'path': f'C:\\VMs\\{name}\\{name}.vhdx'}]}


def run_cmdlets(lab, host_name, commands):
    """Run cmdlets on a lab host with unmodified pypsrp; every one must succeed."""
    host = lab.host(host_name)
    wsman = WSMan(host['address'], port=host['https_port'], ssl=True, auth='basic', username='labadmin', password=lab.password,
                  cert_validation=lab.ca_path)
    with RunspacePool(wsman) as pool:
        for name, parameters in commands:
            shell = PowerShell(pool)
            shell.add_cmdlet(name)
            for key, value in parameters.items():
                shell.add_parameter(key, value)
            shell.invoke()
            assert not shell.had_errors and not shell.streams.error, (name, [str(error) for error in shell.streams.error])


def play(task_options=None, hosts='hyperv_hosts', name='read'):
    return [{'hosts': hosts, 'gather_facts': False,
             'tasks': [{'name': name, 'hyperv.mobility.vm_replication_info': task_options or {}, 'ignore_errors': True}]}]


@pytest.fixture(scope='module')
def replicated(lab, run_playbook):
    """The module's VMs replicating to hv02, with the fault of each in place."""
    for host_name, names in PRIMARY_VMS.items():
        vms = lab.control.host_state(host_name)['vms']
        lab.control.patch_host(host_name, vms=vms + [new_vm(name) for name in names])
    server = run_playbook([{'hosts': 'hv02', 'gather_facts': False, 'tasks': [{'name': 'replica', 'hyperv.mobility.replica_server': {
        'allow_any_server': True, 'default_storage_location': 'D:\\Replica', 'authentication': 'kerberos'}}]}],
        inventory=lab.inventory_path)
    assert server.rc == 0, server.stdout
    for host_name, names in PRIMARY_VMS.items():
        commands = []
        for vm_name in names:
            if vm_name == UNREPLICATED:
                continue
            enable = {'VMName': [vm_name], 'ReplicaServerName': 'hv02.hvlab.test', 'ReplicaServerPort': 80, 'AuthenticationType': 'Kerberos'}
            if vm_name == RESYNC:
                enable['AutoResynchronizeEnabled'] = False    # stays marked for resynchronization whatever the lab's time of day
            commands += [('Enable-VMReplication', enable),
                         ('Start-VMInitialReplication', {'VMName': [vm_name]})]
        run_cmdlets(lab, host_name, commands)
    lab.control.replication(advance_seconds=INITIAL_REPLICATION_SECONDS)
    lab.control.replication(write={'host': 'hv01', 'vm': HEALTHY, 'count': 3}, advance_seconds=300)
    for host_name, vm_name, kind in (('hv01', RETRIED, 'network'), ('hv01', BROKEN, 'vhd_chain'), ('hv03', RESYNC, 'resync_required')):
        lab.control.replication(fault={'host': host_name, 'vm': vm_name, 'kind': kind})
    lab.control.replication(advance_seconds=300)
    yield
    lab.control.replication(fault={'host': 'hv01', 'vm': RETRIED, 'kind': None})


@pytest.fixture(autouse=True)
def counters_reset(lab, replicated):
    lab.control.clear_faults()
    lab.control.reset_counters()


def by_name(result):
    return {entry['name']: entry for entry in result['replications']}


def test_one_healthy_vm_with_statistics_in_one_pipeline(lab, run_playbook):
    run = run_playbook(play({'name': HEALTHY}, hosts='hv01'), inventory=lab.inventory_path)
    result = run.task('read')['hv01']
    assert result['changed'] is False and 'failed' not in result, result
    assert [entry['name'] for entry in result['replications']] == [HEALTHY]
    entry = result['replications'][0]
    assert (entry['mode'], entry['state'], entry['health']) == ('Primary', 'Replicating', 'Normal')
    assert (entry['replica_server'], entry['replica_port'], entry['authentication']) == ('hv02.hvlab.test', 80, 'Kerberos')
    assert entry['frequency_sec'] == 300 and entry['relationship_type'] == 'Simple'
    assert entry['replicated_disks'] == [f'C:\\VMs\\{HEALTHY}\\{HEALTHY}.vhdx'] and entry['excluded_disks'] == []
    assert entry['last_replication_time'] is not None
    statistics = entry['statistics']
    assert statistics['successful_replication_count'] >= 1 and statistics['replication_errors'] == 0
    assert statistics['average_replication_size'] > 0 and statistics['pending_replication_size'] == 0
    assert entry['problems'] == [] and entry['needs'] is None
    assert result['summary'] == {'count': 1, 'healthy': True, 'health': {'Normal': 1}, 'needs_administrator': [],
                                 'resynchronization': [], 'retried': []}
    assert lab.control.counters()['hv01']['pipelines'] == 1
    # The lab's own view agrees.
    world = lab.control.host_state('hv01')['replication']['relationships'][HEALTHY]
    assert (world['state'], world['health']) == ('Replicating', 'Normal')


def test_every_relationship_with_problems_explained_and_classified(lab, run_playbook):
    run = run_playbook(play(hosts='hv01:hv03'), inventory=lab.inventory_path)
    hv01 = run.task('read')['hv01']
    entries = by_name(hv01)
    assert {HEALTHY, RETRIED, BROKEN} <= set(entries) and UNREPLICATED not in entries

    retried = entries[RETRIED]
    assert (retried['state'], retried['health'], retried['needs']) == ('Replicating', 'Warning', 'retried')
    assert retried['problems'][0]['reason'] == 'network' and retried['problems'][0]['classification'] == 'retried'
    assert 'network' in retried['problems'][0]['detail']
    assert retried['statistics']['missed_replication_count'] >= 1

    broken = entries[BROKEN]
    assert (broken['state'], broken['health'], broken['needs']) == ('Error', 'Critical', 'administrator')
    assert broken['problems'][0]['reason'] == 'vhd_chain'
    assert 'virtual hard disk chain' in broken['problems'][0]['explanation']
    assert hv01['summary']['healthy'] is False
    assert BROKEN in hv01['summary']['needs_administrator'] and RETRIED in hv01['summary']['retried']

    resync = by_name(run.task('read')['hv03'])[RESYNC]
    assert (resync['state'], resync['needs']) == ('WaitingForStartResynchronize', 'resynchronization')
    assert resync['problems'][0]['reason'] == 'resynchronization_required'
    assert 'Resume-VMReplication -Resynchronize' in resync['problems'][0]['action']


def test_replica_side_lists_replica_relationships(lab, run_playbook):
    run = run_playbook(play({'name': f'ri{RUN_ID}-*'}, hosts='hv02'), inventory=lab.inventory_path)
    entries = by_name(run.task('read')['hv02'])
    assert set(entries) == {HEALTHY, RETRIED, BROKEN, RESYNC}
    assert {entry['mode'] for entry in entries.values()} == {'Replica'}
    assert entries[HEALTHY]['primary_server'].lower().startswith('hv01')
    # The primaries are read over psrp, the Replica server over winrm: the same results through both transports.
    assert {lab.host(name)['transport'] for name in PRIMARY_VMS} == {'psrp'} and lab.host('hv02')['transport'] == 'winrm'


def test_vm_without_replication_is_reported_not_failed(lab, run_playbook):
    result = run_playbook(play({'name': UNREPLICATED}, hosts='hv01'), inventory=lab.inventory_path).task('read')['hv01']
    assert 'failed' not in result, result
    assert result['replications'] == [] and result['not_replicated'] == [UNREPLICATED]
    assert result['summary']['count'] == 0


def test_wildcard_selects_several(lab, run_playbook):
    result = run_playbook(play({'vm_name': f'ri{RUN_ID}-*'}, hosts='hv01'), inventory=lab.inventory_path).task('read')['hv01']
    assert sorted(entry['name'] for entry in result['replications']) == sorted([HEALTHY, RETRIED, BROKEN])
    assert result['not_replicated'] == [UNREPLICATED]


def test_unknown_vm_fails_clearly(lab, run_playbook):
    result = run_playbook(play({'name': 'no-such-vm'}, hosts='hv01'), inventory=lab.inventory_path).task('read')['hv01']
    assert result['failed'] is True
    assert "no virtual machine named 'no-such-vm'" in result['msg'] and 'Get-VM failed' in result['msg']


def test_empty_name_fails_before_connecting(lab, run_playbook):
    result = run_playbook(play({'name': ' '}, hosts='hv01'), inventory=lab.inventory_path).task('read')['hv01']
    assert result['failed'] is True and 'name must be a VM name' in result['msg']
    assert lab.control.counters()['hv01']['requests'] == 0


def test_check_mode_reads_the_same(lab, run_playbook):
    run = run_playbook(play({'name': HEALTHY}, hosts='hv01'), inventory=lab.inventory_path, check=True)
    result = run.task('read')['hv01']
    assert result['changed'] is False and result['replications'][0]['health'] == 'Normal'


def test_unreachable_host_fails_naming_it(lab, run_playbook):
    lab.control.inject_fault('hv01', 'host_down', count=10)
    result = run_playbook(play({'name': HEALTHY}, hosts='hv01'), inventory=lab.inventory_path).task('read')['hv01']
    lab.control.clear_faults()
    assert result['failed'] is True
    assert 'hv01' in result['msg'] or lab.host('hv01')['address'] in result['msg'], result['msg']


def test_vm_id_reads_exactly_that_vm_among_vms_of_one_name(lab, run_playbook):
    """Hyper-V does not require unique names (issue 21 class 2): a second VM called like the replicated one, without replication."""
    vms = lab.control.host_state('hv01')['vms']
    replicated_vm = next(vm for vm in vms if vm['name'] == HEALTHY)
    twin = dict(new_vm(HEALTHY), state='Off')
    lab.control.patch_host('hv01', vms=vms + [twin])
    try:
        lab.control.reset_counters()
        run = run_playbook(play({'vm_id': replicated_vm['id'].upper()}, hosts='hv01'), inventory=lab.inventory_path)
        result = run.task('read')['hv01']
        assert 'failed' not in result, result
        assert [(entry['name'], entry['vm_id'].lower()) for entry in result['replications']] == [(HEALTHY, replicated_vm['id'].lower())]
        assert result['not_replicated'] == [] and lab.control.counters()['hv01']['pipelines'] == 1
        run = run_playbook(play({'vm_id': twin['id']}, hosts='hv01'), inventory=lab.inventory_path)
        result = run.task('read')['hv01']
        assert 'failed' not in result and result['replications'] == [] and result['not_replicated'] == [HEALTHY], result
        unknown = str(uuid.uuid4())
        run = run_playbook(play({'vm_id': unknown}, hosts='hv01'), inventory=lab.inventory_path)
        result = run.task('read')['hv01']
        assert result['failed'] is True and 'no virtual machine with id %s on this host' % unknown in result['msg'], result
        run = run_playbook(play({'vm_id': 'not-a-guid'}, hosts='hv01'), inventory=lab.inventory_path)
        result = run.task('read')['hv01']
        assert result['failed'] is True and result['msg'].startswith('vm_id must be a VM id, a GUID'), result
    finally:
        lab.control.patch_host('hv01', vms=vms)
