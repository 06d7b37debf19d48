"""What a running cmdlet sees: its host, caller, bound parameters, and the streams it writes to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hvlab.engine import should_process as sp
from hvlab.engine.binding import BoundParameters
from hvlab.engine.objects import netbios_name
from hvlab.engine.signatures import CmdletSignature
from hvlab.engine.values import ErrorInfo, Identity

if TYPE_CHECKING:
    from hvlab.model.world import SimHost

VIRTUALIZATION_EXCEPTION = 'Microsoft.HyperV.PowerShell.VirtualizationException'


@dataclass
class CmdletContext:
    """One command invocation. Cmdlets call write_output / write_error / write_warning."""

    host: SimHost
    identity: Identity
    signature: CmdletSignature
    bound: BoundParameters
    confirm_preference: str = sp.DEFAULT_CONFIRM_PREFERENCE
    # The objects piped in from the previous command of the statement (None for the first command).
    pipeline_input: list | None = None
    output: list = field(default_factory=list)
    errors: list[ErrorInfo] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stopped: bool = False
    # The variables of the execute() call (the runspace's session state): -OutVariable sets them, Get-Variable reads them.
    variables: dict = field(default_factory=dict)

    def should_process(self, target: str, action: str | None = None) -> bool:
        """Cmdlet.ShouldProcess(target, action), called where the real cmdlet calls it: after its own checks, before the change.

        False means: change nothing for this target (-WhatIf, or a prompt that failed and wrote its error record).
        """
        traits = sp.traits(self.signature.name)
        if not traits.supports_should_process:
            raise AssertionError(f'{self.signature.name} does not support ShouldProcess; the lab cmdlet must not ask')
        if self.stopped:
            return False
        if self.bound.switch('WhatIf'):
            return False
        preference = sp.effective_preference(self.bound.get('Confirm'), self.confirm_preference)
        if not sp.must_prompt(traits.confirm_impact, preference):
            return True
        description = traits.description(target, action or self.signature.name, netbios_name(self.host))
        failure = sp.prompt_failure(self.identity.transport, description)
        if self.signature.module == 'Hyper-V':
            error_id, category = sp.hyperv_mapping(failure)
            self.write_error(error_id, failure.message, category, target=target)
        else:
            self.write_error(failure.error_id, failure.message, failure.category, target=target, exception_type=failure.exception_type)
            self.stopped = True      # the exception ends a cmdlet that does not catch it per operand
        return False

    @property
    def passthru(self) -> bool:
        return self.bound.switch('Passthru') or self.bound.switch('PassThru')

    def write_output(self, value) -> None:
        self.output.append(value)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_error(self, error_id: str, message: str, category: str, target: str | None = None,
                    exception_type: str = VIRTUALIZATION_EXCEPTION) -> None:
        """A non-terminating error record; the FQID gets the cmdlet's implementing class like PowerShell's."""
        self.errors.append(ErrorInfo(command=self.signature.name, message=message,
                                     fully_qualified_error_id=f'{error_id},{self.signature.implementing_type}',
                                     category=category, exception_type=exception_type, target=target))

    def local_targets(self) -> list:
        """The hosts named by -ComputerName (default: this host). Other computers get an error record.

        The lab does not reach into other simulated hosts: from inside a remote session a second hop
        to another computer has no credentials to present, so naming another host fails.
        """
        names = self.bound.get('ComputerName')
        if names is None:
            return [self.host]
        targets = []
        for name in names if isinstance(names, list) else [names]:
            if self.host.names_itself(name):
                targets.append(self.host)
            else:
                self.write_error('ObjectNotFound',
                                 f"Hyper-V encountered an error trying to access an object on computer '{name}' because the "
                                 'object was not found. The object might have been deleted, or you might not have permission '
                                 'to perform the task. Verify that the Virtual Machine Management service on the computer is '
                                 'running. If the service is running, try to perform the task again by using Run as Administrator.',
                                 'ObjectNotFound', target=name)
        return targets
