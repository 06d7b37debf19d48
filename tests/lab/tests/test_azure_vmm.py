"""The fake Azure's VMM rules (hvlab.azure.vmm), without HTTP: Hyper-V Replica policies, VMM cloud pairing, network mapping."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import pytest

from hvlab.azure import vmm
from hvlab.azure.asr import AzureError, AzureWorld

VNET = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'
REPLICA = {'instanceType': 'HyperVReplica2012R2', 'replicationFrequencyInSeconds': 300, 'recoveryPoints': 4,
           'applicationConsistentSnapshotFrequencyInHours': 1, 'replicationPort': 80, 'allowedAuthenticationType': 1}


@pytest.fixture
def vault():
    world = AzureWorld('sub', 'tenant', 'client', 'secret')
    world.settings['job_seconds'] = 0
    vault = world.create_vault('rg', 'vault')
    vmm.register_vmm(vault, {'fabric': 'hq', 'server': 'vmm-hq', 'clouds': ['Gold'], 'networks': [{'name': 'Corp', 'id': 'corp'}]})
    vmm.register_vmm(vault, {'fabric': 'dr', 'server': 'vmm-dr', 'clouds': ['Gold-DR'], 'networks': [{'name': 'Corp-DR', 'id': 'corp-dr'}]})
    vault.create_fabric('site', {'properties': {'customDetails': {'instanceType': 'HyperVSite'}}})
    return vault


def refused(function, *args):
    with pytest.raises(AzureError) as raised:
        function(*args)
    return raised.value


@pytest.mark.parametrize('change, code', [
    ({'replicationFrequencyInSeconds': 60}, 'InvalidParameterValue'),
    ({'recoveryPoints': 25}, 'InvalidRecoveryPoints'),
    ({'applicationConsistentSnapshotFrequencyInHours': 5}, 'InvalidAppConsistentFrequency'),
    ({'allowedAuthenticationType': 3}, 'InvalidParameterValue'),
    ({'replicationPort': 0}, 'InvalidReplicationPort'),
    ({'compression': 'Yes'}, 'InvalidParameterValue'),
    ({'replicaDeletion': 'Always'}, 'InvalidParameterValue'),
    ({'initialReplicationMethod': 'Offline'}, 'InvalidOfflineReplicationPaths'),
])
def test_replica_policy_refuses_what_site_recovery_refuses(change, code):
    assert refused(vmm.replica_policy_details, dict(REPLICA, **change)).code == code


def test_replica_policy_details_and_registration_with_the_vault(vault):
    details = vmm.replica_policy_details(dict(REPLICA, replicaDeletion='OnRecoveryCloud'))
    assert details['replicaDeletionOption'] == 'OnRecoveryCloud' and details['compression'] == 'Enable' and details['initialReplicationMethod'] == 'OverNetwork'
    vault.create_policy('p', {'properties': {'providerSpecificInput': REPLICA}})
    assert vault.policy('p')['properties']['providerSpecificDetails']['instanceType'] == 'HyperVReplica2012R2'


def test_vmm_cloud_pairs_with_a_vmm_cloud_under_a_replica_policy_only(vault):
    vault.create_policy('replica', {'properties': {'providerSpecificInput': REPLICA}})
    vault.create_policy('azure', {'properties': {'providerSpecificInput': {'instanceType': 'HyperVReplicaAzure'}}})
    gold, gold_dr = vault.containers_of('hq')[0], vault.containers_of('dr')[0]

    def pair(fabric, container, policy, target):
        return vmm.create_container_mapping(vault, fabric, container['name'], 'm', {'properties': {
            'policyId': vault.policy(policy)['id'], 'targetProtectionContainerId': target}})
    assert refused(pair, 'hq', gold, 'azure', gold_dr['id']).code == 'InvalidPolicyForTarget'
    assert refused(pair, 'hq', gold, 'replica', 'Microsoft Azure').code == 'InvalidPolicyForTarget'
    assert refused(pair, 'hq', gold, 'replica', gold['id']).code == 'InvalidTargetContainer'
    assert refused(pair, 'hq', gold, 'replica', gold['id'] + 'x').status == 404
    pair('hq', gold, 'replica', gold_dr['id'])
    assert gold_dr['properties']['role'] == 'Recovery' and vault.mappings_of(gold)['m']['properties']['targetProtectionContainerId'] == gold_dr['id']


def mapping_body(kind, fabric, network_id):
    return {'properties': {'recoveryFabricName': fabric, 'recoveryNetworkId': network_id, 'fabricSpecificDetails': {'instanceType': kind}}}


def test_network_mapping_rules(vault):
    corp_dr = vmm.network(vault, 'dr', 'corp-dr')['id']
    create = vmm.create_network_mapping
    assert refused(create, vault, 'hq', 'lab', 'm', mapping_body('VmmToVmm', 'dr', corp_dr)).status == 404
    assert refused(create, vault, 'nowhere', 'corp', 'm', mapping_body('VmmToVmm', 'dr', corp_dr)).status == 404
    assert refused(create, vault, 'hq', 'corp', 'm', mapping_body('VmmToVmm', 'dr', corp_dr + 'x')).status == 404
    for body in (mapping_body('VmmToVmm', 'Microsoft Azure', VNET), mapping_body('VmmToVmm', 'site', corp_dr), mapping_body('VmmToAzure', 'dr', VNET)):
        error = refused(create, vault, 'hq', 'corp', 'm', body)
        assert error.status == 400 and error.code == 'IncompatibleFabrics', body
    assert refused(create, vault, 'hq', 'corp', 'm', mapping_body('VmmToAzure', 'Microsoft Azure', 'vnet')).code == 'InvalidRecoveryNetworkId'
    create(vault, 'hq', 'corp', 'm', mapping_body('VmmToVmm', 'dr', corp_dr))
    assert vmm.network_mapping(vault, 'hq', 'corp', 'm')['properties']['state'] == 'Paired'
    assert refused(create, vault, 'hq', 'corp', 'other', mapping_body('VmmToAzure', 'Microsoft Azure', VNET)).status == 409
    vmm.update_network_mapping(vault, 'hq', 'corp', 'm', mapping_body('VmmToAzure', 'Microsoft Azure', VNET))
    assert vmm.all_network_mappings(vault)[0]['properties']['recoveryNetworkFriendlyName'] == 'vnet-dr'
    vmm.delete_network_mapping(vault, 'hq', 'corp', 'm')
    assert vmm.all_network_mappings(vault) == []
    assert refused(vault.delete_fabric, 'hq').status == 409  # a VMM server's fabric goes with its registration


def protected_vault(vault):
    """hq's Gold cloud with app01, paired with dr's Gold-DR under a Hyper-V Replica policy."""
    vmm.register_vmm(vault, {'fabric': 'hq', 'clouds': [{'name': 'Gold', 'vms': [{'name': 'app01', 'id': 'vm1'}]}]})
    vault.create_policy('replica', {'properties': {'providerSpecificInput': REPLICA}})
    gold, gold_dr = vault.containers_of('hq')[0], vault.containers_of('dr')[0]
    vault.settle()
    return gold, gold_dr


def pair_gold(vault, gold, gold_dr):
    pairing = {'properties': {'policyId': vault.policy('replica')['id'], 'targetProtectionContainerId': gold_dr['id']}}
    vmm.create_container_mapping(vault, 'hq', gold['name'], 'm', pairing)
    vault.settle()


def test_vmm_cloud_vm_protection_needs_the_replica_association_and_no_provider_input(vault):
    gold, gold_dr = protected_vault(vault)
    (item,) = vault.protectable_items('hq', gold['name'])
    assert item['properties']['supportedReplicationProviders'] == ['HyperVReplica2012R2', 'HyperVReplicaAzure']
    body = {'properties': {'policyId': vault.policy('replica')['id'], 'protectableItemId': item['id']}}
    assert refused(vault.enable_protection, 'hq', gold['name'], 'app01', body).code == 'PolicyNotAssociated'
    pair_gold(vault, gold, gold_dr)
    azure_input = {'properties': dict(body['properties'], providerSpecificDetails={'instanceType': 'HyperVReplicaAzure'})}
    assert refused(vault.enable_protection, 'hq', gold['name'], 'app01', azure_input).code == 'InvalidProviderInput'
    vault.enable_protection('hq', gold['name'], 'app01', body)
    vault.settle()
    protected = vault.protected_item('hq', gold['name'], 'app01')['properties']
    assert protected['providerSpecificDetails']['instanceType'] == 'HyperVReplica2012R2' and protected['providerSpecificDetails']['vmId'] == 'vm1'
    assert protected['recoveryProtectionContainerFriendlyName'] == 'Gold-DR' and protected['recoveryFabricFriendlyName'] == 'vmm-dr'
    assert protected['protectionState'] == 'Protected' and protected['primaryFabricProvider'] == 'VMM'


def test_failover_between_vmm_sites_reverse_replication_before_failback(vault):
    gold, gold_dr = protected_vault(vault)
    pair_gold(vault, gold, gold_dr)
    item_id = vault.protectable_items('hq', gold['name'])[0]['id']
    vault.enable_protection('hq', gold['name'], 'app01', {'properties': {'policyId': vault.policy('replica')['id'], 'protectableItemId': item_id}})
    vault.settle()
    corp, corp_dr = vmm.network(vault, 'hq', 'corp')['id'], vmm.network(vault, 'dr', 'corp-dr')['id']

    def act(action, properties):
        vault.act('hq', gold['name'], 'app01', action, {'properties': properties})
        vault.settle()
        return vault.protected_item('hq', gold['name'], 'app01')['properties']
    drill = {'networkType': 'VmNetworkAsInput', 'failoverDirection': 'PrimaryToRecovery'}
    assert refused(act, 'testFailover', dict(drill, networkId=corp)).code == 'InvalidTestFailoverNetwork'
    assert refused(act, 'testFailover', {'networkType': 'CreateVmNetwork'}).code == 'InvalidTestFailoverNetwork'
    assert act('testFailover', dict(drill, networkId=corp_dr))['testFailoverState'] == 'TestFailoverCompleted'
    act('testFailoverCleanup', {'comments': ''})
    assert act('unplannedFailover', {'failoverDirection': 'PrimaryToRecovery', 'sourceSiteOperations': 'NotRequired'})['activeLocation'] == 'Recovery'
    assert act('failoverCommit', {})['allowedOperations'] == ['ReverseReplicate', 'DisableProtection']
    assert refused(act, 'plannedFailover', {'failoverDirection': 'RecoveryToPrimary'}).code == 'OperationNotAllowed'
    assert refused(act, 'reProtect', {'failoverDirection': 'PrimaryToRecovery'}).code == 'InvalidFailoverDirection'
    assert act('reProtect', {'failoverDirection': 'RecoveryToPrimary'})['protectionState'] == 'Protected'
    assert refused(act, 'testFailover', dict(drill, networkId=corp_dr, failoverDirection='RecoveryToPrimary')).status == 400
    assert act('plannedFailover', {'failoverDirection': 'RecoveryToPrimary'})['protectionState'] == 'FailbackCompleted'
    assert act('failoverCommit', {})['protectionState'] == 'FailbackCommitted'
    final = act('reProtect', {'failoverDirection': 'PrimaryToRecovery'})
    assert final['protectionState'] == 'Protected' and final['activeLocation'] == 'Primary'
