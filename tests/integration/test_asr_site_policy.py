# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""asr_hyperv_site and asr_replication_policy through ansible-playbook against the lab's fake Azure.

Each ansible-playbook run costs seconds (controller start, the Azure SDK import per task), so steps whose world state is not
asserted in between share one playbook (results are read per task name); a run is split only where the test checks the fake
Azure's state between two steps (check mode changed nothing) or changes the lab's settings.
"""

from __future__ import annotations

from asr_lab import POLICY, SITE, azure, fake_azure, named, only, play, vault_state  # noqa: F401  pylint: disable=unused-import

SITE_TASK = {'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}}
POLICY_ARGS = {'name': POLICY, 'copy_frequency': 30, 'recovery_point_retention': 4, 'app_consistent_snapshot_frequency': 2,
               'initial_replication_start_time': '23:30'}


def policy_task(**overrides):
    return {'name': 'policy', 'hyperv.mobility.asr_replication_policy': dict(POLICY_ARGS, **overrides)}


def test_site_check_mode_changes_nothing_then_creates_then_is_idempotent(azure, run_playbook):
    checked = run_playbook(play(azure, [SITE_TASK]), check=True, diff=True)
    assert checked.rc == 0, checked.stdout
    assert only(checked, 'site')['changed'] is True
    assert vault_state(azure)['fabrics'] == []

    created = run_playbook(play(azure, [SITE_TASK, named(SITE_TASK, 'site again')]))
    result = only(created, 'site')
    assert created.rc == 0 and result['changed'] is True and result['operation_done'] is True
    assert result['site']['type'] == 'HyperVSite' and result['site']['name'] == SITE
    assert [fabric['name'] for fabric in vault_state(azure)['fabrics']] == [SITE]
    assert only(created, 'site again')['changed'] is False
    assert created.stats['localhost']['changed'] == 1  # the create only: the rerun is ok


def test_site_absent_deletes_it(azure, run_playbook):
    removed = run_playbook(play(azure, [SITE_TASK, {'name': 'site absent', 'hyperv.mobility.asr_hyperv_site': {'name': SITE, 'state': 'absent'}}]))
    assert removed.rc == 0 and only(removed, 'site')['changed'] is True and only(removed, 'site absent')['changed'] is True
    assert vault_state(azure)['fabrics'] == []


def test_policy_created_with_the_hyperv_to_azure_settings_and_rerun_is_ok(azure, run_playbook):
    created = run_playbook(play(azure, [policy_task(), named(policy_task(), 'policy again', diff=False)]), diff=True)
    result = only(created, 'policy')
    assert created.rc == 0 and result['changed'] is True, created.stdout
    assert result['policy']['copy_frequency'] == 30 and result['policy']['initial_replication_start_time'] == '23:30:00'
    details = vault_state(azure)['policies'][0]['properties']['providerSpecificDetails']
    assert details == dict(details, instanceType='HyperVReplicaAzure', replicationInterval=30, recoveryPointHistoryDurationInHours=4,
                           applicationConsistentSnapshotFrequencyInHours=2, onlineReplicationStartTime='23:30:00')
    assert only(created, 'policy again')['changed'] is False


def test_policy_update_changes_only_what_differs(azure, run_playbook):
    updated = run_playbook(play(azure, [named(policy_task(), 'policy first', diff=False), policy_task(copy_frequency=300)]), diff=True)
    result = only(updated, 'policy')
    assert updated.rc == 0 and result['changed'] is True
    assert result['diff']['before']['copy_frequency'] == 30 and result['diff']['after']['copy_frequency'] == 300
    assert vault_state(azure)['policies'][0]['properties']['providerSpecificDetails']['replicationInterval'] == 300


def test_copy_frequency_60_is_refused_naming_accepted_values(azure, run_playbook):
    run = run_playbook(play(azure, [policy_task(copy_frequency=60)]))
    result = only(run, 'policy')
    assert run.rc != 0 and result['failed'] is True
    assert 'copy_frequency' in result['msg'] and '30' in result['msg'] and '300' in result['msg']
    assert vault_state(azure)['policies'] == []
    assert not [r for r in azure.control.requests() if 'replicationPolicies' in r['path']]


def test_retention_out_of_range_is_refused_before_any_call(azure, run_playbook):
    run = run_playbook(play(azure, [policy_task(recovery_point_retention=25)]))
    result = only(run, 'policy')
    assert run.rc != 0 and 'recovery_point_retention must be 0 to 24 hours' in result['msg']
    assert azure.control.requests() == []


def test_throttling_429_is_retried_after_retry_after(azure, run_playbook):
    azure.control.inject(status=429, count=2, retry_after=1, path='replicationPolicies', method='PUT')
    run = run_playbook(play(azure, [policy_task()]))
    assert run.rc == 0 and only(run, 'policy')['changed'] is True, run.stdout
    puts = [r for r in azure.control.requests() if r['method'] == 'PUT' and r['path'].endswith('/replicationPolicies/' + POLICY)]
    assert len(puts) == 3
    assert puts[1]['time'] - puts[0]['time'] >= 0.9
    assert len(vault_state(azure)['policies']) == 1


def test_transient_500_is_retried(azure, run_playbook):
    azure.control.inject(status=500, count=1, path='replicationFabrics', method='GET')
    run = run_playbook(play(azure, [SITE_TASK]))
    assert run.rc == 0 and only(run, 'site')['changed'] is True, run.stdout


def test_long_running_operation_wait_and_timeout(azure, run_playbook):
    azure.control.settings(job_seconds=2.5)
    waited = run_playbook(play(azure, [SITE_TASK]))
    assert waited.rc == 0 and only(waited, 'site')['operation_done'] is True
    status_polls = [r for r in azure.control.requests() if '/replicationOperationStatus/' in r['path']]
    assert len(status_polls) >= 2

    azure.control.settings(job_seconds=30)
    # wait=false first: the timed-out task, last, fails the run.
    timed_out = run_playbook(play(azure, [named(policy_task(name='other', wait=False), 'no wait'), policy_task(timeout=2)]))
    result = only(timed_out, 'policy')
    assert timed_out.rc != 0 and 'not finished after 2 seconds' in result['msg']

    no_wait = only(timed_out, 'no wait')
    assert not no_wait.get('failed') and no_wait['changed'] is True and no_wait['operation_done'] is False
    jobs = vault_state(azure)['jobs']
    assert [job['properties']['state'] for job in jobs if job['properties']['targetObjectName'] == 'other'] == ['InProgress']


def test_failed_job_is_reported(azure, run_playbook):
    azure.control.inject(kind='job_failure', resource_group='rg-dr', vault='vault-dr', code='FabricCreationFailed', message='lab says no')
    run = run_playbook(play(azure, [SITE_TASK]))
    result = only(run, 'site')
    assert run.rc != 0 and 'lab says no' in result['msg']


def test_wrong_secret_is_a_fatal_auth_error_and_no_secret_reaches_the_output(azure, run_playbook):
    wrong = dict(azure.auth_params(), secret='Wr0ng-S3cret-value-xyz')
    run = run_playbook(play(azure, [SITE_TASK], auth=wrong), verbosity=3)
    result = only(run, 'site')
    assert run.rc != 0 and result['error_kind'] == 'auth' and 'AADSTS7000215' in result['msg']
    token_calls = [r for r in azure.control.requests() if r['path'].endswith('/oauth2/v2.0/token')]
    assert len(token_calls) == 1  # fatal: not retried
    assert 'Wr0ng-S3cret-value-xyz' not in run.stdout + run.stderr
    good = run_playbook(play(azure, [SITE_TASK]), verbosity=3)
    assert good.rc == 0 and azure.secret not in good.stdout + good.stderr


def test_missing_credentials_and_missing_credentials_file(azure, run_playbook, tmp_path):
    bare = {'cloud_environment': azure.base_url + '/', 'subscription_id': azure.subscription_id}
    environment = {'AZURE_CONFIG_DIR': str(tmp_path)}
    from_file = {'name': 'site from file', 'environment': environment,
                 'hyperv.mobility.asr_hyperv_site': {'name': SITE, 'auth_source': 'credential_file'}}
    run = run_playbook(play(azure, [named(SITE_TASK, 'site', environment=environment, ignore_errors=True), from_file], auth=bare))
    missing = only(run, 'site')
    assert missing['failed'] is True and 'no Azure credentials' in missing['msg']
    assert run.rc != 0 and 'credentials file %s/credentials does not exist' % tmp_path in only(run, 'site from file')['msg']
    assert azure.control.requests() == []  # both refused before any call


def test_credentials_file_profile_logs_in(azure, run_playbook, tmp_path):
    (tmp_path / 'credentials').write_text('[lab]\nsubscription_id=%s\nclient_id=%s\nsecret=%s\ntenant=%s\ncloud_environment=%s/\n' % (
        azure.subscription_id, azure.client_id, azure.secret, azure.tenant_id, azure.base_url), encoding='utf-8')
    run = run_playbook(play(azure, [dict(SITE_TASK, environment={'AZURE_CONFIG_DIR': str(tmp_path)})], auth={'profile': 'lab'}))
    assert run.rc == 0 and only(run, 'site')['changed'] is True, run.stdout


def test_unknown_vault_is_not_found_at_once(azure, run_playbook):
    run = run_playbook(play(azure, [SITE_TASK], extra_defaults={'vault_name': 'no-such-vault'}))
    result = only(run, 'site')
    assert run.rc != 0 and result['error_kind'] == 'not_found' and 'no-such-vault' in result['msg']
