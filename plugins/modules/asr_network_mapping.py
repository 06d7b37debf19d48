#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_network_mapping
short_description: Map a VMM VM network to a recovery VM network or Azure virtual network in an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Creates, changes or removes a network mapping of Site Recovery - which network a replicated VM connects to after failover.
  - The primary network is a VM network of a VMM server registered with the vault (O(site), O(network)). It maps to a VM network
    of a VMM server of the secondary site (O(recovery_site), O(recovery_network); C(VmmToVmm)), or to an Azure virtual network
    (O(recovery_virtual_network_id); C(VmmToAzure)).
  - A VM network maps to one recovery network; a mapping of the same network under another name is reported, not duplicated.
    A mapping whose recovery network differs is updated in place.
  - Hyper-V sites have no VM networks; network mapping is for VMM servers only.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
options:
  name:
    description: Name of the network mapping.
    type: str
    required: true
  site:
    description: The primary VMM server - its fabric name, or friendly name (the VMM server's name).
    type: str
    required: true
  network:
    description: The primary VM network - its name in VMM (friendly name) or in Site Recovery.
    type: str
    required: true
  recovery_site:
    description:
      - The VMM server of O(recovery_network) (fabric name or the VMM server's name). Defaults to O(site) (one VMM server
        managing both sites).
      - Only with O(recovery_network).
    type: str
  recovery_network:
    description:
      - The VM network of the secondary site that VMs connect to after failover (VMM to a secondary site).
      - One of O(recovery_network) and O(recovery_virtual_network_id) is required with O(state=present).
    type: str
  recovery_virtual_network_id:
    description:
      - ARM id of the Azure virtual network that VMs connect to after failover to Azure
        (C(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>)).
    type: str
  state:
    description: V(present) creates or updates the mapping, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: hyperv.mobility.asr_network_mapping_info
  - module: hyperv.mobility.asr_hyperv_site_info
    description: Lists the VM networks of each VMM server.
  - name: Network mapping for Hyper-V VMs in VMM clouds
    description: Microsoft's page on network mapping of VMM VM networks for Site Recovery.
    link: https://learn.microsoft.com/en-us/azure/site-recovery/hyper-v-vmm-network-mapping
'''

EXAMPLES = r'''
- name: VMs of the Corp network of vmm-hq connect to Corp-DR of vmm-dr after failover
  hyperv.mobility.asr_network_mapping:
    name: corp-to-corp-dr
    site: vmm-hq.corp.example.com
    network: Corp
    recovery_site: vmm-dr.corp.example.com
    recovery_network: Corp-DR
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost

- name: VMs of the Corp network connect to an Azure virtual network after failover to Azure
  hyperv.mobility.asr_network_mapping:
    name: corp-to-azure
    site: vmm-hq.corp.example.com
    network: Corp
    recovery_virtual_network_id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-dr/providers/Microsoft.Network/virtualNetworks/vnet-dr
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost

- name: Remove the mapping
  hyperv.mobility.asr_network_mapping:
    name: corp-to-corp-dr
    site: vmm-hq.corp.example.com
    network: Corp
    state: absent
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost
'''

RETURN = r'''
network_mapping:
  description: The mapping after the run (predicted in check mode; empty when absent).
  returned: success
  type: dict
  contains:
    id:
      description: ARM id of the mapping (null when only predicted).
      type: str
    name:
      description: Name of the mapping.
      type: str
    site:
      description: Fabric name of the primary VMM server.
      type: str
    network:
      description: Site Recovery name of the primary VM network.
      type: str
    network_friendly_name:
      description: Name of the primary VM network in VMM.
      type: str
    recovery_site:
      description: Fabric name of the recovery VMM server, or V(Microsoft Azure).
      type: str
    recovery_network:
      description: Name of the recovery VM network in VMM, or of the Azure virtual network.
      type: str
    recovery_network_id:
      description: ARM id of the recovery network (a replication network of the recovery VMM server, or an Azure virtual network).
      type: str
    mapping_type:
      description: V(VmmToVmm) or V(VmmToAzure).
      type: str
    state:
      description: Pairing state reported by Site Recovery, for example V(Paired) (null when only predicted).
      type: str
  sample:
    name: corp-to-corp-dr
    site: vmm-hq
    network: 6f5c9a1e
    network_friendly_name: Corp
    recovery_site: vmm-dr
    recovery_network: Corp-DR
    mapping_type: VmmToVmm
    state: Paired
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

import re

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import (
    AZURE_RECOVERY, VMM, VMM_TO_AZURE, VMM_TO_VMM, arm_property, fabric_type, resource_name)
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import network_mapping_view

AZURE_VNET = re.compile(r'^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Network/virtualNetworks/[^/]+$', re.IGNORECASE)
COMPARED = ('recovery_network_id', 'mapping_type')


def validate_options(params):
    """Error message for options that do not fit together (no I/O), or None."""
    if params['recovery_site'] and not params['recovery_network']:
        return 'recovery_site needs recovery_network (the VM network of the secondary site)'
    if params['state'] == 'absent':
        return None
    if bool(params['recovery_network']) == bool(params['recovery_virtual_network_id']):
        return 'state=present needs one of recovery_network (VMM to a secondary site) and recovery_virtual_network_id (failover to Azure)'
    vnet = params['recovery_virtual_network_id']
    if vnet and not AZURE_VNET.match(vnet):
        return ("recovery_virtual_network_id must be the ARM id of an Azure virtual network "
                "(/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<name>), got '%s'" % vnet)
    return None


def mapping_input(view):
    """CreateNetworkMappingInput / UpdateNetworkMappingInput (REST shape) of the mapping network_mapping_view describes."""
    return {'properties': {'recoveryFabricName': view['recovery_site'], 'recoveryNetworkId': view['recovery_network_id'],
                           'fabricSpecificDetails': {'instanceType': view['mapping_type']}}}


class NetworkMapping(AsrResource):
    """One network mapping under one primary VM network: create, update or remove it, read back what Azure made."""

    key = 'network_mapping'

    def __init__(self, module, client):
        super(NetworkMapping, self).__init__(module, client)
        self.primary_fabric = self.primary_network = None
        self.others = []

    def validate(self):
        message = validate_options(self.params)
        if message:
            self.fail(message)

    def vmm_fabric(self, site, option):
        fabric = self.fabric(site, option)
        if fabric_type(fabric) != VMM:
            self.fail("%s: '%s' is a %s fabric; network mapping maps VM networks of VMM servers" % (option, site, fabric_type(fabric)))
        return fabric

    def read(self):
        params, name = self.params, self.params['name']
        self.subject = 'network mapping %s' % name
        self.primary_fabric = self.vmm_fabric(params['site'], 'site')
        self.primary_network = self.vm_network(self.primary_fabric, params['network'], 'network')
        mappings = self.client.list('network mappings of %s' % params['network'], self.client.asr.replication_network_mappings.list_by_replication_networks,
                                    self.primary_fabric['name'], self.primary_network['name'])
        self.others = [m['name'] for m in mappings if m['name'].lower() != name.lower()]
        return network_mapping_view(next((m for m in mappings if m['name'].lower() == name.lower()), None))

    def desired(self, before):
        """The mapping the options describe, as network_mapping_view gives it (before when it already maps there)."""
        params = self.params
        if params['state'] == 'absent':
            return {}
        if self.others:
            self.fail("VM network '%s' is already mapped by '%s'; a VM network maps to one recovery network: remove that mapping first (state=absent)"
                      % (params['network'], self.others[0]))
        wanted = dict(id=before.get('id'), name=params['name'], site=self.primary_fabric['name'], network=self.primary_network['name'],
                      network_friendly_name=arm_property(self.primary_network, 'friendlyName'), state=None)
        if params['recovery_virtual_network_id']:
            vnet = params['recovery_virtual_network_id']
            wanted.update(recovery_site=AZURE_RECOVERY, recovery_network=resource_name(vnet), recovery_network_id=vnet, mapping_type=VMM_TO_AZURE)
        else:
            recovery_fabric = self.vmm_fabric(params['recovery_site'] or params['site'], 'recovery_site')
            recovery = self.vm_network(recovery_fabric, params['recovery_network'], 'recovery_network')
            wanted.update(recovery_site=recovery_fabric['name'], recovery_network=arm_property(recovery, 'friendlyName'),
                          recovery_network_id=recovery['id'], mapping_type=VMM_TO_VMM)
        if before and all((before.get(key) or '').lower() == wanted[key].lower() for key in COMPARED):
            return before
        return wanted

    def operation(self, before, after):
        mappings = self.client.asr.replication_network_mappings
        where = (self.primary_fabric['name'], self.primary_network['name'], self.params['name'])
        if not after:
            return Operation('remove %s' % self.subject, mappings.begin_delete, where)
        body = mapping_input(after)
        if before:
            return Operation('update %s' % self.subject, mappings.begin_update, where + (body,), view=network_mapping_view)
        return Operation('create %s' % self.subject, mappings.begin_create, where + (body,), view=network_mapping_view)


def main():
    run_asr_module(dict(
        name=dict(type='str', required=True),
        site=dict(type='str', required=True),
        network=dict(type='str', required=True),
        recovery_site=dict(type='str'),
        recovery_network=dict(type='str'),
        recovery_virtual_network_id=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
    ), NetworkMapping, mutually_exclusive=[('recovery_network', 'recovery_virtual_network_id')])


if __name__ == '__main__':
    main()
