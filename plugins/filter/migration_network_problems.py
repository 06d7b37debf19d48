# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: migration_network_problems
short_description: What is wrong with a list of live-migration networks, before anything changes
version_added: 0.1.0
description:
  - Checks a list of live-migration networks (the O(hyperv.mobility.live_migration#module:networks) option, or a role's
    C(live_migration_networks)) with the module's own rules and returns one message per problem, or an empty list.
  - A role asserts it is empty before its first change, so a network the module would refuse (a zone id such as
    C(fe80::%eth0/64), every address as C(0.0.0.0/0) or C(::/0), host bits set, a subnet listed twice) fails the run before
    Active Directory or any host is touched.
options:
  _input:
    description: The networks, each a dict with C(subnet) and optionally C(priority) (or a subnet string).
    type: list
    elements: raw
    required: true
seealso:
  - module: hyperv.mobility.live_migration
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Refuse networks the live_migration module would refuse, before any change
  ansible.builtin.assert:
    that: live_migration_networks | hyperv.mobility.migration_network_problems | length == 0
    fail_msg: "{{ live_migration_networks | hyperv.mobility.migration_network_problems | join('; ') }}"
'''

RETURN = r'''
_value:
  description: One message per problem (the module stops at the first, so this is at most one), naming the entry; empty when every network is valid.
  type: list
  elements: str
  sample: ["live_migration_networks[0].subnet: '0.0.0.0/0' is every address, not a restricted network; ..."]
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.migration_networks import NetworkSpecError, parse_networks


def migration_network_problems(networks, option='live_migration_networks'):
    try:
        parse_networks(networks, option=option)
    except NetworkSpecError as error:
        return [str(error)]
    return []


class FilterModule:
    """hyperv.mobility.migration_network_problems"""

    def filters(self):
        return {'migration_network_problems': migration_network_problems}
