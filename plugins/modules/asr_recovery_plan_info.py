#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_recovery_plan_info
short_description: Read the recovery plans of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Lists the vault's recovery plans (or the one named O(name)) with their source and target, their groups in the order they
    start, and the operations Site Recovery allows next.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.azure_group
options:
  name:
    description: Only this plan. A missing plan gives an empty list.
    type: str
'''

EXAMPLES = r'''
- name: Recovery plans of the vault
  hyperv.mobility.asr_recovery_plan_info:
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
  register: plans
'''

RETURN = r'''
recovery_plans:
  description: The plans, with the keys of M(hyperv.mobility.asr_recovery_plan)'s RV(hyperv.mobility.asr_recovery_plan#module:recovery_plan).
  returned: success
  type: list
  elements: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrInfo, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.recovery import plan_view


class RecoveryPlanInfo(AsrInfo):
    key = 'recovery_plans'

    def read(self):
        client = self.client
        plans = client.asr.replication_recovery_plans
        if self.params['name']:
            found = client.get_or_none('recovery plan %s' % self.params['name'], plans.get, self.params['name'])
            listed = [found] if found else []
        else:
            listed = client.list('recovery plans', plans.list)
        return [plan_view(plan) for plan in listed]


def main():
    run_asr_module(dict(name=dict(type='str')), RecoveryPlanInfo)


if __name__ == '__main__':
    main()
