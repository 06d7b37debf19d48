"""Get-VMSwitch: a host's virtual switches (SimHost.switches).

The decompiled GetVMSwitch (cmdlet_behaviour.json): -Name (wildcards allowed) or -Id, optionally -SwitchType; a -Name without
wildcards that matches nothing is an InvalidParameter error record, an -Id that matches nothing ObjectNotFound. -ResourcePoolName is
not modelled (the lab has no resource pools).
"""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import HV, enum, netbios_name, reference_object, virtualization_text

SWITCH_TYPE = f'{HV}.VMSwitch'


def switch_object(host, switch):
    properties = {'Name': switch.name, 'Id': switch.switch_id, 'ComputerName': netbios_name(host), 'IsDeleted': False,
                  'SwitchType': enum(f'{HV}.VMSwitchType', switch.switch_type), 'AllowManagementOS': switch.switch_type != 'Private'}
    return reference_object(SWITCH_TYPE, properties, virtualization_text(SWITCH_TYPE, {'Name': switch.name}, {'Id': switch.switch_id}))


def get_vmswitch(ctx: CmdletContext) -> None:
    if 'ResourcePoolName' in ctx.bound:
        ctx.write_error('HvLab.NotImplemented', 'Get-VMSwitch -ResourcePoolName is documented but not modelled by the lab.', 'NotImplemented',
                        exception_type='System.NotImplementedException')
        return
    name, ids = ctx.bound.get('Name'), ctx.bound.get('Id')
    types = ctx.bound.get('SwitchType')
    wanted_types = None if types is None else {getattr(item, 'name', str(item)) for item in (types if isinstance(types, list) else [types])}
    for host in ctx.local_targets():
        switches = [switch for switch in host.switches if wanted_types is None or switch.switch_type in wanted_types]
        if ids is not None:
            for switch_id in ids if isinstance(ids, list) else [ids]:
                found = [switch for switch in switches if switch.switch_id.lower() == str(switch_id).lower()]
                if not found:
                    ctx.write_error('ObjectNotFound', f'Hyper-V was unable to find a virtual switch with id "{switch_id}".', 'ObjectNotFound',
                                    target=str(switch_id))
                for switch in found:
                    ctx.write_output(switch_object(host, switch))
            continue
        found = [switch for switch in switches if name is None or fnmatch.fnmatchcase(switch.name.lower(), str(name).lower())]
        if name is not None and not found and not any(character in str(name) for character in '*?['):
            ctx.write_error('InvalidParameter', f'Hyper-V was unable to find a virtual switch with name "{name}".', 'InvalidArgument',
                            target=str(name))
        for switch in found:
            ctx.write_output(switch_object(host, switch))


CMDLETS = {'Get-VMSwitch': get_vmswitch}
