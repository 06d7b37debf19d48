# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r'''
name: preflight_html
short_description: Live-migration preflight results as a self-contained HTML page with a diagram
version_added: 0.1.0
description:
  - Turns the results of M(hyperv.mobility.migration_preflight) into one HTML page - counts per status, a diagram of the hosts
    with one arrow per source -> destination direction, the table of directions and every check of every direction.
  - In the diagram the colour of an arrow is the worst status of its direction (green ok, amber warning, red failed); the arrow is
    dashed when the C(delegation) check of that direction is not V(ok) (Kerberos constrained delegation missing or not checked).
  - The page is self-contained - inline CSS and an inline SVG, no scripts and no external resources - so it can be attached to a
    ticket or mailed. Every value from the hosts is HTML-escaped.
  - Accepts the same input as P(hyperv.mobility.preflight_markdown#filter).
options:
  _input:
    description: The preflight results.
    type: raw
    required: true
  title:
    description: Title of the page and of the diagram.
    type: str
    default: Live migration preflight
seealso:
  - plugin: hyperv.mobility.preflight_markdown
    plugin_type: filter
  - module: hyperv.mobility.migration_preflight
author:
  - hyperv.mobility contributors
'''

EXAMPLES = r'''
- name: Write the HTML report of the mesh preflight
  run_once: true
  delegate_to: localhost
  ansible.builtin.copy:
    dest: preflight.html
    mode: "0640"
    content: >-
      {{ live_migration_mesh_preflight
         | hyperv.mobility.preflight_html(title='Mesh preflight ' ~ now(utc=true).isoformat()) }}
'''

RETURN = r'''
_value:
  description: The HTML document (C(<!DOCTYPE html>) ... C(</html>)).
  type: str
'''

from ansible_collections.hyperv.mobility.plugins.plugin_utils.reports import preflight_html


class FilterModule:
    """hyperv.mobility.preflight_html"""

    def filters(self):
        return {'preflight_html': preflight_html}
