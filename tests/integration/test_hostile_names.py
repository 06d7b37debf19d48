# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile names against lab hosts over psrp (hv01) and winrm (hv02) (issue 21 classes 2, 4 and 8).

- Hyper-V does not require unique VM names: with two VMs of one name on a host, vm_start, vm_migrate and vm_replication fail
  naming both ids and change nothing; vm_id starts (or moves) exactly the VM it names.
- Control characters in a VM or server name are refused naming the option before any request reaches a host, so both
  transports behave the same (over psrp they once crashed the reply parsing).
- A destination that is the source itself is refused ("same host") before any request.
The lab's request counters prove what was (not) sent.
"""

from __future__ import annotations

import uuid

import pytest

from vm_replication_lab import reset_replication

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
