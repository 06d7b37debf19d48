# -*- coding: utf-8 -*-
"""vm_failover: the steps each action plans from the state of the two sites, and what it refuses."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import OptionError
from ansible_collections.hyperv.mobility.plugins.modules.vm_failover import (
    FailoverPlan, ModuleFailure, Site, VmFailover, check_recovery_point, recovery_points_of, step_line)

from pipeline_objects import computer_system, hyperv_object as obj


WEB01_ID = '0f8fad5b-d9cb-469f-a165-70867728950e'
TWIN_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7'    # another VM called web01
TEST_VM_ID = '16fd2706-8baf-433b-82eb-8c7fada847da'


def site(fqdn, mode=None, state=None, vm_state='Off', test_vm=False, vm_id=None, twin=False):
    """A Site that has read its host: its names (Win32_ComputerSystem), the VM and, when mode is given, its side of the relationship
    (Get-VMReplication objects carry the VM's id, VMId); twin adds a second VM called web01, without replication. vm_id: the
    Site looks for the VM by id, not by name."""
    read = [computer_system(fqdn)]
    if vm_state is not None:
        read.append(obj('VirtualMachine', Name='web01', Id=WEB01_ID, State=vm_state))
    if twin:
        read.append(obj('VirtualMachine', Name='web01', Id=TWIN_ID, State='Running'))
    if mode is not None:
        read.append(obj('VMReplication', VMName='web01', VMId=WEB01_ID, ReplicationMode=mode, ReplicationState=state))
    if test_vm:
        read.append(obj('VMReplication', VMName='web01 - Test', VMId=TEST_VM_ID, ReplicationMode='TestReplica',
                        ReplicationState='FiredrillInProgress'))
    found = Site(fqdn.split('.')[0], None, None if vm_id else 'web01', vm_id)
    found.absorb(PipelineResult(read))
    return found


def params(action='test', **given):
    values = {'name': 'web01', 'action': action, 'recovery_point': 'latest', 'reverse_replication': True, 'reverse_port': None,
              'reverse_authentication': None, 'reverse_certificate_thumbprint': None, 'initial_replication': 'network'}
    values.update(given)
    return values


def steps(action, source, destination, **given):
    built = FailoverPlan(params(action, **given), source, destination).build()
    return ['%s: %s' % (where.name.split('.')[0], step_line(command)) for where, commands in built.steps for command in commands]


def normal():
    return site('hv01.corp.example.com', 'Primary', 'Replicating'), site('hv02.corp.example.com', 'Replica', 'Replicating')


def reversed_pair():
    return site('hv01.corp.example.com', 'Replica', 'Replicating'), site('hv02.corp.example.com', 'Primary', 'Replicating')


NOT_READ = Site('hv01', None, 'web01')


def test_test_failover_and_cleanup():
    assert steps('test', NOT_READ, normal()[1]) == ['hv02: Start-VMFailover -AsTest -Confirm:$false']
    with_test = site('hv02.corp.example.com', 'Replica', 'Replicating', test_vm=True)
    assert with_test.test_vm == 'web01 - Test'
    assert steps('test', NOT_READ, with_test) == []
    assert steps('cleanup_test', NOT_READ, with_test) == ['hv02: Stop-VMFailover']
    assert steps('cleanup_test', NOT_READ, normal()[1]) == []


def test_planned_failover_full_sequence_and_its_resumption():
    assert steps('planned', *normal()) == ['hv01: Start-VMFailover -Prepare -Confirm:$false', 'hv02: Start-VMFailover -Confirm:$false',
                                           'hv02: Set-VMReplication -Reverse']
    prepared = site('hv01.corp.example.com', 'Primary', 'PreparedForFailover')
    assert steps('planned', prepared, normal()[1]) == ['hv02: Start-VMFailover -Confirm:$false', 'hv02: Set-VMReplication -Reverse']
    failed_over = site('hv02.corp.example.com', 'Replica', 'FailedOverWaitingCompletion')
    assert steps('planned', prepared, failed_over) == ['hv02: Set-VMReplication -Reverse']
    assert steps('planned', prepared, failed_over, reverse_replication=False) == []
    assert steps('planned', *reversed_pair()) == []


def test_planned_failover_refuses_a_running_vm_and_wrong_states():
    running = site('hv01.corp.example.com', 'Primary', 'Replicating', vm_state='Running')
    with pytest.raises(ModuleFailure, match='needs the VM turned off on hv01.corp.example.com'):
        steps('planned', running, normal()[1])
    suspended = site('hv01.corp.example.com', 'Primary', 'Suspended')
    with pytest.raises(ModuleFailure, match='needs replication in state Replicating'):
        steps('planned', suspended, normal()[1])
    with pytest.raises(ModuleFailure, match='both sites need their side'):
        steps('planned', site('hv01.corp.example.com'), normal()[1])


def test_reverse_parameters_are_passed():
    built = steps('planned', *normal(), reverse_port=8080, reverse_authentication='certificate', reverse_certificate_thumbprint='AB')
    assert built[-1] == 'hv02: Set-VMReplication -Reverse ReplicaServerPort=8080 AuthenticationType=Certificate CertificateThumbprint=AB'


def test_failback_is_the_planned_failover_back():
    source, destination = reversed_pair()
    assert steps('failback', source, destination) == ['hv02: Start-VMFailover -Prepare -Confirm:$false', 'hv01: Start-VMFailover -Confirm:$false',
                                                      'hv01: Set-VMReplication -Reverse']
    assert steps('failback', *normal()) == []
    with pytest.raises(ModuleFailure, match='run action=reverse'):
        steps('failback', normal()[0], site('hv02.corp.example.com', 'Replica', 'FailedOver'))


def test_unplanned_complete_reverse():
    failed_over = site('hv02.corp.example.com', 'Replica', 'FailedOverWaitingCompletion')
    assert steps('unplanned', NOT_READ, normal()[1]) == ['hv02: Start-VMFailover -Confirm:$false']
    assert steps('unplanned', NOT_READ, failed_over) == []
    assert steps('complete', NOT_READ, failed_over) == ['hv02: Complete-VMFailover -Confirm:$false']
    assert steps('complete', NOT_READ, site('hv02.corp.example.com', 'Replica', 'FailedOver')) == []
    with pytest.raises(ModuleFailure, match='no failover waits for completion'):
        steps('complete', NOT_READ, normal()[1])

    primary_back = site('hv01.corp.example.com', 'Primary', 'Replicating')
    committed = site('hv02.corp.example.com', 'Replica', 'FailedOver')
    assert steps('reverse', primary_back, committed) == ['hv02: Set-VMReplication -Reverse', 'hv02: Start-VMInitialReplication']
    assert steps('reverse', primary_back, committed, initial_replication='none') == ['hv02: Set-VMReplication -Reverse']
    waiting = site('hv02.corp.example.com', 'Primary', 'ReadyForInitialReplication')
    assert steps('reverse', site('hv01.corp.example.com', 'Replica', 'WaitingForInitialReplication'), waiting) == [
        'hv02: Start-VMInitialReplication']
    with pytest.raises(ModuleFailure, match='turn it off before reversing'):
        steps('reverse', site('hv01.corp.example.com', 'Primary', 'Replicating', vm_state='Running'), committed)
    with pytest.raises(ModuleFailure, match='run action=unplanned'):
        steps('reverse', *normal())


def test_cancel_undoes_both_sides_but_not_a_completed_failover():
    prepared = site('hv01.corp.example.com', 'Primary', 'PreparedForFailover')
    failed_over = site('hv02.corp.example.com', 'Replica', 'FailedOverWaitingCompletion')
    assert steps('cancel', prepared, failed_over) == ['hv02: Stop-VMFailover', 'hv01: Stop-VMFailover']
    assert steps('cancel', *normal()) == []
    with pytest.raises(ModuleFailure, match='can no longer be cancelled'):
        steps('cancel', normal()[0], site('hv02.corp.example.com', 'Replica', 'FailedOver'))


def test_test_failover_needs_the_replica_side():
    with pytest.raises(ModuleFailure, match='is the Primary side, not the Replica'):
        steps('test', NOT_READ, site('hv02.corp.example.com', 'Primary', 'Replicating'))
    with pytest.raises(ModuleFailure, match='holds no replication'):
        steps('test', NOT_READ, site('hv02.corp.example.com'))


POINTS = [{'name': 'web01 - Standard Replica - (12/06/2026 - 01:00:00)', 'created': '2026-12-06T01:00:00'},
          {'name': 'web01 - Standard Replica - (12/06/2026 - 02:00:00)', 'created': '2026-12-06T02:00:00'}]


def with_points(points):
    replica = site('hv02.corp.example.com', 'Replica', 'Replicating')
    replica.recovery_points = points
    return replica


def test_an_older_recovery_point_is_piped_into_start_vmfailover():
    older = POINTS[0]['name']
    assert steps('unplanned', NOT_READ, with_points(POINTS), recovery_point=older.upper()) == [
        'hv02: Get-VMSnapshot Name=%s SnapshotType=Replica | Start-VMFailover -Confirm:$false' % older]
    assert steps('test', NOT_READ, with_points(POINTS), recovery_point=older) == [
        'hv02: Get-VMSnapshot Name=%s SnapshotType=Replica | Start-VMFailover -AsTest -Confirm:$false' % older]
    # latest (any case, blanks around it) keeps the plain Start-VMFailover.
    assert steps('unplanned', NOT_READ, with_points(POINTS), recovery_point=' Latest ') == ['hv02: Start-VMFailover -Confirm:$false']


def test_a_recovery_point_the_vm_does_not_have_fails_naming_those_it_has():
    with pytest.raises(ModuleFailure, match=r"recovery_point 'web01 - yesterday' is not a recovery point of the VM on "
                                            r"hv02.corp.example.com; it has 'web01 - Standard Replica - \(12/06/2026 - 01:00:00\)', "):
        steps('unplanned', NOT_READ, with_points(POINTS), recovery_point='web01 - yesterday')
    with pytest.raises(ModuleFailure, match='it has none'):
        steps('test', NOT_READ, with_points([]), recovery_point='web01 - yesterday')


def test_recovery_points_are_read_from_the_get_vmsnapshot_objects():
    """The VM's checkpoints are told by its id (VMId): another VM of the same name has checkpoints of its own."""
    read = [obj('VMSnapshot', Name=POINTS[0]['name'], VMName='web01', VMId=WEB01_ID, CreationTime=POINTS[0]['created'], SnapshotType='Replica'),
            obj('VMSnapshot', Name='web01 - Standard Replica', VMName='web01', VMId=TWIN_ID, CreationTime=POINTS[1]['created'],
                SnapshotType='Replica')]
    assert recovery_points_of(PipelineResult(read), WEB01_ID.upper()) == [POINTS[0]]


def test_a_name_two_vms_share_fails_naming_both_ids_and_vm_id_picks_one():
    with pytest.raises(ModuleFailure, match="VM name 'web01' matches 2 VMs on hv02.corp.example.com: .*%s.*%s" % (WEB01_ID, TWIN_ID)):
        site('hv02.corp.example.com', 'Replica', 'Replicating', twin=True)
    replica = site('hv02.corp.example.com', 'Replica', 'Replicating', twin=True, vm_id=WEB01_ID, test_vm=True)
    assert replica.vm == {'name': 'web01', 'id': WEB01_ID, 'state': 'Off'} and replica.mode == 'Replica'
    assert replica.test_vm == 'web01 - Test'
    twin = site('hv02.corp.example.com', 'Replica', 'Replicating', twin=True, vm_id=TWIN_ID)
    assert twin.rel is None and twin.vm['state'] == 'Running'   # the other web01 has no replication


def test_with_vm_id_every_command_gets_the_vm_object_of_get_vm_id():
    """Get-VM -Id piped into each command (its -VM parameter), which then names no VM itself."""
    primary = site('hv01.corp.example.com', 'Primary', 'Replicating', vm_id=WEB01_ID)
    replica = site('hv02.corp.example.com', 'Replica', 'Replicating', vm_id=WEB01_ID)
    by_id = 'Get-VM Id=%s | ' % WEB01_ID
    assert steps('planned', primary, replica, name=None, vm_id=WEB01_ID) == [
        'hv01: ' + by_id + 'Start-VMFailover -Prepare -Confirm:$false', 'hv02: ' + by_id + 'Start-VMFailover -Confirm:$false',
        'hv02: ' + by_id + 'Set-VMReplication -Reverse']
    replica.recovery_points = POINTS
    assert steps('unplanned', NOT_READ, replica, name=None, vm_id=WEB01_ID, recovery_point=POINTS[0]['name']) == [
        'hv02: ' + by_id + 'Get-VMSnapshot Name=%s SnapshotType=Replica | Start-VMFailover -Confirm:$false' % POINTS[0]['name']]


@pytest.mark.parametrize('given, words', [
    ({'action': 'complete', 'recovery_point': 'web01 - x'}, 'recovery_point applies to action=test and unplanned; got action=complete'),
    ({'action': 'planned', 'recovery_point': 'web01 - x'}, 'got action=planned'),
    ({'action': 'unplanned', 'recovery_point': 'web01 - *'}, "recovery_point 'web01 - *' holds the wildcard character(s) *"),
    ({'action': 'test', 'recovery_point': 'web01 [1]'}, 'holds the wildcard character(s) ['),
])
def test_bad_recovery_points_are_refused_before_anything_runs(given, words):
    with pytest.raises(OptionError) as raised:
        check_recovery_point(params(**given))
    assert words in str(raised.value)


@pytest.mark.parametrize('given, words', [
    ({'action': 'cleanup_test', 'start': True}, 'start applies to actions that leave a VM to run'),
    ({'action': 'cancel', 'start': True}, 'got action=cancel'),
    ({'action': 'test', 'start': True, 'heartbeat_timeout': 0}, 'heartbeat_timeout must be between 1 and 604800 seconds, got 0'),
    ({'action': 'test', 'start': True, 'poll_interval': 3601}, 'poll_interval must be between 1 and 3600 seconds, got 3601'),
])
def test_bad_start_options_are_refused_before_anything_runs(given, words):
    values = params(**dict({'start': False, 'heartbeat_timeout': 600, 'poll_interval': 5, 'hyperv_host': 'hv01', 'destination': 'hv02'},
                           **given))
    with pytest.raises(OptionError) as raised:
        VmFailover(values).validate()
    assert words in str(raised.value)


def test_failback_warns_of_each_recovery_address_the_guest_would_keep_and_when_it_cannot_tell():
    task = VmFailover(params('failback'))
    task.source, task.destination = reversed_pair()
    task.destination.failover_addresses = {'Network Adapter': {'failover_ipv4': '10.2.0.15'}}
    task.source.failover_addresses = {'Network Adapter': {}}
    warning, = task.identity_warnings()
    assert ("adapter 'Network Adapter' has the failover TCP/IP address 10.2.0.15 on hv02.corp.example.com (the recovery site) and none of "
            'its own on hv01.corp.example.com') in warning and 'vm_failover_network on hv01.corp.example.com' in warning, warning
    task.source.failover_addresses = {'Network Adapter': {'failover_ipv4': '10.1.0.15'}}
    assert task.identity_warnings() == []
    task.source.failover_addresses = None          # the primary's settings could not be paired with its adapters
    warning, = task.identity_warnings()
    assert 'could not be told apart by adapter' in warning and 'on hv01.corp.example.com' in warning, warning
    task.destination.failover_addresses = {'Network Adapter': {}}     # no recovery-site address: nothing the guest could keep
    assert task.identity_warnings() == []
