# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: drain_markdown
short_description: A host drain's result per VM as a Markdown table
version_added: 0.1.0
description:
  - Turns the results of M(hyperv.mobility.host_drain) into a Markdown document - a count per result, then one row per VM (state,
    memory, source, destination, result, attempts, seconds, and the reason and fix of a VM that stayed), the VMs that stayed first.
  - Accepts one result, a list of results (nested lists are flattened) or a registered loop (a dict with C(results)).
options:
  _input:
    description: The host_drain results.
    type: raw
    required: true
  title:
    description: Heading written above the table; an empty string writes none.
    type: str
    default: Host drain
seealso:
  - module: hyperv.mobility.host_drain
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Show what the drain did
  ansible.builtin.debug:
    msg: "{{ (drain | hyperv.mobility.drain_markdown).splitlines() }}"
'''

RETURN = r'''
_value:
  description: The Markdown document.
  type: str
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import drain_markdown


class FilterModule:
    """hyperv.mobility.drain_markdown"""

    def filters(self):
        return {'drain_markdown': drain_markdown}
