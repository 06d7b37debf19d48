# -*- coding: utf-8 -*-
"""Desired-state logic of the Site Recovery modules (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AuthSettings, AzureClientError, CloudEndpoints
from ansible_collections.hyperv.mobility.plugins.modules.asr_failover import already_done, option_problem, predicted
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import health_view, network_mapping_view, policy_view
from ansible_collections.hyperv.mobility.plugins.modules.asr_network_mapping import validate_options as validate_mapping
from ansible_collections.hyperv.mobility.plugins.modules.asr_replication_policy import (
    changed_settings, normalize_start_time, provider_input, validate_settings, wanted_view)

POLICY = dict(recovery_point_retention=4, app_consistent_snapshot_frequency=1, initial_replication_start_time=None)


@pytest.mark.parametrize('given, stored', [('23:30', '23:30:00'), ('7:05', '07:05:00'), ('00:00:30', '00:00:30'), (None, None), ('', None)])
def test_start_time_is_stored_as_timespan_text(given, stored):
    assert normalize_start_time(given) == stored


@pytest.mark.parametrize('overrides, fragment', [
    (dict(recovery_point_retention=25), 'recovery_point_retention must be 0 to 24 hours'),
    (dict(recovery_point_retention=-1), 'recovery_point_retention must be 0 to 24 hours'),
    (dict(app_consistent_snapshot_frequency=13, recovery_point_retention=24), 'app_consistent_snapshot_frequency must be 0 to 12 hours'),
    (dict(app_consistent_snapshot_frequency=5), 'must not exceed recovery_point_retention (4 hours)'),
    (dict(initial_replication_start_time='25:00'), 'initial_replication_start_time must be a time of day'),
])
def test_settings_azure_refuses_are_refused_with_the_option_named(overrides, fragment):
    assert fragment in validate_settings(dict(POLICY, **overrides))


def test_valid_settings_pass_and_only_differences_count():
    assert validate_settings(dict(POLICY, initial_replication_start_time='23:00')) is None
    current = dict(copy_frequency=30, recovery_point_retention=4, app_consistent_snapshot_frequency=1, initial_replication_start_time=None)
    assert changed_settings(current, dict(current)) == []
    assert changed_settings(current, dict(current, copy_frequency=300)) == ['copy_frequency']


def view(state='Protected', location='Primary', test='None', allowed=('TestFailover', 'PlannedFailover')):
    return dict(protection_state=state, active_location=location, test_failover_state=test, allowed_operations=list(allowed))


def test_failover_steps_already_done_are_recognised():
    assert already_done('test_failover', view(test='TestFailoverCompleted'), 'PrimaryToRecovery')
    assert not already_done('test_failover', view(), 'PrimaryToRecovery')
    assert already_done('test_failover_cleanup', view(), 'PrimaryToRecovery')
    assert already_done('planned_failover', view('FailoverCommitted', 'Recovery'), 'PrimaryToRecovery')
    assert not already_done('planned_failover', view('FailoverCommitted', 'Recovery'), 'RecoveryToPrimary')
    assert already_done('commit', view('FailoverCommitted', 'Recovery'), 'PrimaryToRecovery')
    assert not already_done('commit', view('FailoverCompleted', 'Recovery'), 'PrimaryToRecovery')
    assert already_done('reprotect', view('Protected'), 'PrimaryToRecovery')
    assert not already_done('reprotect', view('FailbackCommitted'), 'PrimaryToRecovery')


def test_predicted_state_of_a_failover_to_azure():
    after = predicted('planned_failover', view(), 'PrimaryToRecovery')
    assert after['active_location'] == 'Recovery' and after['protection_state'] == 'FailoverCompleted'


def test_known_cloud_endpoints_and_bad_cloud_name():
    cloud = CloudEndpoints.for_cloud('AzureUSGovernment')
    assert cloud.resource_manager == 'https://management.usgovcloudapi.net' and cloud.scope == 'https://management.core.usgovcloudapi.net/.default'
    with pytest.raises(AzureClientError, match='neither a known cloud'):
        CloudEndpoints.for_cloud('http://insecure.example')


def test_auth_auto_without_anything_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv('AZURE_CONFIG_DIR', str(tmp_path))
    with pytest.raises(AzureClientError, match='no Azure credentials'):
        AuthSettings.resolve({'auth_source': 'auto'})
    (tmp_path / 'credentials').write_text('[default]\nclient_id=a\nsecret=b\ntenant=c\nsubscription_id=d\n', encoding='utf-8')
    settings = AuthSettings.resolve({'auth_source': 'auto'})
    assert settings.source == 'credential_file' and settings['client_id'] == 'a'
    with pytest.raises(AzureClientError, match=r'profile \[other\] is not in the credentials file'):
        AuthSettings.resolve({'auth_source': 'credential_file', 'profile': 'other'})


REPLICA = dict(POLICY, name='p', replication_provider='hyperv_replica', copy_frequency=900, compression=None, initial_replication_method=None,
               offline_export_path=None, offline_import_path=None, authentication=None, replication_port=None, replica_deletion=None)


@pytest.mark.parametrize('overrides, fragment', [
    (dict(replication_provider='hyperv_to_azure', compression=True), 'compression apply to replication_provider=hyperv_replica only'),
    (dict(replication_provider='hyperv_to_azure'), 'copy_frequency 900 is offered by replication_provider=hyperv_replica only'),
    (dict(initial_replication_method='offline', offline_export_path='D:\\x'), 'requires offline_export_path and offline_import_path'),
    (dict(offline_import_path='E:\\x'), 'offline_import_path apply to initial_replication_method=offline only'),
    (dict(replication_port=0), 'replication_port must be 1 to 65535'),
])
def test_replica_options_are_refused_with_the_option_named(overrides, fragment):
    assert fragment in validate_settings(dict(REPLICA, **overrides))


def test_replica_defaults_follow_the_authentication_and_the_input_has_the_rest_names():
    assert validate_settings(REPLICA) is None
    wanted = wanted_view(dict(REPLICA, authentication='certificate'), {})
    assert wanted['replication_port'] == 443 and wanted['compression'] is True and wanted['initial_replication_method'] == 'over_network'
    assert wanted_view(REPLICA, {})['replication_port'] == 80
    body = provider_input(wanted)
    assert body == dict(body, instanceType='HyperVReplica2012R2', replicationFrequencyInSeconds=900, recoveryPoints=4, allowedAuthenticationType=2,
                        compression='Enable', initialReplicationMethod='OverNetwork', replicaDeletion='None', replicationPort=443)
    assert policy_view({'properties': {'providerSpecificDetails': dict(body, replicaDeletionOption='None')}}) == dict(wanted, id=None, name=None)
    assert changed_settings(wanted, dict(wanted, replication_port=8443)) == ['replication_port']


def test_network_mapping_options_and_view():
    base = dict(name='m', site='hq', network='Corp', recovery_site=None, recovery_network=None, recovery_virtual_network_id=None, state='present')
    assert 'needs one of recovery_network' in validate_mapping(base)
    assert 'recovery_site needs recovery_network' in validate_mapping(dict(base, recovery_site='dr', recovery_virtual_network_id='x'))
    assert 'ARM id of an Azure virtual network' in validate_mapping(dict(base, recovery_virtual_network_id='vnet'))
    assert validate_mapping(dict(base, state='absent')) is None and validate_mapping(dict(base, recovery_network='Corp-DR')) is None
    view = network_mapping_view({'id': '/s/x/vaults/v/replicationFabrics/hq/replicationNetworks/n1/replicationNetworkMappings/m', 'name': 'm',
                                 'properties': {'recoveryFabricArmId': '/s/x/vaults/v/replicationFabrics/dr', 'state': 'Paired',
                                                'fabricSpecificSettings': {'instanceType': 'VmmToVmm'}}})
    assert view == dict(view, site='hq', network='n1', recovery_site='dr', mapping_type='VmmToVmm')


def health_item(health='Normal', errors=(), allowed=('TestFailover',)):
    return {'properties': {'replicationHealth': health, 'failoverHealth': 'Normal', 'healthErrors': list(errors), 'allowedOperations': list(allowed)}}


HEALTH_ERROR = {'errorCode': '78069', 'errorMessage': 'Replication failed', 'possibleCauses': 'The disk chain is broken',
                'recommendedAction': 'Disable and enable replication', 'errorLevel': 'Error', 'customerResolvability': 'Allowed',
                'innerHealthErrors': [{'errorCode': '1', 'errorMessage': 'inner', 'recommendedAction': 'none'}]}


def test_health_of_a_healthy_vm_has_no_retry_class():
    health = health_view(health_item())
    assert health['health_errors'] == [] and health['retry_class'] is None and health['retry_behaviour'] is None
    assert health['resynchronization_required'] is False and health['failover_health'] == 'Normal'


def test_a_critical_vm_is_fatal_and_its_errors_keep_the_documented_fields():
    health = health_view(health_item('Critical', [HEALTH_ERROR]))
    assert health['retry_class'] == 'fatal' and 'administrator' in health['retry_behaviour']
    error = health['health_errors'][0]
    assert (error['error_code'], error['error_message'], error['possible_causes'], error['recommended_action']) == (
        '78069', 'Replication failed', 'The disk chain is broken', 'Disable and enable replication')
    assert error['customer_resolvability'] == 'Allowed' and error['inner_errors'] == [
        {'error_code': '1', 'error_message': 'inner', 'recommended_action': 'none'}]


def test_errors_of_a_vm_that_is_not_critical_are_retried_and_repair_replication_means_resync():
    health = health_view(health_item('Warning', [dict(HEALTH_ERROR, errorLevel='Warning')], allowed=('RepairReplication', 'TestFailover')))
    assert health['retry_class'] == 'transient' and 'retried' in health['retry_behaviour']
    assert health['resynchronization_required'] is True


def test_resynchronize_is_done_unless_site_recovery_allows_repair_replication():
    assert already_done('resynchronize', view(allowed=('TestFailover', 'PlannedFailover')), 'PrimaryToRecovery')
    assert not already_done('resynchronize', view(allowed=('RepairReplication', 'TestFailover')), 'PrimaryToRecovery')


def test_resynchronize_and_complete_failback_take_a_recovery_plan_or_a_vm():
    # Replaces the tests of the old refusal (a plan could not be resynchronized nor complete a failback): both now run on plans.
    params = dict(name=None, site=None, recovery_plan='rp1', action='resynchronize', recovery_point=None, recovery_point_type=None,
                  direction='primary_to_recovery')
    assert option_problem(params) is None and option_problem(dict(params, action='complete_failback')) is None
    assert option_problem(dict(params, recovery_plan=None, name='app01', site='site-hq')) is None
    assert 'recovery_point applies to' in option_problem(dict(params, recovery_plan=None, name='app01', site='site-hq', recovery_point='p1'))
    assert 'recovery_point_type applies to' in option_problem(dict(params, recovery_point_type='latest'))


def test_a_failback_that_waits_for_completion_is_done_for_its_start_and_not_for_its_completion():
    waiting = dict(view('FailoverCommitted', 'Recovery', allowed=()), failback_waiting=True)
    assert already_done('planned_failover', waiting, 'RecoveryToPrimary') and not already_done('complete_failback', waiting, 'RecoveryToPrimary')
    assert already_done('complete_failback', dict(view('FailbackCompleted', 'Primary'), failback_waiting=False), 'PrimaryToRecovery')
    assert not already_done('complete_failback', dict(view('FailoverCommitted', 'Recovery'), failback_waiting=False), 'PrimaryToRecovery')


def test_predicted_state_of_the_two_halves_of_a_failback_for_downtime():
    committed = dict(view('FailoverCommitted', 'Recovery'), failback_waiting=False)
    started = predicted('planned_failover', committed, 'RecoveryToPrimary', waits=True)
    assert (started['active_location'], started['failback_waiting']) == ('Recovery', True)
    completed = predicted('complete_failback', started, 'PrimaryToRecovery')
    assert (completed['active_location'], completed['protection_state'], completed['failback_waiting']) == ('Primary', 'FailbackCompleted', False)
