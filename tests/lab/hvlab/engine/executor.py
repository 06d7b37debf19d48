"""Runs statements against one simulated host: lookup, binding, the cmdlet, ErrorAction."""

from __future__ import annotations

from hvlab.engine import cmdlets
from hvlab.engine.binding import BindingError, ParameterBinder
from hvlab.engine.context import CmdletContext
from hvlab.engine.signatures import CmdletSignature, find_signature
from hvlab.engine.values import Command, ErrorInfo, Execution, Identity


class StopExecution(Exception):
    """-ErrorAction Stop turned an error into one that ends the whole invocation, as in a script."""


class Executor:
    """Executes the statements of one execute() call, in order, on one host."""

    def __init__(self, host, identity: Identity):
        self.host = host
        self.identity = identity
        self.execution = Execution()

    def run(self, statements: list[list[Command]]) -> Execution:
        for statement in statements:
            try:
                self._run_statement(statement)
            except StopExecution:
                break
        return self.execution

    def _run_statement(self, statement: list[Command]) -> None:
        if not statement:
            return
        if len(statement) > 1:
            names = ' | '.join(command.name for command in statement)
            self.execution.errors.append(ErrorInfo(
                command=statement[0].name, message=f'The lab runs one command per statement; the pipeline "{names}" is not modelled.',
                fully_qualified_error_id='HvLab.PipelineNotSupported', category='NotImplemented',
                exception_type='System.NotSupportedException', target=names))
            return
        self._run_command(statement[0])

    def _run_command(self, command: Command) -> None:
        signature = find_signature(command.name)
        if signature is None or not self._module_available(signature):
            self.execution.errors.append(command_not_found(command.name))
            return
        try:
            bound = ParameterBinder(signature).bind(list(command.parameters))
        except BindingError as failure:
            self.execution.errors.append(failure.error)
            return
        ctx = CmdletContext(self.host, self.identity, signature, bound)
        self._invoke(signature, ctx)
        self.execution.output.extend(ctx.output)
        self._write_warnings(ctx)
        self._write_errors(ctx)

    def _module_available(self, signature: CmdletSignature) -> bool:
        """Hyper-V cmdlets exist only where the Hyper-V PowerShell module (feature) is installed."""
        return signature.module != 'Hyper-V' or self.host.features.get('Hyper-V-PowerShell', False)

    def _invoke(self, signature: CmdletSignature, ctx: CmdletContext) -> None:
        if 'CimSession' in ctx.bound:
            ctx.write_error('HvLab.CimSessionNotSupported', 'The lab does not model CIM sessions; use -ComputerName (or nothing) to '
                                                            'address this host.', 'NotImplemented',
                            exception_type='System.NotSupportedException')
            return
        if ctx.bound.switch('Confirm'):
            ctx.write_error('HostException', 'A command that prompts the user failed because the host program or the command type '
                                             'does not support user interaction. The host was attempting to request confirmation '
                                             f'with the following message: Are you sure you want to perform this action? '
                                             f'Performing operation "{signature.name}".', 'NotImplemented',
                            exception_type='System.Management.Automation.Host.HostException')
            return
        if signature.module == 'Hyper-V' and not self.host.hyperv_installed:
            ctx.write_error('ObjectNotFound', f"Hyper-V encountered an error trying to access an object on computer "
                                              f"'{self.host.name.upper()}' because the object was not found. The object might have "
                                              'been deleted. Verify that the Virtual Machine Management service on the computer '
                                              'is running.', 'ObjectNotFound', target=self.host.name.upper())
            return
        implementation = cmdlets.implementation(signature.name)
        if implementation is None:
            ctx.write_error('HvLab.NotImplemented', f'{signature.name} is documented but not modelled by the lab yet.',
                            'NotImplemented', exception_type='System.NotImplementedException')
            return
        if self.host.take_command_failure(signature.name):
            # What a Hyper-V operation that fails inside VMMS looks like (injected by tests through the world's failing_commands).
            ctx.write_error('OperationFailed', 'The operation failed.', 'NotSpecified',
                            exception_type='Microsoft.HyperV.PowerShell.VirtualizationException', target=self.host.name.upper())
            return
        implementation(ctx)

    def _write_warnings(self, ctx: CmdletContext) -> None:
        action = ctx.bound.get('WarningAction')
        if action is None or action.name not in ('SilentlyContinue', 'Ignore'):
            self.execution.warnings.extend(ctx.warnings)

    def _write_errors(self, ctx: CmdletContext) -> None:
        action = ctx.bound.get('ErrorAction')
        name = action.name if action is not None else 'Continue'
        if name in ('SilentlyContinue', 'Ignore') or not ctx.errors:
            return
        if name == 'Stop':
            self.execution.errors.append(ctx.errors[0])
            raise StopExecution()
        self.execution.errors.extend(ctx.errors)


def command_not_found(name: str) -> ErrorInfo:
    """Windows PowerShell 5.1's CommandNotFoundException record (the WinRM endpoint of Windows Server)."""
    return ErrorInfo(command=name,
                     message=f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
                             'program. Check the spelling of the name, or if a path was included, verify that the path is correct '
                             'and try again.',
                     fully_qualified_error_id='CommandNotFoundException', category='ObjectNotFound',
                     exception_type='System.Management.Automation.CommandNotFoundException', target=name)
