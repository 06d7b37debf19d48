#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: asr_hyperv_site
short_description: Manage a Hyper-V site (replication fabric) of an Azure Site Recovery vault
version_added: 0.1.0
description:
  - Creates or deletes a Hyper-V site, the Site Recovery fabric that collects the Hyper-V hosts not managed by VMM
    (fabric type C(HyperVSite)).
  - Hosts join the site when the Site Recovery provider registers them (M(hyperv.mobility.asr_host_registration));
    the site's protection container appears with the first registered host.
  - Azure refuses to delete a site that still has registered hosts; the module reports that error.
  - A VMM server's fabric (type C(VMM)) is not a Hyper-V site; it appears when the VMM server registers with the vault and
    goes when it unregisters, so the module refuses to manage it (read it with M(hyperv.mobility.asr_hyperv_site_info)).
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
  - hyperv.mobility.azure.wait
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.azure_group
options:
  name:
    description: Name of the Hyper-V site.
    type: str
    required: true
  state:
    description: V(present) creates the site, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: hyperv.mobility.asr_hyperv_site_info
  - name: Hyper-V to Azure disaster recovery architecture
    description: Microsoft's page, Hyper-V to Azure disaster recovery architecture.
    link: https://learn.microsoft.com/en-us/azure/site-recovery/hyper-v-azure-architecture
'''

EXAMPLES = r'''
- name: Hyper-V site for the branch office hosts
  hyperv.mobility.asr_hyperv_site:
    name: branch-office
    resource_group: rg-dr
    vault_name: vault-dr
  delegate_to: localhost

- name: Same in a sovereign cloud, service principal from the environment (AZURE_CLIENT_ID, AZURE_SECRET, AZURE_TENANT)
  hyperv.mobility.asr_hyperv_site:
    name: branch-office
    resource_group: rg-dr
    vault_name: vault-dr
    cloud_environment: AzureUSGovernment
  delegate_to: localhost
'''

RETURN = r'''
site:
  description: The site after the run (predicted in check mode; empty when absent).
  returned: success
  type: dict
  contains:
    id:
      description: ARM id of the fabric.
      type: str
    name:
      description: Name of the site.
      type: str
    type:
      description: Fabric type, V(HyperVSite).
      type: str
    friendly_name:
      description: Friendly name of the site (its name).
      type: str
    hyperv_hosts:
      description: Names of the Hyper-V hosts registered with the site.
      type: list
      elements: str
    health:
      description: Health of the site as Site Recovery reports it.
      type: str
operation_done:
  description: Whether Azure finished the operation (false with O(wait=false) or in check mode).
  returned: changed
  type: bool
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.azure_module import AsrResource, Operation, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.arm import HYPERV_SITE, fabric_type
from ansible_collections.hyperv.mobility.plugins.module_utils._azure.views import site_view


class HyperVSite(AsrResource):
    """One Hyper-V site: create or delete it, read back what Azure made."""

    key = 'site'

    def read(self):
        name = self.params['name']
        self.subject = 'site %s' % name
        current = self.client.get_or_none(self.subject, self.client.asr.replication_fabrics.get, name)
        if current and fabric_type(current) != HYPERV_SITE:
            self.fail("'%s' is a %s fabric, not a Hyper-V site: a VMM server's fabric comes and goes with the VMM server's registration"
                      % (name, fabric_type(current)))
        return site_view(current)

    def desired(self, before):
        if self.params['state'] == 'absent':
            return {}
        name = self.params['name']
        return before or dict(id=None, name=name, type=HYPERV_SITE, friendly_name=name, hyperv_hosts=[], health=None)

    def operation(self, before, after):
        fabrics, name = self.client.asr.replication_fabrics, self.params['name']
        if after:
            return Operation('create %s' % self.subject, fabrics.begin_create, (name, {'properties': {'customDetails': {'instanceType': HYPERV_SITE}}}),
                             view=site_view)
        return Operation('delete %s' % self.subject, fabrics.begin_purge, (name,))


def main():
    run_asr_module(dict(name=dict(type='str', required=True), state=dict(type='str', choices=['present', 'absent'], default='present')), HyperVSite)


if __name__ == '__main__':
    main()
