#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r'''
---
module: asr_policy_association
short_description: Associate a replication policy with a Hyper-V site of an Azure Site Recovery vault
version_added: 1.0.0
description:
  - Manages the protection container mapping that pairs the Hyper-V site's protection container with Azure
    (C(Microsoft Azure)) under a replication policy, so the site's VMs can be protected with that policy.
  - The site's protection container appears when the first Hyper-V host registers with the site; before that the module fails and says so.
  - Idempotent by policy, so a mapping of the same policy under another name counts as present.
  - Azure refuses to remove an association still used by protected VMs; the module reports that error.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
attributes:
  check_mode:
    support: full
    description: Reports whether the association would be created or removed.
  diff_mode:
    support: full
    description: Shows the association before and after.
options:
  site:
    description: Name of the Hyper-V site.
    type: str
    required: true
  policy:
    description: Name of the replication policy (M(hyperv.mobility.asr_replication_policy)).
    type: str
    required: true
  name:
    description: Name of the protection container mapping. Defaults to C(<site>-<policy>).
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
      description: Name of the site's protection container.
      type: str
    target:
      description: The target container, V(Microsoft Azure).
      type: str
    state:
      description: Pairing state reported by Site Recovery, for example V(Paired).
      type: str
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils.asr_module import AsrResource, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils.azure_client import AzureClientError, resource_name

AZURE_TARGET = 'Microsoft Azure'


def association_view(mapping, container_name):
    if not mapping:
        return {}
    properties = mapping.get('properties') or {}
    return dict(id=mapping.get('id'), name=mapping.get('name'), policy=resource_name(properties.get('policyId')), container=container_name,
                target=properties.get('targetProtectionContainerId'), state=properties.get('state'))


class PolicyAssociation(AsrResource):
    """The mapping of one policy on the container of one site."""

    def run(self):
        client = self.client
        params = self.params
        name = params['name'] or '%s-%s' % (params['site'], params['policy'])
        client.check_vault()
        _fabric, container = self.site_container(params['site'])
        container_name = container['name']
        policy = client.get_or_none('policy %s' % params['policy'], client.asr.replication_policies.get, params['policy'])
        if policy is None and params['state'] == 'present':
            raise AzureClientError("replication policy '%s' does not exist in vault %s" % (params['policy'], client.vault_name), kind='not_found')
        operations = client.asr.replication_protection_container_mappings
        mappings = client.list('associations of site %s' % params['site'], operations.list_by_replication_protection_containers,
                               params['site'], container_name)
        same_policy = [m for m in mappings if resource_name((m.get('properties') or {}).get('policyId')).lower() == params['policy'].lower()]
        named = [m for m in mappings if m['name'].lower() == name.lower()]
        if named and not same_policy:
            self.fail("association '%s' exists with policy '%s'; the policy of an association cannot change: remove it first (state=absent)"
                      % (name, resource_name(named[0]['properties'].get('policyId'))))
        current = same_policy[0] if same_policy else None
        operations = client.asr.replication_protection_container_mappings
        if params['state'] == 'absent':
            if not current:
                return dict(changed=False, association={})
            before, after, done = association_view(current, container_name), {}, False
            if not self.module.check_mode:
                _result, done = client.run_operation('remove association %s' % current['name'], operations.begin_purge, params['site'], container_name,
                                                     current['name'])
            return dict(changed=True, association=after, operation_done=done, diff=self.diff(before, after, 'association %s' % current['name']))
        if current:
            return dict(changed=False, association=association_view(current, container_name))
        after = dict(id=None, name=name, policy=policy['name'], container=container_name, target=AZURE_TARGET, state=None)
        body = {'properties': {'targetProtectionContainerId': AZURE_TARGET, 'policyId': policy['id'],
                               'providerSpecificInput': {'instanceType': 'ReplicationProviderSpecificContainerMappingInput'}}}
        done = False
        if not self.module.check_mode:
            result, done = client.run_operation('associate policy %s with site %s' % (policy['name'], params['site']), operations.begin_create,
                                                params['site'], container_name, name, body)
            if done:
                after = association_view(result, container_name)
        return dict(changed=True, association=after, operation_done=done, diff=self.diff({}, after, 'association %s' % name))


def main():
    run_asr_module(dict(site=dict(type='str', required=True), policy=dict(type='str', required=True), name=dict(type='str'),
                        state=dict(type='str', choices=['present', 'absent'], default='present')), PolicyAssociation)


if __name__ == '__main__':
    main()
