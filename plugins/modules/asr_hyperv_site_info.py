#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r'''
---
module: asr_hyperv_site_info
short_description: Read the Hyper-V sites of an Azure Site Recovery vault
version_added: 1.0.0
description:
  - Lists the Hyper-V sites (or the one named O(name)) with their registered hosts and protection containers.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.azure
attributes:
  check_mode:
    support: full
    description: Read-only.
  diff_mode:
    support: none
    description: Read-only; there is nothing to compare.
options:
  name:
    description: Only this site. A missing site gives an empty list.
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
      description: Fabric type.
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
'''

from ansible_collections.hyperv.mobility.plugins.module_utils.asr_module import AsrResource, run_asr_module
from ansible_collections.hyperv.mobility.plugins.module_utils.asr_views import site_view


class SiteInfo(AsrResource):
    def run(self):
        client = self.client
        client.check_vault()
        if self.params['name']:
            fabric = client.get_or_none('site %s' % self.params['name'], client.asr.replication_fabrics.get, self.params['name'])
            fabrics = [fabric] if fabric else []
        else:
            fabrics = client.list('sites', client.asr.replication_fabrics.list)
        sites = []
        for fabric in fabrics:
            view = site_view(fabric)
            containers = client.list('containers of %s' % fabric['name'], client.asr.replication_protection_containers.list_by_replication_fabrics,
                                     fabric['name'])
            view['containers'] = [container['name'] for container in containers]
            sites.append(view)
        return dict(changed=False, sites=sites)


def main():
    run_asr_module(dict(name=dict(type='str')), SiteInfo, wait=False)


if __name__ == '__main__':
    main()
