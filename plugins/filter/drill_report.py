# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: drill_report
short_description: The evidence of a failover drill as one document - per VM and step, its result and time taken
version_added: 0.1.0
description:
  - Turns the results of M(hyperv.mobility.vm_failover) (one result, a list - nested lists are flattened -, or registered loops)
    into a document for a JSON file - C(drill), C(time), C(result) (V(ok) or V(failed)), C(vms), C(failed_steps) and C(rows), one
    row per VM and step - the action, then V(start and verify) when O(hyperv.mobility.vm_failover#module:start) was set - with
    C(vm), C(replica), C(step), C(result) (V(ok), V(changed), V(failed), V(skipped)), C(seconds) and C(detail) (the commands run,
    the recovery point, the heartbeat and the addresses the guest reports, or the failure).
  - P(hyperv.mobility.drill_markdown#filter) writes the same rows as Markdown.
options:
  _input:
    description: The vm_failover results.
    type: raw
    required: true
  drill:
    description: What the drill was, the report's title.
    type: str
    default: failover drill
  when:
    description: When the drill ran (any text, for example C(now(utc=true\)) as ISO 8601).
    type: str
seealso:
  - plugin: hyperv.mobility.drill_markdown
    plugin_type: filter
  - module: hyperv.mobility.vm_failover
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Write the drill's evidence
  ansible.builtin.copy:
    content: "{{ failover_test_result | hyperv.mobility.drill_report('test failover drill', now(utc=true).isoformat()) | to_nice_json }}"
    dest: reports/drill.json
    mode: "0640"
  delegate_to: localhost
'''

RETURN = r'''
_value:
  description: The report - C(drill), C(time), C(result), C(vms), C(failed_steps), C(rows).
  type: dict
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import drill_report


class FilterModule:
    """hyperv.mobility.drill_report"""

    def filters(self):
        return {'drill_report': drill_report}
