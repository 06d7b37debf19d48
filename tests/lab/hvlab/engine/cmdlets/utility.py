"""Select-Object (Microsoft.PowerShell.Utility): -ExpandProperty over piped objects; Get-Variable: the variables -OutVariable set.

The collection uses it to bring nested objects back as top-level objects, which keep their properties through remoting
(Compare-VM's Incompatibilities, Get-VMReplication's ExcludedDisks). The other ways of selecting (-Property, -First, -Unique,
...) are not modelled: the lab says so instead of answering wrongly.
"""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import reference_object
from hvlab.engine.values import LabObject

PS_VARIABLE = 'System.Management.Automation.PSVariable'

_NOT_MODELLED = ('Property', 'ExcludeProperty', 'Unique', 'Last', 'First', 'Skip', 'SkipLast', 'Index')


def _property(item, name: str):
    """(found, value) of a property, matched case-insensitively as PowerShell's member lookup does."""
    if isinstance(item, LabObject):
        for key, value in item.properties.items():
            if key.lower() == name.lower():
                return True, value
    return False, None


def select_object(ctx: CmdletContext) -> None:
    given = [name for name in _NOT_MODELLED if name in ctx.bound]
    expand = ctx.bound.get('ExpandProperty')
    if given or expand is None:
        ctx.write_error('HvLab.NotImplemented', 'Select-Object is modelled only with -ExpandProperty (and without '
                                                f'{", ".join("-" + name for name in _NOT_MODELLED)}).', 'NotImplemented',
                        exception_type='System.NotImplementedException')
        return
    # -InputObject given as a parameter is one object, even a collection; piped objects come one at a time.
    items = ctx.pipeline_input if ctx.pipeline_input is not None else ([ctx.bound.get('InputObject')] if 'InputObject' in ctx.bound else [])
    for item in items:
        found, value = _property(item, expand)
        if not found:
            ctx.write_error('ExpandPropertyNotFound', f'Property "{expand}" cannot be found.', 'InvalidArgument',
                            target=getattr(item, 'to_string', None) or str(item),
                            exception_type='System.Management.Automation.PSArgumentException')
            continue
        if value is None:
            continue
        for element in value if isinstance(value, list) else [value]:
            ctx.write_output(element)


def get_variable(ctx: CmdletContext) -> None:
    """The variables of this execute() call (what -OutVariable stored) by -Name (wildcards allowed), as PSVariable objects, or with
    -ValueOnly each value as one object, not enumerated (PowerShell's GetVariableCommand). -Include, -Exclude and -Scope are not
    modelled; the lab's variables live in one scope."""
    given = [name for name in ('Include', 'Exclude', 'Scope') if name in ctx.bound]
    if given:
        ctx.write_error('HvLab.NotImplemented', f'Get-Variable -{", -".join(given)} is documented but not modelled by the lab.', 'NotImplemented',
                        exception_type='System.NotImplementedException')
        return
    patterns = ctx.bound.get('Name') or ['*']
    for pattern in patterns if isinstance(patterns, list) else [patterns]:
        found = [entry for key, entry in sorted(ctx.variables.items()) if fnmatch.fnmatchcase(key, str(pattern).lower())]
        if not found and not any(character in str(pattern) for character in '*?['):
            ctx.write_error('VariableNotFound', f"Cannot find a variable with the name '{pattern}'.", 'ObjectNotFound', target=str(pattern),
                            exception_type='System.Management.Automation.ItemNotFoundException')
        for name, value in found:
            if ctx.bound.switch('ValueOnly'):
                ctx.write_output(value)
            else:
                ctx.write_output(reference_object(PS_VARIABLE, {'Name': name, 'Value': value, 'Visibility': 'Public', 'Options': 'None'},
                                                  PS_VARIABLE))


CMDLETS = {'Select-Object': select_object, 'Get-Variable': get_variable}
PIPELINE_INPUT = ('Select-Object',)
