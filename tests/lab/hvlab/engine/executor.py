"""Runs statements against one simulated host: lookup, binding, the cmdlet, ErrorAction."""

from __future__ import annotations

from hvlab.engine import cmdlets
from hvlab.engine.binding import PARAMETER_BINDING_EXCEPTION, BindingError, ParameterBinder
from hvlab.engine.context import CmdletContext
from hvlab.engine.conversion import powershell_text
from hvlab.engine.should_process import DEFAULT_CONFIRM_PREFERENCE
from hvlab.engine.signatures import CmdletSignature, find_signature
from hvlab.engine.values import Command, ErrorInfo, Execution, Identity, LabObject


class StopExecution(Exception):
    """-ErrorAction Stop turned an error into one that ends the whole invocation, as in a script."""


class Executor:
    """Executes the statements of one execute() call, in order, on one host."""

    def __init__(self, host, identity: Identity, confirm_preference: str = DEFAULT_CONFIRM_PREFERENCE, variables: dict | None = None):
        self.host = host
        self.identity = identity
        self.confirm_preference = confirm_preference
        self.execution = Execution()
        # Session-state variables, lower-case name -> PSVariable-like (name, value): what -OutVariable stored.
        self.variables: dict = {} if variables is None else variables

    def run(self, statements: list[list[Command]]) -> Execution:
        for statement in statements:
            try:
                self._run_statement(statement)
            except StopExecution:
                break
        return self.execution

    def _run_statement(self, statement: list[Command]) -> None:
        """One statement: its commands piped together, like ``Compare-VM ... | Select-Object -ExpandProperty ...``.

        Every command is bound before any runs (a binding error ends the statement, as PowerShell's pipeline preparation does);
        each command after the first runs only for the objects the previous one wrote, and the last one's output is the
        statement's output.
        """
        prepared = []
        for position, command in enumerate(statement):
            signature = find_signature(command.name)
            if signature is None or not self._module_available(signature):
                self.execution.errors.append(command_not_found(command.name))
                return
            try:
                prepared.append((signature, self._prebind(signature, list(command.parameters), piped=position > 0), list(command.parameters)))
            except BindingError as failure:
                self.execution.errors.append(failure.error)
                return
        piped = None
        for position, (signature, bound, arguments) in enumerate(prepared):
            contexts = []
            if piped is not None and cmdlets.object_input(signature.name):
                for item in piped:
                    contexts.append(self._run_for_object(signature, bound, arguments, item))
            else:
                ctx = CmdletContext(self.host, self.identity, signature, bound, confirm_preference=self.confirm_preference,
                                    pipeline_input=piped, variables=self.variables)
                if piped is None or cmdlets.takes_pipeline_input(signature.name):
                    self._invoke(signature, ctx)
                else:
                    for item in piped:
                        ctx.errors.append(input_not_bound(signature, item))
                contexts.append(ctx)
            self._store_out_variable(bound, contexts)
            piped = []
            for ctx in contexts:
                if position == len(prepared) - 1:
                    self.execution.output.extend(ctx.output)
                piped.extend(ctx.output)
                self._write_warnings(ctx)
                self._write_errors(ctx)

    def _store_out_variable(self, bound, contexts: list) -> None:
        """-OutVariable name: what the command wrote, as the ArrayList PowerShell stores (a list here), in the variable of that name."""
        name = bound.get('OutVariable')
        if name:
            self.variables[str(name).lower()] = (str(name), [item for ctx in contexts for item in ctx.output])

    @staticmethod
    def _prebind(signature: CmdletSignature, arguments: list, piped: bool):
        """The named arguments bound before any input arrives. PowerShell binds them and leaves the pipeline parameter to each
        object; the lab binds them with a stand-in for the piped object, of each type the cmdlet takes in turn (Start-VMFailover
        -Prepare binds with a VirtualMachine, which -VM takes, not with a VMSnapshot), and reports the first type's error when
        none binds. Bound again per object in _run_for_object."""
        object_input = cmdlets.object_input(signature.name)
        if not piped or not object_input:
            return ParameterBinder(signature).bind(arguments)
        first_failure = None
        for type_name, parameter in object_input.items():
            stand_in = _piped_argument(signature, parameter, LabObject([type_name, 'System.Object'], {}, type_name))
            try:
                return ParameterBinder(signature).bind(arguments + [(parameter, stand_in)])
            except BindingError as failure:
                first_failure = first_failure or failure
        raise first_failure

    def _run_for_object(self, signature: CmdletSignature, prebound, arguments: list, item) -> CmdletContext:
        """One invocation of a cmdlet for one piped object, bound to the parameter its type goes to (a VirtualMachine to -VM, ...);
        an object of no such type is not bound (reported against the arguments bound with the stand-in)."""
        object_input = cmdlets.object_input(signature.name)
        parameter = next((object_input[name] for name in getattr(item, 'type_names', ()) if name in object_input), None)
        if parameter is None:
            ctx = CmdletContext(self.host, self.identity, signature, prebound, confirm_preference=self.confirm_preference,
                                variables=self.variables)
            ctx.errors.append(input_not_bound(signature, item))
            return ctx
        bound = ParameterBinder(signature).bind(arguments + [(parameter, _piped_argument(signature, parameter, item))])
        ctx = CmdletContext(self.host, self.identity, signature, bound, confirm_preference=self.confirm_preference, variables=self.variables)
        self._invoke(signature, ctx)
        return ctx

    def _module_available(self, signature: CmdletSignature) -> bool:
        """Hyper-V cmdlets exist only where the Hyper-V PowerShell module (feature) is installed."""
        return signature.module != 'Hyper-V' or self.host.features.get('Hyper-V-PowerShell', False)

    def _invoke(self, signature: CmdletSignature, ctx: CmdletContext) -> None:
        if 'CimSession' in ctx.bound:
            ctx.write_error('HvLab.CimSessionNotSupported', 'The lab does not model CIM sessions; use -ComputerName (or nothing) to '
                                                            'address this host.', 'NotImplemented',
                            exception_type='System.NotSupportedException')
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


def _piped_argument(signature: CmdletSignature, parameter: str, item):
    """The piped object as its parameter takes it: an array parameter (VirtualMachine[] of Start-VM) gets a one-element array."""
    spec = next(spec for spec in signature.parameters if spec.name == parameter)
    return [item] if spec.type.is_array else item


def command_not_found(name: str) -> ErrorInfo:
    """Windows PowerShell 5.1's CommandNotFoundException record (the WinRM endpoint of Windows Server)."""
    return ErrorInfo(command=name,
                     message=f"The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable "
                             'program. Check the spelling of the name, or if a path was included, verify that the path is correct '
                             'and try again.',
                     fully_qualified_error_id='CommandNotFoundException', category='ObjectNotFound',
                     exception_type='System.Management.Automation.CommandNotFoundException', target=name)


def input_not_bound(signature: CmdletSignature, item) -> ErrorInfo:
    """ParameterBinderController's record for a piped object no parameter of the command takes from the pipeline."""
    return ErrorInfo(command=signature.name,
                     message='The input object cannot be bound to any parameters for the command either because the command does not '
                             'take pipeline input or the input and its properties do not match any of the parameters that take '
                             'pipeline input.',
                     fully_qualified_error_id=f'InputObjectNotBound,{signature.implementing_type}', category='InvalidArgument',
                     exception_type=PARAMETER_BINDING_EXCEPTION, target=powershell_text(item))
