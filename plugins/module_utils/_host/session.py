# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A session to one Hyper-V host that runs structured pipelines over psrp (pypsrp) or winrm (pywinrm).

    with HostSession(ConnectionOptions.from_params(module.params)) as session:
        result = session.run([Command('Get-VMHost'), Command('Get-VM')])
        vmhost = result.of_type('Microsoft.HyperV.PowerShell.VMHost')[0]

Every Command is one statement (Command.pipe makes a Statement of piped commands); names and parameter values travel as
data (pypsrp add_cmdlet/add_parameter, or the JSON request of the winrm runner), never as script text. Both transports
return the same PipelineResult.

A few documented Windows programs (the Site Recovery provider's setup and registration tool) are not cmdlets: a Program
runs through a WinRS shell of the same WSMan endpoint with WINRS_SKIP_CMD_SHELL, so no cmd.exe sees the command line,
and WinRS returns the program's exit code.
"""


import importlib
import traceback

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import (
    FAILURE_PERMANENT,
    FAILURE_TRANSIENT,
    HostAuthenticationError,
    HostCommandError,
    HostConnectionError,
    OutcomeUnknownError,
    ProgramNotFoundError,
    RetryPolicy,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.failures import (
    PipelineNotSent,
    advice,
    failure_kind,
    failure_reason,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import host_problem
from ansible_collections.hyperv.mobility.plugins.module_utils._host.psrp import PsrpTransport
from ansible_collections.hyperv.mobility.plugins.module_utils._host.winrm import WinrmTransport


TRANSPORT_CLASSES = {'psrp': PsrpTransport, 'winrm': WinrmTransport}


# The Python packages a transport needs (package, a module of it), in the order to report the first one missing. Imported
# here, when a module checks its connection options, and never when this file is: importing pypsrp or pywinrm costs a
# module process about a third of a CPU-second each, so a process imports only its host's transport (an AD module neither).
TRANSPORT_LIBRARIES = {
    'psrp': (('requests', 'requests'), ('pypsrp', 'pypsrp.powershell'), ('pypsrp', 'pypsrp.shell'), ('pypsrp', 'pypsrp.wsman')),
    'winrm': (('requests', 'requests'), ('pywinrm', 'winrm')),
}


def missing_library(transport):
    """(package, import traceback) of the first library the transport needs that does not import, or None."""
    for package, module in TRANSPORT_LIBRARIES.get(transport, ()):
        try:
            importlib.import_module(module)
        except ImportError:
            return package, traceback.format_exc()
    return None


class HostSession:
    """Runs pipelines on one host, with retries where they are safe and errors that say what to check."""

    def __init__(self, options, retry_policy=None, transport=None):
        self.options = options
        self.retry_policy = retry_policy or RetryPolicy(retries=options.retries)
        self._transport = transport or TRANSPORT_CLASSES[options.transport](options)
        self.pipelines_run = 0
        self.programs_run = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def open(self):
        """Open the connection now (otherwise the first run() does); opening is always safe to retry."""
        self._with_retries(self._open_once, idempotent=True)

    def close(self):
        self._transport.close()

    def run(self, commands, read_only=None, check=True):
        """Run statements (Commands, or Statements of piped commands) as one pipeline and return its PipelineResult.

        read_only: whether repeating the pipeline is harmless; by default, true when every cmdlet's verb only reads.
        check: raise HostCommandError when cmdlets wrote error records (otherwise they are in result.errors).
        """
        commands = list(commands)
        if not commands:
            return PipelineResult()
        idempotent = all(command.read_only for command in commands) if read_only is None else read_only
        result = self._with_retries(lambda: self._run_once(commands, self._transport.run), idempotent)
        self.pipelines_run += 1
        if check and result.errors:
            raise HostCommandError(self.options.host, result.errors)
        return result

    def run_program(self, program):
        """Run a Program once and return its ProgramResult; it changes state, so a failure after sending is not retried.

        ProgramNotFoundError when the host has no such program (WinRS refuses the Command: nothing ran).
        """
        try:
            result = self._with_retries(lambda: self._run_once(program, self._transport.run_program), False)
        except HostConnectionError as error:
            if failure_reason(error.cause) != 'file_not_found':
                raise
            raise ProgramNotFoundError('%s not found on %s (WinRS: %s)' % (program.path, self.options.host, error.cause),
                                       self.options.host, program.path)
        self.programs_run += 1
        return result

    def _open_once(self):
        # Before any library builds a URL of it (urllib raises a bare ValueError on '[]'): every caller handles HostError here.
        problem = host_problem(self.options.host)
        if problem:
            raise HostConnectionError('Cannot reach Hyper-V host: %s.' % problem, self.options.host)
        try:
            self._transport.open()
        except PipelineNotSent:
            raise
        except Exception as exc:
            if failure_reason(exc) is None:
                raise
            raise PipelineNotSent(exc)

    def _run_once(self, work, send):
        # Opening is its own step: failing there means the pipeline was never sent, whatever the transport.
        self._open_once()
        try:
            return send(work)
        except Exception as exc:
            if failure_reason(exc) is not None:
                # The connection is in an unknown state: the next attempt (or the next pipeline) starts afresh.
                self._transport.discard()
            raise

    def _with_retries(self, operation, idempotent):
        try:
            return self.retry_policy.run(operation, failure_kind, idempotent)
        except Exception as exc:  # pylint: disable=broad-except
            translated = self._translate(exc, idempotent)
            if translated is None:
                raise
            raise translated

    def _translate(self, exc, idempotent):
        reason = failure_reason(exc)
        if reason is None:
            return None
        cause = exc.cause if isinstance(exc, PipelineNotSent) else exc
        options = self.options
        where = 'Hyper-V host %s (%s)' % (options.host, options.describe())
        if reason == 'auth':
            return HostAuthenticationError('Authentication to %s failed: %s' % (where, advice(reason, options)), options.host, cause)
        if not idempotent and failure_kind(exc) == FAILURE_TRANSIENT:
            return OutcomeUnknownError(
                'The connection to %s failed after a pipeline that changes state was sent (%s: %s); it may or may not '
                'have run, so it was not repeated. Read the state again before retrying.'
                % (where, type(cause).__name__, cause), options.host, cause)
        attempts = '' if failure_kind(exc) == FAILURE_PERMANENT else ' after %d attempt(s)' % (self.retry_policy.retries + 1)
        what_to_do = advice(reason, options)
        return HostConnectionError('Cannot reach %s%s: %s: %s. %s%s.'
                                   % (where, attempts, type(cause).__name__, cause, what_to_do[0].upper(), what_to_do[1:]), options.host, cause)
