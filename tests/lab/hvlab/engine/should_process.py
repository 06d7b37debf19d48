"""ShouldProcess as PowerShell decides it: -WhatIf, -Confirm, -Confirm:$false, $ConfirmPreference and the cmdlet's ConfirmImpact.

The rule is MshCommandRuntime.DoShouldProcess (PowerShell's source): -WhatIf answers "no" and changes nothing; otherwise the
action goes ahead without asking when the effective confirm preference is None or higher than the cmdlet's ConfirmImpact
(-Confirm sets the preference to Low for the call, -Confirm:$false to None; $ConfirmPreference defaults to High), and
otherwise the host is asked. A remote session has no one to ask:

- over PSRP from a client without a host (pypsrp, the collection's psrp transport) the server's host has no UI and
  InternalHostUserInterface throws HostException "A command that prompts the user failed because the host program or the
  command type does not support user interaction. The host was attempting to request confirmation with the following
  message: ..." (error id HostFunctionNotImplemented, category NotImplemented);
- in ``powershell.exe -NonInteractive`` (the collection's WinRM runner) ConsoleHostUserInterface throws
  PSInvalidOperationException "Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."

A Hyper-V cmdlet catches the exception of each operand (VirtualizationCmdlet.ProcessOperands) and writes it through
ExceptionHelper, which maps it to a VirtualizationException: HostException is none of the exceptions it knows
(id Unspecified, category NotSpecified), PSInvalidOperationException is an InvalidOperationException (id InvalidOperation,
category InvalidOperation). The next operand is asked again. Any other cmdlet stops at the first failed prompt.

Which cmdlets support ShouldProcess, at which impact and with which en-US description: the reference data
(hvlab/reference/cmdlet_behaviour.json, each fact with its source). An impact no source settles ("unknown": the CDXML
Enable-NetFirewallRule, the AD setters) is taken as High, the case that prompts at the default preference, so a module that
forgets -Confirm:$false fails in the lab rather than on a host whose impact turns out High.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hvlab import reference

UNKNOWN_IMPACT_AS = 'High'
IMPACT_RANK = {'None': 0, 'Low': 1, 'Medium': 2, 'High': 3}
DEFAULT_CONFIRM_PREFERENCE = 'High'

PROMPT_NOT_INTERACTIVE = ('A command that prompts the user failed because the host program or the command type does not support '
                          'user interaction. The host was attempting to request confirmation with the following message: {}')
NON_INTERACTIVE_MODE = 'Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.'
# ShouldProcessWarningFallback: what the host is asked when the cmdlet gives no warning text of its own.
CONFIRM_QUESTION = 'Are you sure you want to perform this action?\r\n{}'
# ShouldProcess(target, action)'s description when the cmdlet has no text of its own (CDXML cmdlets, PowerShell's resources).
GENERIC_DESCRIPTION = 'Performing the operation "{action}" on target "{target}".'


@dataclass(frozen=True)
class Traits:
    supports_should_process: bool
    confirm_impact: str | None          # as the lab applies it: "unknown" is UNKNOWN_IMPACT_AS
    message: str | None                 # the cmdlet's own ShouldProcess description ({0} the target, {1} the host)

    def description(self, target: str, action: str, host_name: str) -> str:
        if self.message:
            return self.message.format(target, host_name)
        return GENERIC_DESCRIPTION.format(action=action, target=target)


@functools.lru_cache(maxsize=1)
def _all_traits() -> dict[str, Traits]:
    cmdlets = reference.load('cmdlet_behaviour.json')['cmdlets']
    return {name.lower(): Traits(entry['supports_should_process'],
                                 UNKNOWN_IMPACT_AS if entry['confirm_impact'] == 'unknown' else entry['confirm_impact'],
                                 entry.get('should_process_message'))
            for name, entry in cmdlets.items()}


def traits(cmdlet: str) -> Traits:
    """A cmdlet's ShouldProcess traits; KeyError for a cmdlet the data does not list (every modelled cmdlet is listed)."""
    return _all_traits()[cmdlet.lower()]


def high_impact_cmdlets() -> list[str]:
    """The documented names of the cmdlets the lab asks at the default preference (High, or an impact no source settles)."""
    cmdlets = reference.load('cmdlet_behaviour.json')['cmdlets']
    return sorted(name for name, entry in cmdlets.items() if entry['confirm_impact'] in ('High', 'unknown'))


def effective_preference(confirm, preference: str) -> str:
    """The confirm preference for one call: -Confirm -> Low, -Confirm:$false -> None, else $ConfirmPreference."""
    if confirm is None:
        return preference
    return 'Low' if confirm else 'None'


def must_prompt(impact: str, preference: str) -> bool:
    """CanShouldProcessAutoConfirm, negated: the host is asked unless the preference is None or above the impact."""
    return not (preference == 'None' or IMPACT_RANK[preference] > IMPACT_RANK[impact])


@dataclass(frozen=True)
class PromptFailure:
    """The exception a prompt raises in a session that cannot prompt: (error id, category, .NET type, message)."""

    error_id: str
    category: str
    exception_type: str
    message: str


def prompt_failure(transport: str, description: str) -> PromptFailure:
    """What asking the host raises: the runner's console host (winrm) or a PSRP server host without a client UI (psrp)."""
    if transport == 'winrm':
        return PromptFailure('InvalidOperation', 'InvalidOperation', 'System.Management.Automation.PSInvalidOperationException',
                             NON_INTERACTIVE_MODE)
    return PromptFailure('HostFunctionNotImplemented', 'NotImplemented', 'System.Management.Automation.Host.HostException',
                         PROMPT_NOT_INTERACTIVE.format(CONFIRM_QUESTION.format(description)))


def hyperv_mapping(failure: PromptFailure) -> tuple[str, str]:
    """ExceptionHelper.MapExceptionToCategory for the two prompt exceptions: (error id, category)."""
    if failure.exception_type.endswith('PSInvalidOperationException'):
        return 'InvalidOperation', 'InvalidOperation'
    return 'Unspecified', 'NotSpecified'
