#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_protected_vm
short_description: Enable or disable Azure Site Recovery replication of a Hyper-V VM to Azure or of a VMM cloud's VM to a secondary site
version_added: 0.1.0
description:
  - Enables replication (protection) of a VM of a Hyper-V site to Azure managed disks in O(target_resource_group_id), or to
    a storage account, with the Azure VM name, network and subnet used at failover; V(absent) disables it.
  - The VM must be a protectable item of the site (its host registered with the site), and O(policy) must be associated
    with the site (M(hyperv.mobility.asr_policy_association)).
  - VMM to a secondary site - with O(site) a VMM server (its fabric name or the server's name) and O(cloud) one of its clouds, a
    C(hyperv_replica) policy associated with that cloud and a recovery VMM cloud replicates the VM to the secondary site (Hyper-V
    Replica, provider C(HyperVReplica2012R2)). The Azure options (O(target_resource_group_id), O(target_storage_account_id),
    O(target_network_id), O(target_subnet), O(target_vm_name), O(os_type)) are then refused; the VM connects after failover to
    the VM network its network is mapped to (M(hyperv.mobility.asr_network_mapping)).
  - A VMM cloud associated with Azure under a C(hyperv_to_azure) policy replicates to Azure with the same options as a Hyper-V site.
  - Enabling starts initial replication (a snapshot of the VM, then its disks copied to Azure). With O(wait_for_initial_replication)
    the module waits, within O(timeout), until the VM is C(Protected), reading the VM's state every O(poll_interval) seconds
    (2 when not set) or after what the service's C(Retry-After) asks.
  - The Azure VM of a failover - O(target_vm_name), O(target_vm_size), O(target_network_id), O(target_subnet) and, per network
    adapter, O(target_nics) (subnet and static IP address) - is set when protection is enabled (the adapters right after, once
    Site Recovery lists them) and changed in place on an already protected VM (Site Recovery's C(updateProtectedItem)), while the
    VM is not failed over; a setting the task does not give is left as it is, so a rerun is C(ok).
  - O(policy) of an already protected VM is not changed - the module warns when it differs - since that takes disabling and enabling
    protection again.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
options:
  site:
    description: Name of the Hyper-V site, or a VMM server (its fabric name or the server's name; O(cloud) is then required).
    type: str
    required: true
  cloud:
    description:
      - The VMM cloud of the VM (its name in VMM, or its protection container name) when O(site) is a VMM server.
      - O(policy) must be associated with the cloud; a C(hyperv_replica) policy associated with a recovery VMM cloud replicates to
        the secondary site, a C(hyperv_to_azure) policy associated with Azure replicates to Azure.
    type: str
  vm_name:
    description: Name of the VM on its Hyper-V host. An unknown VM is an error that lists the site's (or the cloud's) VMs.
    type: str
    required: true
  name:
    description: Name of the replication protected item. Defaults to O(vm_name).
    type: str
  policy:
    description: Replication policy to protect the VM with. Required with O(state=present).
    type: str
  target_resource_group_id:
    description: ARM id of the resource group of the managed disks and of the VM created at failover. Replication to Azure only.
    type: str
  target_storage_account_id:
    description: ARM id of a storage account to replicate to instead of managed disks. Replication to Azure only.
    type: str
  target_network_id:
    description: ARM id of the virtual network the Azure VM joins at failover. Replication to Azure only.
    type: str
  target_subnet:
    description: Name of the subnet of O(target_network_id). Replication to Azure only.
    type: str
  target_vm_name:
    description:
      - Name of the Azure VM created at failover. Defaults to O(vm_name) when protection is enabled. Replication to Azure only.
      - At most 64 characters, without spaces nor C(~!@#$%^&*()=+_[]{}\|;:.'",<>/?), not ending with a hyphen.
    type: str
  target_vm_size:
    description:
      - Size of the Azure VM created at failover, as Azure names it (for example V(Standard_D2s_v3)); Site Recovery picks one from the
        VM's processors and memory when it is not set. Replication to Azure only.
    type: str
  target_nics:
    description:
      - The network adapters of the Azure VM created at failover, each in the subnet of O(target_network_id) and with the static
        IP address given here. Replication to Azure only.
      - An entry names its adapter with O(target_nics[].nic_id) (see RV(protected_vm.target_nics)), else it is the adapter at its
        position in that list. Adapters left out keep their settings.
    type: list
    elements: dict
    suboptions:
      nic_id:
        description: Site Recovery's id of the VM's network adapter.
        type: str
      subnet:
        description: Subnet of O(target_network_id) for this adapter. Defaults to O(target_subnet), else the adapter's current one.
        type: str
      static_ip:
        description: The IPv4 address of the adapter in Azure. Without it the adapter gets a dynamic address.
        type: str
  os_type:
    description: Operating system of the VM. Defaults to what the host reports. Replication to Azure only.
    type: str
    choices: [Windows, Linux]
  wait_for_initial_replication:
    description: With O(state=present), wait until initial replication has finished (within O(timeout), reading every O(poll_interval) seconds).
    type: bool
    default: false
  state:
    description: V(present) enables replication, V(absent) disables it.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Replicate app01 to managed disks, failover VM in vnet-dr/apps
  hyperv.mobility.asr_protected_vm:
    site: site-hq
    vm_name: app01
    policy: hyperv-to-azure
    target_resource_group_id: /subscriptions/0000/resourceGroups/rg-dr-vms
    target_network_id: /subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-dr
    target_subnet: apps
    wait_for_initial_replication: true
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost

- name: app01 (already protected) fails over as a Standard_D4s_v3, its second adapter at 10.20.2.15 in the subnet backup
  hyperv.mobility.asr_protected_vm:
    site: site-hq
    vm_name: app01
    policy: hyperv-to-azure
    target_resource_group_id: "{{ dr_resource_group_id }}"
    target_vm_size: Standard_D4s_v3
    target_nics:
      - nic_id: "{{ app01_nics[1].nic_id }}"  # from protected_vm.target_nics
        subnet: backup
        static_ip: 10.20.2.15
  delegate_to: localhost

- name: VMM to a secondary site - replicate app01 of the Gold cloud of vmm-hq to the cloud Gold is associated with
  hyperv.mobility.asr_protected_vm:
    site: vmm-hq.contoso.com
    cloud: Gold
    vm_name: app01
    policy: vmm-to-vmm
    wait_for_initial_replication: true
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
protected_vm:
  description: The protected item after the run (predicted in check mode; empty when absent).
  returned: success
  type: dict
  contains:
    id:
      description: ARM id of the replication protected item.
      type: str
    name:
      description: Name of the protected item.
      type: str
    vm_name:
      description: Name of the VM.
      type: str
    policy:
      description: Name of the replication policy.
      type: str
    protection_state:
      description: Protection state, for example V(InitialReplicationInProgress) or V(Protected).
      type: str
    replication_health:
      description: Replication health, for example V(Normal).
      type: str
    active_location:
      description: Where the VM runs, V(Primary) or V(Recovery).
      type: str
    initial_replication_progress:
      description: Percentage of initial replication done.
      type: int
    target_vm_name:
      description: Azure VM name used at failover.
      type: str
    target_network_id:
      description: Azure network used at failover.
      type: str
    target_subnet:
      description: Subnet used at failover (of the first network adapter).
      type: str
    target_vm_size:
      description: Size of the Azure VM created at failover (null until one is set; Site Recovery then picks one at failover).
      type: str
    target_nics:
      description: The VM's network adapters and what each becomes in Azure (empty between VMM sites).
      type: list
      elements: dict
      contains:
        nic_id:
          description: Site Recovery's id of the adapter (O(target_nics[].nic_id)).
          type: str
        network_name:
          description: The network the adapter is connected to on the Hyper-V host.
          type: str
        subnet:
          description: The subnet of the Azure network the adapter gets at failover.
          type: str
        static_ip:
          description: Its static IP address in Azure; null for a dynamic one.
          type: str
    recovery_site:
      description: VMM to a secondary site only. The VMM server of the recovery cloud.
      type: str
    recovery_cloud:
      description: VMM to a secondary site only. The VMM cloud the VM replicates to.
      type: str
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import HYPERV_REPLICA, HYPERV_TO_AZURE, arm_property, provider_of, resource_name
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureClientError
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.targets import problems as target_problems, update_input, wanted_nics
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import protected_view

# Options that describe the Azure side; replication to a VMM cloud of a secondary site takes none of them.
AZURE_OPTIONS = ('target_resource_group_id', 'target_storage_account_id', 'target_network_id', 'target_subnet', 'target_vm_name', 'os_type',
                 'target_vm_size', 'target_nics')
# The settings of the Azure VM updateProtectedItem changes in place; Azure compares names and ids without case.
UPDATABLE = ('target_vm_name', 'target_vm_size', 'target_network_id')


class ProtectedVm(AsrResource):
    """Protection of one VM: enable or disable it, optionally wait for initial replication."""

    key = 'protected_vm'

    def __init__(self, module, client):
        super(ProtectedVm, self).__init__(module, client)
        self.fabric_name = self.container = self.current = self.item = self.policy = self.recovery = None
        self.name = module.params['name'] or module.params['vm_name']

    def validate(self):
        params = self.params
        for problem in target_problems(params):
            self.fail(problem)
        if params['state'] == 'present':
            if not params['policy']:
                self.fail('state=present needs policy')
            if not params['cloud']:
                self._need_azure_target()

    def _need_azure_target(self):
        if not self.params['target_resource_group_id'] and not self.params['target_storage_account_id']:
            self.fail('state=present needs target_resource_group_id (managed disks) or target_storage_account_id to replicate to Azure '
                      '(a VMM cloud replicating to a secondary site, cloud with a hyperv_replica policy, needs neither)')

    def read(self):
        fabric, self.container = self.protection_container(self.params['site'], self.params['cloud'])
        self.fabric_name = fabric['name']
        self.current = self.client.get_or_none('protected VM %s' % self.name, self.client.asr.replication_protected_items.get, self.fabric_name,
                                               self.container['name'], self.name)
        self.subject = 'protected VM %s' % (self.current['name'] if self.current else self.name)
        return protected_view(self.current)

    def desired(self, before):
        client, params = self.client, self.params
        if params['state'] == 'absent':
            return {}
        if before:
            to_vmm = provider_of(self.current) == HYPERV_REPLICA
            self._refuse_azure_options(to_vmm, arm_property(self.current, 'recoveryProtectionContainerFriendlyName'))
            self._warn_on_drift(before)
            return before if to_vmm else self._updated(before)
        self.item = self._protectable_item()
        self.policy = client.get_or_none('policy %s' % params['policy'], client.asr.replication_policies.get, params['policy'])
        if self.policy is None:
            raise AzureClientError("replication policy '%s' does not exist in vault %s" % (params['policy'], client.vault_name), kind='not_found')
        self.recovery = self._recovery_cloud() if params['cloud'] else None
        if self.recovery is None:
            self._need_azure_target()
        after = dict(id=None, name=self.name, vm_name=params['vm_name'], policy=self.policy['name'], protection_state=None, replication_health=None,
                     active_location='Primary', initial_replication_progress=0, target_vm_name=params['target_vm_name'] or params['vm_name'],
                     target_network_id=params['target_network_id'], target_subnet=params['target_subnet'], target_vm_size=params['target_vm_size'],
                     target_nics=[dict(nic_id=nic.get('nic_id'), network_name=None, subnet=nic.get('subnet') or params['target_subnet'],
                                       static_ip=nic.get('static_ip')) for nic in params['target_nics'] or []])
        if params['target_nics'] and not params['target_network_id']:
            self.fail('target_nics needs target_network_id, the Azure network the adapters join at failover')
        if self.recovery is not None:
            after.update(target_vm_name=None, recovery_site=arm_property(self.recovery, 'targetFabricFriendlyName'),
                         recovery_cloud=arm_property(self.recovery, 'targetProtectionContainerFriendlyName'))
        return after

    def operation(self, before, after):
        items = self.client.asr.replication_protected_items
        where = (self.fabric_name, self.container['name'])
        if not after:
            return Operation('disable replication of %s' % before['vm_name'], items.begin_purge, where + (self.current['name'],))
        if before:
            return Operation('update the Azure VM settings of %s' % before['vm_name'], items.begin_update,
                             where + (self.current['name'], update_input(arm_property(self.current, 'providerSpecificDetails'), after)), view=protected_view)
        body = {'properties': {'policyId': self.policy['id'], 'protectableItemId': self.item['id']}}
        if self.recovery is None:
            body['properties']['providerSpecificDetails'] = self._azure_input()
        enable = Operation('enable replication of %s' % self.params['vm_name'], items.begin_create, where + (self.name, body), view=protected_view)
        if not self.params['target_nics']:
            return enable
        # The adapters appear in the item once protection is enabled: their settings follow in an update built from it.
        return [enable, Operation('set the network adapters of %s' % self.params['vm_name'], items.begin_update, self._nic_update, view=protected_view)]

    def _updated(self, before):
        """The protected VM with the Azure VM settings the options change (before itself when none changes)."""
        after = dict(before)
        for option in UPDATABLE:
            wanted = self.params[option]
            if wanted is not None and (before.get(option) or '').lower() != wanted.lower():
                after[option] = wanted
        nics, problem = wanted_nics(before['target_nics'], self.params)
        if problem:
            self.fail(problem)
        after['target_nics'] = nics
        if nics:
            after['target_subnet'] = nics[0]['subnet']
        elif self.params['target_subnet'] is not None:
            after['target_subnet'] = self.params['target_subnet']
        if after != before and before['active_location'] != 'Primary':
            self.fail("%s is failed over (active on %s): its Azure VM settings change once it is protected again (commit, then reprotect "
                      'with hyperv.mobility.asr_failover)' % (before['vm_name'], before['active_location']))
        return after

    def _nic_update(self):
        """The update that gives the adapters of a VM just protected their subnet and address (arguments of an Operation)."""
        client = self.client
        self.current = client.get_or_none('protected VM %s' % self.name, client.asr.replication_protected_items.get, self.fabric_name,
                                          self.container['name'], self.name)
        current = protected_view(self.current)
        nics, problem = wanted_nics(current['target_nics'], self.params)
        if problem:
            raise AzureClientError('%s; replication of %s is enabled, its network adapters are as Site Recovery chose them: fix target_nics '
                                   'and run the task again.' % (problem, self.params['vm_name']), kind='bad_request')
        after = dict(current, target_nics=nics)
        return (self.fabric_name, self.container['name'], self.name, update_input(arm_property(self.current, 'providerSpecificDetails'), after))

    def settle(self, view):
        """With wait_for_initial_replication, the VM once its initial replication is over."""
        if not view or not self.params['wait_for_initial_replication']:
            return view
        client = self.client

        def read():
            item, retry_after = client.get_with_retry_after('protected VM %s' % self.name, client.asr.replication_protected_items.get,
                                                            self.fabric_name, self.container['name'], self.name)
            return protected_view(item), retry_after
        return self.poll_until('initial replication of %s' % self.name, read, lambda view: view['protection_state'] != 'InitialReplicationInProgress',
                               progress=lambda view: '%s%% done' % view['initial_replication_progress'])

    def _refuse_azure_options(self, to_vmm, recovery_cloud):
        given = [option for option in AZURE_OPTIONS if self.params[option]]
        if to_vmm and given:
            self.fail("%s apply to replication to Azure only; cloud '%s' replicates to the VMM cloud '%s' of a secondary site" % (
                ', '.join(given), self.params['cloud'], recovery_cloud))

    def _recovery_cloud(self):
        """The association of the VMM cloud under the policy when it replicates to a recovery VMM cloud (VMM to VMM), else None (to Azure)."""
        client, policy = self.client, self.policy
        operations = client.asr.replication_protection_container_mappings
        mappings = client.list('associations of cloud %s' % self.params['cloud'], operations.list_by_replication_protection_containers,
                               self.fabric_name, self.container['name'])
        mapping = next((m for m in mappings if resource_name(arm_property(m, 'policyId')).lower() == policy['name'].lower()), None)
        associated = sorted(resource_name(arm_property(m, 'policyId')) for m in mappings)
        if mapping is None:
            raise AzureClientError("policy '%s' is not associated with cloud '%s' (its policies: %s); associate it first with "
                                   "hyperv.mobility.asr_policy_association (cloud, recovery_site, recovery_cloud)" % (
                                       policy['name'], self.params['cloud'], ', '.join(associated) or 'none'), kind='bad_request')
        if provider_of(policy) != HYPERV_REPLICA:
            return None
        self._refuse_azure_options(True, arm_property(mapping, 'targetProtectionContainerFriendlyName'))
        return mapping

    def _protectable_item(self):
        client = self.client
        where = "cloud '%s'" % self.params['cloud'] if self.params['cloud'] else "site '%s'" % self.params['site']
        items = client.list('VMs of %s' % where, client.asr.replication_protectable_items.list_by_replication_protection_containers,
                            self.fabric_name, self.container['name'])
        for item in items:
            if (arm_property(item, 'friendlyName') or '').lower() == self.params['vm_name'].lower():
                return item
        known = sorted(arm_property(item, 'friendlyName') for item in items)
        hint = 'is it in the cloud in VMM?' if self.params['cloud'] else 'is its host registered with the site?'
        raise AzureClientError("VM '%s' is not a protectable item of %s (its VMs: %s); %s" % (
            self.params['vm_name'], where, ', '.join(known) or 'none', hint), kind='not_found')

    def _azure_input(self):
        """HyperVReplicaAzureEnableProtectionInput of the item (replication to Azure)."""
        params, item = self.params, self.item
        custom = arm_property(item, 'customDetails') or {}
        disks = custom.get('diskDetails') or []
        os_disk = next((disk for disk in disks if disk.get('vhdType') == 'OperatingSystem'), disks[0] if disks else {})
        provider = {'instanceType': HYPERV_TO_AZURE, 'hvHostVmId': custom.get('sourceItemId') or item['name'], 'vmName': params['vm_name'],
                    'osType': params['os_type'] or (custom.get('osDetails') or {}).get('osType') or 'Windows', 'vhdId': os_disk.get('vhdId'),
                    'targetAzureVmName': params['target_vm_name'] or params['vm_name']}
        if params['target_resource_group_id']:
            provider.update(useManagedDisks='true', targetAzureV2ResourceGroupId=params['target_resource_group_id'])
        if params['target_storage_account_id']:
            provider['targetStorageAccountId'] = params['target_storage_account_id']
        if params['target_network_id']:
            provider.update(targetAzureNetworkId=params['target_network_id'], targetAzureSubnetId=params['target_subnet'])
        if params['target_vm_size']:
            provider['targetVmSize'] = params['target_vm_size']
        return provider

    def _warn_on_drift(self, current):
        wanted = self.params['policy']
        if wanted is not None and (current.get('policy') or '').lower() != wanted.lower():
            self.module.warn('%s is already protected with policy %s, not %s; a protected VM keeps its policy: disable (state=absent) and enable '
                             'it again to change it.' % (current['vm_name'], current.get('policy'), wanted))


def main():
    run_asr_module(dict(
        site=dict(type='str', required=True), cloud=dict(type='str'), vm_name=dict(type='str', required=True), name=dict(type='str'),
        policy=dict(type='str'), target_resource_group_id=dict(type='str'), target_storage_account_id=dict(type='str'),
        target_network_id=dict(type='str'), target_subnet=dict(type='str'), target_vm_name=dict(type='str'), target_vm_size=dict(type='str'),
        target_nics=dict(type='list', elements='dict', options=dict(nic_id=dict(type='str'), subnet=dict(type='str'), static_ip=dict(type='str'))),
        os_type=dict(type='str', choices=['Windows', 'Linux']), wait_for_initial_replication=dict(type='bool', default=False),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ), ProtectedVm)


if __name__ == '__main__':
    main()
