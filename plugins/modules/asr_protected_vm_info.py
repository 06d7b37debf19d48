#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_protected_vm_info
short_description: Read the replication state and health of the protected VMs of a Hyper-V site or a VMM cloud
version_added: 0.1.0
description:
  - Lists the protected VMs of O(site) (or the one named O(name)) with protection state, replication health,
    initial replication progress, active location and the operations Site Recovery allows next.
  - With O(site) a VMM server and O(cloud) one of its clouds, lists the protected VMs of that cloud (VMM to a secondary site or to Azure).
  - Each VM comes with its health errors as Site Recovery reports them (C(healthErrors) - code, message, possible causes, recommended
    action, ...) and the retry class of Microsoft's Hyper-V to Azure architecture - C(fatal) errors are not retried and leave the VM
    C(Critical) until an administrator acts, C(transient) ones are retried by Site Recovery. No field of a health error names its class;
    the module reads it from the VM's replication health (C(Critical) is fatal, as Microsoft describes it).
  - C(resynchronization_required) is true when Site Recovery allows the C(RepairReplication) operation on the VM (it marked the VM for
    resynchronization); M(hyperv.mobility.asr_failover) with O(hyperv.mobility.asr_failover#module:action=resynchronize) starts it.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.azure_group
options:
  site:
    description: Name of the Hyper-V site, or a VMM server (its fabric name or the server's name; O(cloud) is then required).
    type: str
    required: true
  cloud:
    description: The VMM cloud (its name in VMM, or its protection container name) when O(site) is a VMM server.
    type: str
  name:
    description: Only this protected item. A missing item gives an empty list.
    type: str
'''

EXAMPLES = r'''
- name: Health of the protected VMs
  hyperv.mobility.asr_protected_vm_info:
    site: site-hq
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost

- name: Protected VMs of the Gold cloud of a VMM server
  hyperv.mobility.asr_protected_vm_info:
    site: vmm-hq.contoso.com
    cloud: Gold
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
protected_vms:
  description:
    - The protected VMs, with the keys of M(hyperv.mobility.asr_protected_vm)'s RV(hyperv.mobility.asr_protected_vm#module:protected_vm)
      plus C(test_failover_state) and C(allowed_operations); C(recovery_site) and C(recovery_cloud) for a VM replicating to a secondary VMM site.
  returned: success
  type: list
  elements: dict
  contains:
    health_errors:
      description:
        - The VM's health errors (Site Recovery's C(healthErrors)), empty when there is none.
      type: list
      elements: dict
      contains:
        error_code:
          description: Site Recovery's error code.
          type: str
        error_message:
          description: The error message.
          type: str
        possible_causes:
          description: Possible causes of the error.
          type: str
        recommended_action:
          description: What to do about it.
          type: str
        error_level:
          description: Level of the error, for example V(Error) or V(Warning).
          type: str
        error_category:
          description: Category, for example V(Replication) or V(Configuration).
          type: str
        error_source:
          description: Source of the error.
          type: str
        error_type:
          description: Type of the error.
          type: str
        customer_resolvability:
          description: V(Allowed) when the customer can resolve it, V(NotAllowed) otherwise.
          type: str
        summary_message:
          description: Summary message of the entity.
          type: str
        creation_time:
          description: When the error was raised (UTC).
          type: str
        entity_id:
          description: The entity the error is about.
          type: str
        error_id:
          description: The health error's unique id.
          type: str
        inner_errors:
          description: Related errors (C(innerHealthErrors)) with C(error_code), C(error_message) and C(recommended_action).
          type: list
          elements: dict
    failover_health:
      description: Site Recovery's failover health of the VM.
      type: str
    retry_class:
      description:
        - V(fatal) (the VM is C(Critical) - Site Recovery does not retry, an administrator must act), V(transient) (health errors
          Site Recovery retries every replication interval), or null when the VM has no health error.
      type: str
    retry_behaviour:
      description: What Site Recovery does about an error of that class, in words; null without one.
      type: str
    resynchronization_required:
      description: Whether Site Recovery allows a resynchronization of the VM (C(RepairReplication) among its allowed operations).
      type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrInfo, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import arm_property
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import health_view, protected_view


class ProtectedVmInfo(AsrInfo):
    key = 'protected_vms'

    def read(self):
        client = self.client
        fabric, container = self.protection_container(self.params['site'], self.params['cloud'])
        operations = client.asr.replication_protected_items
        if self.params['name']:
            item = client.get_or_none('protected VM %s' % self.params['name'], operations.get, fabric['name'], container['name'], self.params['name'])
            items = [item] if item else []
        else:
            items = client.list('protected VMs of %s' % (self.params['cloud'] or self.params['site']), operations.list_by_replication_protection_containers,
                                fabric['name'], container['name'])
        return [dict(protected_view(item), test_failover_state=arm_property(item, 'testFailoverState'),
                     allowed_operations=list(arm_property(item, 'allowedOperations') or []), **health_view(item)) for item in items]


def main():
    run_asr_module(dict(site=dict(type='str', required=True), cloud=dict(type='str'), name=dict(type='str')), ProtectedVmInfo)


if __name__ == '__main__':
    main()
