"""The fake Azure's recovery points, recovery plans and VMM server registration (hvlab.azure.recovery_points, plans, providers),
without HTTP. One VMM server replicates between two of its own clouds (Microsoft's single-VMM-server case)."""
# pylint: disable=redefined-outer-name  # pytest fixtures

import pytest

from hvlab.azure import plans, providers, recovery_points, vmm
from hvlab.azure.asr import AzureError, AzureWorld

REPLICA = {'instanceType': 'HyperVReplica2012R2', 'replicationFrequencyInSeconds': 300, 'recoveryPoints': 2,
           'applicationConsistentSnapshotFrequencyInHours': 1, 'replicationPort': 80, 'allowedAuthenticationType': 1}
VMS = [{'name': 'app01', 'id': 'vm-app01'}, {'name': 'db01', 'id': 'vm-db01'}, {'name': 'web01', 'id': 'vm-web01'}]


@pytest.fixture
def world():
    azure = AzureWorld('sub', 'tenant', 'client', 'secret')
    azure.settings['job_seconds'] = 0
    return azure


@pytest.fixture
def vault(world):
    """vmm01 with its clouds Primary (three VMs) and Secondary, paired under a Hyper-V Replica policy, every VM protected."""
    vault = world.create_vault('rg', 'vault')
    vmm.register_vmm(vault, {'fabric': 'vmm01', 'server': 'vmm01.hvlab.test', 'clouds': [{'name': 'Primary', 'vms': VMS}, 'Secondary']})
    vault.create_policy('replica', {'properties': {'providerSpecificInput': REPLICA}})
    primary, secondary = (cloud_named(vault, name) for name in ('Primary', 'Secondary'))
    vmm.create_container_mapping(vault, 'vmm01', primary['name'], 'pair', {'properties': {
        'policyId': vault.policy('replica')['id'], 'targetProtectionContainerId': secondary['id']}})
    vault.settle()
    for item in vault.protectable_items('vmm01', primary['name']):
        vault.enable_protection('vmm01', primary['name'], item['properties']['friendlyName'], {'properties': {
            'policyId': vault.policy('replica')['id'], 'protectableItemId': item['id']}})
    vault.settle()
    return vault


def cloud_named(vault, name):
    return next(c for c in vault.containers_of('vmm01') if c['properties']['friendlyName'] == name)


def item(vault, name):
    return vault.protected_item('vmm01', cloud_named(vault, 'Primary')['name'], name)


def act(vault, name, action, properties=None):
    vault.act('vmm01', cloud_named(vault, 'Primary')['name'], name, action, {'properties': properties or {}})
    vault.settle()
    return item(vault, name)['properties']


def refused(function, *args):
    with pytest.raises(AzureError) as raised:
        function(*args)
    return raised.value


def versions(vault, name):
    return recovery_points.summary(item(vault, name))


# ---- recovery points -------------------------------------------------------------------------------------------------------
def test_replication_cycles_keep_the_policys_recovery_points_each_with_its_data(vault):
    assert [p['data_version'] for p in versions(vault, 'app01')['recovery_points']] == [0]  # initial replication
    for _cycle in range(4):
        vault.workload({'vms': ['app01'], 'writes': 1, 'replicate': True})
    summary = versions(vault, 'app01')
    # recoveryPoints 2: the latest and two more
    assert [p['data_version'] for p in summary['recovery_points']] == [2, 3, 4]
    assert summary['versions'] == {'Primary': 4, 'Recovery': 4} and summary['active_version'] == 4
    listed = vault.recovery_points('vmm01', cloud_named(vault, 'Primary')['name'], 'app01')
    assert [p['name'] for p in listed] == [p['name'] for p in reversed(summary['recovery_points'])]  # newest first
    assert set(listed[0]) == {'id', 'name', 'type', 'properties'} and listed[0]['properties']['recoveryPointType'] == 'CrashConsistent'
    assert listed[0]['id'].startswith(item(vault, 'app01')['id'] + '/recoveryPoints/')
    assert 'dataVersion' not in str(listed)


def test_failover_to_an_older_recovery_point_brings_its_data_back_until_the_commit(vault):
    for _cycle in range(3):
        vault.workload({'vms': ['app01'], 'writes': 1, 'replicate': True})
    vault.workload({'vms': ['app01'], 'writes': 5})  # written after the last cycle: lost in an outage
    older = versions(vault, 'app01')['recovery_points'][0]
    assert refused(act, vault, 'app01', 'applyRecoveryPoint', {'recoveryPointId': older['name'], 'providerSpecificDetails': {}}).code == \
        'OperationNotAllowed'  # no failover yet: nothing to change
    properties = act(vault, 'app01', 'unplannedFailover', {'failoverDirection': 'PrimaryToRecovery', 'sourceSiteOperations': 'NotRequired'})
    assert properties['allowedOperations'] == ['Commit', 'ChangePit'] and versions(vault, 'app01')['active_version'] == 3
    point_id = item(vault, 'app01')['id'] + '/recoveryPoints/' + older['name']
    azure_input = {'recoveryPointId': point_id, 'providerSpecificDetails': {'instanceType': 'HyperVReplicaAzure'}}
    assert refused(act, vault, 'app01', 'applyRecoveryPoint', azure_input).code == 'InvalidProviderInput'
    assert refused(act, vault, 'app01', 'applyRecoveryPoint', {'providerSpecificDetails': {}}).code == 'InvalidRecoveryPointId'
    assert refused(act, vault, 'app01', 'applyRecoveryPoint', {'recoveryPointId': 'nope', 'providerSpecificDetails': {}}).status == 404
    act(vault, 'app01', 'applyRecoveryPoint', {'recoveryPointId': point_id, 'providerSpecificDetails': {}})
    assert versions(vault, 'app01')['active_version'] == older['data_version'] == 1
    properties = act(vault, 'app01', 'failoverCommit')
    assert properties['protectionState'] == 'FailoverCommitted' and versions(vault, 'app01')['recovery_points'] == []
    act(vault, 'app01', 'reProtect', {'failoverDirection': 'RecoveryToPrimary'})
    assert versions(vault, 'app01')['versions'] == {'Primary': 1, 'Recovery': 1}
    scenarios = [(event['scenario'], event['data_version']) for event in vault.events if event['vm_name'] == 'app01']
    assert scenarios == [('UnplannedFailover', 3), ('ApplyRecoveryPoint', 1), ('CommitFailover', 1), ('ReverseReplicate', 1)]


def test_planned_failover_loses_nothing(vault):
    vault.workload({'vms': ['db01'], 'writes': 1, 'replicate': True})
    vault.workload({'vms': ['db01'], 'writes': 2})
    act(vault, 'db01', 'plannedFailover', {'failoverDirection': 'PrimaryToRecovery'})
    assert versions(vault, 'db01')['versions'] == {'Primary': 3, 'Recovery': 3}


# ---- recovery plans --------------------------------------------------------------------------------------------------------
def plan_body(vault, *boot_groups, recovery=None, shutdown=()):
    fabric_id = vault.fabric('vmm01')['id']
    groups = [{'groupType': 'Shutdown', 'replicationProtectedItems': [{'id': item(vault, name)['id']} for name in shutdown]},
              {'groupType': 'Failover', 'replicationProtectedItems': []}]
    groups += [{'groupType': 'Boot', 'replicationProtectedItems': [{'id': item(vault, name)['id']} for name in group]} for group in boot_groups]
    return {'properties': {'primaryFabricId': fabric_id, 'recoveryFabricId': recovery or fabric_id, 'failoverDeploymentModel': 'NotApplicable',
                           'groups': groups}}


def test_a_plan_holds_protected_items_of_its_fabric_pair_once_in_boot_groups(vault):
    assert refused(plans.create_plan, vault, 'rp', plan_body(vault, ['app01'], shutdown=['db01'])).code == 'InvalidRecoveryPlanGroup'
    assert refused(plans.create_plan, vault, 'rp', plan_body(vault, ['app01'], ['app01'])).code == 'DuplicateProtectedItem'
    assert refused(plans.create_plan, vault, 'rp', plan_body(vault, [])).code == 'InvalidRecoveryPlanGroup'
    assert refused(plans.create_plan, vault, 'rp', plan_body(vault, ['app01'], recovery='Microsoft Azure')).code == 'InvalidProtectedItem'
    bad_type = plan_body(vault, ['app01'])
    bad_type['properties']['groups'][0]['groupType'] = 'Start'
    assert refused(plans.create_plan, vault, 'rp', bad_type).code == 'InvalidParameterValue'
    plans.create_plan(vault, 'rp', plan_body(vault, ['db01'], ['app01', 'web01']))
    vault.settle()
    created = plans.plan(vault, 'rp')['properties']
    assert created['primaryFabricFriendlyName'] == created['recoveryFabricFriendlyName'] == 'vmm01.hvlab.test'
    assert created['replicationProviders'] == ['HyperVReplica2012R2']
    assert created['allowedOperations'] == ['TestFailover', 'PlannedFailover', 'UnplannedFailover', 'DisableProtection']
    assert [g['replicationProtectedItems'][0]['virtualMachineId'] for g in created['groups'][2:]] == ['vm-db01', 'vm-app01']
    plans.update_plan(vault, 'rp', {'properties': {'groups': plan_body(vault, ['app01'])['properties']['groups']}})
    vault.settle()
    assert len(plans.plan(vault, 'rp')['properties']['groups']) == 3


def test_plan_failover_fails_every_item_over_then_boots_the_groups_in_order(vault):
    plans.create_plan(vault, 'rp', plan_body(vault, ['db01'], ['app01', 'web01']))
    vault.settle()
    assert refused(plans.act, vault, 'rp', 'unplannedFailover', {'properties': {'failoverDirection': 'PrimaryToRecovery'}}).code == \
        'InvalidParameterValue'  # sourceSiteOperations is required
    act(vault, 'web01', 'testFailover', {'failoverDirection': 'PrimaryToRecovery', 'networkType': 'NoNetworkAttachAsInput'})
    error = refused(plans.act, vault, 'rp', 'plannedFailover', {'properties': {'failoverDirection': 'PrimaryToRecovery'}})
    assert error.code == 'RecoveryPlanOperationNotAllowed' and 'web01' in error.message and 'app01' not in error.message
    act(vault, 'web01', 'testFailoverCleanup', {'comments': ''})
    vault.events.clear()
    plans.act(vault, 'rp', 'plannedFailover', {'properties': {'failoverDirection': 'PrimaryToRecovery'}})
    vault.settle()
    steps = [(event['scenario'], event['vm_name'], event.get('group')) for event in vault.events]
    assert steps == [('Shutdown', 'db01', None), ('Shutdown', 'app01', None), ('Shutdown', 'web01', None),
                     ('PlannedFailover', 'db01', None), ('PlannedFailover', 'app01', None), ('PlannedFailover', 'web01', None),
                     ('Boot', 'db01', 1), ('Boot', 'app01', 2), ('Boot', 'web01', 2)]
    assert plans.plan(vault, 'rp')['properties']['allowedOperations'] == ['Commit', 'ChangePit']
    assert plans.plan(vault, 'rp')['properties']['lastPlannedFailoverTime']
    plans.act(vault, 'rp', 'failoverCommit', {})
    plans.act(vault, 'rp', 'reProtect', {})
    vault.settle()
    assert {item(vault, name)['properties']['protectionState'] for name in ('db01', 'app01', 'web01')} == {'Protected'}
    assert {item(vault, name)['properties']['activeLocation'] for name in ('db01', 'app01', 'web01')} == {'Recovery'}


# ---- VMM servers registering through their provider -------------------------------------------------------------------------
def key_fields(world, vault, site=None):
    import xml.etree.ElementTree as ET  # pylint: disable=import-outside-toplevel
    root = ET.fromstring(providers.vault_credentials(vault, world.subscription_id, site))
    return {element.tag.rsplit('}', 1)[-1]: element.text for element in root}


def test_a_vmm_server_registers_with_the_key_for_vmm_servers_and_each_node_becomes_a_provider(world):
    vault = world.create_vault('rg', 'vault')
    vault.create_fabric('site', {'properties': {'customDetails': {'instanceType': 'HyperVSite'}}})
    vmm_key, site_key = key_fields(world, vault), key_fields(world, vault, 'site')
    assert 'SiteId' not in vmm_key and site_key['SiteId'] == 'site'
    details = {'node': 'vmm-a.hvlab.test', 'clouds': [{'name': 'Primary', 'vms': VMS[:1]}, {'name': 'Secondary', 'vms': []}],
               'networks': [{'name': 'Corp'}]}
    refusal = refused(providers.register_with_credentials, world, {'credentials': site_key, 'friendly_name': 'vmm-role', 'vmm': details})
    assert refusal.code == 'InvalidVaultCredentials' and "Hyper-V site 'site'" in refusal.message
    assert refused(providers.register_with_credentials, world, {'credentials': vmm_key, 'friendly_name': 'hv01', 'vms': []}).code == \
        'InvalidVaultCredentials'
    first = providers.register_with_credentials(world, {'credentials': vmm_key, 'friendly_name': 'vmm-role', 'vmm': details})
    again = providers.register_with_credentials(world, {'credentials': vmm_key, 'friendly_name': 'VMM-ROLE', 'vmm': details})
    other = providers.register_with_credentials(world, {'credentials': vmm_key, 'friendly_name': 'vmm-role', 'vmm': dict(details, node='vmm-b.hvlab.test')})
    assert first == again and first['properties']['fabricType'] == 'VMM' and first['properties']['machineName'] == 'vmm-a.hvlab.test'
    fabric = providers.vmm_fabric(vault, 'vmm-role')
    assert other['id'].startswith(fabric['id'] + '/replicationRecoveryServicesProviders/')
    assert [p['properties']['machineName'] for p in providers.providers_of(vault, fabric['name'])] == ['vmm-a.hvlab.test', 'vmm-b.hvlab.test']
    assert sorted(c['properties']['friendlyName'] for c in vault.containers_of(fabric['name'])) == ['Primary', 'Secondary']
    providers.remove_provider(vault, fabric['name'], other['name'])
    vault.settle()
    assert [p['name'] for p in providers.providers_of(vault, fabric['name'])] == [first['name']]
    providers.remove_provider(vault, fabric['name'], first['name'])
    vault.settle()
    assert providers.vmm_fabric(vault, 'vmm-role') is None and 'site' in vault.fabrics
