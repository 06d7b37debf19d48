#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_policy_association
short_description: Associate a replication policy with a Hyper-V site or a VMM cloud of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Manages the protection container mapping that pairs the Hyper-V site's protection container with Azure
    (C(Microsoft Azure)) under a replication policy, so the site's VMs can be protected with that policy.
  - For a VMM server (fabric type C(VMM)) it pairs one of its clouds (O(cloud)) with Azure under a C(hyperv_to_azure) policy, or
    with a cloud of a secondary VMM site (O(recovery_site), O(recovery_cloud)) under a C(hyperv_replica) policy (VMM to a secondary site).
  - The site's protection container appears when the first Hyper-V host registers with the site; before that the module fails and says so.
  - Idempotent by policy, so a mapping of the same policy under another name counts as present.
  - Azure refuses to remove an association still used by protected VMs; the module reports that error.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
options:
  site:
    description:
      - Name of the Hyper-V site, or of the VMM server's fabric (its name or friendly name, the VMM server's name).
    type: str
    required: true
  cloud:
    description:
      - The VMM cloud to protect (its name in VMM, or the protection container name). Required when O(site) is a VMM server,
        refused for a Hyper-V site.
    type: str
  recovery_cloud:
    description:
      - The VMM cloud of the secondary site the cloud replicates to (VMM to a secondary site); the policy must then be a
        C(hyperv_replica) policy. Omit it to replicate to Azure (C(hyperv_to_azure) policy).
    type: str
  recovery_site:
    description:
      - The VMM server (fabric) of O(recovery_cloud). Defaults to O(site) (one VMM server managing both sites).
      - Only with O(recovery_cloud).
    type: str
  policy:
    description: Name of the replication policy (M(hyperv.mobility.asr_replication_policy)).
    type: str
    required: true
  name:
    description: Name of the protection container mapping. Defaults to C(<site>-<policy>) (C(<cloud>-<policy>) for a VMM cloud).
    type: str
  state:
    description: V(present) associates, V(absent) removes the association.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Use the hyperv-to-azure policy for the VMs of site-hq
  hyperv.mobility.asr_policy_association:
    site: site-hq
    policy: hyperv-to-azure
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost

- name: VMM to a secondary site - the Gold cloud of vmm-hq replicates to the Gold-DR cloud of vmm-dr
  hyperv.mobility.asr_policy_association:
    site: vmm-hq.corp.example.com
    cloud: Gold
    recovery_site: vmm-dr.corp.example.com
    recovery_cloud: Gold-DR
    policy: vmm-to-vmm
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
association:
  description: The association after the run (predicted in check mode; empty when absent).
  returned: success
  type: dict
  contains:
    id:
      description: ARM id of the protection container mapping.
      type: str
    name:
      description: Name of the mapping.
      type: str
    policy:
      description: Name of the policy.
      type: str
    container:
      description: Name of the site's protection container (the VMM cloud's container).
      type: str
    cloud:
      description: Friendly name of that container (the VMM cloud's name; the site's name for a Hyper-V site).
      type: str
    target:
      description: The target container, V(Microsoft Azure), or the ARM id of the recovery VMM cloud's container.
      type: str
    recovery_cloud:
      description: Friendly name of the target, V(Microsoft Azure) or the recovery VMM cloud's name.
      type: str
    state:
      description: Pairing state reported by Site Recovery, for example V(Paired).
      type: str
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import (
    AZURE_RECOVERY, HYPERV_REPLICA, HYPERV_TO_AZURE, VMM, arm_property, fabric_type, provider_of, resource_name)
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureClientError

VMM_OPTIONS = ('cloud', 'recovery_cloud', 'recovery_site')


def association_view(mapping, container):
    if not mapping:
        return {}
    return dict(id=mapping.get('id'), name=mapping.get('name'), policy=resource_name(arm_property(mapping, 'policyId')), container=container['name'],
                cloud=arm_property(container, 'friendlyName'), target=arm_property(mapping, 'targetProtectionContainerId'),
                recovery_cloud=arm_property(mapping, 'targetProtectionContainerFriendlyName'), state=arm_property(mapping, 'state'))


class PolicyAssociation(AsrResource):
    """The mapping of one policy on the container of one site (or VMM cloud), to Azure or to a recovery VMM cloud."""

    key = 'association'

    def __init__(self, module, client):
        super(PolicyAssociation, self).__init__(module, client)
        self.container = self.fabric_name = self.policy = self.target = self.name = None

    def validate(self):
        if self.params['recovery_site'] and not self.params['recovery_cloud']:
            self.fail('recovery_site needs recovery_cloud (the VMM cloud of the secondary site to replicate to)')

    def source_and_target(self):
        """(source container, target container id, target friendly name, expected policy provider)."""
        params = self.params
        fabric = self.fabric(params['site'])
        if fabric_type(fabric) != VMM:
            given = [option for option in VMM_OPTIONS if params[option]]
            if given:
                self.fail("%s apply to VMM servers only; site '%s' is a %s" % (', '.join(given), params['site'], fabric_type(fabric)))
            return self.site_container(params['site'], fabric)[1], AZURE_RECOVERY, AZURE_RECOVERY, HYPERV_TO_AZURE
        container = self.cloud_container(fabric, params['cloud'])
        if not params['recovery_cloud']:
            return container, AZURE_RECOVERY, AZURE_RECOVERY, HYPERV_TO_AZURE
        recovery_fabric = self.fabric(params['recovery_site'] or params['site'], 'recovery_site')
        if fabric_type(recovery_fabric) != VMM:
            self.fail("recovery_site '%s' is a %s; recovery_cloud needs a VMM server" % (params['recovery_site'], fabric_type(recovery_fabric)))
        target = self.cloud_container(recovery_fabric, params['recovery_cloud'], 'recovery_cloud')
        return container, target['id'], arm_property(target, 'friendlyName'), HYPERV_REPLICA

    def read(self):
        """The association of the policy on the container (one read of each object); sets what desired() and operation() use."""
        client, params = self.client, self.params
        self.container, target_id, target_name, provider = self.source_and_target()
        self.target = dict(id=target_id, name=target_name, provider=provider)
        self.fabric_name = resource_name(self.container['id'].rsplit('/replicationProtectionContainers/', 1)[0])
        name = params['name'] or '%s-%s' % (params['cloud'] or params['site'], params['policy'])
        self.policy = client.get_or_none('policy %s' % params['policy'], client.asr.replication_policies.get, params['policy'])
        if self.policy is None and params['state'] == 'present':
            raise AzureClientError("replication policy '%s' does not exist in vault %s" % (params['policy'], client.vault_name), kind='not_found')
        mappings = client.list('associations of site %s' % params['site'],
                               client.asr.replication_protection_container_mappings.list_by_replication_protection_containers,
                               self.fabric_name, self.container['name'])
        same_policy = [m for m in mappings if resource_name(arm_property(m, 'policyId')).lower() == params['policy'].lower()]
        named = [m for m in mappings if m['name'].lower() == name.lower()]
        if named and not same_policy:
            self.fail("association '%s' exists with policy '%s'; the policy of an association cannot change: remove it first (state=absent)"
                      % (name, resource_name(arm_property(named[0], 'policyId'))))
        current = same_policy[0] if same_policy else None
        self.name = current['name'] if current else name
        self.subject = 'association %s' % self.name
        return association_view(current, self.container)

    def desired(self, before):
        params, policy, target = self.params, self.policy, self.target
        if params['state'] == 'absent':
            return {}
        if provider_of(policy) != target['provider']:
            self.fail("policy '%s' is a %s policy; replication to %s needs a %s policy (asr_replication_policy replication_provider=%s)" % (
                policy['name'], provider_of(policy), target['name'], target['provider'],
                'hyperv_replica' if target['provider'] == HYPERV_REPLICA else 'hyperv_to_azure'))
        if before:
            if (before['target'] or '').lower() != target['id'].lower():
                self.fail("association '%s' of policy '%s' replicates to '%s', not to '%s'; remove it first (state=absent)" % (
                    before['name'], params['policy'], before['recovery_cloud'] or before['target'] or '', target['name']))
            return before
        return dict(id=None, name=self.name, policy=policy['name'], container=self.container['name'],
                    cloud=arm_property(self.container, 'friendlyName'), target=target['id'], recovery_cloud=target['name'], state=None)

    def operation(self, before, after):
        mappings = self.client.asr.replication_protection_container_mappings
        if not after:
            return Operation('remove %s' % self.subject, mappings.begin_purge, (self.fabric_name, self.container['name'], before['name']))
        body = {'properties': {'targetProtectionContainerId': after['target'], 'policyId': self.policy['id'],
                               'providerSpecificInput': {'instanceType': 'ReplicationProviderSpecificContainerMappingInput'}}}
        return Operation('associate policy %s with %s' % (self.policy['name'], after['cloud'] or self.params['site']), mappings.begin_create,
                         (self.fabric_name, self.container['name'], after['name'], body), view=lambda result: association_view(result, self.container))


def main():
    run_asr_module(dict(site=dict(type='str', required=True), policy=dict(type='str', required=True), name=dict(type='str'),
                        cloud=dict(type='str'), recovery_site=dict(type='str'), recovery_cloud=dict(type='str'),
                        state=dict(type='str', choices=['present', 'absent'], default='present')), PolicyAssociation)


if __name__ == '__main__':
    main()
