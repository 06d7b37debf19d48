# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site_recovery_azure.yml against the lab's hosts and the fake Azure: converges, then reruns with changed=0.

Host registration (provider + agent) is not implemented yet (asr_host_registration): the test registers the lab's hosts with the
site through the fake Azure's control route, as the provider would.
"""

from __future__ import annotations

from asr_lab import RESOURCE_GROUP, SITE, VAULT, VMS, azure, fake_azure, only, play, vault_state  # noqa: F401  pylint: disable=unused-import

TARGET_RG = '/subscriptions/0000/resourceGroups/rg-dr-vms'
VNET = '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr'
ROLE = 'hyperv.mobility.site_recovery_azure : '  # the callback names role tasks with their role


def playbook_vars(azure_handle) -> dict:
    return {'azure_resource_group': RESOURCE_GROUP, 'azure_vault_name': VAULT, 'azure_subscription_id': azure_handle.subscription_id,
            'azure_tenant': azure_handle.tenant_id, 'azure_client_id': azure_handle.client_id, 'azure_secret': azure_handle.secret,
            'azure_cloud_environment': azure_handle.base_url + '/', 'azure_ca_bundle': azure_handle.ca_path,
            'site_recovery_azure_site': SITE, 'site_recovery_azure_copy_frequency': 30, 'site_recovery_azure_recovery_point_retention': 4,
            'site_recovery_azure_vms': [{'vm_name': vm['name'], 'target_resource_group_id': TARGET_RG, 'target_network_id': VNET,
                                         'target_subnet': 'apps'} for vm in VMS]}


def test_playbook_stops_until_the_hosts_are_registered_then_converges_and_reruns_unchanged(azure, lab, run_playbook):
    for host in lab.hosts:
        lab.control.patch_host(host['name'], os_release='2022', hyperv_installed=True)
    extra_vars = playbook_vars(azure)
    first = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    assert first.rc != 0, first.stdout
    assert [fabric['name'] for fabric in vault_state(azure)['fabrics']] == [SITE]  # the site is created before the check
    message = next(iter(first.task(ROLE + 'Stop when a host of the play is not registered with the site').values()))['msg']
    assert all(host['name'] in message for host in lab.hosts) and 'not automated' in message
    assert vault_state(azure)['policies'] == []  # stopped before the policy

    for host in lab.hosts:  # what the Site Recovery provider does on each host
        azure.control.register_host(RESOURCE_GROUP, VAULT, SITE, '%s.hvlab.test' % host['name'], VMS if host['name'] == 'hv01' else [])
    converged = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    assert converged.rc == 0, converged.stdout
    state = vault_state(azure)
    assert state['policies'][0]['properties']['providerSpecificDetails']['replicationInterval'] == 30
    assert state['mappings'][0]['properties']['policyFriendlyName'] == 'hyperv-to-azure'
    protected = {item['properties']['friendlyName']: item['properties'] for item in state['protected_items']}
    assert sorted(protected) == ['app01', 'db01']
    assert all(item['protectionState'] == 'Protected' and item['replicationHealth'] == 'Normal' for item in protected.values())
    assert sum(counts.get('changed', 0) for counts in converged.stats.values()) >= 3  # policy, association, two VMs

    again = run_playbook('playbooks/site_recovery_azure.yml', inventory=lab.inventory_path, extra_vars=extra_vars)
    assert again.rc == 0, again.stdout
    assert again.changed_hosts() == [], again.stats
    assert azure.secret not in converged.stdout + again.stdout + converged.stderr
