#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_network_mapping_info
short_description: Read the network mappings of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Lists the network mappings of the vault (VMM VM network to recovery VM network or Azure virtual network), all of them or
    those of one VMM server (O(site)), one VM network (O(network)) or one name (O(name)). One call, whatever the filters.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.azure_group
options:
  site:
    description: Only mappings of this primary VMM server (fabric name, or friendly name - the VMM server's name).
    type: str
  network:
    description: Only mappings of this primary VM network (its name in VMM or in Site Recovery).
    type: str
  name:
    description: Only the mapping of this name. Nothing matching gives an empty list.
    type: str
'''

EXAMPLES = r'''
- name: Network mappings of the VMM server vmm-hq
  hyperv.mobility.asr_network_mapping_info:
    site: vmm-hq.corp.example.com
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
  register: mappings
'''

RETURN = r'''
network_mappings:
  description:
    - The mappings, with the keys of M(hyperv.mobility.asr_network_mapping)'s RV(hyperv.mobility.asr_network_mapping#module:network_mapping),
      and C(site_friendly_name), the primary VMM server's name.
  returned: success
  type: list
  elements: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrInfo, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import arm_property
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import network_mapping_view


def matches(view, mapping, params):
    """Whether one mapping passes the filters (site / network by either of their names, name)."""
    checks = ((params['site'], (view['site'], arm_property(mapping, 'primaryFabricFriendlyName'))),
              (params['network'], (view['network'], view['network_friendly_name'])),
              (params['name'], (view['name'],)))
    return all(wanted is None or wanted.lower() in [(value or '').lower() for value in values] for wanted, values in checks)


class NetworkMappingInfo(AsrInfo):
    key = 'network_mappings'

    def read(self):
        mappings = self.client.list('network mappings', self.client.asr.replication_network_mappings.list)
        views = []
        for mapping in mappings:
            view = network_mapping_view(mapping)
            if matches(view, mapping, self.params):
                views.append(dict(view, site_friendly_name=arm_property(mapping, 'primaryFabricFriendlyName')))
        return views


def main():
    run_asr_module(dict(site=dict(type='str'), network=dict(type='str'), name=dict(type='str')), NetworkMappingInfo)


if __name__ == '__main__':
    main()
