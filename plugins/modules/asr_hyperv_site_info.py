#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_hyperv_site_info
short_description: Read the Hyper-V sites and VMM servers of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Lists the Hyper-V sites and VMM servers (replication fabrics), or the one named O(name), with their registered hosts and
    protection containers (the VMM clouds of a VMM server) and, for a VMM server, its VM networks (for M(hyperv.mobility.asr_network_mapping)).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.azure_group
options:
  name:
    description: Only this site or VMM server (fabric name, or friendly name - a VMM server's name). A missing one gives an empty list.
    type: str
'''

EXAMPLES = r'''
- name: Sites and their hosts
  hyperv.mobility.asr_hyperv_site_info:
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
  register: sites
'''

RETURN = r'''
sites:
  description: The sites.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Name of the site.
      type: str
    type:
      description: Fabric type, V(HyperVSite) or V(VMM).
      type: str
    friendly_name:
      description: Friendly name (a VMM server's fully qualified name).
      type: str
    hyperv_hosts:
      description: Registered Hyper-V hosts.
      type: list
      elements: str
    health:
      description: Health of the site.
      type: str
    containers:
      description: Names of the site's protection containers.
      type: list
      elements: str
    clouds:
      description: The protection containers with their friendly names (the VMM clouds of a VMM server).
      type: list
      elements: dict
      contains:
        name:
          description: Name of the protection container.
          type: str
        friendly_name:
          description: Name of the VMM cloud (the site's name for a Hyper-V site).
          type: str
        role:
          description: V(Primary) or V(Recovery) once paired, else null.
          type: str
        pairing_status:
          description: V(Paired) or V(NotPaired).
          type: str
    networks:
      description: VM networks of a VMM server (empty for a Hyper-V site).
      type: list
      elements: dict
      contains:
        name:
          description: Name of the network in Site Recovery.
          type: str
        friendly_name:
          description: Name of the VM network in VMM.
          type: str
        network_type:
          description: Network type, for example V(VmNetwork).
          type: str
        subnets:
          description: Subnets, each with C(name) and C(addresses).
          type: list
          elements: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrInfo, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import VMM, arm_property, fabric_type
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import cloud_view, network_view, site_view


class SiteInfo(AsrInfo):
    key = 'sites'

    def read(self):
        client = self.client
        name = self.params['name']
        fabric = client.get_or_none('site %s' % name, client.asr.replication_fabrics.get, name) if name else None
        if fabric:
            fabrics = [fabric]
        else:
            fabrics = client.list('sites', client.asr.replication_fabrics.list)
            if name:
                fabrics = [f for f in fabrics if (arm_property(f, 'friendlyName') or '').lower() == name.lower()]
        sites = []
        for fabric in fabrics:
            view = site_view(fabric)
            containers = client.list('containers of %s' % fabric['name'], client.asr.replication_protection_containers.list_by_replication_fabrics,
                                     fabric['name'])
            view['containers'] = [container['name'] for container in containers]
            view['clouds'] = [cloud_view(container) for container in containers]
            view['networks'] = []
            if fabric_type(fabric) == VMM:
                networks = client.list('VM networks of %s' % fabric['name'], client.asr.replication_networks.list_by_replication_fabrics, fabric['name'])
                view['networks'] = [network_view(network) for network in networks]
            sites.append(view)
        return sites


def main():
    run_asr_module(dict(name=dict(type='str')), SiteInfo)


if __name__ == '__main__':
    main()
