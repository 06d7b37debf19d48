#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: fidelity_recording
short_description: Record the shape of what the collection's reads return on a Hyper-V host
version_added: 0.1.0
description:
  - Runs, on the host, every read the collection's modules make (each distinct statement of their read builders, one
    pipeline each), then expands each property that arrived as text to see enums as objects, then a few reads that fail on
    purpose (names no host has) to see Hyper-V's error records.
  - Returns a recording of B(shapes only) - type names, property names, how each value travelled (its CLIXML kind), enum
    member names and numbers, and for error records their command, C(FullyQualifiedErrorId), category and exception type.
    No value is recorded - no VM or host names, addresses, paths, messages or targets; the O(vm) and O(destination) read
    are written as C(<vm>) and C(<destination>).
  - Send the recording with a report of an incompatibility; the project compares it with its lab
    (C(python -m hvlab compare-recording FILE)). The playbook C(hyperv.mobility.fidelity_probe) writes one file per host.
  - Never changes anything.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes.read_only
  - hyperv.mobility.attributes.host_group
options:
  vm:
    description:
      - A VM of the host whose reads are recorded where a read names a VM. Recorded as C(<vm>), never by name.
    type: str
  destination:
    description:
      - Another host's name where a read names a destination. Recorded as C(<destination>), never by name.
    type: str
notes:
  - One pipeline per distinct read statement, one more per read whose objects had text properties, and one per failing
    read (six); error records of the failing reads are the point of those reads and do not fail the module.
seealso:
  - ref: ansible_collections.hyperv.mobility.docsite.guide_fidelity_probe
    description: How to run the probe, what it records and never records, and how to send the file.
'''

EXAMPLES = r'''
- name: Record the shapes of the collection's reads on every Hyper-V host
  hyperv.mobility.fidelity_recording:
  register: probe

- name: Keep the recording on the controller
  ansible.builtin.copy:
    content: "{{ probe.recording | to_nice_json }}"
    dest: "/tmp/recordings/{{ inventory_hostname }}.json"
    mode: "0644"
  delegate_to: localhost
'''

RETURN = r'''
recording:
  description:
    - The recording (format C(hyperv.mobility fidelity recording 1)) - C(about) (what it holds and never holds), C(transport),
      C(reads) (each read's statements, the type of each object it returned and the shape of its error records), C(types)
      (each type's names and the kinds of its properties), C(enums) (member names and numbers) and C(values) (kinds of plain
      values returned).
  returned: always
  type: dict
  sample: {"format": "hyperv.mobility fidelity recording 1", "transport": "psrp", "reads": [], "types": {}, "enums": {}, "values": []}
reads:
  description: How many reads (pipelines) were recorded.
  returned: always
  type: int
  sample: 17
types:
  description: The object type names the host returned, sorted.
  returned: always
  type: list
  elements: str
  sample: ["Microsoft.HyperV.PowerShell.VMHost"]
'''

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import HypervModule, OptionError, Resource
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import fidelity


class FidelityRecording(Resource):
    """The probe's reads on the task's host, recorded as shapes (module_utils/_mobility/fidelity.py); nothing is written."""

    def validate(self):
        for name in ('vm', 'destination'):
            value = self.params[name]
            if value is not None and not value.strip():
                raise OptionError('%s must be a name or left out; got an empty string' % name)

    def run(self, module):
        recording = fidelity.record(module.session, module.connection_options.transport, vm=self.params['vm'],
                                    destination=self.params['destination'])
        return {'changed': False, 'recording': recording, 'reads': len(recording['reads']), 'types': sorted(recording['types'])}


def main():
    HypervModule(argument_spec=dict(vm=dict(type='str'), destination=dict(type='str')), supports_check_mode=True).execute(FidelityRecording)


if __name__ == '__main__':
    main()
