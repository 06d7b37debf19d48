"""The fake Azure's replication errors (seed 004's retry classes) and resynchronization of a Hyper-V to Azure item (no HTTP)."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import pytest

from hvlab.azure import recovery_points
from hvlab.azure.asr import AzureError, AzureWorld

POLICY = {'instanceType': 'HyperVReplicaAzure', 'replicationInterval': 300, 'recoveryPointHistoryDuration': 2}
VMS = [{'name': 'app01', 'id': 'vm-app01'}, {'name': 'db01', 'id': 'vm-db01'}]


@pytest.fixture
def vault():
    """site-hq with hv01's two VMs, both protected to Azure (initial replication done)."""
    world = AzureWorld('sub', 'tenant', 'client', 'secret')
    world.settings['job_seconds'] = 0
    vault = world.create_vault('rg', 'vault')
    vault.create_fabric('site-hq', {'properties': {'customDetails': {'instanceType': 'HyperVSite'}}})
    container = vault.register_host('site-hq', 'hv01.hvlab.test', VMS)
    vault.create_policy('to-azure', {'properties': {'providerSpecificInput': POLICY}})
    vault.create_mapping('site-hq', container['name'], 'map', {'properties': {'policyId': vault.policy('to-azure')['id'],
                                                                               'targetProtectionContainerId': 'Microsoft Azure'}})
    for item in vault.protectable_items('site-hq', container['name']):
        vault.enable_protection('site-hq', container['name'], item['properties']['friendlyName'], {'properties': {
            'policyId': vault.policy('to-azure')['id'], 'protectableItemId': item['id'],
            'providerSpecificDetails': {'instanceType': 'HyperVReplicaAzure', 'targetAzureV2ResourceGroupId': '/subscriptions/s/resourceGroups/rg-vms'}}})
    vault.settle()
    return vault


def item(vault, name):
    container = vault.containers_of('site-hq')[0]
    return vault.protected_item('site-hq', container['name'], name)


def resynchronize(vault, name):
    vault.act('site-hq', vault.containers_of('site-hq')[0]['name'], name, 'repairReplication', {})
    vault.settle()
    return item(vault, name)['properties']


@pytest.mark.parametrize('kind, health, level', [('fatal', 'Critical', 'Error'), ('transient', 'Warning', 'Warning')])
def test_a_replication_error_is_a_health_error_of_the_item_with_its_class_health(vault, kind, health, level):
    vault.replication_error({'kind': kind, 'vms': ['app01'], 'code': '33001', 'message': 'Replication failed', 'possible_causes': 'cause',
                             'recommended_action': 'act'})
    properties = item(vault, 'app01')['properties']
    assert properties['replicationHealth'] == health
    error = properties['healthErrors'][0]
    assert (error['errorCode'], error['errorMessage'], error['possibleCauses'], error['recommendedAction'], error['errorLevel']) == (
        '33001', 'Replication failed', 'cause', 'act', level)
    assert 'RepairReplication' not in properties['allowedOperations']
    assert item(vault, 'db01')['properties']['healthErrors'] == [] and item(vault, 'db01')['properties']['replicationHealth'] == 'Normal'


def test_an_item_without_resynchronization_pending_refuses_repair_replication(vault):
    with pytest.raises(AzureError) as refused:
        resynchronize(vault, 'app01')
    assert refused.value.code == 'OperationNotAllowed' and 'RepairReplication' in refused.value.message


def test_resynchronization_sends_what_the_primary_holds_and_clears_the_errors(vault):
    vault.workload({'vms': ['app01'], 'writes': 3})
    vault.replication_error({'kind': 'resynchronization', 'vms': ['app01'], 'code': '33010', 'message': 'Resynchronization required'})
    properties = item(vault, 'app01')['properties']
    assert 'RepairReplication' in properties['allowedOperations'] and properties['replicationHealth'] == 'Critical'
    assert recovery_points.summary(item(vault, 'app01'))['versions'] == {'Primary': 3, 'Recovery': 0}
    after = resynchronize(vault, 'app01')
    assert after['healthErrors'] == [] and after['replicationHealth'] == 'Normal' and 'RepairReplication' not in after['allowedOperations']
    assert recovery_points.summary(item(vault, 'app01'))['versions'] == {'Primary': 3, 'Recovery': 3}
    assert [event['scenario'] for event in vault.events] == ['RepairReplication']
    assert '_resynchronizationRequired' not in str(vault.protected_items(vault.containers_of('site-hq')[0]))


def test_an_unknown_error_class_is_refused(vault):
    with pytest.raises(AzureError) as refused:
        vault.replication_error({'kind': 'sometimes'})
    assert 'fatal, resynchronization, transient' in refused.value.message
