# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: replication_markdown
short_description: Hyper-V Replica health as a Markdown table
version_added: 0.1.0
description:
  - Turns the results of M(hyperv.mobility.vm_replication_info) into a Markdown table with one row per replication relationship -
    VM, mode, primary and Replica server, state, health, last replication, what it needs and the action for its worst problem.
  - Accepts one result, a list of results (nested lists are flattened), a registered loop (a dict with C(results)), or a list of
    entries of RV(hyperv.mobility.vm_replication_info#module:replications).
  - The same relationship read twice (the same VM, mode and servers) is one row; read on both servers it is two rows, one per mode.
options:
  _input:
    description: The replication results.
    type: raw
    required: true
  title:
    description: Heading written above the table; an empty string writes none.
    type: str
    default: Hyper-V Replica health
seealso:
  - plugin: hyperv.mobility.replication_html
    plugin_type: filter
  - module: hyperv.mobility.vm_replication_info
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Read the replication health of every host
  hyperv.mobility.vm_replication_info:
  register: replication

- name: Show it as a table
  run_once: true
  ansible.builtin.debug:
    msg: "{{ (ansible_play_hosts | map('extract', hostvars, 'replication') | hyperv.mobility.replication_markdown).splitlines() }}"
'''

RETURN = r'''
_value:
  description: The Markdown document.
  type: str
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import replication_markdown


class FilterModule:
    """hyperv.mobility.replication_markdown"""

    def filters(self):
        return {'replication_markdown': replication_markdown}
