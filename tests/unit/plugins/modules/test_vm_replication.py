# -*- coding: utf-8 -*-
"""vm_replication: option checks, the plan from the relationship Get-VMReplication reports, and the shared relationship helpers."""

import datetime

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.replica_relationship import (
    DISK_STATEMENTS, disks_of, explain_connection_error, parse_time, relationship_view, relationships_of, same_server)
from ansible_collections.hyperv.mobility.plugins.modules.vm_replication import (
    ARGUMENT_SPEC, ModuleFailure, Options, ReplicationPlan, command_line, summary)

from pipeline_objects import hard_disk_drive, hyperv_object

VM_ID = '0f8fad5b-d9cb-469f-a165-70867728950e'
SYSTEM_DISK = 'C:\\VMs\\web01.vhdx'
DATA_DISK = 'D:\\Data\\web01-data.vhdx'


def params(**given):
    values = dict((name, spec.get('default')) for name, spec in ARGUMENT_SPEC.items())
    values.update(name='web01', replica_server='hv02.corp.example.com')
    values.update(given)
    return values


def replication_object(**changes):
    """Get-VMReplication's object as both transports hand it over: the disk lists are the drives' ToString() (depth 1)."""
    properties = {
        'VMName': 'web01', 'VMId': VM_ID, 'ReplicationMode': 'Primary', 'ReplicationState': 'Replicating',
        'ReplicationHealth': 'Normal', 'PrimaryServerName': 'hv01.corp.example.com', 'ReplicaServerName': 'hv02.corp.example.com',
        'ReplicaServerPort': 80, 'AuthenticationType': 'Kerberos', 'CertificateThumbprint': None, 'ReplicationFrequencySec': 300,
        'RecoveryHistory': 0, 'VSSSnapshotFrequencyHour': 0, 'CompressionEnabled': True,
        'ReplicatedDisks': ["HardDiskDrive (Name = 'Hard Drive', VMName = 'web01') [VMId = '%s']" % VM_ID] * 2,
        'ExcludedDisks': [], 'InitialReplicationStartTime': None, 'LastReplicationTime': '2026-11-22T00:05:00.0000000Z',
    }
    properties.update(changes)
    return hyperv_object('VMReplication', **properties)


def view(excluded=(), **changes):
    """The relationship with both disks attached and the given ones excluded from replication."""
    disks = {VM_ID: {'replicated': [path for path in (SYSTEM_DISK, DATA_DISK) if path not in excluded], 'excluded': list(excluded)}}
    return relationship_view(replication_object(**changes), disks)


def plan(existing=None, **given):
    return ReplicationPlan(Options(params(**given)), existing, 'web01').build()


def lines(built):
    return [command_line(command) for command in built.commands]


# ---- options ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('given, words', [
    ({'recovery_history': 25}, 'recovery_history must be between 0 and 24'),
    ({'recovery_history': -1}, 'recovery_history must be between 0 and 24'),
    ({'authentication': 'certificate'}, 'needs certificate_thumbprint'),
    ({'app_consistent_frequency_hours': 1, 'recovery_history': 0}, 'needs recovery_history greater than 0'),
    ({'app_consistent_frequency_hours': -2}, 'app_consistent_frequency_hours must be 0'),
    ({'replica_port': 70000}, 'replica_port must be between 1 and 65535'),
    ({'initial_replication': 'export'}, 'needs initial_replication_path'),
    ({'initial_replication_path': 'E:\\x'}, 'only with initial_replication=export'),
    ({'initial_replication': 'none', 'initial_replication_start_time': '2026-11-23T01:00:00Z'}, 'cannot be used with initial_replication=none'),
    ({'initial_replication_start_time': 'tonight'}, 'not an ISO-8601 date and time'),
    ({'timeout': 0}, 'timeout must be a positive number'),
])
def test_bad_options_name_the_option(given, words):
    with pytest.raises(ModuleFailure) as caught:
        Options(params(**given))
    assert words in caught.value.msg


def test_frequency_is_limited_to_the_three_hyperv_values_by_the_argument_spec():
    assert ARGUMENT_SPEC['frequency']['choices'] == [30, 300, 900]


# ---- new relationship ------------------------------------------------------------------------------------------
def test_new_relationship_sends_only_given_settings_and_starts_the_initial_copy():
    built = plan(None, frequency=30, recovery_history=4, app_consistent_frequency_hours=2, compression=False, excluded_disks=[DATA_DISK])
    assert lines(built) == ['Enable-VMReplication ReplicaServerName=hv02.corp.example.com ReplicaServerPort=80 AuthenticationType=Kerberos '
                            'ReplicationFrequencySec=30 RecoveryHistory=4 VSSSnapshotFrequencyHour=2 CompressionEnabled=False '
                            "ExcludedVhdPath=['D:\\\\Data\\\\web01-data.vhdx']", 'Start-VMInitialReplication']
    assert built.creates and built.desired['replication_state'] == 'InitialReplicationInProgress'
    assert built.desired['frequency'] == 30 and built.desired['excluded_disks'] == [DATA_DISK]


def test_new_relationship_defaults_certificate_port_and_keeps_hyperv_defaults_unsent():
    built = plan(None, authentication='certificate', certificate_thumbprint='ab cd ef 0123456789abcdef0123456789abcdef01')
    enable = built.commands[0].parameters
    assert enable['ReplicaServerPort'] == 443 and enable['AuthenticationType'] == 'Certificate'
    assert enable['CertificateThumbprint'] == 'ABCDEF0123456789ABCDEF0123456789ABCDEF01'
    assert 'ReplicationFrequencySec' not in enable and built.desired['frequency'] == 300


@pytest.mark.parametrize('given, expected', [
    ({'initial_replication': 'none'}, []),
    ({'initial_replication': 'export', 'initial_replication_path': 'E:\\Copy'}, ['Start-VMInitialReplication DestinationPath=E:\\Copy']),
    ({'initial_replication_start_time': '2026-11-23T03:00:00+02:00'},
     ['Start-VMInitialReplication InitialReplicationStartTime=2026-11-23T01:00:00Z']),
])
def test_initial_replication_methods(given, expected):
    assert lines(plan(None, **given))[1:] == expected


def test_replica_server_is_required_to_create_and_suspended_needs_a_relationship():
    with pytest.raises(ModuleFailure, match='replica_server is required'):
        plan(None, replica_server=None)
    with pytest.raises(ModuleFailure, match='cannot be suspended'):
        plan(None, state='suspended')


# ---- existing relationship -------------------------------------------------------------------------------------
def test_unchanged_relationship_plans_nothing_and_a_short_name_is_the_same_server():
    built = plan(view(), replica_server='HV02', frequency=300, compression=True)
    assert built.commands == [] and summary(view()) == dict(built.desired, state='present')


def test_settings_change_in_place_and_recovery_history_zero_turns_vss_off():
    built = plan(view(RecoveryHistory=4, VSSSnapshotFrequencyHour=1), frequency=900, recovery_history=0, excluded_disks=[DATA_DISK])
    assert view()['excluded_disks'] == [] and view(excluded=[DATA_DISK])['excluded_disks'] == [DATA_DISK]
    assert lines(built) == ["Set-VMReplication ReplicationFrequencySec=900 RecoveryHistory=0 VSSSnapshotFrequencyHour=0 "
                            "ReplicatedDiskPaths=['C:\\\\VMs\\\\web01.vhdx']"]
    assert built.desired['excluded_disks'] == [DATA_DISK]


def test_authentication_change_moves_to_the_certificate_port():
    built = plan(view(), authentication='certificate', certificate_thumbprint='AA' * 20)
    assert built.commands[0].parameters == {'VMName': 'web01', 'ReplicaServerPort': 443, 'AuthenticationType': 'Certificate',
                                            'CertificateThumbprint': 'AA' * 20}


def test_another_replica_server_needs_recreate():
    with pytest.raises(ModuleFailure) as caught:
        plan(view(), replica_server='hv03.corp.example.com')
    assert 'replica_server differs' in caught.value.msg and caught.value.details['setting'] == 'replica_server'
    built = plan(view(), replica_server='hv03.corp.example.com', recreate=True)
    assert lines(built)[0] == 'Remove-VMReplication' and lines(built)[1].startswith('Enable-VMReplication ReplicaServerName=hv03')


def test_unknown_excluded_disk_is_refused():
    with pytest.raises(ModuleFailure, match='Z:\\\\x.vhdx is not a disk of VM'):
        plan(view(), excluded_disks=['Z:\\x.vhdx'])


@pytest.mark.parametrize('state, given, expected, after', [
    ('Suspended', {}, ['Resume-VMReplication'], 'Replicating'),
    ('ResynchronizeSuspended', {}, ['Resume-VMReplication'], 'Resynchronizing'),
    ('WaitingForStartResynchronize', {}, ['Resume-VMReplication -Resynchronize'], 'Resynchronizing'),
    ('WaitingForStartResynchronize', {'resynchronize': False}, [], 'WaitingForStartResynchronize'),
    ('Error', {}, ['Resume-VMReplication'], 'Replicating'),
    ('Replicating', {'state': 'suspended'}, ['Suspend-VMReplication'], 'Suspended'),
    ('Suspended', {'state': 'suspended'}, [], 'Suspended'),
    ('ReadyForInitialReplication', {}, ['Start-VMInitialReplication'], 'InitialReplicationInProgress'),
    ('InitialReplicationInProgress', {}, [], 'InitialReplicationInProgress'),
])
def test_state_transitions(state, given, expected, after):
    built = plan(view(ReplicationState=state), **given)
    assert lines(built) == expected and built.desired['replication_state'] == after


def test_resynchronize_false_warns():
    built = plan(view(ReplicationState='WaitingForStartResynchronize'), resynchronize=False)
    assert 'needs resynchronization' in built.warnings[0]


def test_suspend_before_the_initial_replication_is_refused():
    with pytest.raises(ModuleFailure, match='cannot be suspended in state InitialReplicationInProgress'):
        plan(view(ReplicationState='InitialReplicationInProgress'), state='suspended')


def test_a_pending_schedule_is_kept_moved_or_replaced_by_a_start_now():
    pending = view(ReplicationState='ReadyForInitialReplication', InitialReplicationStartTime='2026-11-23T01:00:00.0000000Z')
    assert plan(pending, initial_replication_start_time='2026-11-23T01:00:00Z').commands == []
    assert lines(plan(pending, initial_replication_start_time='2026-11-23T02:00:00Z')) == [
        'Stop-VMInitialReplication', 'Start-VMInitialReplication InitialReplicationStartTime=2026-11-23T02:00:00Z']
    assert lines(plan(pending)) == ['Stop-VMInitialReplication', 'Start-VMInitialReplication']


def test_absent_removes_and_a_replica_side_is_refused():
    assert lines(plan(view(), state='absent')) == ['Remove-VMReplication']
    assert plan(None, state='absent').commands == []
    with pytest.raises(ModuleFailure, match='is the Replica side'):
        plan(view(ReplicationMode='Replica'))


# ---- relationship helpers --------------------------------------------------------------------------------------
def test_relationship_view_from_pipeline():
    # Replaces the view read from the disk objects nested in VMReplication (an invented behaviour: a host hands those over as
    # text). The disks come as top-level HardDiskDrive objects: every attached one, then the excluded ones again.
    drives = [hard_disk_drive(VM_ID.upper(), SYSTEM_DISK), hard_disk_drive(VM_ID.upper(), DATA_DISK), hard_disk_drive(VM_ID, DATA_DISK)]
    result = PipelineResult([replication_object()] + drives)
    found = relationships_of(result)['web01']
    assert found['excluded_disks'] == [DATA_DISK] and found['replicated_disks'] == [SYSTEM_DISK]
    assert found['authentication'] == 'kerberos' and found['last_replication_time'] == '2026-11-22T00:05:00Z'


def test_disks_are_read_with_the_statements_that_bring_them_as_objects():
    assert [[(command.name, command.parameters) for command in statement.commands] for statement in DISK_STATEMENTS] == [
        [('Get-VMHardDiskDrive', {'VMName': '*'})],
        [('Get-VMReplication', {}), ('Select-Object', {'ExpandProperty': 'ExcludedDisks'})]]
    assert disks_of(PipelineResult([hard_disk_drive(VM_ID, SYSTEM_DISK)])) == {VM_ID: {'replicated': [SYSTEM_DISK], 'excluded': []}}


def test_parse_time_forms():
    utc = datetime.timezone.utc
    assert parse_time('2026-11-22T01:02:03Z') == datetime.datetime(2026, 11, 22, 1, 2, 3, tzinfo=utc)
    assert parse_time('2026-11-22T01:02:03.1234567+00:00') == datetime.datetime(2026, 11, 22, 1, 2, 3, 123456, tzinfo=utc)
    assert parse_time('2026-11-22 03:02') == datetime.datetime(2026, 11, 22, 3, 2, tzinfo=utc)
    assert parse_time(None) is None
    with pytest.raises(ValueError):
        parse_time('22/11/2026')


@pytest.mark.parametrize('one, other, same', [
    ('hv02', 'HV02.corp.example.com', True), ('hv02.corp.example.com', 'hv02.corp.example.com.', True),
    ('hv02.corp.example.com', 'hv02.other.example.com', False), ('hv02', 'hv03', False), (None, 'hv02', False)])
def test_same_server(one, other, same):
    assert same_server(one, other) is same


@pytest.mark.parametrize('message, cause', [
    ('... Error: The server name or address could not be resolved (0x00002EE7). ...', 'name_not_resolved'),
    ('... Error: The operation timed out (0x00002EE2). ...', 'firewall'),
    ('... Error: A connection with the server could not be established (0x00002EFD). ...', 'replica_not_enabled'),
    ("Hyper-V failed to authenticate the Replica server 'hv02' using Kerberos authentication. Error: %%2148074243 (0x80090303)",
     'authentication'),
    ('... Error: The function requested is not supported (0x80090302). ...', 'authentication'),
    ('... not configured to receive replication from the primary server ... Access is denied. (0x80070005)', 'not_authorized'),
])
def test_connection_errors_are_explained_from_the_windows_error_code(message, cause):
    # Replaces the explanations by error category: Hyper-V reports a failed replication job as NotSpecified whatever the cause,
    # and never as AuthenticationError or ConnectionError (the lab had invented those).
    explanation = explain_connection_error(message, 'hv02', 80, 'kerberos', 'hv01.corp.example.com')
    assert explanation.cause == cause and explanation.fix


def test_unknown_errors_are_not_explained():
    assert explain_connection_error('disk full', 'hv02', 80, 'kerberos', 'hv01') is None
    assert explain_connection_error('does not accept Certificate authentication', 'hv02', 80, 'kerberos', 'hv01') is None
