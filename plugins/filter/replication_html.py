# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: replication_html
short_description: Hyper-V Replica health as a self-contained HTML page with a diagram
version_added: 0.1.0
description:
  - Turns the results of M(hyperv.mobility.vm_replication_info) into one HTML page - counts per health, a diagram of the hosts with
    one arrow per primary -> Replica server pair, the table of relationships and every problem with its explanation and action.
  - The colour of an arrow is the worst health of the VMs it carries (green C(Normal), amber C(Warning), red C(Critical)); its label
    names the VMs (or counts them when more than two).
  - Self-contained - inline CSS and an inline SVG, no scripts and no external resources; every value is HTML-escaped.
  - Accepts the same input as P(hyperv.mobility.replication_markdown#filter).
options:
  _input:
    description: The replication results.
    type: raw
    required: true
  title:
    description: Title of the page and of the diagram.
    type: str
    default: Hyper-V Replica health
seealso:
  - plugin: hyperv.mobility.replication_markdown
    plugin_type: filter
  - module: hyperv.mobility.vm_replication_info
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Write the replication health page
  run_once: true
  delegate_to: localhost
  ansible.builtin.copy:
    dest: replication.html
    mode: "0640"
    content: "{{ ansible_play_hosts | map('extract', hostvars, 'replication') | hyperv.mobility.replication_html }}"
'''

RETURN = r'''
_value:
  description: The HTML document (C(<!DOCTYPE html>) ... C(</html>)).
  type: str
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import replication_html


class FilterModule:
    """hyperv.mobility.replication_html"""

    def filters(self):
        return {'replication_html': replication_html}
