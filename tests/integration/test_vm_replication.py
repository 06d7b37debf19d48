# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.vm_replication against the lab, through real ansible-playbook.

The primary is hv01 (reached over psrp), the Replica server hv02 (winrm) or hv03 (psrp); every test starts from seeded
hosts without replication (vm_replication_lab.reset_replication) and reads the outcome from the lab's world.
Replication time is the lab's simulated clock: tests move it with LabControl.replication(advance_seconds=...) or let
it run faster than wall-clock time with speed=...
"""

from __future__ import annotations

import datetime

import pytest

from hvlab.model.replication import lab_certificate_thumbprint
from vm_replication_lab import add_data_disk, make_replica_server, relationship, reset_replication, task_play, vm, writes

PRIMARY, REPLICA, OTHER_REPLICA = 'hv01', 'hv02', 'hv03'
VM = 'hv01-web'
BASE = {'name': VM, 'replica_server': 'hv02.hvlab.test'}


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    reset_replication(lab)
    yield
    lab.control.replication(speed=0)


def replicate(run_playbook, lab, options, check=False, diff=False):
    run = run_playbook(task_play('vm_replication', options, PRIMARY), inventory=lab.inventory_path, check=check, diff=diff)
    return run.task('task')[PRIMARY]


def lab_clock(lab) -> datetime.datetime:
    return datetime.datetime.fromisoformat(lab.control.replication()['clock'])


def test_enable_with_every_option_then_idempotent_in_one_pipeline(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    disks = add_data_disk(lab, PRIMARY, VM)
    options = dict(BASE, authentication='kerberos', replica_port=80, frequency=30, recovery_history=4, app_consistent_frequency_hours=2,
                   compression=False, excluded_disks=disks[1:])
    result = replicate(run_playbook, lab, options)
    assert result['changed'] is True and not result.get('failed'), result
    assert result['commands'][0].startswith('Enable-VMReplication') and result['commands'][1] == 'Start-VMInitialReplication'
    side = relationship(lab, PRIMARY, VM)
    assert side['mode'] == 'Primary' and side['state'] == 'InitialReplicationInProgress'
    assert (side['replica_server'], side['replica_port'], side['authentication_type']) == ('hv02.hvlab.test', 80, 'Kerberos')
    assert (side['frequency_sec'], side['recovery_history'], side['vss_frequency_hour'], side['compression']) == (30, 4, 2, False)
    assert side['excluded_disks'] == disks[1:]
    assert relationship(lab, REPLICA, VM)['mode'] == 'Replica' and vm(lab, REPLICA, VM) is not None
    assert result['after']['replication_state'] == 'InitialReplicationInProgress' and result['before']['state'] == 'absent'

    lab.control.reset_counters()
    again = replicate(run_playbook, lab, options)
    assert again['changed'] is False and again['commands'] == [], again
    assert lab.control.counters()[PRIMARY]['pipelines'] == 1
    assert writes(lab, PRIMARY) == {}


def test_wait_reports_progress_until_replicating(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 3})
    lab.control.replication(speed=60)       # the 120 s initial copy takes about 2 s
    result = replicate(run_playbook, lab, dict(BASE, wait=True, timeout=60, poll_interval=1))
    assert result['changed'] and not result.get('failed'), result
    waited = result['initial_replication']
    assert waited['finished'] is True
    assert [sample['state'] for sample in waited['progress']] == ['InitialReplicationInProgress', 'Replicating']
    assert result['after']['replication_state'] == 'Replicating' and result['replication']['last_replication_time']
    assert relationship(lab, PRIMARY, VM)['state'] == 'Replicating'
    assert vm(lab, REPLICA, VM)['data_version'] == vm(lab, PRIMARY, VM)['data_version'] == 3


def test_wait_times_out_with_the_state_seen(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    result = replicate(run_playbook, lab, dict(BASE, wait=True, timeout=2, poll_interval=1))
    assert result['failed'] and 'did not finish within 2 seconds' in result['msg'], result
    assert result['initial_replication']['progress'][0]['state'] == 'InitialReplicationInProgress'


def test_settings_change_in_place_and_a_new_replica_server_needs_recreate(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    make_replica_server(lab, OTHER_REPLICA)
    replicate(run_playbook, lab, dict(BASE, recovery_history=2, app_consistent_frequency_hours=1))
    lab.control.replication(advance_seconds=200)

    changed = replicate(run_playbook, lab, dict(BASE, frequency=900, recovery_history=0, compression=False))
    assert changed['changed'], changed
    assert changed['commands'] == ['Set-VMReplication ReplicationFrequencySec=900 RecoveryHistory=0 VSSSnapshotFrequencyHour=0 '
                                   'CompressionEnabled=False']
    side = relationship(lab, PRIMARY, VM)
    assert (side['frequency_sec'], side['recovery_history'], side['vss_frequency_hour'], side['compression']) == (900, 0, 0, False)
    assert side['state'] == 'Replicating'

    # The short name of the same server is the same server.
    assert replicate(run_playbook, lab, dict(BASE, replica_server='hv02', frequency=900))['changed'] is False

    refused = replicate(run_playbook, lab, dict(BASE, replica_server='hv03.hvlab.test'))
    assert refused['failed'] and 'replica_server differs' in refused['msg'] and 'recreate=true' in refused['msg'], refused
    assert relationship(lab, PRIMARY, VM)['replica_server'] == 'hv02.hvlab.test'

    recreated = replicate(run_playbook, lab, dict(BASE, replica_server='hv03.hvlab.test', recreate=True))
    assert recreated['commands'][0] == 'Remove-VMReplication' and recreated['commands'][1].startswith('Enable-VMReplication')
    side = relationship(lab, PRIMARY, VM)
    assert side['replica_server'] == 'hv03.hvlab.test' and side['state'] == 'InitialReplicationInProgress'
    assert relationship(lab, OTHER_REPLICA, VM)['mode'] == 'Replica'


def test_excluded_disks_change_in_place(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    disks = add_data_disk(lab, PRIMARY, VM)
    replicate(run_playbook, lab, BASE)
    result = replicate(run_playbook, lab, dict(BASE, excluded_disks=[disks[-1]]))
    assert result['changed'] and result['commands'][0].startswith('Set-VMReplication ReplicatedDiskPaths='), result
    assert relationship(lab, PRIMARY, VM)['excluded_disks'] == [disks[-1]]
    unknown = replicate(run_playbook, lab, dict(BASE, excluded_disks=['Z:\\nope.vhdx']))
    assert unknown['failed'] and 'Z:\\nope.vhdx is not a disk' in unknown['msg'], unknown


def test_suspend_resume_and_remove(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    replicate(run_playbook, lab, BASE)
    early = replicate(run_playbook, lab, dict(BASE, state='suspended'))
    assert early['failed'] and 'cannot be suspended in state InitialReplicationInProgress' in early['msg'], early
    lab.control.replication(advance_seconds=200)

    suspended = replicate(run_playbook, lab, dict(BASE, state='suspended'))
    assert suspended['commands'] == ['Suspend-VMReplication'] and suspended['after']['state'] == 'suspended'
    assert relationship(lab, PRIMARY, VM)['state'] == 'Suspended'
    assert replicate(run_playbook, lab, dict(BASE, state='suspended'))['changed'] is False

    resumed = replicate(run_playbook, lab, BASE)
    assert resumed['commands'] == ['Resume-VMReplication'] and relationship(lab, PRIMARY, VM)['state'] == 'Replicating'

    removed = replicate(run_playbook, lab, {'name': VM, 'state': 'absent'})
    assert removed['commands'] == ['Remove-VMReplication'] and removed['after']['state'] == 'absent'
    assert relationship(lab, PRIMARY, VM) is None
    assert replicate(run_playbook, lab, {'name': VM, 'state': 'absent'})['changed'] is False


def test_scheduled_initial_replication_then_it_runs(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    start = (lab_clock(lab) + datetime.timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%SZ')
    result = replicate(run_playbook, lab, dict(BASE, initial_replication_start_time=start))
    assert result['commands'][1] == 'Start-VMInitialReplication InitialReplicationStartTime=%s' % start, result
    assert result['after']['replication_state'] == 'ReadyForInitialReplication'
    assert result['replication']['initial_replication_start_time'] == start
    assert replicate(run_playbook, lab, dict(BASE, initial_replication_start_time=start))['changed'] is False

    later = (lab_clock(lab) + datetime.timedelta(hours=2)).strftime('%Y-%m-%dT%H:%M:%SZ')
    moved = replicate(run_playbook, lab, dict(BASE, initial_replication_start_time=later))
    assert moved['commands'] == ['Stop-VMInitialReplication', 'Start-VMInitialReplication InitialReplicationStartTime=%s' % later]
    lab.control.replication(advance_seconds=2 * 3600 + 200)
    assert relationship(lab, PRIMARY, VM)['state'] == 'Replicating'


def test_export_initial_replication_and_wait_for_the_export(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    lab.control.replication(speed=60)
    result = replicate(run_playbook, lab, dict(BASE, initial_replication='export', initial_replication_path='E:\\InitialCopy', wait=True,
                                               timeout=60, poll_interval=1))
    assert result['commands'][1] == 'Start-VMInitialReplication DestinationPath=E:\\InitialCopy', result
    assert result['initial_replication']['finished'] and result['after']['replication_state'] == 'WaitingForInitialReplication'
    assert relationship(lab, PRIMARY, VM)['export_path'] == 'E:\\InitialCopy'


def test_resynchronization_when_hyperv_requires_it_and_retry_after_an_error(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    replicate(run_playbook, lab, BASE)
    lab.control.replication(advance_seconds=200, fault={'host': PRIMARY, 'vm': VM, 'kind': 'resync_required'})
    assert relationship(lab, PRIMARY, VM)['state'] == 'WaitingForStartResynchronize'
    left = replicate(run_playbook, lab, dict(BASE, resynchronize=False))
    assert left['changed'] is False and any('needs resynchronization' in warning for warning in left['warnings']), left
    resynced = replicate(run_playbook, lab, BASE)
    assert resynced['commands'] == ['Resume-VMReplication -Resynchronize'], resynced
    assert relationship(lab, PRIMARY, VM)['state'] == 'Resynchronizing'
    lab.control.replication(advance_seconds=100)
    assert relationship(lab, PRIMARY, VM)['state'] == 'Replicating'

    lab.control.replication(fault={'host': PRIMARY, 'vm': VM, 'kind': 'authorization'})
    assert relationship(lab, PRIMARY, VM)['state'] == 'Error'
    lab.control.replication(fault={'host': PRIMARY, 'vm': VM, 'kind': None})
    retried = replicate(run_playbook, lab, BASE)
    assert retried['commands'] == ['Resume-VMReplication'] and relationship(lab, PRIMARY, VM)['state'] == 'Replicating', retried


def test_check_mode_and_diff_change_nothing(lab, run_playbook):
    make_replica_server(lab, REPLICA)
    result = replicate(run_playbook, lab, dict(BASE, frequency=30), check=True, diff=True)
    assert result['changed'] is True and result['commands'][0].startswith('Enable-VMReplication'), result
    assert result['diff']['before']['state'] == 'absent' and result['diff']['after']['frequency'] == 30
    assert relationship(lab, PRIMARY, VM) is None and writes(lab, PRIMARY) == {}

    replicate(run_playbook, lab, BASE)
    lab.control.reset_counters()
    change = replicate(run_playbook, lab, dict(BASE, recovery_history=3), check=True, diff=True)
    assert change['diff']['before']['recovery_history'] == 0 and change['diff']['after']['recovery_history'] == 3
    assert relationship(lab, PRIMARY, VM)['recovery_history'] == 0 and writes(lab, PRIMARY) == {}


@pytest.mark.parametrize('replica_changes, rules, options, cause, words', [
    ({'enabled': False}, None, {}, 'replica_not_enabled', 'not enabled as a Replica server'),
    ({}, {'VIRT-HVRHTTPL-In-TCP-NoScope': {'enabled': False}}, {}, 'firewall', 'VIRT-HVRHTTPL-In-TCP-NoScope'),
    ({}, None, {'authentication': 'certificate', 'replica_port': 80, 'certificate_thumbprint': 'PRIMARY'}, 'authentication',
     'does not accept certificate authentication'),
    ({'allow_any_server': False}, None, {}, 'not_authorized', 'add an authorization entry for hv01.hvlab.test'),
])
@pytest.mark.parametrize('check', [False, True])
def test_documented_replica_server_errors_are_explained(lab, run_playbook, replica_changes, rules, options, cause, words, check):
    make_replica_server(lab, REPLICA, **replica_changes)
    if rules:
        lab.control.patch_host(REPLICA, firewall_rules=rules)
    if options.get('certificate_thumbprint') == 'PRIMARY':
        options = dict(options, certificate_thumbprint=lab_certificate_thumbprint('hv01.hvlab.test'))
    result = replicate(run_playbook, lab, dict(BASE, **options), check=check)
    assert result['failed'] and result['explanation']['cause'] == cause, result
    assert words in result['msg'], result['msg']
    assert relationship(lab, PRIMARY, VM) is None and writes(lab, PRIMARY) == {} if check else relationship(lab, PRIMARY, VM) is None


@pytest.mark.parametrize('options, words', [
    ({'frequency': 60}, 'frequency must be one of: 30, 300, 900, got: 60'),
    ({'recovery_history': 25}, 'recovery_history must be between 0 and 24'),
    ({'name': 'no-such-vm'}, "VM 'no-such-vm' was not found on"),
    ({'replica_server': 'nohost.hvlab.test'}, "the Replica server name 'nohost.hvlab.test' could not be resolved"),
    ({'authentication': 'certificate'}, 'authentication=certificate needs certificate_thumbprint'),
    ({'app_consistent_frequency_hours': 2, 'recovery_history': 0}, 'app_consistent_frequency_hours needs recovery_history'),
    ({'initial_replication': 'export'}, 'initial_replication=export needs initial_replication_path'),
    ({'initial_replication_start_time': 'tomorrow'}, 'initial_replication_start_time'),
])
def test_bad_input_fails_clearly_and_changes_nothing(lab, run_playbook, options, words):
    make_replica_server(lab, REPLICA)
    result = replicate(run_playbook, lab, dict(BASE, **options))
    assert result['failed'] and words in result['msg'], result
    assert relationship(lab, PRIMARY, VM) is None
    assert writes(lab, PRIMARY) == {}
