"""Get-VM: by name (wildcards, alias VMName), by Id, or every VM of the host; Get-VMHardDiskDrive: a VM's virtual hard disks.
Start-VM: by name, or the VM objects piped into it (Get-VM -Id ... | Start-VM).

Start-VM (Start-VM.md): no output without -Passthru. From the decompiled cmdlet (StartVM.ProcessOneOperand): a paused VM
gets a warning and is not started (docs/dev/fidelity.md), any other state asks VMMS to start the VM. Rules no source states in
words, modelled conservatively: VMMS refuses to start a running VM ("failed to change state ... in its current state"), and a
Replica VM starts only once it is failed over (Start-VMFailover): until then it receives replication and cannot run. Automatic
checkpoints are not modelled.
"""

from __future__ import annotations

import fnmatch
import time

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import hard_drive_object, vm_object

VM_TYPE = 'Microsoft.HyperV.PowerShell.VirtualMachine'


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
        for vm in host.vms if names is None else _named_vms(ctx, host, names):
            ctx.write_output(vm_object(host, vm))


def _named_vms(ctx: CmdletContext, host, names: list[str]) -> list:
    """The VMs -VMName designates (wildcards allowed, as Hyper-V's name resolution takes them); a plain name that matches
    nothing is the InvalidParameter error Get-VM writes."""
    found = []
    for name in names:
        matched = [vm for vm in host.vms if fnmatch.fnmatchcase(vm.name.lower(), name.lower())] if _is_pattern(name) \
            else [vm for vm in host.vms if vm.name.lower() == name.lower()]
        if not matched and not _is_pattern(name):
            ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual machine with name "{name}".',
                            'InvalidArgument', target=name)
        found += [vm for vm in matched if vm not in found]
    return found


def get_vm_hard_disk_drive(ctx: CmdletContext) -> None:
    bound = ctx.bound
    if bound.parameter_set in ('VMSnapshot', 'VMDriveController'):
        ctx.write_error('HvLab.NotImplemented', f'Get-VMHardDiskDrive parameter set {bound.parameter_set} is documented but not '
                                                'modelled by the lab.', 'NotImplemented', exception_type='System.NotImplementedException')
        return
    wanted = {'ControllerType': 'controller_type', 'ControllerNumber': 'controller_number', 'ControllerLocation': 'controller_location'}
    for host in ctx.local_targets() if bound.parameter_set == 'VMName' else [ctx.host]:
        if bound.parameter_set == 'VMName':
            vms = _named_vms(ctx, host, bound.get('VMName'))
        else:
            objects = bound.get('VM')
            vms = vms_of_objects(host, objects if isinstance(objects, list) else [objects])
        for vm in vms:
            for disk in vm.disks:
                if all(bound.get(name) is None or str(bound.get(name)) == str(getattr(disk, attribute))
                       for name, attribute in wanted.items()):
                    ctx.write_output(hard_drive_object(host, vm, disk))


def vms_by_name(ctx: CmdletContext, host, names: list) -> list:
    """Start-VM's operands: a name without wildcards that matches no VM is an ObjectNotFound error (cmdlet_behaviour.json)."""
    found = []
    for name in names:
        matched = [vm for vm in host.vms if fnmatch.fnmatchcase(vm.name.lower(), name.lower())] if _is_pattern(name) \
            else [vm for vm in host.vms if vm.name.lower() == name.lower()]
        if not matched and not _is_pattern(name):
            ctx.write_error('ObjectNotFound', f'Hyper-V was unable to find a virtual machine with name "{name}".', 'ObjectNotFound',
                            target=name)
        found.extend(vm for vm in matched if vm not in found)
    return found


def vms_of_objects(host, objects: list) -> list:
    """The VMs VirtualMachine objects stand for (by Id), those of this host."""
    ids = {str(item.properties.get('Id') or item.properties.get('VMId') or '').lower() for item in objects}
    return [vm for vm in host.vms if vm.vm_id in ids]


def vms_selected(ctx: CmdletContext, host) -> list:
    """The VMs of a cmdlet's VMObject set (-VM, the objects piped in) or VMName set (names, wildcards allowed)."""
    if ctx.bound.get('VM') is not None:
        objects = ctx.bound.get('VM')
        return vms_of_objects(host, objects if isinstance(objects, list) else [objects])
    names = ctx.bound.get('VMName')
    return vms_by_name(ctx, host, names if isinstance(names, list) else [names])


def each_selected_vm(ctx: CmdletContext):
    """(host, VM) for each VM the command selects: the objects piped in (on this host) or the names on each -ComputerName."""
    for host in [ctx.host] if ctx.bound.parameter_set == 'VMObject' else ctx.local_targets():
        for vm in vms_selected(ctx, host):
            yield host, vm


def parameter_set_not_modelled(ctx: CmdletContext, sets: tuple = ('VMName', 'VMObject')) -> bool:
    """Write the lab's NotImplemented error and say so when the bound parameter set is not one of sets."""
    if ctx.bound.parameter_set not in sets:
        ctx.write_error('HvLab.NotImplemented', f'{ctx.signature.name} parameter set {ctx.bound.parameter_set} is documented but not '
                                                'modelled by the lab.', 'NotImplemented', exception_type='System.NotImplementedException')
        return True
    return False


def start_vm(ctx: CmdletContext) -> None:
    from hvlab.model.replication import FAILOVER_STATES  # pylint: disable=import-outside-toplevel  # the model imports the engine
    by_object = ctx.bound.parameter_set == 'VMObject'
    for host in [ctx.host] if by_object else ctx.local_targets():
        for vm in vms_of_objects(host, ctx.bound.get('VM')) if by_object else vms_by_name(ctx, host, ctx.bound.get('Name')):
            relationship = host.replication.relationships.get(vm.vm_id)
            if vm.state == 'Paused':
                ctx.write_warning(f"Virtual machine '{vm.name}' is paused; resume it (Resume-VM) to run it.")
                continue
            if vm.state == 'Running':
                ctx.write_error('InvalidState', f"'{vm.name}' failed to change state. The operation cannot be performed while the object is "
                                                'in its current state.', 'InvalidOperation', target=vm.name)
                continue
            if relationship is not None and relationship.mode in ('Replica', 'ExtendedReplica') and relationship.state not in FAILOVER_STATES:
                ctx.write_error('InvalidState', f"'{vm.name}' failed to start: it is a Replica virtual machine (replication state "
                                                f'{relationship.state}); fail it over with Start-VMFailover first.', 'InvalidOperation',
                                target=vm.name)
                continue
            if not ctx.should_process(vm.name):
                continue
            vm.state, vm.started_at = 'Running', time.monotonic()
            if ctx.passthru:
                ctx.write_output(vm_object(host, vm))


# Get-VM -Id <guid> | Start-VM / Get-VMHardDiskDrive: the piped VirtualMachine binds to -VM (ValueFromPipeline, cmdlets.json).
VM_OBJECT_INPUT = ('Start-VM', 'Get-VMHardDiskDrive')

CMDLETS = {'Get-VM': get_vm, 'Get-VMHardDiskDrive': get_vm_hard_disk_drive, 'Start-VM': start_vm}
