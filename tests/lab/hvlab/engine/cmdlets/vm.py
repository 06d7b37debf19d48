"""Get-VM: by name (wildcards, alias VMName), by Id, or every VM of the host."""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import vm_object


def _is_pattern(text: str) -> bool:
    return any(char in text for char in '*?[')


def get_vm(ctx: CmdletContext) -> None:
    if ctx.bound.parameter_set == 'ClusterObject':
        ctx.write_error('InvalidParameter', 'The input object is not a virtual machine cluster resource or group: this host is '
                                            'not a member of a failover cluster.', 'InvalidArgument')
        return
    names = ctx.bound.get('Name')
    wanted_id = ctx.bound.get('Id')
    for host in ctx.local_targets():
        if wanted_id is not None:
            found = [vm for vm in host.vms if vm.vm_id == wanted_id]
            if not found:
                ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual machine with id "{wanted_id}".',
                                'InvalidArgument', target=wanted_id)
            for vm in found:
                ctx.write_output(vm_object(host, vm))
            continue
        if names is None:
            for vm in host.vms:
                ctx.write_output(vm_object(host, vm))
            continue
        emitted = set()
        for name in names:
            matched = [vm for vm in host.vms if fnmatch.fnmatchcase(vm.name.lower(), name.lower())] if _is_pattern(name) \
                else [vm for vm in host.vms if vm.name.lower() == name.lower()]
            if not matched and not _is_pattern(name):
                ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual machine with name "{name}".',
                                'InvalidArgument', target=name)
            for vm in matched:
                if vm.vm_id not in emitted:
                    emitted.add(vm.vm_id)
                    ctx.write_output(vm_object(host, vm))


CMDLETS = {'Get-VM': get_vm}
