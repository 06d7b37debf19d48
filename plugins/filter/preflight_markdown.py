# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: preflight_markdown
short_description: Live-migration preflight results as a Markdown table
version_added: 0.1.0
description:
  - Turns the results of M(hyperv.mobility.migration_preflight) into a Markdown table with one row per source -> destination
    direction - its worst status, how many checks are ok, warning and failed, the first problem and how to fix it.
  - Accepts one result, a list of results (nested lists are flattened), a registered loop (a dict with C(results)), or the
    C(directions) that C(playbooks/preflight.yml) writes.
  - A result of the module's C(destinations) option gives one row per direction of its C(directions).
  - A result without checks (the task itself failed, for example the host was unreachable) is a V(failed) row whose problem
    is the task's message.
  - Hosts are named by the computer name they reported (C(source.computer_name), C(destination.computer_name)), else as the
    task named them, so both ends of a direction are named alike even when the inventory reaches a host by its address.
  - Cells are escaped, so a C(|) or a line break in a detail never breaks the table.
options:
  _input:
    description: The preflight results.
    type: raw
    required: true
  title:
    description: Heading written above the table; an empty string writes none.
    type: str
    default: Live migration preflight
  details:
    description: Also write one table per direction with every check.
    type: bool
    default: false
seealso:
  - plugin: hyperv.mobility.preflight_html
    plugin_type: filter
  - module: hyperv.mobility.migration_preflight
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Check every direction from this host
  hyperv.mobility.migration_preflight:
    destination: "{{ item }}"
    fail_on: never
  loop: "{{ ansible_play_hosts | reject('equalto', inventory_hostname) | list }}"
  register: preflight

- name: Write one Markdown report for the whole play
  run_once: true
  delegate_to: localhost
  ansible.builtin.copy:
    dest: preflight.md
    mode: "0640"
    content: >-
      {{ ansible_play_hosts | map('extract', hostvars, ['preflight', 'results']) | flatten
         | hyperv.mobility.preflight_markdown(details=true) }}
'''

RETURN = r'''
_value:
  description: The Markdown document (a heading unless O(title) is empty, then the table; with O(details), a table per direction).
  type: str
  sample: |
    # Live migration preflight

    | source | destination | status | ok | warning | failed | first problem | fix |
    | --- | --- | --- | --- | --- | --- | --- | --- |
    | hv01 | hv02 | failed | 10 | 0 | 1 | networks: destination hv02 accepts ... | give both hosts a common ... |
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import preflight_markdown


class FilterModule:
    """hyperv.mobility.preflight_markdown"""

    def filters(self):
        return {'preflight_markdown': preflight_markdown}
