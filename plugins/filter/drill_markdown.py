# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: drill_markdown
short_description: A failover drill's evidence as Markdown - per VM and step, its result and time taken
version_added: 0.1.0
description:
  - Writes a heading with the drill's overall result and a table with one row per VM and step (VM, replica, step, result, seconds,
    detail), from the results of M(hyperv.mobility.vm_failover) or from the document P(hyperv.mobility.drill_report#filter) made of them.
options:
  _input:
    description: The vm_failover results, or a drill_report document.
    type: raw
    required: true
  drill:
    description: What the drill was, the heading (ignored for a drill_report document, which names it).
    type: str
    default: failover drill
  when:
    description: When the drill ran, written under the heading (ignored for a drill_report document).
    type: str
seealso:
  - plugin: hyperv.mobility.drill_report
    plugin_type: filter
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Show the drill's result
  ansible.builtin.debug:
    msg: "{{ (failover_test_result | hyperv.mobility.drill_markdown('test failover drill')).splitlines() }}"
'''

RETURN = r'''
_value:
  description: The Markdown document.
  type: str
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import drill_markdown


class FilterModule:
    """hyperv.mobility.drill_markdown"""

    def filters(self):
        return {'drill_markdown': drill_markdown}
