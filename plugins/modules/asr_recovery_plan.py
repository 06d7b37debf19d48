#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_recovery_plan
short_description: Create, change or delete an Azure Site Recovery recovery plan (groups of protected VMs that fail over together)
version_added: 0.1.0
description:
  - A recovery plan fails several protected VMs over together - Site Recovery shuts the primary VMs down (planned failover),
    fails every VM over, then starts the plan's groups one after the other. Microsoft - "fail over a single machine or create
    recovery plans to orchestrate the failover of several machines". Run a plan's failover steps with
    M(hyperv.mobility.asr_failover) and O(hyperv.mobility.asr_failover#module:recovery_plan).
  - O(groups) lists the groups in the order they start, each with its VMs (protected VMs of O(site), by the name of their
    protected item or the VM's name). The plan replicates from O(site) to where its VMs replicate - Azure, a secondary VMM
    server, or another cloud of the same VMM server; Microsoft - "if you create recovery plans for failover, use the same VMM
    server for source and target" when one VMM server replicates between its own clouds.
  - Idempotent - a plan whose groups hold the same VMs in the same order is V(ok); other groups replace the plan's groups. A plan's
    source and target cannot change - delete it and create it again.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
options:
  name:
    description: Name of the recovery plan.
    type: str
    required: true
  state:
    description: V(present) creates or changes the plan, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  site:
    description:
      - The Hyper-V site or VMM server (its fabric name or the server's name) whose protected VMs the plan fails over. Required with O(state=present).
    type: str
  recovery_site:
    description:
      - Where the plan fails over to, as a check - V(Microsoft Azure), or a VMM server (fabric name or server name; O(site) itself
        for one VMM server replicating between its clouds). Every VM of the plan must replicate there. By default, where the VMs replicate.
    type: str
  groups:
    description: The groups in the order they start; each lists VMs (a VM belongs to one group only). Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      vms:
        description: Protected VMs of O(site), by protected item name or VM name.
        type: list
        elements: str
        required: true
'''

EXAMPLES = r'''
- name: One VMM server, cloud to cloud - the database first, then the application servers
  hyperv.mobility.asr_recovery_plan:
    name: rp-line-of-business
    site: vmm01.corp.example.com
    recovery_site: vmm01.corp.example.com
    groups:
      - vms: [db01]
      - vms: [app01, app02]
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
recovery_plan:
  description: The plan after the run (predicted in check mode, empty once deleted).
  returned: success
  type: dict
  contains:
    name:
      description: Name of the plan.
      type: str
    site:
      description: The source's name (Hyper-V site or VMM server).
      type: str
    recovery_site:
      description: The target's name (C(Microsoft Azure) or the recovery VMM server).
      type: str
    groups:
      description: The groups in the order they start, each with C(vms), the names of its protected items.
      type: list
      elements: dict
    allowed_operations:
      description: What Site Recovery allows next on the plan (what every VM of the plan allows).
      type: list
      elements: str
    failover_deployment_model:
      description: C(ResourceManager) for a plan to Azure, C(NotApplicable) between VMM sites.
      type: str
operation_done:
  description: Whether Azure finished the change (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import AZURE_RECOVERY, arm_property, resource_name
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureClientError
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.recovery import boot_groups, plan_groups, plan_view, same_groups


def group_problem(groups):
    """What is wrong with the groups option (None when nothing): empty, an empty group, a VM in two groups."""
    if not groups:
        return 'groups needs at least one group of VMs.'
    seen = set()
    for number, group in enumerate(groups, 1):
        if not group['vms']:
            return 'groups[%d].vms is empty: a group lists at least one VM.' % number
        for vm in group['vms']:
            if vm.lower() in seen:
                return "groups: VM '%s' is in more than one group; a VM belongs to one group of a plan." % vm
            seen.add(vm.lower())
    return None


class RecoveryPlan(AsrResource):
    """A recovery plan: its groups of protected items, in order; created, its groups replaced, or deleted."""

    key = 'recovery_plan'

    def __init__(self, module, client):
        super(RecoveryPlan, self).__init__(module, client)
        self.current = self.fabric_id = self.recovery_id = None
        self.groups = []

    def validate(self):
        if self.params['state'] == 'present':
            if not self.params['site']:
                self.fail('state=present needs site (the Hyper-V site or VMM server the plan fails over).')
            problem = group_problem(self.params['groups'])
            if problem:
                self.fail(problem)

    def read(self):
        client, name = self.client, self.params['name']
        self.subject = 'recovery plan %s' % name
        self.current = client.get_or_none(self.subject, client.asr.replication_recovery_plans.get, name)
        return plan_view(self.current)

    def desired(self, before):
        params = self.params
        if params['state'] == 'absent':
            return {}
        fabric = self.fabric(params['site'])
        self.fabric_id = fabric['id']
        self.groups, self.recovery_id = self.resolve_groups(fabric)
        if self.current is not None:
            fabrics = ((arm_property(self.current, 'primaryFabricId') or '').lower(), (arm_property(self.current, 'recoveryFabricId') or '').lower())
            if fabrics != (self.fabric_id.lower(), self.recovery_id.lower()):
                self.fail("recovery plan '%s' fails over from %s to %s; a plan's source and target cannot change: delete it (state=absent) and "
                          'create it again.' % (params['name'], arm_property(self.current, 'primaryFabricFriendlyName'),
                                                arm_property(self.current, 'recoveryFabricFriendlyName')))
            if same_groups(boot_groups(self.current), self.groups):
                return before
        return dict(before, name=params['name'], groups=[dict(vms=[resource_name(item_id) for item_id in group]) for group in self.groups],
                    allowed_operations=None)

    def operation(self, before, after):
        plans, name = self.client.asr.replication_recovery_plans, self.params['name']
        if not after:
            return Operation('delete %s' % self.subject, plans.begin_delete, (name,))
        wanted = dict(properties=dict(groups=plan_groups(self.groups)))
        if self.current is not None:
            return Operation('update %s' % self.subject, plans.begin_update, (name, wanted), view=plan_view)
        wanted['properties'].update(primaryFabricId=self.fabric_id, recoveryFabricId=self.recovery_id,
                                    failoverDeploymentModel='ResourceManager' if self.recovery_id == AZURE_RECOVERY else 'NotApplicable')
        return Operation('create %s' % self.subject, plans.begin_create, (name, wanted), view=plan_view)

    def resolve_groups(self, fabric):
        """The groups as lists of protected item ids, and the fabric they replicate to (every VM of the plan must share it)."""
        params = self.params
        items = self.protected_items_of(fabric)
        by_name = {}
        for item in items:
            for name in (item.get('name'), arm_property(item, 'friendlyName')):
                by_name.setdefault((name or '').lower(), item)
        groups, targets = [], set()
        for group in params['groups']:
            ids = []
            for vm in group['vms']:
                item = by_name.get(vm.lower())
                if item is None:
                    known = ', '.join(sorted(arm_property(i, 'friendlyName') or i['name'] for i in items)) or 'none'
                    raise AzureClientError("groups: '%s' is not a protected VM of %s (its protected VMs: %s); protect it first "
                                           '(hyperv.mobility.asr_protected_vm).' % (vm, params['site'], known), kind='not_found')
                ids.append(item['id'])
                targets.add(arm_property(item, 'recoveryFabricId') or '')
            groups.append(ids)
        if len(targets) != 1:
            raise AzureClientError('groups: the VMs replicate to different targets (%s); a plan fails over to one.' % ', '.join(sorted(targets)),
                                   kind='bad_request')
        recovery_id = targets.pop()
        if params['recovery_site'] and not self.is_fabric(recovery_id, params['recovery_site']):
            raise AzureClientError("recovery_site: the plan's VMs replicate to %s, not to '%s'." % (resource_name(recovery_id), params['recovery_site']),
                                   kind='bad_request')
        return groups, recovery_id

    def is_fabric(self, fabric_id, wanted):
        """Whether an ARM fabric id (or Microsoft Azure) is the fabric ``wanted`` names (fabric name or friendly name)."""
        if fabric_id == AZURE_RECOVERY or wanted.lower() == AZURE_RECOVERY.lower():
            return fabric_id.lower() == wanted.lower()
        return self.fabric(wanted, 'recovery_site')['id'].lower() == fabric_id.lower()


def main():
    run_asr_module(dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        site=dict(type='str'),
        recovery_site=dict(type='str'),
        groups=dict(type='list', elements='dict', options=dict(vms=dict(type='list', elements='str', required=True))),
    ), RecoveryPlan)


if __name__ == '__main__':
    main()
