# -*- coding: utf-8 -*-
"""Desired-state logic of the Site Recovery modules (no network)."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils.azure_client import AuthSettings, AzureClientError, CloudEndpoints
from ansible_collections.hyperv.mobility.plugins.modules.asr_failover import already_done, predicted
from ansible_collections.hyperv.mobility.plugins.modules.asr_replication_policy import changed_settings, normalize_start_time, validate_settings

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
