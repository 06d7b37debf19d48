"""The fake Azure's Hyper-V to Azure items: replication errors (seed 004's retry classes), resynchronization, and updates of the Azure VM
settings (updateProtectedItem) (no HTTP)."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import pytest

from hvlab.azure import recovery_points
from hvlab.azure.asr import AzureError, AzureWorld, update_protection

VNET = '/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'
POLICY = {'instanceType': 'HyperVReplicaAzure', 'replicationInterval': 300, 'recoveryPointHistoryDuration': 2}
VMS = [{'name': 'app01', 'id': 'vm-app01', 'nics': [{'network': 'External'}, {'network': 'Backup'}]}, {'name': 'db01', 'id': 'vm-db01'}]


@pytest.fixture
def vault():
    """site-hq with hv01's two VMs, both protected to Azure (initial replication done)."""
    world = AzureWorld('sub', 'tenant', 'client', 'secret')
    world.settings['job_seconds'] = 0
    vault = world.create_vault('rg', 'vault')
    vault.create_fabric('site-hq', {'properties': {'customDetails': {'instanceType': 'HyperVSite'}}})
    container = vault.register_host('site-hq', 'hv01.hvlab.test', VMS)
    vault.create_policy('to-azure', {'properties': {'providerSpecificInput': POLICY}})
    vault.create_mapping('site-hq', container['name'], 'map', {'properties': {
        'policyId': vault.policy('to-azure')['id'], 'targetProtectionContainerId': 'Microsoft Azure'}})
    for item in vault.protectable_items('site-hq', container['name']):
        vault.enable_protection('site-hq', container['name'], item['properties']['friendlyName'], {'properties': {
            'policyId': vault.policy('to-azure')['id'], 'protectableItemId': item['id'],
            'providerSpecificDetails': {'instanceType': 'HyperVReplicaAzure', 'targetAzureV2ResourceGroupId': '/subscriptions/s/resourceGroups/rg-vms',
                                        'targetAzureNetworkId': VNET, 'targetAzureSubnetId': 'apps', 'targetVmSize': 'Standard_B2ms'}}})
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


def update(vault, name, properties):
    update_protection(vault, item(vault, name), {'properties': dict(properties, providerSpecificDetails={'instanceType': 'HyperVReplicaAzure'})})
    vault.settle()
    return item(vault, name)['properties']['providerSpecificDetails']


def test_enabled_protection_lists_the_vms_adapters_in_the_target_network(vault):
    details = item(vault, 'app01')['properties']['providerSpecificDetails']
    assert details['recoveryAzureVMSize'] == 'Standard_B2ms' and details['selectedSourceNicId'] == details['vmNics'][0]['nicId']
    assert [(nic['vMNetworkName'], nic['recoveryVMNetworkId'], nic['ipConfigs'][0]['recoverySubnetName'], nic['ipConfigs'][0]['recoveryIPAddressType'])
            for nic in details['vmNics']] == [('External', VNET, 'apps', 'Dynamic'), ('Backup', VNET, 'apps', 'Dynamic')]
    assert len(item(vault, 'db01')['properties']['providerSpecificDetails']['vmNics']) == 1  # a VM without nics given has one adapter


def test_update_changes_size_name_and_an_adapters_subnet_and_static_address_in_place(vault):
    nic = item(vault, 'app01')['properties']['providerSpecificDetails']['vmNics'][1]
    details = update(vault, 'app01', {'recoveryAzureVMName': 'app01-dr', 'recoveryAzureVMSize': 'Standard_D4s_v3', 'vmNics': [
        {'nicId': nic['nicId'], 'selectionType': 'SelectedByUser', 'ipConfigs': [
            {'ipConfigName': 'ipconfig1', 'isPrimary': True, 'recoverySubnetName': 'backup', 'recoveryStaticIPAddress': '10.20.2.7'}]}]})
    assert (details['recoveryAzureVmName'], details['recoveryAzureVMSize']) == ('app01-dr', 'Standard_D4s_v3')
    first, second = details['vmNics']
    assert first['ipConfigs'][0]['recoveryStaticIPAddress'] is None and first['selectionType'] == 'SelectedByDefault'
    assert (second['ipConfigs'][0]['recoverySubnetName'], second['ipConfigs'][0]['recoveryStaticIPAddress'], second['ipConfigs'][0]['recoveryIPAddressType'],
            second['selectionType']) == ('backup', '10.20.2.7', 'Static', 'SelectedByUser')
    assert [event['scenario'] for event in vault.events] == ['UpdateVmProperties']


@pytest.mark.parametrize('properties, code', [
    ({'recoveryAzureVMSize': 'huge'}, 'InvalidRecoveryAzureVmSize'),
    ({'vmNics': [{'nicId': 'nic-x', 'ipConfigs': []}]}, 'InvalidNicId'),
    ({'vmNics': [{'nicId': 'NIC', 'ipConfigs': [{'recoveryStaticIPAddress': '10.1.1'}]}]}, 'InvalidStaticIpAddress'),
])
def test_update_refuses_what_azure_refuses(vault, properties, code):
    nic_id = item(vault, 'app01')['properties']['providerSpecificDetails']['vmNics'][0]['nicId']
    for nic in properties.get('vmNics', []):
        nic['nicId'] = nic_id if nic['nicId'] == 'NIC' else nic['nicId']
    with pytest.raises(AzureError) as refused:
        update(vault, 'app01', properties)
    assert refused.value.code == code


def test_a_failed_over_item_is_not_updated(vault):
    vault.act('site-hq', vault.containers_of('site-hq')[0]['name'], 'app01', 'plannedFailover', {'properties': {'failoverDirection': 'PrimaryToRecovery'}})
    vault.settle()
    with pytest.raises(AzureError) as refused:
        update(vault, 'app01', {'recoveryAzureVMSize': 'Standard_D4s_v3'})
    assert refused.value.code == 'OperationNotAllowed' and 'failed over' in refused.value.message


def act(vault, name, action, properties):
    operation = vault.act('site-hq', vault.containers_of('site-hq')[0]['name'], name, action, {'properties': properties})
    vault.settle()
    return operation


def failed_over(vault, name):
    act(vault, name, 'plannedFailover', {'failoverDirection': 'PrimaryToRecovery'})
    act(vault, name, 'failoverCommit', {})
    return item(vault, name)


def failback(vault, name, data_sync):
    return act(vault, name, 'plannedFailover', {'failoverDirection': 'RecoveryToPrimary', 'providerSpecificDetails': {
        'instanceType': 'HyperVReplicaAzureFailback', 'dataSyncOption': data_sync, 'recoveryVmCreationOption': 'NoAction'}})


def test_a_failback_for_downtime_synchronizes_then_waits_suspended_until_resumed(vault):
    failed_over(vault, 'app01')
    vault.workload({'vms': ['app01'], 'writes': 2})  # the Azure VM writes
    operation = failback(vault, 'app01', 'ForDownTime')
    job = operation.job['properties']
    assert (job['state'], job['stateDescription'], operation.status) == ('Suspended', 'WaitingForManualAction', 'InProgress')
    assert [task['state'] for task in job['tasks']] == ['Succeeded', 'NotStarted']
    properties = item(vault, 'app01')['properties']
    assert properties['activeLocation'] == 'Recovery' and properties['allowedOperations'] == []
    scenario = properties['currentScenario']
    assert scenario == {'scenarioName': 'PlannedFailover', 'jobId': operation.job['id'], 'startTime': scenario['startTime']}
    assert recovery_points.summary(item(vault, 'app01'))['versions'] == {'Primary': 2, 'Recovery': 2}  # synchronized, Azure VM still running
    vault.workload({'vms': ['app01'], 'writes': 1})  # it still runs until the failover is completed
    vault.resume_job(operation.name, {'properties': {'comments': 'complete'}})
    vault.settle()
    assert operation.status == 'Succeeded' and operation.job['properties']['state'] == 'Succeeded'
    assert [task['state'] for task in operation.job['properties']['tasks']] == ['Succeeded', 'Succeeded']
    properties = item(vault, 'app01')['properties']
    assert (properties['activeLocation'], properties['protectionState']) == ('Primary', 'FailbackCompleted')
    assert properties['currentScenario'] == {'scenarioName': 'None'}
    assert recovery_points.summary(item(vault, 'app01'))['versions'] == {'Primary': 3, 'Recovery': 3}  # the last change came along


def test_only_a_suspended_job_is_resumed_and_a_failback_for_synchronization_does_not_wait(vault):
    failed_over(vault, 'app01')
    operation = failback(vault, 'app01', 'ForSynchronization')
    assert operation.status == 'Succeeded' and item(vault, 'app01')['properties']['activeLocation'] == 'Primary'
    with pytest.raises(AzureError) as refused:
        vault.resume_job(operation.name, {})
    assert refused.value.code == 'JobNotSuspended'


def make_plan(vault):
    from hvlab.azure import plans  # pylint: disable=import-outside-toplevel
    groups = [{'groupType': 'Shutdown'}, {'groupType': 'Failover'},
              {'groupType': 'Boot', 'replicationProtectedItems': [{'id': item(vault, 'db01')['id']}]},
              {'groupType': 'Boot', 'replicationProtectedItems': [{'id': item(vault, 'app01')['id']}]}]
    plans.create_plan(vault, 'rp', {'properties': {'primaryFabricId': vault.fabric('site-hq')['id'], 'recoveryFabricId': 'Microsoft Azure',
                                                   'failoverDeploymentModel': 'ResourceManager', 'groups': groups}})
    vault.settle()
    return plans


def plan_failback(plans, vault, data_sync='ForDownTime', creation='NoAction'):
    operation = plans.act(vault, 'rp', 'plannedFailover', {'properties': {'failoverDirection': 'RecoveryToPrimary', 'providerSpecificDetails': [
        {'instanceType': 'HyperVReplicaAzureFailback', 'dataSyncOption': data_sync, 'recoveryVmCreationOption': creation}]}})
    vault.settle()
    return operation


def test_a_plans_failback_for_downtime_synchronizes_every_vm_then_waits_suspended_until_its_job_is_resumed(vault):
    plans = make_plan(vault)
    for name in ('app01', 'db01'):
        failed_over(vault, name)
    vault.workload({'writes': 2})  # the Azure VMs write
    with pytest.raises(AzureError) as refused:
        plan_failback(plans, vault, data_sync='Fast')
    assert refused.value.code == 'InvalidParameterValue' and 'dataSyncOption' in refused.value.message
    operation = plan_failback(plans, vault)
    assert (operation.job['properties']['state'], operation.status) == ('Suspended', 'InProgress')
    plan = plans.plan(vault, 'rp')['properties']
    assert plan['currentScenario']['jobId'] == operation.job['id'] and plan['allowedOperations'] == []
    for name in ('app01', 'db01'):
        properties = item(vault, name)['properties']
        assert properties['activeLocation'] == 'Recovery' and properties['allowedOperations'] == []
        assert recovery_points.summary(item(vault, name))['versions'] == {'Primary': 2, 'Recovery': 2}  # synchronized, still running in Azure
    vault.workload({'vms': ['app01'], 'writes': 1})
    vault.resume_job(operation.name, {'properties': {'comments': 'window open'}})
    vault.settle()
    assert operation.status == 'Succeeded' and plans.plan(vault, 'rp')['properties']['currentScenario'] == {'scenarioName': 'None'}
    for name, version in (('app01', 3), ('db01', 2)):
        properties = item(vault, name)['properties']
        assert (properties['activeLocation'], properties['protectionState']) == ('Primary', 'FailbackCompleted')
        assert recovery_points.summary(item(vault, name))['versions'] == {'Primary': version, 'Recovery': version}
    steps = [(event['scenario'], event['vm_name']) for event in vault.events if event.get('plan') == 'rp' and event['scenario'] != 'Shutdown']
    assert steps == [('PlannedFailover', 'db01'), ('PlannedFailover', 'app01'), ('Boot', 'db01'), ('Boot', 'app01')]


def test_a_plans_failback_input_applies_to_a_failback_only(vault):
    plans = make_plan(vault)
    with pytest.raises(AzureError) as refused:
        plans.act(vault, 'rp', 'plannedFailover', {'properties': {'failoverDirection': 'PrimaryToRecovery', 'providerSpecificDetails': [
            {'instanceType': 'HyperVReplicaAzureFailback', 'dataSyncOption': 'ForDownTime', 'recoveryVmCreationOption': 'NoAction'}]}})
    assert refused.value.code == 'InvalidProviderInput'
    for name in ('app01', 'db01'):
        failed_over(vault, name)
    operation = plan_failback(plans, vault, data_sync='ForSynchronization')
    assert operation.status == 'Succeeded' and {item(vault, name)['properties']['activeLocation'] for name in ('app01', 'db01')} == {'Primary'}
