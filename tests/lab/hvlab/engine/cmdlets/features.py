"""Get-WindowsFeature (ServerManager): the lab's small feature catalogue with Installed/InstallState."""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import feature_object
from hvlab.engine.reference import FEATURE_CATALOG


def get_windows_feature(ctx: CmdletContext) -> None:
    computer = ctx.bound.get('ComputerName')
    if computer is not None and not ctx.host.names_itself(computer):
        ctx.write_error('UnSupportedTargetDevice',
                        f"The target of the specified cmdlet cannot be a Windows client-based operating system or the computer "
                        f"'{computer}' cannot be reached: connecting to another computer from this session is not possible.",
                        'DeviceError', target=computer, exception_type='System.Exception')
        return
    if ctx.bound.get('Vhd') is not None:
        ctx.write_error('ArgumentException', f"The VHD '{ctx.bound.get('Vhd')}' cannot be found or mounted.",
                        'InvalidArgument', target=ctx.bound.get('Vhd'), exception_type='System.ArgumentException')
        return
    patterns = ctx.bound.get('Name')
    for name in FEATURE_CATALOG:
        if patterns is None or any(fnmatch.fnmatchcase(name.lower(), pattern.lower()) for pattern in patterns):
            ctx.write_output(feature_object(ctx.host, name))


CMDLETS = {'Get-WindowsFeature': get_windows_feature}
