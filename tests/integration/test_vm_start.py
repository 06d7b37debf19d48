# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""vm_start against lab hosts (psrp and winrm): Start-VM unless the VM runs, then its heartbeat awaited; a Replica VM is refused until it
is failed over; a guest that never answers fails the task after the timeout (changed, since the VM was started)."""

from __future__ import annotations

import pytest

from vm_replication_lab import make_replica_server, reset_replication, run_cmdlet, vm


@pytest.fixture
def hosts(lab):
    reset_replication(lab)
    yield lab
    reset_replication(lab)


def start_play(name: str, hosts_pattern: str, **options) -> list:
    return [{'hosts': hosts_pattern, 'gather_facts': False, 'tasks': [
        {'name': 'start', 'hyperv.mobility.vm_start': dict({'name': name, 'timeout': 3, 'poll_interval': 1}, **options), 'ignore_errors': True}]}]


def test_an_off_vm_is_started_and_verified_then_a_rerun_is_ok(hosts, run_playbook):
    lab = hosts
    checked = run_playbook(start_play('{{ inventory_hostname }}-app', 'hv01:hv03'), inventory=lab.inventory_path, check=True)
    assert all(result['changed'] is True for result in checked.task('start').values()), checked.stdout
    assert vm(lab, 'hv01', 'hv01-app')['state'] == 'Off'
    lab.control.reset_counters()
    run = run_playbook(start_play('{{ inventory_hostname }}-app', 'hv01:hv03'), inventory=lab.inventory_path, diff=True)
    for host in ('hv01', 'hv03'):
        result = run.task('start')[host]
        assert result['changed'] is True and result['started'] is True, result
        assert result['vm'] == {'name': '%s-app' % host, 'state': 'Running', 'heartbeat': 'OkApplicationsUnknown'}
        assert result['diff']['before']['heartbeat'] is None
        assert [command['name'] for command in lab.control.commands(host)] == ['Get-VM', 'Start-VM', 'Get-VM']
    again = run_playbook(start_play('{{ inventory_hostname }}-app', 'hv01:hv03'), inventory=lab.inventory_path)
    assert again.changed_hosts() == [], again.stdout


def test_a_guest_that_never_answers_and_a_replica_vm_are_refused(hosts, run_playbook):
    lab = hosts
    lab.control.patch_host('hv01', vms={'hv01-app': {'guest_responding': False}})
    run = run_playbook(start_play('hv01-app', 'hv01'), inventory=lab.inventory_path)
    result = run.task('start')['hv01']
    assert result['failed'] is True and result['changed'] is True
    assert "VM 'hv01-app' on 127.0.10.1 is Running but its heartbeat is NoContact after 3 seconds" in result['msg']
    missing = run_playbook(start_play('ghost', 'hv01'), inventory=lab.inventory_path).task('start')['hv01']
    assert missing['failed'] is True and "VM 'ghost' is not on" in missing['msg']
    make_replica_server(lab, 'hv02')
    run_cmdlet(lab, 'hv01', 'Enable-VMReplication', VMName='hv01-app', ReplicaServerName='hv02.hvlab.test', ReplicaServerPort=80,
               AuthenticationType='Kerberos')
    assert vm(lab, 'hv02', 'hv01-app')['state'] == 'Off'  # the Replica VM Hyper-V created on hv02
    replica = run_playbook(start_play('hv01-app', 'hv02'), inventory=lab.inventory_path).task('start')['hv02']
    assert replica['failed'] is True and 'it is a Replica virtual machine' in replica['msg'] and vm(lab, 'hv02', 'hv01-app')['state'] == 'Off'
