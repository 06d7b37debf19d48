# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""VMM to a secondary site through ansible-playbook against the lab's fake Azure: the Hyper-V Replica policy
(asr_replication_policy replication_provider=hyperv_replica), VMM fabrics in asr_hyperv_site_info, VMM cloud to VMM cloud
associations (asr_policy_association) and network mapping (asr_network_mapping, asr_network_mapping_info).

The VMM servers register through the lab's control route (what the Site Recovery provider on a VMM server does) before the
playbook runs. Steps share a playbook unless the test checks the fake Azure's state between them (each run costs seconds);
a task that must fail runs with ignore_errors, and its result is read by name.
"""

from __future__ import annotations

from asr_lab import (VMM_PRIMARY, VMM_RECOVERY, azure, fake_azure, named, only, play, register_vmm,  # noqa: F401  pylint: disable=unused-import
                     vault_state)

PRIMARY = VMM_PRIMARY['server']
RECOVERY = VMM_RECOVERY['server']
VNET = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'
REPLICA_ARGS = {'name': 'vmm-to-vmm', 'replication_provider': 'hyperv_replica', 'copy_frequency': 900, 'recovery_point_retention': 4,
                'app_consistent_snapshot_frequency': 2, 'initial_replication_start_time': '22:00', 'authentication': 'certificate',
                'compression': False, 'replica_deletion': True}
AZURE_POLICY = {'name': 'vmm-to-azure', 'copy_frequency': 300, 'recovery_point_retention': 2}


def policy_task(name='policy', **overrides):
    return {'name': name, 'hyperv.mobility.asr_replication_policy': dict(REPLICA_ARGS, **overrides)}


def failing(title, module, options=None, /, **more):
    """A task expected to fail (ignore_errors), named title, with the module options (a dict and / or keywords, `name` included)."""
    return {'name': title, 'ignore_errors': True, 'hyperv.mobility.' + module: dict(options or {}, **more)}


def mapping_task(name='mapping', **overrides):
    options = dict({'name': 'corp', 'site': PRIMARY, 'network': 'Corp', 'recovery_site': RECOVERY, 'recovery_network': 'Corp-DR'}, **overrides)
    return {'name': name, 'hyperv.mobility.asr_network_mapping': options}


def both_vmm_servers(azure_handle):
    return register_vmm(azure_handle, VMM_PRIMARY), register_vmm(azure_handle, VMM_RECOVERY)


def policy_details(azure_handle, name):
    return next(p for p in vault_state(azure_handle)['policies'] if p['name'] == name)['properties']['providerSpecificDetails']


# ---------------------------------------------------------------------- Hyper-V Replica policy

def test_replica_policy_check_mode_create_idempotent_update(azure, run_playbook):
    tasks = [named(policy_task(), 'policy checked', check_mode=True), policy_task(), named(policy_task(), 'policy again', diff=False),
             named(policy_task(replication_port=8443), 'policy port')]
    run = run_playbook(play(azure, tasks), diff=True)
    assert run.rc == 0, run.stdout
    checked = only(run, 'policy checked')
    assert checked['changed'] is True and checked['operation_done'] is False and checked['diff']['before'] == {}
    created = only(run, 'policy')
    assert created['changed'] is True and created['operation_done'] is True  # check mode had created nothing
    assert created['policy'] == dict(created['policy'], provider='HyperVReplica2012R2', replication_provider='hyperv_replica', copy_frequency=900,
                                     recovery_point_retention=4, app_consistent_snapshot_frequency=2, initial_replication_start_time='22:00:00',
                                     compression=False, initial_replication_method='over_network', authentication='certificate',
                                     replication_port=443, replica_deletion=True)
    assert only(run, 'policy again')['changed'] is False
    updated = only(run, 'policy port')
    assert updated['changed'] is True and updated['diff']['before']['replication_port'] == 443 and updated['diff']['after']['replication_port'] == 8443
    assert policy_details(azure, 'vmm-to-vmm') == {
        'instanceType': 'HyperVReplica2012R2', 'replicationFrequencyInSeconds': 900, 'recoveryPoints': 4, 'applicationConsistentSnapshotFrequencyInHours': 2,
        'compression': 'Disable', 'initialReplicationMethod': 'OverNetwork', 'onlineReplicationStartTime': '22:00:00', 'offlineReplicationExportPath': None,
        'offlineReplicationImportPath': None, 'replicationPort': 8443, 'allowedAuthenticationType': 2, 'replicaDeletionOption': 'OnRecoveryCloud'}
    assert run.stats['localhost']['changed'] == 3  # the check-mode task (predicted), create and update; the rerun is ok


def test_replica_policy_offline_defaults_and_bad_input(azure, run_playbook):
    offline = {'name': 'offline', 'replication_provider': 'hyperv_replica', 'initial_replication_method': 'offline',
               'offline_export_path': 'D:\\export', 'offline_import_path': 'E:\\import'}
    tasks = [
        failing('frequency 60', 'asr_replication_policy', dict(REPLICA_ARGS, copy_frequency=60)),
        failing('900 to azure', 'asr_replication_policy', name='azure', copy_frequency=900),
        failing('replica options to azure', 'asr_replication_policy', name='azure', compression=True, replication_port=80),
        failing('offline without paths', 'asr_replication_policy', name='offline', replication_provider='hyperv_replica',
                initial_replication_method='offline'),
        failing('paths over network', 'asr_replication_policy', name='offline', replication_provider='hyperv_replica', offline_export_path='D:\\x'),
        failing('offline with start time', 'asr_replication_policy', dict(offline, initial_replication_start_time='22:00')),
        failing('bad port', 'asr_replication_policy', dict(REPLICA_ARGS, replication_port=70000)),
        {'name': 'offline', 'hyperv.mobility.asr_replication_policy': offline},
        {'name': 'azure policy', 'hyperv.mobility.asr_replication_policy': dict(AZURE_POLICY, name='azure')},
        failing('provider change', 'asr_replication_policy', dict(REPLICA_ARGS, name='azure')),
        {'name': 'info', 'hyperv.mobility.asr_replication_policy_info': {}},
    ]
    run = run_playbook(play(azure, tasks))
    msg = {task['name']: only(run, task['name']).get('msg', '') for task in tasks if task.get('ignore_errors')}
    assert 'copy_frequency' in msg['frequency 60'] and '900' in msg['frequency 60']
    assert 'copy_frequency 900 is offered by replication_provider=hyperv_replica only; hyperv_to_azure accepts 30, 300' in msg['900 to azure']
    assert 'compression, replication_port apply to replication_provider=hyperv_replica only' in msg['replica options to azure']
    assert 'initial_replication_method=offline requires offline_export_path and offline_import_path' in msg['offline without paths']
    assert 'offline_export_path apply to initial_replication_method=offline only' in msg['paths over network']
    assert 'initial_replication_start_time applies to initial_replication_method=over_network only' in msg['offline with start time']
    assert 'replication_port must be 1 to 65535' in msg['bad port']
    assert "exists with provider HyperVReplicaAzure (replication_provider=hyperv_to_azure); the provider of a policy cannot change" in msg[
        'provider change']
    created = only(run, 'offline')['policy']
    assert created['initial_replication_method'] == 'offline' and created['offline_export_path'] == 'D:\\export'
    assert created['authentication'] == 'kerberos' and created['replication_port'] == 80 and created['compression'] is True
    assert created['replica_deletion'] is False and created['copy_frequency'] == 300
    providers = {policy['name']: policy['replication_provider'] for policy in only(run, 'info')['policies']}
    assert providers == {'offline': 'hyperv_replica', 'azure': 'hyperv_to_azure'}
    puts = [r for r in azure.control.requests() if r['method'] in ('PUT', 'PATCH') and '/replicationPolicies/' in r['path']]
    assert len(puts) == 2  # the refused tasks never reached Azure


# ---------------------------------------------------------------------- VMM fabrics, clouds and associations

def test_site_info_reads_vmm_servers_with_clouds_and_vm_networks(azure, run_playbook):
    both_vmm_servers(azure)
    tasks = [{'name': 'by server name', 'hyperv.mobility.asr_hyperv_site_info': {'name': PRIMARY}},
             {'name': 'all', 'hyperv.mobility.asr_hyperv_site_info': {}},
             failing('site module on a VMM fabric', 'asr_hyperv_site', name=VMM_PRIMARY['fabric'], state='absent')]
    run = run_playbook(play(azure, tasks))
    (site,) = only(run, 'by server name')['sites']
    assert site['name'] == VMM_PRIMARY['fabric'] and site['type'] == 'VMM' and site['friendly_name'] == PRIMARY
    assert sorted(cloud['friendly_name'] for cloud in site['clouds']) == ['Gold', 'Silver']
    assert {cloud['pairing_status'] for cloud in site['clouds']} == {'NotPaired'}
    corp = next(network for network in site['networks'] if network['friendly_name'] == 'Corp')
    assert corp['network_type'] == 'VmNetwork' and corp['subnets'] == [{'name': 'corp-a', 'addresses': ['10.1.0.0/24']}]
    assert sorted(s['friendly_name'] for s in only(run, 'all')['sites']) == sorted([PRIMARY, RECOVERY])
    refused = only(run, 'site module on a VMM fabric')
    assert refused['failed'] is True and 'is a VMM fabric, not a Hyper-V site' in refused['msg']
    assert len(vault_state(azure)['fabrics']) == 2


def test_vmm_cloud_associates_with_a_recovery_cloud_or_azure(azure, run_playbook):
    primary, recovery = both_vmm_servers(azure)
    gold = {'site': PRIMARY, 'cloud': 'Gold', 'recovery_site': RECOVERY, 'recovery_cloud': 'Gold-DR', 'policy': 'vmm-to-vmm'}
    tasks = [policy_task(), {'name': 'azure policy', 'hyperv.mobility.asr_replication_policy': AZURE_POLICY},
             failing('cloud missing', 'asr_policy_association', site=PRIMARY, policy='vmm-to-vmm'),
             failing('unknown cloud', 'asr_policy_association', dict(gold, recovery_cloud='Platinum')),
             failing('azure policy to a cloud', 'asr_policy_association', dict(gold, policy='vmm-to-azure')),
             failing('replica policy to azure', 'asr_policy_association', site=PRIMARY, cloud='Silver', policy='vmm-to-vmm'),
             {'name': 'gold checked', 'check_mode': True, 'hyperv.mobility.asr_policy_association': gold},
             {'name': 'gold', 'hyperv.mobility.asr_policy_association': gold},
             {'name': 'gold again', 'hyperv.mobility.asr_policy_association': gold},
             {'name': 'silver to azure', 'hyperv.mobility.asr_policy_association': {'site': PRIMARY, 'cloud': 'Silver', 'policy': 'vmm-to-azure'}},
             {'name': 'silver absent',
              'hyperv.mobility.asr_policy_association': {'site': PRIMARY, 'cloud': 'Silver', 'policy': 'vmm-to-azure', 'state': 'absent'}}]
    run = run_playbook(play(azure, tasks), diff=True)
    assert "cloud is required: '%s' is a VMM server; give one of its clouds: Gold, Silver" % VMM_PRIMARY['fabric'] in only(run, 'cloud missing')['msg']
    assert "recovery_cloud: 'Platinum' is not a cloud of VMM server '%s' (clouds: Gold-DR)" % VMM_RECOVERY['fabric'] in only(run, 'unknown cloud')['msg']
    assert "policy 'vmm-to-azure' is a HyperVReplicaAzure policy; replication to Gold-DR needs a HyperVReplica2012R2 policy" in only(
        run, 'azure policy to a cloud')['msg']
    assert 'replication to Microsoft Azure needs a HyperVReplicaAzure policy' in only(run, 'replica policy to azure')['msg']
    checked = only(run, 'gold checked')
    assert checked['changed'] is True and checked['diff']['before'] == {} and checked['association']['recovery_cloud'] == 'Gold-DR'
    created = only(run, 'gold')
    gold_dr = recovery['containers'][0]
    association = created['association']
    assert created['changed'] is True
    assert association == dict(association, cloud='Gold', target=gold_dr['id'], recovery_cloud='Gold-DR', state='Paired', policy='vmm-to-vmm')
    assert only(run, 'gold again')['changed'] is False
    assert only(run, 'silver to azure')['association']['target'] == 'Microsoft Azure'
    assert only(run, 'silver absent')['changed'] is True
    state = vault_state(azure)
    (mapping,) = state['mappings']
    assert mapping['properties']['targetProtectionContainerId'] == gold_dr['id'] and mapping['properties']['sourceFabricFriendlyName'] == PRIMARY
    roles = {c['properties']['friendlyName']: (c['properties']['role'], c['properties']['pairingStatus']) for c in state['containers']}
    assert roles['Gold'] == ('Primary', 'Paired') and roles['Gold-DR'] == ('Recovery', 'Paired')
    assert primary['fabric']['properties']['customDetails'] == {'instanceType': 'VMM'}


# ---------------------------------------------------------------------- network mapping

def test_network_mapping_check_mode_create_idempotent_update_info(azure, run_playbook):
    both_vmm_servers(azure)
    tasks = [named(mapping_task(), 'mapping checked', check_mode=True), mapping_task(), named(mapping_task(), 'mapping again', diff=False),
             named(mapping_task(recovery_network='Dmz-DR'), 'mapping moved'),
             {'name': 'info all', 'hyperv.mobility.asr_network_mapping_info': {}},
             {'name': 'info by server and network', 'hyperv.mobility.asr_network_mapping_info': {'site': PRIMARY, 'network': 'Corp'}},
             {'name': 'info other network', 'hyperv.mobility.asr_network_mapping_info': {'site': PRIMARY, 'network': 'Dmz'}}]
    run = run_playbook(play(azure, tasks), diff=True)
    assert run.rc == 0, run.stdout
    checked = only(run, 'mapping checked')
    assert checked['changed'] is True and checked['operation_done'] is False and checked['diff']['before'] == {}
    assert checked['network_mapping']['recovery_network'] == 'Corp-DR' and checked['network_mapping']['id'] is None
    created = only(run, 'mapping')
    view = created['network_mapping']
    assert created['changed'] is True and created['operation_done'] is True  # check mode had created nothing
    assert view == dict(view, name='corp', site=VMM_PRIMARY['fabric'], network_friendly_name='Corp', recovery_site=VMM_RECOVERY['fabric'],
                        recovery_network='Corp-DR', mapping_type='VmmToVmm', state='Paired')
    assert only(run, 'mapping again')['changed'] is False
    moved = only(run, 'mapping moved')
    assert moved['changed'] is True and moved['diff']['before']['recovery_network'] == 'Corp-DR' and moved['diff']['after']['recovery_network'] == 'Dmz-DR'
    (listed,) = only(run, 'info all')['network_mappings']
    assert listed == dict(moved['network_mapping'], site_friendly_name=PRIMARY)
    assert only(run, 'info by server and network')['network_mappings'] == [listed] and only(run, 'info other network')['network_mappings'] == []
    (stored,) = vault_state(azure)['network_mappings']
    assert stored['properties']['recoveryNetworkFriendlyName'] == 'Dmz-DR' and stored['properties']['fabricSpecificSettings'] == {'instanceType': 'VmmToVmm'}
    assert stored['properties']['primaryFabricFriendlyName'] == PRIMARY and stored['properties']['recoveryFabricFriendlyName'] == RECOVERY
    assert run.stats['localhost']['changed'] == 3  # the check-mode task (predicted), create and move; the rerun is ok


def test_network_mapping_absent_waits_for_the_operation_and_is_idempotent(azure, run_playbook):
    both_vmm_servers(azure)
    assert run_playbook(play(azure, [mapping_task()])).rc == 0
    azure.control.settings(job_seconds=1.5)
    azure.control.call('DELETE', 'requests')
    absent = {'name': 'corp', 'site': PRIMARY, 'network': 'Corp', 'state': 'absent'}
    run = run_playbook(play(azure, [{'name': 'absent', 'check_mode': True, 'hyperv.mobility.asr_network_mapping': absent},
                                    {'name': 'absent', 'hyperv.mobility.asr_network_mapping': absent},
                                    {'name': 'absent again', 'hyperv.mobility.asr_network_mapping': absent}]), diff=True)
    result = only(run, 'absent')
    assert run.rc == 0 and result['changed'] is True and result['operation_done'] is True and result['network_mapping'] == {}
    assert result['diff']['before']['recovery_network'] == 'Corp-DR' and result['diff']['after'] == {}
    assert only(run, 'absent again')['changed'] is False
    assert vault_state(azure)['network_mappings'] == []
    deletes = [r for r in azure.control.requests() if r['method'] == 'DELETE' and '/replicationNetworkMappings/' in r['path']]
    polls = [r for r in azure.control.requests() if '/replicationOperationStatus/' in r['path']]
    assert len(deletes) == 1 and len(polls) >= 2  # check mode deleted nothing; the delete was awaited


def test_network_mapping_to_azure_and_bad_input(azure, run_playbook):
    both_vmm_servers(azure)
    to_azure = {'name': 'corp-azure', 'site': PRIMARY, 'network': 'Corp', 'recovery_virtual_network_id': VNET}
    tasks = [{'name': 'hyperv site', 'hyperv.mobility.asr_hyperv_site': {'name': 'site-hq'}},
             failing('unknown network', 'asr_network_mapping', dict(to_azure, network='Lab')),
             failing('unknown recovery network', 'asr_network_mapping', name='corp', site=PRIMARY, network='Corp', recovery_site=RECOVERY,
                     recovery_network='Nope'),
             failing('unknown site', 'asr_network_mapping', dict(to_azure, site='vmm-nowhere')),
             failing('hyperv site', 'asr_network_mapping', dict(to_azure, site='site-hq')),
             failing('both targets', 'asr_network_mapping', dict(to_azure, recovery_network='Corp-DR')),
             failing('no target', 'asr_network_mapping', name='corp', site=PRIMARY, network='Corp'),
             failing('bad vnet id', 'asr_network_mapping', dict(to_azure, recovery_virtual_network_id='vnet-dr')),
             {'name': 'to azure', 'hyperv.mobility.asr_network_mapping': to_azure},
             failing('second mapping of the network', 'asr_network_mapping', name='corp', site=PRIMARY, network='Corp', recovery_site=RECOVERY,
                     recovery_network='Corp-DR')]
    run = run_playbook(play(azure, tasks))
    unknown = only(run, 'unknown network')
    assert unknown['error_kind'] == 'not_found'
    assert "network: VM network 'Lab' is not a network of VMM server '%s' (VM networks: Corp, Dmz)" % VMM_PRIMARY['fabric'] in unknown['msg']
    assert "recovery_network: VM network 'Nope' is not a network of VMM server '%s' (VM networks: Corp-DR, Dmz-DR)" % VMM_RECOVERY['fabric'] in only(
        run, 'unknown recovery network')['msg']
    assert "site: Hyper-V site or VMM server 'vmm-nowhere' does not exist" in only(run, 'unknown site')['msg']
    assert "site: 'site-hq' is a HyperVSite fabric; network mapping maps VM networks of VMM servers" in only(run, 'hyperv site')['msg']
    assert 'mutually exclusive' in only(run, 'both targets')['msg']
    assert 'state=present needs one of recovery_network' in only(run, 'no target')['msg']
    assert 'recovery_virtual_network_id must be the ARM id of an Azure virtual network' in only(run, 'bad vnet id')['msg']
    created = only(run, 'to azure')['network_mapping']
    assert created == dict(created, mapping_type='VmmToAzure', recovery_site='Microsoft Azure', recovery_network='vnet-dr', recovery_network_id=VNET)
    assert "VM network 'Corp' is already mapped by 'corp-azure'" in only(run, 'second mapping of the network')['msg']
    assert [m['name'] for m in vault_state(azure)['network_mappings']] == ['corp-azure']
    puts = [r for r in azure.control.requests() if r['method'] == 'PUT' and '/replicationNetworkMappings/' in r['path']]
    assert len(puts) == 1
