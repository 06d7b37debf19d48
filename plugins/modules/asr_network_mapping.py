#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r'''
---
module: asr_network_mapping
short_description: Map a VMM VM network to a recovery VM network or Azure virtual network in an Azure Site Recovery vault
version_added: 1.0.0
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
attributes:
  check_mode:
    support: full
    description: Reports whether the mapping would be created, changed or removed.
  diff_mode:
    support: full
    description: Shows the mapping before and after.
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

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, fabric_type, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import network_mapping_view
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.client import resource_name

AZURE_FABRIC = 'Microsoft Azure'
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


def mapping_input(view, recovery_fabric):
    """CreateNetworkMappingInput / UpdateNetworkMappingInput (REST shape)."""
    return {'properties': {'recoveryFabricName': recovery_fabric, 'recoveryNetworkId': view['recovery_network_id'],
                           'fabricSpecificDetails': {'instanceType': view['mapping_type']}}}


class NetworkMapping(AsrResource):
    """One network mapping under one primary VM network: read, create / update / delete once, read back."""

    def validate(self):
        message = validate_options(self.params)
        if message:
            self.fail(message)

    def vmm_fabric(self, site, option):
        fabric = self.fabric(site, option)
        if fabric_type(fabric) != 'VMM':
            self.fail("%s: '%s' is a %s fabric; network mapping maps VM networks of VMM servers" % (option, site, fabric_type(fabric)))
        return fabric

    def wanted(self, fabric, primary):
        """The mapping the options describe, as network_mapping_view gives it, and the recovery fabric name of the input."""
        params = self.params
        view = dict(id=None, name=params['name'], site=fabric['name'], network=primary['name'],
                    network_friendly_name=(primary.get('properties') or {}).get('friendlyName'), state=None)
        if params['recovery_virtual_network_id']:
            vnet = params['recovery_virtual_network_id']
            view.update(recovery_site=AZURE_FABRIC, recovery_network=resource_name(vnet), recovery_network_id=vnet, mapping_type='VmmToAzure')
            return view, AZURE_FABRIC
        recovery_fabric = self.vmm_fabric(params['recovery_site'] or params['site'], 'recovery_site')
        recovery = self.vm_network(recovery_fabric, params['recovery_network'], 'recovery_network')
        view.update(recovery_site=recovery_fabric['name'], recovery_network=(recovery.get('properties') or {}).get('friendlyName'),
                    recovery_network_id=recovery['id'], mapping_type='VmmToVmm')
        return view, recovery_fabric['name']

    def run(self):
        client = self.client
        params = self.params
        name = params['name']
        client.check_vault()
        fabric = self.vmm_fabric(params['site'], 'site')
        primary = self.vm_network(fabric, params['network'], 'network')
        operations = client.asr.replication_network_mappings
        mappings = client.list('network mappings of %s' % params['network'], operations.list_by_replication_networks, fabric['name'], primary['name'])
        current = network_mapping_view(next((m for m in mappings if m['name'].lower() == name.lower()), None))
        others = [m['name'] for m in mappings if m['name'].lower() != name.lower()]
        header = 'network mapping %s' % name
        if params['state'] == 'absent':
            if not current:
                return dict(changed=False, network_mapping={})
            done = False
            if not self.module.check_mode:
                _result, done = client.run_operation('remove %s' % header, operations.begin_delete, fabric['name'], primary['name'], name)
            return dict(changed=True, network_mapping={}, operation_done=done, diff=self.diff(current, {}, header))
        if others:
            self.fail("VM network '%s' is already mapped by '%s'; a VM network maps to one recovery network: remove that mapping first (state=absent)"
                      % (params['network'], others[0]))
        wanted, recovery_fabric = self.wanted(fabric, primary)
        if current and all((current.get(key) or '').lower() == wanted[key].lower() for key in COMPARED):
            return dict(changed=False, network_mapping=current)
        after, done = dict(wanted, id=current.get('id')), False
        begin = operations.begin_update if current else operations.begin_create
        if not self.module.check_mode:
            result, done = client.run_operation('%s %s' % ('update' if current else 'create', header), begin, fabric['name'], primary['name'], name,
                                                mapping_input(wanted, recovery_fabric))
            if done:
                after = network_mapping_view(result)
        return dict(changed=True, network_mapping=after, operation_done=done, diff=self.diff(current, after, header))


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
