# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""hyperv.mobility.vm_failover against the lab, through real ansible-playbook: the failover and failback sequences.

The primary site is hv01 (psrp), the recovery site hv02 (winrm); both are Kerberos Replica servers (the recovery site
for replication, the primary site for reverse replication). hv01-app (seeded turned off) replicates to hv02 and has
finished its initial replication before each test. The VM's data is the lab's data_version: the workload writes on
the host where the VM runs, and the tests check that every failover brings the latest data to the other site.
"""

from __future__ import annotations

import json

import pytest

from vm_replication_lab import make_replica_server, relationship, reset_replication, task_play, vm, writes

PRIMARY, RECOVERY = 'hv01', 'hv02'
VM = 'hv01-app'
TEST_VM = VM + ' - Test'


@pytest.fixture(autouse=True)
def replicating_pair(lab, run_playbook):
    reset_replication(lab)
    make_replica_server(lab, PRIMARY)
    make_replica_server(lab, RECOVERY)
    run = run_playbook(task_play('vm_replication', {'name': VM, 'replica_server': 'hv02.hvlab.test', 'recovery_history': 2}, PRIMARY),
                       inventory=lab.inventory_path)
    assert run.rc == 0, run.stdout
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 5}, advance_seconds=200)
    assert relationship(lab, PRIMARY, VM)['state'] == 'Replicating'
    assert vm(lab, RECOVERY, VM)['data_version'] == 5
    lab.control.reset_counters()
    yield
    lab.control.replication(speed=0)


def failover(run_playbook, lab, action, check=False, diff=False, **options):
    run = run_playbook(task_play('vm_failover', dict({'name': VM, 'destination': RECOVERY, 'action': action}, **options), PRIMARY),
                       inventory=lab.inventory_path, check=check, diff=diff)
    return run.task('task')[PRIMARY]


def sides(lab):
    """(mode, state) of the VM's relationship on the primary site and on the recovery site."""
    def of(host):
        side = relationship(lab, host, VM)
        return (side['mode'], side['state']) if side else None
    return of(PRIMARY), of(RECOVERY)


def test_test_failover_then_cleanup_each_idempotent(lab, run_playbook):
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 1})       # not replicated yet: not in the test VM
    tested = failover(run_playbook, lab, 'test')
    assert tested['changed'] and not tested.get('failed'), tested
    assert tested['steps'] == ['hv02.hvlab.test: Start-VMFailover -AsTest -Confirm:$false'] and tested['test_vm'] == TEST_VM
    assert vm(lab, RECOVERY, TEST_VM)['data_version'] == 5
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert tested['source']['contacted'] is False, 'a test failover needs only the recovery site'
    assert lab.control.counters().get(PRIMARY, {}).get('pipelines', 0) == 0

    lab.control.reset_counters()
    again = failover(run_playbook, lab, 'test')
    assert again['changed'] is False and again['test_vm'] == TEST_VM
    assert lab.control.counters()[RECOVERY]['pipelines'] == 1 and writes(lab, RECOVERY) == {}

    cleaned = failover(run_playbook, lab, 'cleanup_test')
    assert cleaned['steps'] == ['hv02.hvlab.test: Stop-VMFailover'] and cleaned['test_vm'] is None, cleaned
    assert vm(lab, RECOVERY, TEST_VM) is None and vm(lab, RECOVERY, VM) is not None
    assert failover(run_playbook, lab, 'cleanup_test')['changed'] is False


def test_planned_failover_reverse_and_failback_keep_the_data(lab, run_playbook):
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 2})       # pending changes: 7 on hv01, 5 on hv02
    planned = failover(run_playbook, lab, 'planned', diff=True)
    assert planned['changed'] and not planned.get('failed'), planned
    assert planned['steps'] == ['hv01.hvlab.test: Start-VMFailover -Prepare -Confirm:$false', 'hv02.hvlab.test: Start-VMFailover -Confirm:$false',
                                'hv02.hvlab.test: Set-VMReplication -Reverse']
    assert sides(lab) == (('Replica', 'Replicating'), ('Primary', 'Replicating'))
    assert vm(lab, RECOVERY, VM)['data_version'] == 7, 'a planned failover loses no data'
    assert planned['diff']['before']['destination']['mode'] == 'Replica' and planned['diff']['after']['destination']['mode'] == 'Primary'

    lab.control.reset_counters()
    again = failover(run_playbook, lab, 'planned')
    assert again['changed'] is False, again
    counters = lab.control.counters()
    assert counters[PRIMARY]['pipelines'] == 1 and counters[RECOVERY]['pipelines'] == 1
    assert writes(lab, PRIMARY) == {} and writes(lab, RECOVERY) == {}

    # The workload runs on the recovery site now; its changes replicate back to the primary site.
    lab.control.replication(write={'host': RECOVERY, 'vm': VM, 'count': 3}, advance_seconds=600)
    assert vm(lab, PRIMARY, VM)['data_version'] == 10
    lab.control.replication(write={'host': RECOVERY, 'vm': VM, 'count': 1})

    back = failover(run_playbook, lab, 'failback')
    assert back['steps'] == ['hv02.hvlab.test: Start-VMFailover -Prepare -Confirm:$false', 'hv01.hvlab.test: Start-VMFailover -Confirm:$false',
                             'hv01.hvlab.test: Set-VMReplication -Reverse'], back
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert vm(lab, PRIMARY, VM)['data_version'] == 11, 'the failback brings the last write home'
    assert failover(run_playbook, lab, 'failback')['changed'] is False

    # Replication runs primary -> recovery again.
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 1}, advance_seconds=600)
    assert vm(lab, RECOVERY, VM)['data_version'] == 12


def test_unplanned_failover_complete_reverse_then_failback(lab, run_playbook):
    lab.control.patch_host(PRIMARY, vms={VM: {'state': 'Running'}})
    lab.control.inject_fault(PRIMARY, 'host_down', count=1000)               # the primary site is lost
    try:
        unplanned = failover(run_playbook, lab, 'unplanned')
        assert unplanned['steps'] == ['hv02.hvlab.test: Start-VMFailover -Confirm:$false'] and not unplanned.get('failed'), unplanned
        assert relationship(lab, RECOVERY, VM)['state'] == 'FailedOverWaitingCompletion'
        assert failover(run_playbook, lab, 'unplanned')['changed'] is False
        completed = failover(run_playbook, lab, 'complete')
        assert completed['steps'] == ['hv02.hvlab.test: Complete-VMFailover -Confirm:$false'] and relationship(lab, RECOVERY, VM)['state'] == 'FailedOver'
        assert failover(run_playbook, lab, 'complete')['changed'] is False
    finally:
        lab.control.clear_faults()
    assert vm(lab, RECOVERY, VM)['data_version'] == 5

    # The primary site is back with the VM still running: reversing would overwrite it, so the module refuses.
    running = failover(run_playbook, lab, 'reverse')
    assert running['failed'] and 'turn it off before reversing replication' in running['msg'], running
    assert relationship(lab, RECOVERY, VM)['mode'] == 'Replica'

    lab.control.patch_host(PRIMARY, vms={VM: {'state': 'Off'}})
    reversed_ = failover(run_playbook, lab, 'reverse')
    assert reversed_['steps'] == ['hv02.hvlab.test: Set-VMReplication -Reverse', 'hv02.hvlab.test: Start-VMInitialReplication'], reversed_
    assert sides(lab) == (('Replica', 'WaitingForInitialReplication'), ('Primary', 'InitialReplicationInProgress'))
    assert failover(run_playbook, lab, 'reverse')['changed'] is False

    early = failover(run_playbook, lab, 'failback')
    assert early['failed'] and 'needs replication in state Replicating on hv02.hvlab.test' in early['msg'], early

    lab.control.replication(write={'host': RECOVERY, 'vm': VM, 'count': 4}, advance_seconds=200)
    back = failover(run_playbook, lab, 'failback')
    assert not back.get('failed'), back
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert vm(lab, PRIMARY, VM)['data_version'] == 9


def test_planned_failover_needs_the_vm_off_and_changes_nothing_otherwise(lab, run_playbook):
    lab.control.patch_host(PRIMARY, vms={VM: {'state': 'Running'}})
    result = failover(run_playbook, lab, 'planned')
    assert result['failed'] and 'needs the VM turned off on hv01.hvlab.test (it is Running)' in result['msg'], result
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert writes(lab, PRIMARY) == {} and writes(lab, RECOVERY) == {}


def test_planned_failover_without_reverse_then_cancel(lab, run_playbook):
    stopped = failover(run_playbook, lab, 'planned', reverse_replication=False)
    assert stopped['steps'] == ['hv01.hvlab.test: Start-VMFailover -Prepare -Confirm:$false', 'hv02.hvlab.test: Start-VMFailover -Confirm:$false'], stopped
    assert sides(lab) == (('Primary', 'PreparedForFailover'), ('Replica', 'FailedOverWaitingCompletion'))
    assert failover(run_playbook, lab, 'planned', reverse_replication=False)['changed'] is False
    cancelled = failover(run_playbook, lab, 'cancel')
    assert cancelled['steps'] == ['hv02.hvlab.test: Stop-VMFailover', 'hv01.hvlab.test: Stop-VMFailover'], cancelled
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert failover(run_playbook, lab, 'cancel')['changed'] is False


def test_check_mode_lists_the_steps_and_changes_nothing(lab, run_playbook):
    result = failover(run_playbook, lab, 'planned', check=True)
    assert result['changed'] and result['steps'][0] == 'hv01.hvlab.test: Start-VMFailover -Prepare -Confirm:$false', result
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert writes(lab, PRIMARY) == {} and writes(lab, RECOVERY) == {}


@pytest.mark.parametrize('action, options, words', [
    ('unplanned', {'recovery_point': 'hv01-app - Standard Replica - (11/22/2026 - 00:00:00)'},
     "recovery_point 'hv01-app - Standard Replica - (11/22/2026 - 00:00:00)' is not a recovery point of the VM on hv02.hvlab.test; it has "
     "'hv01-app - Standard Replica - ("),
    ('test', {'recovery_point': 'hv01-app*'}, "recovery_point 'hv01-app*' holds the wildcard character(s) *"),
    ('complete', {'recovery_point': 'yesterday'}, "recovery_point applies to action=test and unplanned; got action=complete"),
    ('complete', {}, 'no failover waits for completion on hv02.hvlab.test'),
    ('reverse', {}, 'run action=unplanned (or planned) first'),
    ('test', {'name': 'no-such-vm'}, "VM 'no-such-vm' was not found on hv02"),
    ('planned', {'reverse_authentication': 'certificate'}, 'reverse_certificate_thumbprint'),
])
def test_impossible_actions_fail_clearly(lab, run_playbook, action, options, words):
    result = failover(run_playbook, lab, action, **options)
    assert result['failed'] and words in result['msg'], result
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    assert writes(lab, PRIMARY) == {} and writes(lab, RECOVERY) == {}


def drill_report(folder, drill):
    """The one JSON drill report of that name in folder, and its Markdown page."""
    found = sorted(folder.glob(drill + '-*.json'))
    assert len(found) == 1, found
    return json.loads(found[0].read_text()), found[0].with_suffix('.md').read_text()


def steps_of(report):
    return [(row['vm'], row['step'], row['result']) for row in report['rows']]


RECOVERY_IDENTITY = dict(failover_ipv4={'address': '10.2.0.15', 'subnet_mask': '255.255.255.0', 'default_gateway': '10.2.0.1'},
                         test_switch='Isolated')


def test_the_monthly_drill_starts_verifies_cleans_up_and_keeps_the_evidence(lab, run_playbook, tmp_path):
    pairs = {'replication_pairs': [{'primary': PRIMARY, 'replica': RECOVERY, 'vms': [VM]}], 'failover_report_dir': str(tmp_path)}
    assert network(run_playbook, lab, RECOVERY, **RECOVERY_IDENTITY)['changed'] is True
    drill = run_playbook('playbooks/failover_test.yml', inventory=lab.inventory_path, extra_vars=dict(pairs, failover_drill=True))
    assert drill.rc == 0, drill.stdout
    assert vm(lab, RECOVERY, TEST_VM) is None and sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating'))
    report, markdown = drill_report(tmp_path, 'test_failover_drill')
    assert report['result'] == 'ok' and report['vms'] == 1 and report['failed_steps'] == 0 and report['time'].endswith('Z'), report
    assert steps_of(report) == [(VM, 'test failover', 'changed'), (VM, 'start and verify', 'changed'), (VM, 'test failover cleanup', 'changed')]
    started = report['rows'][1]
    assert 'heartbeat Ok' in started['detail'] and 'Network Adapter on Isolated: 10.2.0.15' in started['detail'], started
    assert all(isinstance(row['seconds'], (int, float)) for row in report['rows'])
    assert markdown.startswith('# Test failover drill: OK') and '| %s | %s | start and verify | changed |' % (VM, RECOVERY) in markdown


def test_a_drill_whose_test_vm_does_not_answer_fails_after_cleaning_up_and_reports_it(lab, run_playbook, tmp_path):
    lab.control.patch_host(RECOVERY, vms={VM: {'guest_responding': False}})
    pairs = {'replication_pairs': [{'primary': PRIMARY, 'replica': RECOVERY, 'vms': [VM]}], 'failover_report_dir': str(tmp_path)}
    drill = run_playbook('playbooks/failover_test.yml', inventory=lab.inventory_path,
                         extra_vars=dict(pairs, failover_drill=True, failover_heartbeat_timeout=2))
    assert drill.rc != 0 and vm(lab, RECOVERY, TEST_VM) is None, drill.stdout
    report, markdown = drill_report(tmp_path, 'test_failover_drill')
    assert report['result'] == 'failed' and report['failed_steps'] == 1
    assert steps_of(report) == [(VM, 'test failover', 'changed'), (VM, 'start and verify', 'failed'), (VM, 'test failover cleanup', 'changed')]
    assert 'heartbeat is NoContact after 2 seconds' in report['rows'][1]['detail']
    assert markdown.startswith('# Test failover drill: FAILED')


def test_the_playbooks_run_the_drill_the_planned_failover_and_the_failback(lab, run_playbook, tmp_path):
    pairs = {'replication_pairs': [{'primary': PRIMARY, 'replica': RECOVERY, 'vms': [VM]}], 'failover_report_dir': str(tmp_path)}
    network(run_playbook, lab, RECOVERY, **RECOVERY_IDENTITY)
    drill = run_playbook('playbooks/failover_test.yml', inventory=lab.inventory_path, extra_vars=pairs)
    assert drill.rc == 0, drill.stdout
    assert vm(lab, RECOVERY, TEST_VM)['state'] == 'Running'
    cleanup = run_playbook('playbooks/failover_test.yml', inventory=lab.inventory_path, extra_vars=dict(pairs, failover_test_cleanup=True))
    assert cleanup.rc == 0 and vm(lab, RECOVERY, TEST_VM) is None, cleanup.stdout
    assert steps_of(drill_report(tmp_path, 'test_failover_cleanup')[0]) == [(VM, 'test failover cleanup', 'changed')]

    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 1})
    planned = run_playbook('playbooks/failover_planned.yml', inventory=lab.inventory_path, extra_vars=pairs)
    assert planned.rc == 0, planned.stdout
    assert sides(lab) == (('Replica', 'Replicating'), ('Primary', 'Replicating')) and vm(lab, RECOVERY, VM)['data_version'] == 6
    report, _markdown = drill_report(tmp_path, 'planned_failover')
    assert steps_of(report) == [(VM, 'planned failover', 'changed'), (VM, 'start and verify', 'changed')]
    assert 'Network Adapter on LAN: 10.2.0.15' in report['rows'][1]['detail'], 'the VM comes up with its failover address'
    for old in tmp_path.glob('planned_failover-*'):
        old.unlink()
    again = run_playbook('playbooks/failover_planned.yml', inventory=lab.inventory_path, extra_vars=pairs)
    # The failover and the start are done: the VMs' tasks change nothing; only the run's new report file is written.
    assert again.rc == 0 and again.changed_hosts() in ([], [PRIMARY]), again.stdout
    assert [result['changed'] for result in again.task('Fail over to the Replica server and reverse replication')[PRIMARY]['results']] == [False]
    assert steps_of(drill_report(tmp_path, 'planned_failover')[0]) == [(VM, 'planned failover', 'ok'), (VM, 'start and verify', 'ok')]

    lab.control.replication(write={'host': RECOVERY, 'vm': VM, 'count': 2})
    lab.control.patch_host(RECOVERY, vms={VM: {'state': 'Off'}})          # shut down on the recovery site before the failback
    back = run_playbook('playbooks/failback.yml', inventory=lab.inventory_path, extra_vars=pairs)
    assert back.rc == 0, back.stdout
    assert sides(lab) == (('Primary', 'Replicating'), ('Replica', 'Replicating')) and vm(lab, PRIMARY, VM)['data_version'] == 8
    assert vm(lab, PRIMARY, VM)['state'] == 'Running' and vm(lab, RECOVERY, VM)['network_adapters'][0]['failover']['IPv4Address'] == '10.2.0.15'
    assert steps_of(drill_report(tmp_path, 'failback')[0]) == [(VM, 'failback', 'changed'), (VM, 'start and verify', 'changed')]


def points_by_version(lab):
    """{data_version: recovery point name} of the Replica VM on the recovery site (the lab's state)."""
    return {point['data_version']: point['name'] for point in relationship(lab, RECOVERY, VM)['recovery_points']}


def test_unplanned_failover_to_an_older_recovery_point_brings_its_data_back(lab, run_playbook):
    # Hourly recovery points: one holding data version 7, then the workload writes on (version 10 is the latest replicated).
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 2}, advance_seconds=3600)
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 3}, advance_seconds=3600)
    assert vm(lab, RECOVERY, VM)['data_version'] == 10
    older = points_by_version(lab)[7]

    # A test failover from the older point first: the test VM holds that point's data, the Replica VM keeps replicating.
    tested = failover(run_playbook, lab, 'test', recovery_point=older)
    assert not tested.get('failed') and tested['recovery_point'] == older, tested
    assert tested['steps'] == ["hv02.hvlab.test: Get-VMSnapshot Name=%s SnapshotType=Replica | Start-VMFailover -AsTest -Confirm:$false" % older]
    assert older in [point['name'] for point in tested['recovery_points']]
    assert vm(lab, RECOVERY, TEST_VM)['data_version'] == 7 and vm(lab, RECOVERY, VM)['data_version'] == 10
    assert failover(run_playbook, lab, 'cleanup_test')['changed'] is True

    lab.control.inject_fault(PRIMARY, 'host_down', count=1000)               # the primary site is lost
    try:
        unplanned = failover(run_playbook, lab, 'unplanned', recovery_point=older.upper())
        assert not unplanned.get('failed') and unplanned['changed'], unplanned
        assert relationship(lab, RECOVERY, VM)['state'] == 'FailedOverWaitingCompletion'
        assert vm(lab, RECOVERY, VM)['data_version'] == 7, "the failover brings the chosen point's data back, not the latest"
        lab.control.reset_counters()
        again = failover(run_playbook, lab, 'unplanned', recovery_point=older)
        assert again['changed'] is False and writes(lab, RECOVERY) == {}, again
        assert failover(run_playbook, lab, 'complete')['changed'] is True
    finally:
        lab.control.clear_faults()
    assert relationship(lab, RECOVERY, VM)['state'] == 'FailedOver' and vm(lab, RECOVERY, VM)['data_version'] == 7


def test_start_brings_the_test_vm_up_and_verifies_its_heartbeat(lab, run_playbook):
    # The guest boots in a second or so after Start-VM: the heartbeat says NoContact first, then OK.
    lab.control.patch_host(RECOVERY, vms={VM: {'boot_seconds': 1.5}})
    tested = failover(run_playbook, lab, 'test', start=True, poll_interval=1)
    assert not tested.get('failed') and tested['steps'] == ['hv02.hvlab.test: Start-VMFailover -AsTest -Confirm:$false',
                                                            'hv02.hvlab.test: Start-VM Name=%s' % TEST_VM], tested
    started = tested['started_vm']
    assert (started['host'], started['name'], started['started'], started['state'], started['verified']) == (RECOVERY, TEST_VM, True, 'Running', True)
    assert started['heartbeat'].startswith('Ok') and [item['heartbeat'] for item in started['progress']] == ['NoContact', started['heartbeat']]
    assert vm(lab, RECOVERY, TEST_VM)['state'] == 'Running' and vm(lab, RECOVERY, VM)['state'] == 'Off'

    lab.control.reset_counters()
    again = failover(run_playbook, lab, 'test', start=True)
    assert again['changed'] is False and again['started_vm']['started'] is False and again['started_vm']['verified'] is True, again
    assert writes(lab, RECOVERY) == {}
    assert failover(run_playbook, lab, 'cleanup_test')['changed'] is True and vm(lab, RECOVERY, TEST_VM) is None


def test_start_fails_clearly_when_the_guest_does_not_answer_and_keeps_the_failover(lab, run_playbook):
    lab.control.patch_host(RECOVERY, vms={VM: {'guest_responding': False}})
    planned = failover(run_playbook, lab, 'planned', start=True, heartbeat_timeout=2, poll_interval=1)
    assert planned['failed'] and planned['changed'], planned
    assert "planned of VM 'hv01-app' is done" in planned['msg'] and 'heartbeat is NoContact after 2 seconds' in planned['msg'], planned
    assert planned['started_vm']['verified'] is False and planned['started_vm']['started'] is True
    assert sides(lab) == (('Replica', 'Replicating'), ('Primary', 'Replicating')) and vm(lab, RECOVERY, VM)['state'] == 'Running'
    assert vm(lab, RECOVERY, VM)['data_version'] == 5


@pytest.mark.parametrize('options, words', [
    ({'action': 'cancel', 'start': True}, 'start applies to actions that leave a VM to run'),
    ({'action': 'test', 'start': True, 'heartbeat_timeout': 0}, 'heartbeat_timeout must be between 1 and 604800 seconds, got 0'),
])
def test_bad_start_options_change_nothing(lab, run_playbook, options, words):
    result = failover(run_playbook, lab, **options)
    assert result['failed'] and words in result['msg'], result
    assert writes(lab, PRIMARY) == {} and writes(lab, RECOVERY) == {}


def network(run_playbook, lab, host, **options):
    run = run_playbook(task_play('vm_failover_network', dict({'name': VM}, **options), host), inventory=lab.inventory_path)
    return run.task('task')[host]


def test_the_test_vm_comes_up_on_its_test_switch_with_its_failover_address(lab, run_playbook):
    identity = dict(failover_ipv4={'address': '10.2.0.15', 'subnet_mask': '255.255.255.0', 'default_gateway': '10.2.0.1',
                                   'dns_servers': ['10.2.0.10']},
                    failover_ipv6={'address': '2001:db8:2::15', 'prefix_length': 64}, test_switch='Isolated')
    configured = network(run_playbook, lab, RECOVERY, **identity)                      # over winrm
    assert configured['changed'] and configured['before']['failover_ipv4'] is None, configured
    assert configured['after']['failover_ipv4'] == {'address': '10.2.0.15', 'subnet_mask': '255.255.255.0', 'default_gateway': '10.2.0.1',
                                                    'dns_servers': ['10.2.0.10']}
    adapter, = vm(lab, RECOVERY, VM)['network_adapters']
    assert adapter['test_replica_switch_name'] == 'Isolated' and adapter['failover']['IPv6Address'] == '2001:db8:2::15'
    lab.control.reset_counters()
    again = network(run_playbook, lab, RECOVERY, **identity)
    assert again['changed'] is False and lab.control.counters()[RECOVERY]['pipelines'] == 1 and writes(lab, RECOVERY) == {}, again

    tested = failover(run_playbook, lab, 'test', start=True, poll_interval=1)
    assert not tested.get('failed'), tested
    assert tested['started_vm']['network_adapters'] == [{'name': 'Network Adapter', 'switch': 'Isolated', 'addresses': ['10.2.0.15', '2001:db8:2::15']}]
    assert failover(run_playbook, lab, 'cleanup_test')['changed'] is True

    # The primary VM's identity for a failback (over psrp); {} clears a family, the VM then keeps its own address.
    primary = network(run_playbook, lab, PRIMARY, failover_ipv4={'address': '10.1.0.15', 'subnet_mask': '255.255.255.0'})
    assert primary['changed'] and vm(lab, PRIMARY, VM)['network_adapters'][0]['failover']['IPv4Address'] == '10.1.0.15', primary
    cleared = network(run_playbook, lab, RECOVERY, failover_ipv6={})
    assert cleared['changed'] and cleared['after']['failover_ipv6'] is None and cleared['after']['failover_ipv4']['address'] == '10.2.0.15'


@pytest.mark.parametrize('options, words', [
    ({'failover_ipv4': {'address': '10.2.0.15'}}, 'failover_ipv4 needs address and subnet_mask together'),
    ({'failover_ipv6': {'address': '10.2.0.15', 'prefix_length': 64}}, "failover_ipv6.address must be an IPv6 address, got '10.2.0.15'"),
    ({'adapter': 'No Such Adapter', 'test_switch': 'Isolated'}, "No network adapter named 'No Such Adapter'"),
])
def test_bad_failover_network_input_changes_nothing(lab, run_playbook, options, words):
    result = network(run_playbook, lab, RECOVERY, **options)
    assert result['failed'] and words in result['msg'], result
    assert writes(lab, RECOVERY) == {}


def give_the_guest(lab, host, addresses):
    """The guest OS's own addresses on the VM's adapter (what it has configured itself)."""
    adapter = dict(vm(lab, host, VM)['network_adapters'][0], guest_addresses=addresses)
    lab.control.patch_host(host, vms={VM: {'network_adapters': [adapter]}})


@pytest.mark.parametrize('primary_failover_settings', [True, False], ids=['primary-has-failover-tcpip', 'primary-has-none'])
def test_a_planned_failover_and_failback_keep_the_data_and_the_network_identity(lab, run_playbook, tmp_path, primary_failover_settings):
    pairs = {'replication_pairs': [{'primary': PRIMARY, 'replica': RECOVERY, 'vms': [VM]}], 'failover_report_dir': str(tmp_path)}
    give_the_guest(lab, PRIMARY, ['10.1.0.15'])
    lab.control.replication(write={'host': PRIMARY, 'vm': VM, 'count': 1}, advance_seconds=300)
    before = vm(lab, PRIMARY, VM)
    assert before['data_version'] == 6 and before['network_adapters'][0]['guest_addresses'] == ['10.1.0.15']
    assert network(run_playbook, lab, RECOVERY, failover_ipv4={'address': '10.2.0.15', 'subnet_mask': '255.255.255.0'})['changed']
    if primary_failover_settings:      # the primary VM's own address as its failover TCP/IP: what a failback injects
        assert network(run_playbook, lab, PRIMARY, failover_ipv4={'address': '10.1.0.15', 'subnet_mask': '255.255.255.0'})['changed']

    planned = run_playbook('playbooks/failover_planned.yml', inventory=lab.inventory_path, extra_vars=pairs)
    assert planned.rc == 0, planned.stdout
    assert vm(lab, RECOVERY, VM)['data_version'] == 6
    assert 'Network Adapter on LAN: 10.2.0.15' in drill_report(tmp_path, 'planned_failover')[0]['rows'][1]['detail']

    lab.control.replication(write={'host': RECOVERY, 'vm': VM, 'count': 2}, advance_seconds=300)
    lab.control.patch_host(RECOVERY, vms={VM: {'state': 'Off'}})
    back = run_playbook('playbooks/failback.yml', inventory=lab.inventory_path, extra_vars=pairs)
    assert back.rc == 0, back.stdout
    after = vm(lab, PRIMARY, VM)
    assert after['data_version'] == 8 and after['state'] == 'Running'
    detail = drill_report(tmp_path, 'failback')[0]['rows'][1]['detail']
    warnings = back.task('Fail back to the primary and reverse replication again')[PRIMARY].get('warnings', [])   # the loop's, gathered
    if primary_failover_settings:
        assert 'Network Adapter on LAN: 10.1.0.15' in detail and after['network_adapters'][0]['guest_addresses'] == ['10.1.0.15'], detail
        assert warnings == [], warnings
    else:
        # Hyper-V applies failover TCP/IP inside the guest, which keeps it: without its own settings the primary VM comes back
        # with the recovery site's address (the reason to give the primary VM its own address as failover TCP/IP).
        assert 'Network Adapter on LAN: 10.2.0.15' in detail, detail
        # The failback said so before it ran, naming the adapter, the address kept and the fix.
        assert len(warnings) == 1, warnings
        assert ("adapter 'Network Adapter' has the failover TCP/IP address 10.2.0.15 on hv02.hvlab.test (the recovery site) and none of "
                'its own on hv01.hvlab.test, so after the failback the guest keeps 10.2.0.15') in warnings[0], warnings
        assert "hyperv.mobility.vm_failover_network on hv01.hvlab.test with name, adapter 'Network Adapter' and failover_ipv4" in warnings[0], warnings
