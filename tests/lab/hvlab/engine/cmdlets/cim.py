"""Get-CimInstance (CimCmdlets) for the CIM classes the collection reads: Win32_ComputerSystem, the host's names;
Win32_OperatingSystem, its free memory (host_drain's placement).

Only the ClassName sets against this computer are modelled (no -ComputerName of another computer, -CimSession, -Query,
-ResourceUri or -InputObject): the lab says so instead of answering wrongly. A class the lab does not know is what WMI answers
for a class that does not exist: "Invalid class" (HRESULT 0x80041010, category MetadataError).
"""

from __future__ import annotations

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import computer_system_object, operating_system_object

CIM_EXCEPTION = 'Microsoft.Management.Infrastructure.CimException'
_CLASSES = {'win32_computersystem': computer_system_object, 'win32_operatingsystem': operating_system_object}
_NAMESPACES = ('root/cimv2', 'root\\cimv2')


def get_cim_instance(ctx: CmdletContext) -> None:
    bound = ctx.bound
    others = [name for name in bound.get('ComputerName') or [] if not ctx.host.names_itself(name)]
    if bound.parameter_set != 'ClassNameComputerSet' or others or any(name in bound for name in ('Filter', 'KeyOnly', 'Shallow')):
        ctx.write_error('HvLab.NotImplemented', 'Get-CimInstance is modelled only with -ClassName (and optionally -Namespace, '
                                                '-Property, -ComputerName of this host).', 'NotImplemented',
                        exception_type='System.NotImplementedException')
        return
    class_name = bound.get('ClassName')
    namespace = bound.get('Namespace') or 'root/cimv2'
    build = _CLASSES.get(class_name.lower()) if namespace.lower() in _NAMESPACES else None
    if build is None:
        # WMI's WBEM_E_INVALID_CLASS (or WBEM_E_INVALID_NAMESPACE for an unknown namespace): the lab knows only these classes.
        ctx.write_error('HRESULT 0x80041010', 'Invalid class ', 'MetadataError', target=f'{namespace}:{class_name}',
                        exception_type=CIM_EXCEPTION)
        return
    instance = build(ctx.host)
    wanted = bound.get('Property')
    if wanted:
        # -Property: the other properties are present but not populated.
        keep = {name.lower() for name in wanted} | {'name'}
        instance.properties = {name: (value if name.lower() in keep else None) for name, value in instance.properties.items()}
    ctx.write_output(instance)


CMDLETS = {'Get-CimInstance': get_cim_instance}
