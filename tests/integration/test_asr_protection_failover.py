# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""asr_policy_association, asr_protected_vm, asr_failover and the _info modules through ansible-playbook against the fake Azure.

The setup (site, policy, a Hyper-V host registering through the lab's control route) runs as the first tasks of the playbook
under test, and steps share a playbook unless the test checks the fake Azure's state between them: each ansible-playbook run
costs seconds.
"""

from __future__ import annotations

from asr_lab import (POLICY, RESOURCE_GROUP, SITE, VAULT, azure, fake_azure, named, only, play, register_hosts_task, replication_error_task,  # noqa: F401  pylint: disable=unused-import
                     vault_state)

TARGET_RG = '/subscriptions/0000/resourceGroups/rg-dr-vms'
VNET = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'
SETUP = [{'name': 'site', 'hyperv.mobility.asr_hyperv_site': {'name': SITE}},
         {'name': 'policy', 'hyperv.mobility.asr_replication_policy': {'name': POLICY, 'copy_frequency': 300, 'recovery_point_retention': 4}}]
ASSOCIATE = {'name': 'associate', 'hyperv.mobility.asr_policy_association': {'site': SITE, 'policy': POLICY}}
PROTECT = {'name': 'protect', 'hyperv.mobility.asr_protected_vm': {'site': SITE, 'vm_name': 'app01', 'policy': POLICY, 'target_resource_group_id': TARGET_RG,
                                                                   'target_network_id': VNET, 'target_subnet': 'apps', 'wait_for_initial_replication': True}}


def failover(action, **options):
    return {'name': action, 'hyperv.mobility.asr_failover': dict({'site': SITE, 'name': 'app01', 'action': action}, **options)}


def prepared(azure_handle, *tasks):
    """SETUP, the host registering with the site, then tasks: the tasks of one playbook."""
    return SETUP + [register_hosts_task(azure_handle)] + list(tasks)


def succeeded(run, *names):
    """Every task named ran without failing (the run may go on to a step that is expected to fail)."""
    return all(not only(run, name).get('failed') for name in names)


def test_association_needs_a_registered_host(azure, run_playbook):
    run = run_playbook(play(azure, SETUP + [ASSOCIATE]))
    assert succeeded(run, 'site', 'policy'), run.stdout
    assert run.rc != 0 and 'register a Hyper-V host with the site first' in only(run, 'associate')['msg']


def test_association_check_mode_then_create_then_ok(azure, run_playbook):
    checked = run_playbook(play(azure, prepared(azure, named(ASSOCIATE, 'associate', check_mode=True))))
    assert checked.rc == 0 and only(checked, 'associate')['changed'] is True, checked.stdout
    assert vault_state(azure)['mappings'] == []
    created = run_playbook(play(azure, [ASSOCIATE, named(ASSOCIATE, 'associate again')]))
    result = only(created, 'associate')
    assert created.rc == 0 and result['changed'] is True and result['association']['state'] == 'Paired'
    assert vault_state(azure)['mappings'][0]['properties']['policyFriendlyName'] == POLICY
    assert only(created, 'associate again')['changed'] is False


def test_protect_vm_waits_for_initial_replication_and_is_idempotent(azure, run_playbook):
    azure.control.settings(initial_replication_seconds=3)
    checked = run_playbook(play(azure, prepared(azure, ASSOCIATE, named(PROTECT, 'protect', check_mode=True))))
    assert checked.rc == 0 and only(checked, 'protect')['changed'] is True and vault_state(azure)['protected_items'] == []
    info = {'name': 'info', 'hyperv.mobility.asr_protected_vm_info': {'site': SITE}}
    run = run_playbook(play(azure, [PROTECT, named(PROTECT, 'protect again'), info]))
    result = only(run, 'protect')
    assert run.rc == 0 and result['changed'] is True, run.stdout
    assert result['protected_vm']['protection_state'] == 'Protected' and result['protected_vm']['initial_replication_progress'] == 100
    item = vault_state(azure)['protected_items'][0]
    details = item['properties']['providerSpecificDetails']
    assert details['recoveryAzureResourceGroupId'] == TARGET_RG and details['selectedRecoveryAzureNetworkId'] == VNET
    assert only(run, 'protect again')['changed'] is False and only(run, 'info')['changed'] is False
    assert run.stats['localhost']['changed'] == 1  # the enable only
    assert [vm['vm_name'] for vm in only(run, 'info')['protected_vms']] == ['app01']


def test_unknown_vm_is_refused_listing_the_sites_vms(azure, run_playbook):
    task = {'name': 'protect', 'hyperv.mobility.asr_protected_vm': dict(PROTECT['hyperv.mobility.asr_protected_vm'], vm_name='ghost')}
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, task)))
    assert succeeded(run, 'site', 'policy', 'register hosts', 'associate'), run.stdout
    message = only(run, 'protect')['msg']
    assert run.rc != 0 and "VM 'ghost' is not a protectable item" in message and 'app01, db01' in message


def test_association_in_use_cannot_be_removed(azure, run_playbook):
    remove = {'name': 'remove association', 'hyperv.mobility.asr_policy_association': {'site': SITE, 'policy': POLICY, 'state': 'absent'}}
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, PROTECT, remove)))
    assert succeeded(run, 'site', 'policy', 'register hosts', 'associate', 'protect'), run.stdout
    result = only(run, 'remove association')
    assert run.rc != 0 and result['error_kind'] == 'conflict' and 'app01' in result['msg']


def test_test_failover_and_cleanup_then_failover_commit_failback_reprotect(azure, run_playbook):
    drill = [failover('test_failover', test_network_id=VNET), named(failover('test_failover'), 'test_failover again')]
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, PROTECT, *drill, named(failover('planned_failover'), 'blocked'))))
    assert succeeded(run, 'site', 'policy', 'register hosts', 'associate', 'protect', 'test_failover', 'test_failover again'), run.stdout
    assert only(run, 'test_failover again')['changed'] is False  # second task: already done
    assert vault_state(azure)['protected_items'][0]['properties']['testFailoverState'] == 'TestFailoverCompleted'
    assert run.rc != 0 and 'TestFailoverCleanup' in only(run, 'blocked')['msg']

    steps = [failover('planned_failover'), failover('commit')]
    run = run_playbook(play(azure, [failover('test_failover_cleanup', comments='drill ok')] + steps), diff=True)
    assert run.rc == 0, run.stdout
    assert only(run, 'test_failover_cleanup')['changed'] is True
    assert only(run, 'commit')['protected_vm']['protection_state'] == 'FailoverCommitted'

    back = [failover('planned_failover', direction='recovery_to_primary', data_sync='full_download'), failover('commit'), failover('reprotect')]
    rerun_steps = [named(task, task['name'] + ' rerun') for task in steps]
    rerun_back = [named(task, task['name'] + ' rerun') for task in back]
    run = run_playbook(play(azure, rerun_steps + back + rerun_back))
    assert run.rc == 0, run.stdout
    assert not [task for task in rerun_steps + rerun_back if only(run, task['name'])['changed']]
    assert all(only(run, task['name'])['changed'] for task in back)
    item = vault_state(azure)['protected_items'][0]['properties']
    assert item['activeLocation'] == 'Primary' and item['protectionState'] == 'Protected'


def test_info_modules_report_the_vault(azure, run_playbook):
    run = run_playbook(play(azure, prepared(azure, {'name': 'sites', 'hyperv.mobility.asr_hyperv_site_info': {}},
                                            {'name': 'policies', 'hyperv.mobility.asr_replication_policy_info': {'name': POLICY}})))
    assert run.rc == 0, run.stdout
    site = only(run, 'sites')['sites'][0]
    assert site['name'] == SITE and site['hyperv_hosts'] == ['hv01.hvlab.test'] and len(site['containers']) == 1
    assert only(run, 'policies')['policies'][0]['recovery_point_retention'] == 4


def test_health_errors_and_their_retry_class_then_a_manual_resynchronization(azure, run_playbook):
    info = {'name': 'info', 'hyperv.mobility.asr_protected_vm_info': {'site': SITE, 'name': 'app01'}}
    error = replication_error_task(azure, 'transient', ['app01'], code='33012', message='The network connection to Azure failed',
                                   possible_causes='A proxy blocks the host', recommended_action='Check the proxy settings')
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, PROTECT, named(failover('resynchronize'), 'nothing to resync'), error, info)))
    assert run.rc == 0, run.stdout
    assert only(run, 'nothing to resync')['changed'] is False  # RepairReplication is not allowed: no resynchronization pending
    vm = only(run, 'info')['protected_vms'][0]
    assert vm['retry_class'] == 'transient' and vm['resynchronization_required'] is False and vm['replication_health'] == 'Warning'
    assert [(e['error_code'], e['error_message'], e['possible_causes'], e['recommended_action']) for e in vm['health_errors']] == [
        ('33012', 'The network connection to Azure failed', 'A proxy blocks the host', 'Check the proxy settings')]

    marked = replication_error_task(azure, 'resynchronization', ['app01'], code='33010', message='Resynchronization required')
    resync = failover('resynchronize')
    run = run_playbook(play(azure, [marked, named(info, 'before'), named(resync, 'resync check', check_mode=True), named(info, 'still pending'),
                                    resync, named(resync, 'resync again'), named(info, 'after')]), diff=True)
    assert run.rc == 0, run.stdout
    before = only(run, 'before')['protected_vms'][0]
    assert before['retry_class'] == 'fatal' and before['resynchronization_required'] is True and len(before['health_errors']) == 2
    assert only(run, 'resync check')['changed'] is True and only(run, 'still pending')['protected_vms'][0]['resynchronization_required'] is True
    assert only(run, 'resynchronize')['changed'] is True and only(run, 'resynchronize')['operation_done'] is True
    assert only(run, 'resync again')['changed'] is False
    after = only(run, 'after')['protected_vms'][0]
    assert after['health_errors'] == [] and after['retry_class'] is None and after['resynchronization_required'] is False
    assert [event['scenario'] for event in vault_state(azure)['events']] == ['RepairReplication']


def target_task(name, **options):
    return {'name': name, 'hyperv.mobility.asr_protected_vm': dict(PROTECT['hyperv.mobility.asr_protected_vm'], wait_for_initial_replication=False, **options)}


def app01_details(azure_handle):
    return vault_state(azure_handle)['protected_items'][0]['properties']['providerSpecificDetails']


def test_target_vm_size_and_static_address_at_enable_then_changed_in_place(azure, run_playbook):
    protect = target_task('protect', target_vm_size='Standard_B2ms', target_nics=[{'static_ip': '10.20.1.15'}])
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, protect, named(protect, 'protect again'))))
    assert run.rc == 0, run.stdout
    vm = only(run, 'protect')['protected_vm']
    assert vm['target_vm_size'] == 'Standard_B2ms' and [(nic['subnet'], nic['static_ip']) for nic in vm['target_nics']] == [('apps', '10.20.1.15')]
    assert only(run, 'protect again')['changed'] is False
    details = app01_details(azure)
    assert details['recoveryAzureVMSize'] == 'Standard_B2ms' and details['vmNics'][0]['ipConfigs'][0]['recoveryStaticIPAddress'] == '10.20.1.15'

    change = target_task('change', target_vm_size='Standard_D4s_v3', target_subnet='db', target_nics=[{'static_ip': '10.20.2.20'}])
    run = run_playbook(play(azure, [named(change, 'change check', check_mode=True), change, named(change, 'change again')]), diff=True)
    assert run.rc == 0, run.stdout
    checked = only(run, 'change check')
    assert checked['changed'] is True and checked['diff']['before']['target_vm_size'] == 'Standard_B2ms'
    assert checked['diff']['after']['target_vm_size'] == 'Standard_D4s_v3' and checked['diff']['after']['target_nics'][0]['static_ip'] == '10.20.2.20'
    assert only(run, 'change')['changed'] is True and only(run, 'change again')['changed'] is False
    vm = only(run, 'change')['protected_vm']
    assert (vm['target_vm_size'], vm['target_subnet'], vm['target_nics'][0]['static_ip']) == ('Standard_D4s_v3', 'db', '10.20.2.20')
    assert [event['scenario'] for event in vault_state(azure)['events']] == ['UpdateVmProperties', 'UpdateVmProperties']  # enable's adapters, the change


def test_bad_target_settings_are_refused_before_anything_changes(azure, run_playbook):
    bad = [named(target_task('x', target_nics=[{'static_ip': '10.20.1.256'}]), 'bad address', ignore_errors=True),
           named(target_task('x', target_vm_size='XL'), 'bad size', ignore_errors=True),
           named(target_task('x', target_nics=[{'nic_id': 'nic-9', 'static_ip': '10.20.1.9'}]), 'unknown adapter', ignore_errors=True)]
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, *bad[:2])))
    assert "target_nics[0].static_ip: '10.20.1.256' is not an IPv4 address" in only(run, 'bad address')['msg']
    assert "target_vm_size: 'XL' is not an Azure VM size" in only(run, 'bad size')['msg']
    assert vault_state(azure)['protected_items'] == []
    run = run_playbook(play(azure, [target_task('protect'), bad[2]]))
    assert "target_nics[0].nic_id: 'nic-9' is not a network adapter of the VM" in only(run, 'unknown adapter')['msg']
    assert vault_state(azure)['events'] == []


def test_failback_minimizing_downtime_synchronizes_waits_then_completes(azure, run_playbook):
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, PROTECT, failover('planned_failover'), failover('commit'))))
    assert run.rc == 0, run.stdout
    azure.control.workload(RESOURCE_GROUP, VAULT, writes=2, vms=['app01'])  # the Azure VM works
    back = failover('planned_failover', direction='recovery_to_primary')
    run = run_playbook(play(azure, [back, named(back, 'failback again')]))
    assert run.rc == 0, run.stdout
    started = only(run, 'planned_failover')
    assert started['changed'] is True and started['job']['state'] == 'Suspended' and started['job']['state_description'] == 'WaitingForManualAction'
    assert started['protected_vm']['failback_waiting'] is True and started['protected_vm']['active_location'] == 'Recovery'
    assert [task['state'] for task in started['job']['tasks']] == ['Succeeded', 'NotStarted']
    assert only(run, 'failback again')['changed'] is False and only(run, 'failback again')['job']['name'] == started['job']['name']
    data = vault_state(azure)['data'][0]
    assert data['versions'] == {'Primary': 2, 'Recovery': 2} and data['active_location'] == 'Recovery'  # synchronized, Azure VM running

    azure.control.workload(RESOURCE_GROUP, VAULT, writes=1, vms=['app01'])  # until the failback completes
    complete = failover('complete_failback', comments='change window 22:00')
    run = run_playbook(play(azure, [named(complete, 'complete check', check_mode=True), complete, named(complete, 'complete again'), failover('commit'),
                                    failover('reprotect')]), diff=True)
    checked = only(run, 'complete check')
    assert checked['changed'] is True and checked['diff']['after']['active_location'] == 'Primary' and checked['job']['state'] == 'Suspended'
    assert run.rc == 0, run.stdout
    done = only(run, 'complete_failback')
    assert done['changed'] is True and done['job']['state'] == 'Succeeded' and [task['state'] for task in done['job']['tasks']] == ['Succeeded', 'Succeeded']
    assert done['protected_vm']['active_location'] == 'Primary' and done['protected_vm']['failback_waiting'] is False
    assert only(run, 'complete again')['changed'] is False
    assert only(run, 'reprotect')['protected_vm']['protection_state'] == 'Protected'
    data = vault_state(azure)['data'][0]
    assert data['versions'] == {'Primary': 3, 'Recovery': 3} and data['active_location'] == 'Primary'  # the last write came back too
    resumed = [job for job in vault_state(azure)['jobs'] if job['properties']['scenarioName'] == 'PlannedFailover'][-1]
    assert resumed['properties']['customDetails']['comments'] == 'change window 22:00'


def test_complete_failback_without_a_waiting_failback_is_refused_with_the_way_to_start_one(azure, run_playbook):
    run = run_playbook(play(azure, prepared(azure, ASSOCIATE, PROTECT, failover('planned_failover'), named(failover('complete_failback'), 'complete'))))
    message = only(run, 'complete')['msg']
    assert run.rc != 0 and "no failback of 'app01' waits to be completed (active on Recovery" in message and 'data_sync=minimize_downtime' in message
