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

Which cmdlets support ShouldProcess and at which impact: should_process.json beside this file, with the source of each fact.
"""

from __future__ import annotations

import functools
import json
import pathlib
from dataclasses import dataclass

TRAITS_JSON = pathlib.Path(__file__).resolve().parent / 'should_process.json'
IMPACT_RANK = {'None': 0, 'Low': 1, 'Medium': 2, 'High': 3}
DEFAULT_CONFIRM_PREFERENCE = 'High'

PROMPT_NOT_INTERACTIVE = ('A command that prompts the user failed because the host program or the command type does not support '
                          'user interaction. The host was attempting to request confirmation with the following message: {}')
NON_INTERACTIVE_MODE = 'Windows PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.'
# ShouldProcessWarningFallback: what the host is asked when the cmdlet gives no warning text of its own.
CONFIRM_QUESTION = 'Are you sure you want to perform this action?\r\n{}'


@dataclass(frozen=True)
class Traits:
    supports_should_process: bool
    confirm_impact: str | None


@functools.lru_cache(maxsize=1)
def _all_traits() -> dict[str, Traits]:
    data = json.loads(TRAITS_JSON.read_text(encoding='utf-8'))
    return {name.lower(): Traits(entry['supports_should_process'], entry['confirm_impact'])
            for name, entry in data.items() if not name.startswith('_')}


def traits(cmdlet: str) -> Traits:
    """A cmdlet's ShouldProcess traits; KeyError for a cmdlet the data does not list (every modelled cmdlet is listed)."""
    return _all_traits()[cmdlet.lower()]


def high_impact_cmdlets() -> list[str]:
    """The documented names of the cmdlets whose ConfirmImpact is High."""
    data = json.loads(TRAITS_JSON.read_text(encoding='utf-8'))
    return sorted(name for name, entry in data.items() if not name.startswith('_') and entry['confirm_impact'] == 'High')


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
