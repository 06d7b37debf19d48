# -*- coding: utf-8 -*-
"""The Azure VM settings of a protected VM (plugins/module_utils/_azure/targets.py): option checks, adapters, the update input."""

import pytest

from ansible_collections.hyperv.mobility.plugins.module_utils._azure.targets import nic_views, problems, update_input, wanted_nics

NICS = [dict(nic_id='nic-a', network_name='External', subnet='apps', static_ip=None),
        dict(nic_id='nic-b', network_name='Backup', subnet='apps', static_ip=None)]


@pytest.mark.parametrize('params, fragment', [
    (dict(target_vm_size='D2s_v3'), "target_vm_size: 'D2s_v3' is not an Azure VM size"),
    (dict(target_vm_size='Standard D2'), 'target_vm_size'),
    (dict(target_vm_name='app 01'), "target_vm_name: 'app 01' is not a valid Azure VM name"),
    (dict(target_vm_name='app01-'), 'not ending with a hyphen'),
    (dict(target_vm_name='a' * 65), '1 to 64 characters'),
    (dict(target_subnet='-apps'), "target_subnet: '-apps' is not an Azure subnet name"),
    (dict(target_nics=[dict(static_ip='10.0.0.300')]), "target_nics[0].static_ip: '10.0.0.300' is not an IPv4 address"),
    (dict(target_nics=[dict(static_ip='fe80::1')]), 'is not an IPv4 address'),
    (dict(target_nics=[dict(), dict(static_ip='224.0.0.5')]), 'target_nics[1].static_ip: 224.0.0.5 cannot be'),
    (dict(target_nics=[dict(subnet='apps!')]), "target_nics[0].subnet: 'apps!' is not an Azure subnet name"),
    (dict(target_nics=[dict(nic_id='nic-a'), dict(nic_id='NIC-A')]), "target_nics[1].nic_id: network adapter 'NIC-A' is listed twice"),
])
def test_bad_target_settings_are_refused_naming_the_option(params, fragment):
    found = problems(params)
    assert found and fragment in found[0]


def test_good_target_settings_pass():
    assert problems(dict(target_vm_size='Standard_D2s_v3', target_vm_name='app01-dr', target_subnet='apps_1',
                         target_nics=[dict(nic_id='nic-a', subnet='db.tier', static_ip='10.20.1.15'), dict(static_ip=None)])) == []


def test_adapters_by_id_or_position_with_the_default_subnet():
    wanted, problem = wanted_nics(NICS, dict(target_subnet='web', target_nics=[dict(static_ip='10.0.0.5'), dict(nic_id='NIC-B', subnet='db')]))
    assert problem is None
    assert wanted == [dict(NICS[0], subnet='web', static_ip='10.0.0.5'), dict(NICS[1], subnet='db')]
    assert wanted_nics(NICS, dict(target_subnet=None, target_nics=None)) == (NICS, None)


def test_adapters_that_do_not_exist_are_named_with_the_existing_ones():
    assert "target_nics[0].nic_id: 'nic-x' is not a network adapter of the VM (its adapters: nic-a, nic-b)" in wanted_nics(
        NICS, dict(target_nics=[dict(nic_id='nic-x')]))[1]
    assert 'target_nics[2]: the VM has 2 network adapter(s)' in wanted_nics(NICS, dict(target_nics=[{}, {}, {}]))[1]


def test_views_and_update_input_of_the_adapters():
    details = {'vmNics': [{'nicId': 'nic-a', 'vMNetworkName': 'External', 'ipConfigs': [
        {'name': 'ipconfig1', 'isPrimary': True, 'recoverySubnetName': 'apps', 'recoveryStaticIPAddress': '10.0.0.5'}]}]}
    assert nic_views(details) == [dict(nic_id='nic-a', network_name='External', subnet='apps', static_ip='10.0.0.5')]
    after = dict(target_vm_name='app01', target_vm_size='Standard_B2ms', target_network_id='/vnet',
                 target_nics=[dict(nic_id='nic-a', network_name='External', subnet='web', static_ip=None)])
    properties = update_input(details, after)['properties']
    assert properties['recoveryAzureVMSize'] == 'Standard_B2ms' and properties['selectedRecoveryAzureNetworkId'] == '/vnet'
    assert properties['providerSpecificDetails'] == {'instanceType': 'HyperVReplicaAzure'}
    assert properties['vmNics'] == [{'nicId': 'nic-a', 'selectionType': 'SelectedByUser', 'ipConfigs': [
        {'ipConfigName': 'ipconfig1', 'isPrimary': True, 'isSeletedForFailover': True, 'recoverySubnetName': 'web', 'recoveryStaticIPAddress': ''}]}]
