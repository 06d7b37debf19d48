"""Update-VMVersion: upgrades a VM's configuration version to the host's current version; irreversible.

From the decompiled UpdateVMVersion: ConfirmImpact High (so a remote session without -Confirm:$false or -Force fails at the
prompt), -Force skips ShouldProcess; operands by -Name (alias VMName, wildcards resolved, a plain name matching nothing is
ObjectNotFound) or -VM (the objects piped in). After ShouldProcess: a VM that is not Off, Saved or FastSaved is an InvalidState
error (ErrorMessages.OperationFailed_InvalidState; its text is not in the decompiled module: the lab's wording says the state);
a Saved VM's saved state is deleted and the VM turned off before the upgrade; a VM already at the newest version gets a warning
(UpdateVMConfigurationVersion_VMVersionMaximum_Warning, text not in the module) and no change; -Passthru writes the VM.

Which version "current" is: Update-VMVersion's page says the current / most recent version, the upgrade page says Hyper-V
Manager's "Upgrade Configuration Version" is missing once the VM is at the highest version the host supports, and a new VM gets the
host's default version. On the hosts the lab models the default is the highest supported version (hvlab.engine.reference), so the
lab upgrades to the host's default; no source says what happens on a host whose default is below its highest (docs/dev/fidelity.md).
Checkpoints with saved state are not modelled.
"""

from __future__ import annotations

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import vm_object
from hvlab.engine.reference import vm_version_key
from hvlab.engine.cmdlets.vm import vms_by_name, vms_of_objects

UPGRADABLE_STATES = ('Off', 'Saved', 'FastSaved')


def _operands(ctx: CmdletContext):
    if ctx.bound.parameter_set == 'VMObject':
        objects = ctx.bound.get('VM')
        for vm in vms_of_objects(ctx.host, objects if isinstance(objects, list) else [objects]):
            yield ctx.host, vm
        return
    names = ctx.bound.get('Name')
    for host in ctx.local_targets():
        for vm in vms_by_name(ctx, host, names if isinstance(names, list) else [names]):
            yield host, vm


def update_vm_version(ctx: CmdletContext) -> None:
    if ctx.bound.switch('AsJob'):
        ctx.write_error('HvLab.NotImplemented', 'Update-VMVersion -AsJob is documented but not modelled by the lab.', 'NotImplemented',
                        exception_type='System.NotImplementedException')
        return
    for host, vm in list(_operands(ctx)):
        if not ctx.bound.switch('Force') and not ctx.should_process(vm.name):
            continue
        if vm.state not in UPGRADABLE_STATES:
            ctx.write_error('InvalidState', f"'{vm.name}' failed to upgrade its configuration version: the operation cannot be performed "
                                            f'while the virtual machine is in its current state ({vm.state}). Shut the virtual machine '
                                            'down first.', 'InvalidOperation', target=vm.name)
            continue
        if vm.state != 'Off':
            vm.state = 'Off'            # the saved state is deleted and the VM turned off before the upgrade
        if vm_version_key(vm.version) >= vm_version_key(host.default_vm_version):
            ctx.write_warning(f"The virtual machine '{vm.name}' is already at the highest configuration version this host supports.")
        else:
            vm.version = host.default_vm_version
        if ctx.passthru:
            ctx.write_output(vm_object(host, vm))


# Get-VM -Id <guid> | Update-VMVersion: the piped VirtualMachine binds to -VM (ValueFromPipeline, the decompiled UpdateVMVersion).
VM_OBJECT_INPUT = ('Update-VMVersion',)

CMDLETS = {'Update-VMVersion': update_vm_version}
