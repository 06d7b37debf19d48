# -*- coding: utf-8 -*-
"""vm_replication_info: the read pipeline, and its result turned into relationships, problems and a summary (no network)."""

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, PSObjectData
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import DISK_STATEMENTS
from ansible_collections.hyperv.mobility.plugins.modules.vm_replication_info import ReplicationReport, describe_errors, read_commands, summarize

from pipeline_objects import hard_disk_drive

HV = 'Microsoft.HyperV.PowerShell.'


def replication(name, vm_id, state='Replicating', health='Normal', mode='Primary'):
    return PSObjectData([HV + 'VMReplication', HV + 'VirtualizationObject', 'System.Object'], {
        'VMName': name, 'VMId': vm_id, 'ReplicationState': state, 'ReplicationHealth': health, 'ReplicationMode': mode,
        'ReplicationRelationshipType': 'Simple', 'PrimaryServerName': 'hv01.hvlab.test', 'ReplicaServerName': 'hv02.hvlab.test',
        'ReplicaServerPort': 80, 'AuthenticationType': 'Kerberos', 'ReplicationFrequencySec': 300, 'RecoveryHistory': 0,
        'VSSSnapshotFrequencyHour': 0, 'CompressionEnabled': True, 'AutoResynchronizeEnabled': True,
        'ReplicatedDisks': ["HardDiskDrive (Name = 'Hard Drive', VMName = '%s') [VMId = '%s']" % (name, vm_id)], 'ExcludedDisks': [],
        'LastReplicationTime': '2026-11-22T00:10:00+00:00', 'InitialReplicationStartTime': None})


def measure(vm_id, details=(), successful=4):
    return PSObjectData([HV + 'VMReplicationHealth', 'System.Object'], {
        'VMId': vm_id, 'PendingReplicationSize': 0, 'AverageReplicationLatency': 2.0, 'AverageReplicationSize': 4194304,
        'MaximumReplicationSize': 8388608, 'SuccessfulReplicationCount': successful, 'MissedReplicationCount': 0,
        'ReplicationErrors': 0, 'MonitoringStartTime': '2026-11-21T12:00:00+00:00', 'MonitoringEndTime': '2026-11-22T00:00:00+00:00',
        'ReplicationHealthDetails': list(details)})


def vm(name):
    return PSObjectData([HV + 'VirtualMachine', 'System.Object'], {'Name': name})


def test_read_commands_for_all_and_for_one():
    assert read_commands(None)[2:] == list(DISK_STATEMENTS)
    assert [command.name for command in read_commands(None)[:2]] == ['Get-VMReplication', 'Measure-VMReplication']
    named = read_commands('web01')
    assert named[3:] == list(DISK_STATEMENTS)
    assert [(command.name, command.parameters) for command in named[:3]] == [
        ('Get-VM', {'Name': ['web01']}), ('Get-VMReplication', {'VMName': ['web01']}), ('Measure-VMReplication', {'VMName': ['web01']})]
    assert all(command.read_only for command in named)


def test_relationships_merge_get_and_measure_by_vm_id():
    result = PipelineResult([replication('web01', 'a'), replication('db01', 'b', 'Error', 'Critical'),
                             measure('a'), measure('b', ['The virtual hard disk chain of the Replica virtual machine is broken.'], 0),
                             hard_disk_drive('a', 'C:\\VMs\\web01.vhdx'), hard_disk_drive('b', 'C:\\VMs\\db01.vhdx')])
    report = ReplicationReport(None, result).as_result()
    names = [entry['name'] for entry in report['replications']]
    assert names == ['db01', 'web01']
    db01, web01 = report['replications']
    assert web01['statistics']['successful_replication_count'] == 4 and web01['statistics']['average_replication_latency_sec'] == 2.0
    assert web01['replicated_disks'] == ['C:\\VMs\\web01.vhdx'] and web01['problems'] == []
    assert db01['needs'] == 'administrator' and db01['problems'][0]['reason'] == 'vhd_chain'
    assert report['summary'] == {'count': 2, 'healthy': False, 'health': {'Normal': 1, 'Critical': 1}, 'needs_administrator': ['db01'],
                                 'resynchronization': [], 'retried': []}


def test_health_details_given_as_objects_are_read_from_their_message():
    result = PipelineResult([replication('web01', 'a', health='Warning'),
                             measure('a', [{'Message': 'There is not enough memory to process the replication.', 'Id': 32552}])])
    entry = ReplicationReport(None, result).replications()[0]
    assert entry['health_details'] == ['There is not enough memory to process the replication.']
    assert entry['problems'][0]['reason'] == 'memory' and entry['needs'] == 'retried'


def test_named_vm_without_replication_is_an_answer_not_a_failure():
    not_enabled = ErrorRecordData('Get-VMReplication', "Replication is not enabled for virtual machine 'plain'.",
                                  'InvalidOperation,Microsoft.HyperV.PowerShell.Commands.GetVMReplication', 'InvalidOperation')
    report = ReplicationReport('plain', PipelineResult([vm('plain')], [not_enabled, not_enabled]))
    assert report.unknown_vm_errors() == [] and report.blocking_errors() == []
    assert report.as_result()['not_replicated'] == ['plain'] and report.as_result()['replications'] == []


def test_unknown_vm_is_reported_from_get_vm():
    missing = ErrorRecordData('Get-VM', 'Hyper-V was unable to find a virtual machine with name "ghost".',
                              'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM', 'InvalidArgument')
    report = ReplicationReport('ghost', PipelineResult([], [missing]))
    assert report.unknown_vm_errors() == [missing]


def test_other_errors_block():
    denied = ErrorRecordData('Measure-VMReplication', 'Access denied.', 'AccessDenied', 'PermissionDenied')
    report = ReplicationReport(None, PipelineResult([], [denied]))
    assert report.blocking_errors() == [denied]


def test_no_relationship_is_healthy():
    assert summarize([]) == {'count': 0, 'healthy': True, 'health': {}, 'needs_administrator': [], 'resynchronization': [],
                             'retried': []}


def test_an_error_record_without_invocation_info_blocks_and_is_described():
    # A binding error of a statement of several commands carries no invocation info: the record names no command.
    unbound = ErrorRecordData(None, "A parameter cannot be found that matches parameter name 'Bogus'.",
                              'NamedParameterNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand', 'InvalidArgument')
    report = ReplicationReport('web01', PipelineResult([vm('web01')], [unbound]))
    assert report.unknown_vm_errors() == [] and report.blocking_errors() == [unbound]
    assert describe_errors([unbound]).startswith("pipeline failed: A parameter cannot be found that matches parameter name 'Bogus'.")


# ---- vm_id (issue 21 class 2): one VM by its id, whatever its name -----------------------------------------------------------
TWIN_A, TWIN_B = '0f8fad5b-d9cb-469f-a165-70867728950e', '7c9e6679-7425-40de-944b-e07fc1f90ae7'


def vm_with_id(name, vm_id):
    return PSObjectData([HV + 'VirtualMachine', 'System.Object'], {'Name': name, 'Id': vm_id.upper()})


def test_read_commands_for_a_vm_id_get_the_vm_by_id_and_every_relationship():
    commands = read_commands(None, TWIN_B)
    assert (commands[0].name, commands[0].parameters) == ('Get-VM', {'Id': TWIN_B})
    assert [repr(command) for command in commands[1:]] == [repr(command) for command in read_commands(None)]
    assert all(command.read_only for command in commands)


def test_a_vm_id_picks_its_relationship_among_vms_of_one_name():
    result = PipelineResult([vm_with_id('web01', TWIN_B), replication('web01', TWIN_A.upper()), replication('web01', TWIN_B.upper()),
                             replication('db01', 'c'), measure(TWIN_A.upper()), measure(TWIN_B.upper(), successful=7)])
    report = ReplicationReport(None, result, TWIN_B).as_result()
    assert [(entry['name'], entry['vm_id'].lower()) for entry in report['replications']] == [('web01', TWIN_B)]
    assert report['replications'][0]['statistics']['successful_replication_count'] == 7
    assert report['not_replicated'] == [] and report['summary']['count'] == 1


def test_a_vm_id_without_replication_is_listed_as_not_replicated():
    result = PipelineResult([vm_with_id('web01', TWIN_B), replication('web01', TWIN_A.upper())])
    report = ReplicationReport(None, result, TWIN_B)
    assert report.blocking_errors() == [] and report.as_result() == {
        'replications': [], 'not_replicated': ['web01'], 'summary': summarize([])}


def test_an_unknown_vm_id_is_reported_from_get_vm():
    missing = ErrorRecordData('Get-VM', 'Hyper-V was unable to find a virtual machine with id "%s".' % TWIN_B,
                              'InvalidParameter,Microsoft.HyperV.PowerShell.Commands.GetVM', 'InvalidArgument')
    assert ReplicationReport(None, PipelineResult([], [missing]), TWIN_B).unknown_vm_errors() == [missing]
