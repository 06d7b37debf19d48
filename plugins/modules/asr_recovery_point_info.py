#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: asr_recovery_point_info
short_description: List the recovery points of a VM protected by Azure Site Recovery
version_added: 0.1.0
description:
  - Lists the recovery points Site Recovery keeps for a protected VM, newest first, with their time and kind (application- or
    crash-consistent) - the points a failover can bring the VM up from (M(hyperv.mobility.asr_failover),
    O(hyperv.mobility.asr_failover#module:recovery_point)), to Azure and between VMM sites.
  - How many points there are follows the replication policy's retention; after a committed failover there are none until
    replication runs again.
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
    description: The VMM cloud of the protected VM (its name in VMM, or its protection container name) when O(site) is a VMM server.
    type: str
  name:
    description: Name of the replication protected item (the O(hyperv.mobility.asr_protected_vm#module:name)).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Recovery points of app01
  hyperv.mobility.asr_recovery_point_info:
    site: vmm01.corp.example.com
    cloud: Gold
    name: app01
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
  register: points
'''

RETURN = r'''
recovery_points:
  description: The recovery points, newest first.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Name of the recovery point (give it, or its id, as O(hyperv.mobility.asr_failover#module:recovery_point)).
      type: str
    id:
      description: ARM id of the recovery point.
      type: str
    time:
      description: When the point was taken.
      type: str
    type:
      description: V(ApplicationConsistent) or V(CrashConsistent).
      type: str
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrInfo, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import AzureClientError
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.recovery import newest_first, point_view


class RecoveryPointInfo(AsrInfo):
    key = 'recovery_points'

    def read(self):
        client, params = self.client, self.params
        fabric, container = self.protection_container(params['site'], params['cloud'])
        if client.get_or_none('protected VM %s' % params['name'], client.asr.replication_protected_items.get, fabric['name'], container['name'],
                              params['name']) is None:
            raise AzureClientError("'%s' is not a protected VM of %s" % (params['name'], params['cloud'] or params['site']), kind='not_found')
        points = client.list('recovery points of %s' % params['name'], client.asr.recovery_points.list_by_replication_protected_items,
                             fabric['name'], container['name'], params['name'])
        return [point_view(point) for point in newest_first(points)]


def main():
    run_asr_module(dict(site=dict(type='str', required=True), cloud=dict(type='str'), name=dict(type='str', required=True)), RecoveryPointInfo)


if __name__ == '__main__':
    main()
