#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
---
module: live_migration_mesh_facts
short_description: Read what the live-migration preflight needs of a Hyper-V host, as facts for the mesh's evaluation
version_added: 0.1.0
description:
  - Reads in one pipeline every fact the checks of M(hyperv.mobility.migration_preflight) use and returns them as
    C(ansible_facts) under the one key C(hyperv_mobility_mesh). Phase 2 of the mesh (M(hyperv.mobility.live_migration_mesh_preflight),
    once on the controller) evaluates every direction from those facts, with no further host round trip.
  - The mesh's phase 1 (role P(hyperv.mobility.live_migration_mesh#role)) gets the same facts from its settings task
    (M(hyperv.mobility.live_migration) with O(hyperv.mobility.live_migration#module:mesh_facts=true)), in the same read; this
    module is for the checks alone (the role's entry point C(preflight.yml)), which change nothing.
  - Facts land in Ansible's fact cache when one is configured, so phase 1 can run sliced (an AWX job slice, or C(--limit) per
    slice) and phase 2 once, later, from the cache.
  - Never changes anything.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.host_group
options: {}
notes:
  - Cmdlets run, in one pipeline - C(Get-CimInstance -ClassName Win32_ComputerSystem), C(Get-WindowsFeature -Name Hyper-V),
    C(Get-VMHost), C(Get-VMHostSupportedVersion), C(Get-VMMigrationNetwork), C(Get-VM) (the reads of M(hyperv.mobility.migration_preflight)).
  - A host that cannot be reached fails the task; phase 2 then lists its directions as not checked (host unreachable).
seealso:
  - module: hyperv.mobility.live_migration_mesh_preflight
  - module: hyperv.mobility.migration_preflight
'''

EXAMPLES = r'''
- name: Phase 1 - read each host once (its facts go to the fact cache when one is configured)
  hyperv.mobility.live_migration_mesh_facts:

- name: Phase 2 - every direction, once, from the facts
  hyperv.mobility.live_migration_mesh_preflight:
    host_facts: >-
      {{ dict(groups['hyperv_hosts'] | zip(groups['hyperv_hosts'] | map('extract', hostvars, ['ansible_facts', 'hyperv_mobility_mesh'])
         | map('default', none))) }}
  run_once: true
'''

RETURN = r'''
ansible_facts:
  description: The host's mesh facts.
  returned: success
  type: dict
  contains:
    hyperv_mobility_mesh:
      description:
        - What the preflight checks of this host need - C(name), C(reachable), C(computer_name), C(fqdn), C(domain),
          C(hyperv_installed), C(hyperv_error), C(live_migration) (enabled, authentication_type, performance_option,
          use_any_network, maximum_vm_migrations, maximum_storage_migrations), C(migration_networks), C(supported_vm_versions),
          C(vms) (name, version, id), and C(connection_auth) (how the modules reach the host, which decides whether the
          delegation needs "use any authentication protocol").
      type: dict
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HypervModule, Resource
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.preflight import READ_COMMANDS, HostFacts, mesh_facts


class MeshFacts(Resource):
    """One read pipeline; the preflight's HostFacts as plain values under one fact key."""

    def run(self, module):
        facts = HostFacts.from_result('host', self.params['hyperv_host'], module.read(READ_COMMANDS))
        return dict(changed=False, ansible_facts=mesh_facts(facts, self.params['hyperv_auth']))


def main():
    HypervModule(argument_spec={}, supports_check_mode=True).execute(MeshFacts)


if __name__ == '__main__':
    main()
