"""Get-Service and Stop-Service (Microsoft.PowerShell.Management) over the services the lab's programs install.

A lab host has the services of what is installed on it (hvlab.model.programs): System Center Virtual Machine Manager
(``SCVMMService``) on a VMM server, the Microsoft Azure Recovery Services agent (``obengine``) once the agent is installed.
Windows' own services are not modelled, so Get-Service without -Name lists only those.

From PowerShell's source (GetServiceCommand, ServiceOperationBaseCommand.DoStopService) and the 5.1 pages: a name without
wildcards that matches no service is a NoServiceFoundForGivenName error (ObjectNotFound); stopping a service that is not
running is not an error; Stop-Service writes nothing without -PassThru.
"""

from __future__ import annotations

import fnmatch

from hvlab.engine.context import CmdletContext
from hvlab.engine.objects import service_object

SERVICE_EXCEPTION = 'Microsoft.PowerShell.Commands.ServiceCommandException'


def _is_pattern(text: str) -> bool:
    return any(char in text for char in '*?[')


def _selected(ctx: CmdletContext) -> list:
    """(name, service) of the services named by -Name (every service without it), with the errors PowerShell writes."""
    services = ctx.host.services()
    names = ctx.bound.get('Name')
    if names is None:
        return sorted(services.items())
    chosen = []
    for name in names:
        matched = [(key, service) for key, service in sorted(services.items()) if fnmatch.fnmatchcase(key.lower(), name.lower())]
        if not matched and not _is_pattern(name):
            ctx.write_error('NoServiceFoundForGivenName', f"Cannot find any service with service name '{name}'.", 'ObjectNotFound', target=name,
                            exception_type=SERVICE_EXCEPTION)
        chosen.extend(entry for entry in matched if entry not in chosen)
    return chosen


def _unsupported(ctx: CmdletContext) -> bool:
    if ctx.bound.parameter_set != 'Default' or ctx.bound.get('ComputerName') is not None:
        ctx.write_error('HvLab.NotImplemented', 'The lab addresses services of this computer by -Name only.', 'NotImplemented',
                        exception_type='System.NotImplementedException')
        return True
    return False


def get_service(ctx: CmdletContext) -> None:
    if _unsupported(ctx):
        return
    for name, service in _selected(ctx):
        ctx.write_output(service_object(name, service['display_name'], service['status'], service['start_mode']))


def stop_service(ctx: CmdletContext) -> None:
    if _unsupported(ctx):
        return
    for name, service in _selected(ctx):
        # ShouldProcessServiceOperation: the target is "<display name> (<service name>)", the action the cmdlet's name.
        if not ctx.should_process(f"{service['display_name']} ({name})"):
            continue
        ctx.host.set_service_status(name, 'Stopped')
        service = ctx.host.services()[name]
        if ctx.passthru:
            ctx.write_output(service_object(name, service['display_name'], service['status'], service['start_mode']))


CMDLETS = {'Get-Service': get_service, 'Stop-Service': stop_service}
