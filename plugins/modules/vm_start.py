#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r'''
---
module: vm_start
short_description: Start a Hyper-V VM and verify that its guest answers the heartbeat
version_added: 0.1.0
description:
  - Starts a VM of the host (C(Start-VM)) unless it runs, then waits until its heartbeat integration service reports the guest
    up (C(Get-VM), property C(Heartbeat) - one of the C(Ok...) values) - the check Microsoft's single-VMM-server recovery asks for
    before the workloads fail over - "verify the VMM VM is up and running".
  - A Replica VM starts only once it is failed over (M(hyperv.mobility.vm_failover)); Hyper-V refuses it before, and so does the module.
  - Idempotent - a running VM whose heartbeat is OK is V(ok); a running VM is never started again.
author:
  - hyperv.mobility contributors (@hyperv-mobility)
extends_documentation_fragment:
  - hyperv.mobility.connection
  - hyperv.mobility.attributes
  - hyperv.mobility.attributes.host_group
attributes:
  check_mode:
    details: Nothing is started and no heartbeat is awaited.
  diff_mode:
    details: The VM's state and heartbeat.
options:
  name:
    description:
      - Name of the VM on the host. Hyper-V does not require unique VM names - a name several VMs share fails naming each
        with its id, before anything starts; give O(vm_id) for such a VM.
      - The name is matched exactly (case-insensitive); wildcard characters (C(*), C(?), C([)) are refused.
      - Exactly one of O(name) and O(vm_id) is required.
    type: str
  vm_id:
    description: The VM's id (a GUID, C(Get-VM | Select-Object Name, Id)); the VM is read with C(Get-VM -Id) and started as the object it returns.
    type: str
    version_added: 0.1.0
  wait_for_heartbeat:
    description: Wait until the guest's heartbeat is OK; the task fails when it is not within O(timeout).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the heartbeat (1 to 604800).
    type: int
    default: 600
  poll_interval:
    description: Seconds between two reads of the heartbeat (1 to 3600).
    type: int
    default: 5
notes:
  - Cmdlets run - C(Get-VM -Name), C(Start-VM -Name) when the VM is off or saved, then C(Get-VM -Name) until the heartbeat is OK.
  - A paused VM is refused (resume it first); the heartbeat of a VM without integration services never becomes OK.
'''

EXAMPLES = r'''
- name: Start the failed-over VMM VM and verify it is up
  hyperv.mobility.vm_start:
    name: vmm01
'''

RETURN = r'''
vm:
  description: The VM after the run (predicted in check mode).
  returned: success
  type: dict
  contains:
    name:
      description: Name of the VM.
      type: str
    state:
      description: C(Running), C(Off), ...
      type: str
    heartbeat:
      description: The heartbeat (C(OkApplicationsUnknown), C(OkApplicationsHealthy), C(NoContact), ...), null while the VM is off.
      type: str
started:
  description: Whether the module started the VM.
  returned: success
  type: bool
'''

import time

from ansible_collections.hyperv.mobility.plugins.module_utils._mobility import heartbeat, reads
from ansible_collections.hyperv.mobility.plugins.module_utils._mobility.heartbeat import VM_TYPE, vm_view
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.host_module import (
    MAX_WAIT_SECONDS, Command, HypervModule, ModuleFailure, Resource, Step, check_range)
from ansible_collections.hyperv.mobility.plugins.module_utils._framework.validators import check_vm_id, check_vm_name_or_id, find_one_vm


def get_vm(params):
    """Get-VM for the VM the task means: by -Id (vm_id), else by -Name (which returns every VM of that name)."""
    vm_id = check_vm_id('vm_id', params['vm_id'])
    return reads.vm_by_id(vm_id) if vm_id else reads.vm_by_name(params['name'])


def read_vm(module, result=None):
    """The VM's view, from result (a pipeline that read it back) or from a read of its own."""
    params = module.params
    if result is None:
        result = module.read([get_vm(params)])
    found = find_one_vm(result.of_type(VM_TYPE), params['name'], check_vm_id('vm_id', params['vm_id']), module.host)
    if found is None:
        said = '; '.join(error.message for error in result.errors) or 'no such VM'
        raise ModuleFailure("VM '%s' is not on %s: %s" % (params['name'] or params['vm_id'], module.host, said))
    return vm_view(found)


def wait_for_heartbeat(module, view, started, sleep=time.sleep, clock=time.monotonic):
    """Read the VM until its heartbeat is OK, within timeout; fail with what it last said (changed when the module started it)."""
    params = module.params
    waited = heartbeat.wait_for_heartbeat(module, lambda: read_vm(module), view, params['timeout'], params['poll_interval'], sleep=sleep,
                                          clock=clock)
    if not waited.finished:
        raise ModuleFailure(heartbeat.not_up(waited.value, module.host, params['timeout']), vm=waited.value, changed=started)
    return waited.value


class StartVM(Resource):
    """Start the VM unless it runs, then (wait_for_heartbeat) read it until the guest answers."""

    def validate(self):
        check_vm_name_or_id(self.params)
        check_range('timeout', self.params['timeout'], 1, MAX_WAIT_SECONDS, ' seconds')
        check_range('poll_interval', self.params['poll_interval'], 1, 3600, ' seconds')

    def run(self, module):
        params = self.params
        before = read_vm(module)
        refused = heartbeat.not_startable(before, module.host)
        if refused:
            raise ModuleFailure(refused, vm=before)
        start = before['state'] != 'Running'
        if module.check_mode:
            after = dict(before, state='Running') if start else before
            return dict(changed=start, started=False, vm=after, diff=dict(before=before, after=after))
        after = before
        if start:
            vm_id = check_vm_id('vm_id', params['vm_id'])
            start_command = reads.for_vm(Command('Start-VM', {} if vm_id else {'Name': params['name']}), vm_id)
            started, = module.run_steps([Step(module.session, [start_command], labels=['start'], read_back=[get_vm(params)])])
            after = read_vm(module, started)
        if params['wait_for_heartbeat']:
            after = wait_for_heartbeat(module, after, start)
        return dict(changed=start, started=start, vm=after, diff=dict(before=before, after=after))


def main():
    HypervModule(argument_spec=dict(
        name=dict(type='str'),
        vm_id=dict(type='str'),
        wait_for_heartbeat=dict(type='bool', default=True),
        timeout=dict(type='int', default=600),
        poll_interval=dict(type='int', default=5),
    ), supports_check_mode=True).execute(StartVM)


if __name__ == '__main__':
    main()
