# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""asr_recovery_plan (+ _info), asr_recovery_point_info and asr_failover by plan and on a chosen recovery point, through ansible-playbook
against the fake Azure: Hyper-V to Azure (a Hyper-V site) and VMM to a secondary site (two VMM servers)."""

from __future__ import annotations

from asr_lab import (POLICY, RESOURCE_GROUP, SITE, VAULT, VMM_PRIMARY, VMM_RECOVERY, azure, fake_azure, named,  # noqa: F401  pylint: disable=unused-import
                     only, play, register_hosts_task, register_vmm, replication_error_task, vault_state)

TARGET_RG = '/subscriptions/0000/resourceGroups/rg-dr-vms'
AZURE_SETUP = [
    {'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}},
    {'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': POLICY, 'copy_frequency': 300, 'recovery_point_retention': 4}},
]
ASSOCIATE = {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': SITE, 'policy': POLICY}}
PROTECT_OPTIONS = {'site': SITE, 'policy': POLICY, 'target_resource_group_id': TARGET_RG, 'wait_for_initial_replication': True}
PROTECT = [{'name': 'protect %s' % vm, 'hyperv.mobility.asr_protected_vm': dict(PROTECT_OPTIONS, vm_name=vm)} for vm in ('app01', 'db01')]
PLAN = {'name': 'plan', 'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'site': SITE, 'groups': [{'vms': ['db01']}, {'vms': ['app01']}]}}


def failing(task, title):
    return dict(task, name=title, ignore_errors=True)


def plan_step(action, title=None, **options):
    return {'name': title or action, 'hyperv.mobility.asr_failover': dict({'recovery_plan': 'rp-lob', 'action': action}, **options)}


def data(azure_handle) -> dict:
    return {entry['vm_name']: entry for entry in vault_state(azure_handle)['data']}


def test_a_recovery_plan_is_created_checked_changed_and_deleted_idempotently(azure, run_playbook):
    bad = [
        failing({'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'site': SITE, 'groups': [{'vms': ['db01']}, {'vms': ['DB01']}]}}, 'twice'),
        failing({'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'site': SITE, 'groups': [{'vms': ['ghost']}]}}, 'unknown vm'),
        failing({'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'groups': [{'vms': ['db01']}]}}, 'no site'),
        failing({'hyperv.mobility.asr_recovery_plan': dict(PLAN['hyperv.mobility.asr_recovery_plan'], recovery_site='vmm-dr')}, 'wrong target'),
    ]
    tasks = AZURE_SETUP + [register_hosts_task(azure), ASSOCIATE] + PROTECT + bad + [
        named(PLAN, 'plan checked', check_mode=True), PLAN, named(PLAN, 'plan again'),
        {'name': 'regroup', 'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'site': SITE, 'groups': [{'vms': ['app01', 'db01']}]}},
        {'name': 'info', 'hyperv.mobility.asr_recovery_plan_info': {}},
        {'name': 'delete', 'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'state': 'absent'}},
        {'name': 'delete again', 'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'state': 'absent'}},
    ]
    run = run_playbook(play(azure, tasks), diff=True)
    messages = {task['name']: only(run, task['name'])['msg'] for task in bad}
    assert "VM 'DB01' is in more than one group" in messages['twice']
    assert "groups: 'ghost' is not a protected VM of %s (its protected VMs: app01, db01)" % SITE in messages['unknown vm']
    assert 'state=present needs site' in messages['no site']
    assert "recovery_site: the plan's VMs replicate to Microsoft Azure, not to 'vmm-dr'" in messages['wrong target']
    assert only(run, 'plan checked')['changed'] is True and only(run, 'plan checked')['operation_done'] is False
    created = only(run, 'plan')['recovery_plan']
    assert created == dict(created, name='rp-lob', site=SITE, recovery_site='Microsoft Azure', failover_deployment_model='ResourceManager',
                           groups=[{'vms': ['db01']}, {'vms': ['app01']}], replication_providers=['HyperVReplicaAzure'])
    assert created['allowed_operations'] == ['TestFailover', 'PlannedFailover', 'UnplannedFailover', 'DisableProtection']
    assert only(run, 'plan again')['changed'] is False
    assert only(run, 'regroup')['changed'] is True and only(run, 'regroup')['recovery_plan']['groups'] == [{'vms': ['app01', 'db01']}]
    assert [plan['groups'] for plan in only(run, 'info')['recovery_plans']] == [[{'vms': ['app01', 'db01']}]]
    assert only(run, 'delete')['changed'] is True and only(run, 'delete again')['changed'] is False
    assert vault_state(azure)['recovery_plans'] == []
    puts = [r for r in azure.control.requests() if r['method'] == 'PUT' and '/replicationRecoveryPlans/' in r['path']]
    assert len(puts) == 1 and [g['groupType'] for g in puts[0]['body']['properties']['groups']] == ['Shutdown', 'Failover', 'Boot', 'Boot']


def test_a_plan_fails_over_to_azure_on_the_kind_of_recovery_point_asked_and_reruns_are_ok(azure, run_playbook):
    run = run_playbook(play(azure, AZURE_SETUP + [register_hosts_task(azure), ASSOCIATE] + PROTECT + [PLAN]))
    assert run.rc == 0, run.stdout
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, replicate=True, point_type='ApplicationConsistent')  # version 1
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, replicate=True)                                       # version 2, crash-consistent
    steps = [plan_step('test_failover'), plan_step('test_failover', 'drill again'), plan_step('test_failover_cleanup', comments='ok'),
             failing(plan_step('unplanned_failover', recovery_point_type='latest_processed', recovery_point='x'), 'point and plan'),
             plan_step('unplanned_failover', recovery_point_type='latest_application_consistent'),
             plan_step('unplanned_failover', 'unplanned again', recovery_point_type='latest_application_consistent'),
             plan_step('commit')]
    run = run_playbook(play(azure, steps))
    assert only(run, 'commit')['changed'] is True, run.stdout
    assert 'recovery_point picks a point of one VM' in only(run, 'point and plan')['msg']
    assert only(run, 'drill again')['changed'] is False and only(run, 'unplanned again')['changed'] is False
    assert [vm['protection_state'] for vm in only(run, 'commit')['protected_vms']] == ['FailoverCommitted', 'FailoverCommitted']
    assert {name: entry['active_version'] for name, entry in data(azure).items()} == {'app01': 1, 'db01': 1}  # the app-consistent point
    bodies = [r['body']['properties'] for r in azure.control.requests() if r['method'] == 'POST' and r['path'].endswith('/unplannedFailover')]
    assert bodies == [{'failoverDirection': 'PrimaryToRecovery', 'sourceSiteOperations': 'NotRequired',
                       'providerSpecificDetails': [{'instanceType': 'HyperVReplicaAzure', 'recoveryPointType': 'LatestApplicationConsistent'}]}]
    boots = [(event['vm_name'], event['group']) for event in vault_state(azure)['events'] if event['scenario'] == 'Boot']
    assert boots == [('db01', 1), ('app01', 2), ('db01', 1), ('app01', 2)]  # the drill and the failover start the groups in order


def test_one_vm_fails_over_to_azure_on_a_named_recovery_point(azure, run_playbook):
    run = run_playbook(play(azure, AZURE_SETUP + [register_hosts_task(azure), ASSOCIATE] + PROTECT))
    assert run.rc == 0, run.stdout
    for _cycle in range(2):
        azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, replicate=True, vms=['app01'])
    first = next(point['name'] for point in data(azure)['app01']['recovery_points'] if point['data_version'] == 1)
    info = {'name': 'points', 'hyperv.mobility.asr_recovery_point_info': {'site': SITE, 'name': 'app01'}}
    unplanned = {'name': 'unplanned', 'hyperv.mobility.asr_failover': {'site': SITE, 'name': 'app01', 'action': 'unplanned_failover',
                                                                       'recovery_point': first}}
    run = run_playbook(play(azure, [info, failing(dict(unplanned, **{'hyperv.mobility.asr_failover': dict(
        unplanned['hyperv.mobility.asr_failover'], recovery_point='app01-rp9999')}), 'no such point'), unplanned]))
    points = only(run, 'points')['recovery_points']
    assert [point['name'] for point in points] == ['app01-rp0003', 'app01-rp0002', 'app01-rp0001']  # newest first
    assert "recovery_point: 'app01-rp9999' is not a recovery point of app01 (its recovery points, newest first: app01-rp0003" in only(
        run, 'no such point')['msg']
    assert only(run, 'unplanned')['changed'] is True and data(azure)['app01']['active_version'] == 1
    body = [r['body']['properties'] for r in azure.control.requests() if r['method'] == 'POST' and r['path'].endswith('/unplannedFailover')][-1]
    assert body['providerSpecificDetails']['recoveryPointId'].endswith('/recoveryPoints/' + first)


def test_between_vmm_sites_a_plan_runs_every_step_and_a_point_is_applied_before_the_commit(azure, run_playbook):
    register_vmm(azure, VMM_PRIMARY)
    register_vmm(azure, VMM_RECOVERY)
    primary, recovery = VMM_PRIMARY['server'], VMM_RECOVERY['server']
    setup = [
        {'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': 'vmm', 'replication_provider': 'hyperv_replica', 'recovery_point_retention': 3}},
        {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': primary, 'cloud': 'Gold', 'policy': 'vmm', 'recovery_site': recovery,
                                                                         'recovery_cloud': 'Gold-DR'}},
    ] + [{'name': 'protect %s' % vm, 'hyperv.mobility.asr_protected_vm': {'site': primary, 'cloud': 'Gold', 'vm_name': vm, 'policy': 'vmm',
                                                                          'wait_for_initial_replication': True}} for vm in ('app01', 'db01')] + [
        {'name': 'plan', 'hyperv.mobility.asr_recovery_plan': {'name': 'rp-lob', 'site': primary, 'recovery_site': recovery,
                                                               'groups': [{'vms': ['db01', 'app01']}]}}]
    run = run_playbook(play(azure, setup))
    assert run.rc == 0, run.stdout
    assert only(run, 'plan')['recovery_plan']['failover_deployment_model'] == 'NotApplicable'
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, replicate=True)
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, replicate=True)
    older = next(point['name'] for point in data(azure)['app01']['recovery_points'] if point['data_version'] == 1)
    commit_app = {'name': 'commit app01', 'hyperv.mobility.asr_failover': {'site': primary, 'cloud': 'Gold', 'name': 'app01', 'action': 'commit',
                                                                           'recovery_point': older}}
    steps = [failing(plan_step('complete_failback'), 'complete between vmm sites'),
             failing(plan_step('planned_failover', direction='recovery_to_primary', data_sync='full_download'), 'data_sync between vmm sites'),
             plan_step('test_failover', test_network_id='Corp-DR'), plan_step('test_failover_cleanup'),
             failing(plan_step('unplanned_failover', recovery_point_type='latest'), 'azure point type'),
             plan_step('unplanned_failover'), named(commit_app, 'commit app01 checked', check_mode=True), commit_app, named(commit_app, 'commit app01 again'),
             failing(plan_step('commit'), 'plan partly committed'),
             {'name': 'commit db01', 'hyperv.mobility.asr_failover': {'site': primary, 'cloud': 'Gold', 'name': 'db01', 'action': 'commit'}},
             plan_step('commit', 'plan commit done'), plan_step('reprotect'), plan_step('planned_failover', 'failback', direction='recovery_to_primary'),
             plan_step('commit', 'commit failback'), plan_step('reprotect', 'reprotect to the secondary site')]
    run = run_playbook(play(azure, steps))
    assert only(run, 'reprotect to the secondary site')['changed'] is True, run.stdout
    assert only(run, 'commit app01 checked')['recovery_point']['name'] == older and data(azure)['app01']['active_version'] == 1
    assert only(run, 'commit app01 again')['changed'] is False and only(run, 'plan commit done')['changed'] is False
    assert 'is done for app01 but not for db01' in only(run, 'plan partly committed')['msg']
    assert 'recovery_point_type applies to a plan that fails over to Azure' in only(run, 'azure point type')['msg']
    assert "action=complete_failback apply to failover to or failback from Azure only; recovery plan 'rp-lob' replicates with HyperVReplica2012R2" \
        in only(run, 'complete between vmm sites')['msg']
    assert 'data_sync apply to failover to or failback from Azure only' in only(run, 'data_sync between vmm sites')['msg']
    states = {vm['name']: (vm['active_location'], vm['protection_state']) for vm in only(run, 'reprotect to the secondary site')['protected_vms']}
    assert states == {'app01': ('Primary', 'Protected'), 'db01': ('Primary', 'Protected')}
    applied = [r for r in azure.control.requests() if r['method'] == 'POST' and r['path'].endswith('/applyRecoveryPoint')]
    assert len(applied) == 1 and applied[0]['body']['properties']['providerSpecificDetails'] == {}
    tests = [r['body']['properties'] for r in azure.control.requests() if r['method'] == 'POST' and r['path'].endswith('/testFailover')]
    assert tests[0]['networkType'] == 'VmNetworkAsInput' and tests[0]['networkId'].endswith('/replicationNetworks/' + vault_network_id(azure, 'Corp-DR'))


def vault_network_id(azure_handle, friendly_name: str) -> str:
    return next(n['name'] for n in vault_state(azure_handle)['networks'] if n['properties']['friendlyName'] == friendly_name)


def test_a_plan_resynchronizes_the_vms_that_need_it_and_completes_a_failback_minimizing_downtime(azure, run_playbook):
    run = run_playbook(play(azure, AZURE_SETUP + [register_hosts_task(azure), ASSOCIATE] + PROTECT + [PLAN]))
    assert run.rc == 0, run.stdout
    # Resynchronization: only db01 is marked; app01 is left alone. Check mode says so, a rerun is ok.
    marked = replication_error_task(azure, 'resynchronization', ['db01'], code='33010', message='Resynchronization required')
    resync = plan_step('resynchronize')
    run = run_playbook(play(azure, [marked, named(resync, 'resync check', check_mode=True), resync, named(resync, 'resync again')]), diff=True)
    assert run.rc == 0, run.stdout
    assert only(run, 'resync check')['changed'] is True and only(run, 'resynchronize')['changed'] is True
    assert only(run, 'resync again')['changed'] is False
    assert [event['vm_name'] for event in vault_state(azure)['events'] if event['scenario'] == 'RepairReplication'] == ['db01']

    # Failover to Azure, commit; the Azure VMs work; the plan's failback minimizing downtime synchronizes, waits, then completes.
    run = run_playbook(play(azure, [plan_step('planned_failover'), plan_step('commit')]))
    assert run.rc == 0, run.stdout
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=2)
    back = plan_step('planned_failover', 'failback', direction='recovery_to_primary')
    run = run_playbook(play(azure, [failing(plan_step('complete_failback'), 'nothing to complete'), back, named(back, 'failback again')]))
    assert "no failback of recovery plan 'rp-lob' waits to be completed" in only(run, 'nothing to complete')['msg']
    started = only(run, 'failback')
    assert started['changed'] is True and started['job']['state'] == 'Suspended', started
    assert [(vm['name'], vm['active_location'], vm['failback_waiting']) for vm in started['protected_vms']] == [
        (vm['name'], 'Recovery', True) for vm in started['protected_vms']] and len(started['protected_vms']) == 2
    assert only(run, 'failback again')['changed'] is False
    body = [r['body']['properties'] for r in azure.control.requests() if r['method'] == 'POST' and r['path'].endswith('/plannedFailover')][-1]
    assert body == {'failoverDirection': 'RecoveryToPrimary', 'providerSpecificDetails': [
        {'instanceType': 'HyperVReplicaAzureFailback', 'dataSyncOption': 'ForDownTime', 'recoveryVmCreationOption': 'NoAction'}]}
    assert {name: entry['active_location'] for name, entry in data(azure).items()} == {'app01': 'Recovery', 'db01': 'Recovery'}

    azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, vms=['app01'])  # the Azure VMs run until the failback completes
    complete = plan_step('complete_failback')
    run = run_playbook(play(azure, [named(complete, 'complete check', check_mode=True), complete, named(complete, 'complete again'),
                                    plan_step('commit'), plan_step('reprotect')]), diff=True)
    assert run.rc == 0, run.stdout
    assert only(run, 'complete check')['changed'] is True and only(run, 'complete check')['job']['state'] == 'Suspended'
    done = only(run, 'complete_failback')
    assert done['changed'] is True and done['job']['state'] == 'Succeeded'
    assert [(vm['active_location'], vm['failback_waiting']) for vm in done['protected_vms']] == [('Primary', False), ('Primary', False)]
    assert only(run, 'complete again')['changed'] is False
    resumes = [r['body'] for r in azure.control.requests() if r['method'] == 'POST' and r['path'].endswith('/resume')]
    assert resumes == [{'properties': {'comments': ' '}}], 'one resume, with the comment Az sends when none is given'
    assert [vm['protection_state'] for vm in only(run, 'reprotect')['protected_vms']] == ['Protected', 'Protected']
    assert {name: entry['versions'] for name, entry in data(azure).items()} == {
        'app01': {'Primary': 3, 'Recovery': 3}, 'db01': {'Primary': 2, 'Recovery': 2}}, 'every write in Azure came back'
