# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile names against lab hosts over psrp (hv01) and winrm (hv02) (issue 21 classes 2, 4 and 8).

- Hyper-V does not require unique VM names: with two VMs of one name on a host, vm_start, vm_migrate, vm_replication and
  vm_failover fail naming both ids and change nothing; vm_id starts (moves, replicates, fails over) exactly the VM it names, the
  lab binding the VM object Get-VM -Id writes to the -VM parameter of each cmdlet piped into, as Hyper-V does.
- Control characters in a VM or server name are refused naming the option before any request reaches a host, so both
  transports behave the same (over psrp they once crashed the reply parsing).
- A destination that is the source itself is refused ("same host") before any request.
The lab's request counters prove what was (not) sent.
"""

from __future__ import annotations

import uuid

import pytest

from vm_replication_lab import make_replica_server, relationship, reset_replication, writes

HOSTS = ('hv01', 'hv02')  # psrp, winrm
CONTROL_CHARACTERS = ['\x00', '\x01', '\x08', '\x0b', '\x1b', '\ufffe']


@pytest.fixture
def hosts(lab):
    reset_replication(lab)
    yield lab
    reset_replication(lab)


def twin(lab, host: str, name: str) -> tuple[str, str]:
    """Give host a second VM called name (a copy of the first, another id); return (the first's id, the second's id)."""
    vms = lab.control.host_state(host)['vms']
    first = next(vm for vm in vms if vm['name'] == name)
    second = dict(first, id=str(uuid.uuid4()), state='Off')
    lab.control.patch_host(host, vms=vms + [second])
    return first['id'], second['id']


def task(module: str, title: str = 'hostile', **options) -> dict:
    return {'name': title, 'hyperv.mobility.%s' % module: options, 'ignore_errors': True}


def play(host_pattern: str, *tasks) -> list:
    return [{'hosts': host_pattern, 'gather_facts': False, 'tasks': list(tasks)}]


def requests(lab) -> dict:
    return {host: counters['requests'] for host, counters in lab.control.counters().items()}


def states(lab, host: str, name: str) -> dict:
    return {vm['id']: vm['state'] for vm in lab.control.host_state(host)['vms'] if vm['name'] == name}


def test_a_name_two_vms_share_fails_naming_both_and_vm_id_starts_one(hosts, run_playbook):
    lab = hosts
    ids = {host: twin(lab, host, '%s-db' % host) for host in HOSTS}
    before = {host: states(lab, host, '%s-db' % host) for host in HOSTS}
    lab.control.reset_counters()
    run = run_playbook(play('hv01:hv02', task('vm_start', name='{{ inventory_hostname }}-db', timeout=3, poll_interval=1)),
                       inventory=lab.inventory_path)
    for host in HOSTS:
        result = run.task('hostile')[host]
        assert result['failed'] is True and result.get('changed') is False, result
        assert result['msg'].startswith("VM name '%s-db' matches 2 VMs on " % host) and 'vm_id' in result['msg'], result['msg']
        assert all(vm_id in result['msg'] for vm_id in ids[host]), result['msg']
        assert sorted(vm['id'] for vm in result['vms']) == sorted(ids[host])
        assert lab.control.counters()[host]['commands'] == {'Get-VM': 1}    # read, then refused: nothing started
        assert states(lab, host, '%s-db' % host) == before[host]
    chosen = {host: ids[host][1] for host in HOSTS}
    run = run_playbook(play('hv01:hv02', task('vm_start', vm_id="{{ chosen[inventory_hostname] | upper }}", timeout=3, poll_interval=1)),
                       inventory=lab.inventory_path, extra_vars={'chosen': chosen})
    for host in HOSTS:
        result = run.task('hostile')[host]
        assert result.get('failed') is not True and result['changed'] is True and result['vm']['state'] == 'Running', result
        assert states(lab, host, '%s-db' % host) == {ids[host][0]: before[host][ids[host][0]], ids[host][1]: 'Running'}


def test_vm_migrate_and_vm_replication_refuse_a_shared_name_before_any_write(hosts, run_playbook):
    lab = hosts
    ids = twin(lab, 'hv01', 'hv01-web')
    lab.control.reset_counters()
    run = run_playbook(play('hv01', task('vm_migrate', 'move', name='hv01-web', destination='hv02'),
                            task('vm_replication', 'replicate', name='hv01-web', replica_server='hv02.hvlab.test')), inventory=lab.inventory_path)
    for step in ('move', 'replicate'):
        result = run.task(step)['hv01']
        assert result['failed'] is True and "VM name 'hv01-web' matches 2 VMs" in result['msg'], result
        assert all(vm_id in result['msg'] for vm_id in ids), result['msg']
    commands = lab.control.counters()['hv01']['commands']
    assert 'Move-VM' not in commands and not any(name.startswith(('Enable-', 'Set-', 'Start-')) for name in commands), commands
    assert sorted(vm['name'] for vm in lab.control.host_state('hv01')['vms']).count('hv01-web') == 2


def test_vm_replication_and_vm_failover_by_vm_id_when_two_vms_share_the_name(hosts, run_playbook):
    """hv01 (psrp) replicates the second of two VMs called hv01-app to hv02 (winrm), then fails it over, both by its id."""
    lab = hosts
    make_replica_server(lab, 'hv01')
    make_replica_server(lab, 'hv02')
    first, second = twin(lab, 'hv01', 'hv01-app')
    lab.control.reset_counters()
    replicate = dict(vm_id=second.upper(), replica_server='hv02.hvlab.test', recovery_history=2)
    run = run_playbook(play('hv01', task('vm_replication', 'replicate', **replicate), task('vm_replication', 'again', **replicate)),
                       inventory=lab.inventory_path)
    created, again = run.task('replicate')['hv01'], run.task('again')['hv01']
    assert created.get('failed') is not True and created['changed'] is True, created
    assert created['commands'][0].startswith('Enable-VMReplication ReplicaServerName=hv02.hvlab.test'), created['commands']
    assert again.get('failed') is not True and again['changed'] is False, again
    side = relationship(lab, 'hv01', 'hv01-app')
    assert side['vm_id'] == second and side['mode'] == 'Primary', side
    assert len(lab.control.host_state('hv01')['replication']['relationships']) == 1, 'the other hv01-app does not replicate'
    lab.control.replication(advance_seconds=200)
    assert relationship(lab, 'hv01', 'hv01-app')['state'] == 'Replicating'

    lab.control.reset_counters()
    failover = dict(destination='hv02', action='planned')
    run = run_playbook(play('hv01', task('vm_failover', 'by name', name='hv01-app', **failover)), inventory=lab.inventory_path)
    refused = run.task('by name')['hv01']
    assert refused['failed'] is True and refused['msg'].startswith("VM name 'hv01-app' matches 2 VMs on hv01.hvlab.test"), refused
    assert first in refused['msg'] and second in refused['msg'], refused['msg']
    assert writes(lab, 'hv01') == {} and writes(lab, 'hv02') == {}

    run = run_playbook(play('hv01', task('vm_failover', 'by id', vm_id=second, **failover), task('vm_failover', 'again', vm_id=second, **failover)),
                       inventory=lab.inventory_path)
    done, rerun = run.task('by id')['hv01'], run.task('again')['hv01']
    piped = 'Get-VM Id=%s | ' % second
    assert done.get('failed') is not True and done['steps'] == [
        'hv01.hvlab.test: ' + piped + 'Start-VMFailover -Prepare -Confirm:$false', 'hv02.hvlab.test: ' + piped + 'Start-VMFailover -Confirm:$false',
        'hv02.hvlab.test: ' + piped + 'Set-VMReplication -Reverse'], done['msg']
    assert rerun.get('failed') is not True and rerun['changed'] is False, rerun
    assert (relationship(lab, 'hv01', 'hv01-app')['mode'], relationship(lab, 'hv02', 'hv01-app')['mode']) == ('Replica', 'Primary')
    assert relationship(lab, 'hv02', 'hv01-app')['vm_id'] == second


@pytest.mark.parametrize('character', CONTROL_CHARACTERS, ids=lambda character: 'U+%04X' % ord(character))
def test_control_characters_are_refused_before_any_request_over_both_transports(hosts, run_playbook, character):
    lab = hosts
    lab.control.reset_counters()
    name = 'web%s01' % character
    run = run_playbook(play('hv01:hv02', task('vm_start', name=name)), inventory=lab.inventory_path)
    for host in HOSTS:
        result = run.task('hostile')[host]
        assert result['failed'] is True, result
        assert result['msg'].startswith('name holds the character U+%04X' % ord(character)), result['msg']
        assert 'accepted: printable characters only' in result['msg']
    replica = run_playbook(play('hv01:hv02', task('vm_replication', name='web01', replica_server='hv0%s2.hvlab.test' % character)),
                           inventory=lab.inventory_path)
    for host in HOSTS:
        assert replica.task('hostile')[host]['msg'].startswith('replica_server holds the character U+%04X' % ord(character))
    assert set(requests(lab).values()) == {0}, requests(lab)


def test_a_host_as_its_own_destination_is_refused_before_any_request(hosts, run_playbook):
    lab = hosts
    lab.control.reset_counters()
    run = run_playbook(play('hv01', task('vm_migrate', name='hv01-web', destination='hv01')), inventory=lab.inventory_path)
    result = run.task('hostile')['hv01']
    assert result['failed'] is True and 'are the same host' in result['msg'], result
    assert set(requests(lab).values()) == {0}, requests(lab)
