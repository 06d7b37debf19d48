"""A VM's processor settings: Get-VMProcessor, and Set-VMProcessor for the settings the lab models (processor compatibility for
migration, the count).

Get-VMProcessor writes one VMProcessor per VM (cmdlet_behaviour.json); a name without wildcards that matches no VM is ObjectNotFound
(ParameterResolvers, as for Start-VM). Set-VMProcessor (decompiled SetVMProcessor) resolves the VMs, asks ShouldProcess per VM, sets
the given values and writes them with one Put, which VMMS refuses for settings that need the VM off. Microsoft's processor
compatibility pages: the VM must be shut down to change its processor compatibility, and compatibility applies to moves that keep
the VM's processor state (a running or saved VM). Which VM states VMMS counts as "not off" and the words of its refusal are not in
the decompiled module (the WMI job's error comes from VMMS): the lab refuses every state but Off, with InvalidState /
InvalidOperation and the "cannot be performed while the object is in its current state" text Start-VM's refusal uses
(docs/dev/fidelity.md, facts no source settles).
"""

from __future__ import annotations

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import HV, netbios_name, reference_object, virtualization_text
from hvlab.engine.cmdlets.vm import each_selected_vm, parameter_set_not_modelled

# Set-VMProcessor parameters the lab models besides the VM selectors and the common parameters.
MODELLED_SETTINGS = ('CompatibilityForMigrationEnabled', 'Count')
_SELECTORS_AND_COMMON = {'VMName', 'VM', 'ComputerName', 'Credential', 'Passthru', 'Confirm', 'WhatIf', 'ErrorAction', 'WarningAction', 'ErrorVariable',
                         'WarningVariable', 'Verbose', 'Debug', 'InformationAction', 'InformationVariable', 'OutVariable', 'OutBuffer',
                         'PipelineVariable'}


def processor_object(host, vm):
    processor_id = f'Microsoft:{vm.vm_id.upper()}\\b637f346-6a0e-4dec-af52-bd70cb80a21d\\0'
    properties = {
        'Name': 'Processor', 'Id': processor_id, 'VMName': vm.name, 'VMId': vm.vm_id, 'VMSnapshotName': '',
        'ComputerName': netbios_name(host), 'Count': vm.processor_count, 'ResourcePoolName': 'Primordial',
        'CompatibilityForMigrationEnabled': vm.processor_compatibility, 'CompatibilityForOlderOperatingSystemsEnabled': False,
        'Maximum': 100, 'Reserve': 0, 'RelativeWeight': 100,
    }
    return reference_object(f'{HV}.VMProcessor', properties,
                            virtualization_text(f'{HV}.VMProcessor', {'Name': 'Processor', 'VMName': vm.name},
                                                {'Id': processor_id, 'VMId': vm.vm_id}))


def _refuse_unmodelled(ctx: CmdletContext) -> bool:
    if parameter_set_not_modelled(ctx):
        return True
    unmodelled = sorted(name for name in ctx.bound.values if name not in _SELECTORS_AND_COMMON and name not in MODELLED_SETTINGS)
    if unmodelled:
        ctx.write_error('HvLab.NotImplemented', f'{ctx.signature.name} -{", -".join(unmodelled)} is documented but not modelled by the lab.',
                        'NotImplemented', exception_type='System.NotImplementedException')
        return True
    return False


def get_vmprocessor(ctx: CmdletContext) -> None:
    if _refuse_unmodelled(ctx):
        return
    for host, vm in each_selected_vm(ctx):
        ctx.write_output(processor_object(host, vm))


def set_vmprocessor(ctx: CmdletContext) -> None:
    if _refuse_unmodelled(ctx):
        return
    for host, vm in each_selected_vm(ctx):
        if not ctx.should_process(vm.name):
            continue
        if vm.state != 'Off':
            ctx.write_error('InvalidState', f"Failed to modify device 'Processor'. '{vm.name}' failed to modify settings: the operation "
                                            'cannot be performed while the virtual machine is in its current state '
                                            f'({vm.state}). Turn the virtual machine off to change its processor settings.',
                            'InvalidOperation', target=vm.name)
            continue
        if ctx.bound.get('CompatibilityForMigrationEnabled') is not None:
            vm.processor_compatibility = bool(ctx.bound.get('CompatibilityForMigrationEnabled'))
        if ctx.bound.get('Count') is not None:
            vm.processor_count = int(ctx.bound.get('Count'))
        if ctx.passthru:
            ctx.write_output(processor_object(host, vm))


# Get-VM -Id <guid> | Get-VMProcessor / Set-VMProcessor: the piped VirtualMachine binds to -VM (ValueFromPipeline, cmdlets.json).
VM_OBJECT_INPUT = ('Get-VMProcessor', 'Set-VMProcessor')

CMDLETS = {'Get-VMProcessor': get_vmprocessor, 'Set-VMProcessor': set_vmprocessor}
