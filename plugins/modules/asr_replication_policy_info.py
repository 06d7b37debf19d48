#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_replication_policy_info
short_description: Read the replication policies of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Lists the replication policies (or the one named O(name)) with their settings, Hyper-V to Azure (C(HyperVReplicaAzure)) and
    VMM to a secondary site (C(HyperVReplica2012R2), with the on-premises keys such as C(authentication)).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.azure_group
options:
  name:
    description: Only this policy. A missing policy gives an empty list.
    type: str
'''

EXAMPLES = r'''
- name: Policies of the vault
  hyperv.mobility.asr_replication_policy_info:
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
policies:
  description: The policies, with the keys of M(hyperv.mobility.asr_replication_policy)'s RV(hyperv.mobility.asr_replication_policy#module:policy).
  returned: success
  type: list
  elements: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrInfo, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import policy_view


class PolicyInfo(AsrInfo):
    key = 'policies'

    def read(self):
        client = self.client
        if self.params['name']:
            policy = client.get_or_none('policy %s' % self.params['name'], client.asr.replication_policies.get, self.params['name'])
            policies = [policy] if policy else []
        else:
            policies = client.list('policies', client.asr.replication_policies.list)
        return [policy_view(policy) for policy in policies]


def main():
    run_asr_module(dict(name=dict(type='str')), PolicyInfo)


if __name__ == '__main__':
    main()
