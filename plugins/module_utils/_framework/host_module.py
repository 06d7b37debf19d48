# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one skeleton of the collection's modules: options, sessions, read -> diff -> apply, check mode, diff, results, errors.

A module file holds its options, its documentation and its resource; main() hands the resource to the skeleton:

    class MigrationSettings(HostResource):
        def read_commands(self):            return [Command('Get-VMHost')]
        def current_state(self, result):    return {...}            # from the read pipeline
        def desired_state(self, before):    return {...}            # before + the module's options
        def apply_commands(self, before, after):  return [Command('Set-VMHost', {...})]

    def main():
        HypervModule(argument_spec=dict(...)).execute(MigrationSettings)

execute() builds the resource from the options and calls its validate() before any connection (bad input fails naming
the option), then run(module), then exits with its result. Every failure goes through one path (fail): host errors,
ModuleFailure raised by the resource, errors of the AD or Azure clients (Resource.translate_error) and anything
unexpected (a message naming the host, never a bare traceback).

Three kinds of resource:
- HostResource: one read pipeline, the diff of two state dicts, one write pipeline (HostResource.run: one pipeline when
  nothing changes, two when something does);
- InfoResource: one read pipeline, facts, never a change;
- Resource: anything else (several hosts, a plan of several write steps, a wait, programs, AD, Azure), written as
  run(module) with the skeleton's helpers: module.read / module.session / module.peer_session / module.run_steps /
  module.run_program_step / module.wait_until / module.warn.

The rule of every write (issue 21 class 1): options are checked before the first write, and a failure after a write
reports ``changed: true`` (when anything was or may have been applied) with ``applied`` and ``not_applied`` (and
``unknown`` for a step whose outcome the connection hid). Writes go through the module's Journal, so no module has to
remember it.
"""

import threading
import time
import traceback
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple, Type

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.hyperv.mobility.plugins.module_utils._framework.ansible_module import AnsibleModule
# Modules import what they need to build commands and programs from here (a module imports from _framework and _mobility only).
from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import (  # noqa: F401  # pylint: disable=unused-import
    UNSAFE_ARGUMENT, Command, PipelineResult, Program, ProgramResult, describe)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import (  # pylint: disable=unused-import
    HostCommandError,
    HostConnectionError,
    HostError,
    OutcomeUnknownError,
    ProgramNotFoundError,  # noqa: F401  # re-exported for the modules
    describe_errors,  # noqa: F401  # re-exported for the modules
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.options import (
    CONNECTION_ARGUMENT_SPEC,
    CONNECTION_REQUIRED_IF,
    CONNECTION_REQUIRED_TOGETHER,
    ConnectionOptions,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.session import HostSession, missing_library

# The longest a module waits for anything (a move, an initial replication, a registration): a week. Longer is a typo,
# and Python's clock and thread functions overflow on huge values (issue 21: "timestamp too large").
MAX_WAIT_SECONDS = 7 * 86400

Params = Dict[str, Any]


def connection_argument_spec(argument_spec: Optional[Params] = None) -> Params:
    """The connection options merged with a module's own; a module may not redefine a hyperv_* option."""
    spec = dict(CONNECTION_ARGUMENT_SPEC)
    for name, definition in (argument_spec or {}).items():
        if name in spec:
            raise ValueError('option %s is a connection option and cannot be redefined by a module' % name)
        spec[name] = definition
    return spec


def state_diff(before: Params, after: Params) -> List[str]:
    """Names of the keys whose values differ between two state dicts (missing keys count as None)."""
    return sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))


def explained(msg: str, why: Optional[str] = None, fix: Optional[str] = None) -> str:
    """A failure message with its cause and remedy: 'msg -- Why: why. -- Fix: fix.' (either part may be missing)."""
    if why:
        msg += ' -- Why: %s.' % why
    if fix:
        msg += ' -- Fix: %s.' % fix
    return msg


def check_range(name: str, value: Optional[int], minimum: int, maximum: int, unit: str = '') -> None:
    """Raise OptionError unless value (when given) is within [minimum, maximum]; the message names the option."""
    if value is not None and not minimum <= value <= maximum:
        raise OptionError('%s must be between %d and %d%s, got %d' % (name, minimum, maximum, unit, value))


class ModuleFailure(Exception):
    """Ends the task with a failure: the message plus result keys (for example why, fix, before)."""

    def __init__(self, msg: str, **details: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.details = details


class HostRunFailed(ModuleFailure):
    """One host of a task for several hosts failed (HostRun.fail): its message and details already say what was applied."""


class OptionError(ModuleFailure):
    """An option value the documentation does not allow; raised before anything is read or written."""


class ChangeRefused(ModuleFailure):
    """The desired state cannot or must not be applied to this host; the message says why and what to do."""


class Journal:
    """What the task has written: the planned steps (by label), those applied, and those whose outcome is unknown."""

    def __init__(self) -> None:
        self.planned: List[str] = []
        self.applied: List[str] = []
        self.unknown: List[str] = []
        self.attempted = False

    def plan(self, labels: Iterable[str]) -> None:
        self.planned.extend(label for label in labels if label not in self.planned)

    def record(self, applied: Iterable[str] = (), unknown: Iterable[str] = ()) -> None:
        """A write was sent: these labels were applied, these may or may not have been."""
        applied, unknown = list(applied), list(unknown)
        self.attempted = True
        self.plan(list(applied) + list(unknown))
        self.applied.extend(label for label in applied if label not in self.applied)
        self.unknown.extend(label for label in unknown if label not in self.unknown and label not in self.applied)

    def settle(self, applied: Iterable[str]) -> None:
        """A re-read told what was applied: that replaces what was unknown."""
        self.unknown = []
        self.record(applied)

    @property
    def not_applied(self) -> List[str]:
        return [label for label in self.planned if label not in self.applied and label not in self.unknown]

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.unknown)

    def report(self) -> Params:
        """The keys a failure carries once a write was attempted."""
        report: Params = dict(changed=self.changed, applied=list(self.applied), not_applied=self.not_applied)
        if self.unknown:
            report['unknown'] = list(self.unknown)
        return report

    def run_program(self, session: HostSession, label: str, program: Program) -> ProgramResult:
        """Run one program under label (never repeated after a transport failure): applied when it exits 0, not applied when
        it exits otherwise or the host refused it, unknown when the connection failed while it may have run."""
        self.plan([label])
        try:
            outcome = session.run_program(program)
        except OutcomeUnknownError:
            self.record(unknown=[label])
            raise
        except HostError:
            self.record()
            raise
        self.record(applied=[label] if outcome.exit_code == 0 else [])
        return outcome

    def text(self) -> str:
        # Only the lists that hold something: "not applied: nothing" beside a failure read as if the failed write counted.
        parts = ['applied: %s' % (', '.join(self.applied) or 'nothing')]
        if self.not_applied:
            parts.append('not applied: %s' % ', '.join(self.not_applied))
        if self.unknown:
            parts.append('outcome unknown: %s' % ', '.join(self.unknown))
        if self.applied and not self.not_applied and not self.unknown:
            parts.append('the failure came after every planned change')
        return '(%s; run the task again to converge)' % '; '.join(parts)


class Step:
    """One write of a plan: commands run as one pipeline on a session (a host), each reported by its label.

    read_back: commands appended to the same pipeline that read the state again (no labels, never reported).
    """

    def __init__(self, session: HostSession, commands: Sequence[Command], labels: Optional[Sequence[str]] = None,
                 read_back: Sequence[Command] = ()) -> None:
        self.session = session
        self.commands = list(commands)
        self.labels = list(labels) if labels is not None else [describe(command) for command in self.commands]
        self.read_back = list(read_back)


class StepOutcome(NamedTuple):
    """How a step run with a time limit ended: finished in time, its result or the error it raised, and its duration."""

    finished: bool
    result: Optional[PipelineResult]
    error: Optional[BaseException]
    seconds: float


def run_within(call: Callable[[], PipelineResult], timeout: float) -> StepOutcome:
    """Run call() (a pipeline on a host) in a daemon thread and wait for it at most timeout seconds: whether it finished, its
    result or the error it raised, and how long it took. A host goes on with what it was sent after the wait, and the module
    may exit while the thread still waits for it."""
    outcome: Dict[str, Any] = {}

    def worker() -> None:
        started = time.monotonic()
        try:
            outcome['result'] = call()
        except Exception as error:  # pylint: disable=broad-except  # handed to the caller, which reports it
            outcome['error'] = error
        outcome['seconds'] = round(time.monotonic() - started, 3)

    thread = threading.Thread(target=worker, name='hyperv.mobility step', daemon=True)
    thread.start()
    thread.join(timeout)
    finished = not thread.is_alive()
    return StepOutcome(finished, outcome.get('result') if finished else None, outcome.get('error') if finished else None,
                       outcome.get('seconds', float(timeout)) if finished else float(timeout))


class Waited:
    """The end of a wait: the last value read, whether it finished, how long it took, and each distinct state seen."""

    def __init__(self, value: Any, finished: bool, elapsed_seconds: float, progress: List[Params]) -> None:
        self.value = value
        self.finished = finished
        self.elapsed_seconds = elapsed_seconds
        self.progress = progress

    def report(self) -> Params:
        return {'finished': self.finished, 'elapsed_seconds': self.elapsed_seconds, 'progress': self.progress}


class Resource:
    """The logic of one module. Subclasses implement run(module); validate() checks options without any I/O."""

    def __init__(self, params: Params) -> None:
        self.params = params

    def validate(self) -> None:
        """Option checks the argument spec cannot express (ranges, combinations); raise OptionError."""

    def run(self, module: 'HypervModule') -> Params:
        raise NotImplementedError

    def translate_error(self, exc: Exception) -> Optional[ModuleFailure]:  # pylint: disable=unused-argument
        """A ModuleFailure for an error of a client the resource uses (AD, Azure), or None for errors it does not know."""
        return None


class HostResource(Resource):
    """One host's resource: one read pipeline, a state dict, one write pipeline. Subclasses implement the four methods below."""

    # The commands of the write whose change another run had made first (see made_by_another_run), once run() has written.
    applied_elsewhere: Sequence[Command] = ()

    def read_commands(self) -> List[Command]:
        """Commands of the one read pipeline."""
        raise NotImplementedError

    def current_state(self, result: PipelineResult) -> Params:
        """The resource's state (a dict of plain values) from the read pipeline's PipelineResult."""
        raise NotImplementedError

    def desired_state(self, before: Params) -> Params:
        """The state the module's options ask for, starting from before."""
        raise NotImplementedError

    def apply_commands(self, before: Params, after: Params) -> List[Command]:
        """Commands of the one write pipeline that turns before into after."""
        raise NotImplementedError

    def check_change(self, before: Params, after: Params) -> List[str]:  # pylint: disable=unused-argument
        """Preconditions of the change, checked before anything is applied (and in check mode too).

        Return a list of warnings; raise ChangeRefused to fail the task without changing anything.
        """
        return []

    def result_extras(self, before: Params, after: Params) -> Params:  # pylint: disable=unused-argument
        """Extra keys for the module result."""
        return {}

    def change_report(self, before: Params, after: Params, line: Callable[[Command], str]) -> Params:
        """Result keys of the write: 'changes' (line of each command this task changed) and, when another run had made some of
        them first, 'applied_by_another_run' (theirs)."""
        if before == after:
            return {'changes': []}
        elsewhere = [line(command) for command in self.applied_elsewhere]
        report: Params = {'changes': [text for text in map(line, self.apply_commands(before, after)) if text not in elsewhere]}
        if elsewhere:
            report['applied_by_another_run'] = elsewhere
        return report

    def made_by_another_run(self, command: Command, error: Any) -> bool:  # pylint: disable=unused-argument
        """Whether the error record says that command's own change is already on the host (another run made it between this
        task's read and its write, e.g. Add-VMMigrationNetwork's SubnetAlreadyExists). Such a write converges when a new
        read shows the desired state. By default no error does."""
        return False

    def read(self, session: HostSession) -> PipelineResult:
        """The one read pipeline; any error record fails it (HostCommandError)."""
        return session.run(self.read_commands())

    def run(self, module: 'HypervModule') -> Params:
        """Read -> diff -> check -> apply (unless check mode) -> changed, diff and before/after."""
        before = self.current_state(self.read(module.session))
        after = self.desired_state(before)
        try:
            warnings = self.check_change(before, after)
        except ChangeRefused as exc:
            raise ModuleFailure(exc.msg, before=before, **exc.details)
        for warning in warnings:
            module.warn(warning)
        changed_keys = state_diff(before, after)
        result: Params = dict(changed=bool(changed_keys), before=before, after=after if changed_keys else before)
        self.applied_elsewhere = ()
        if changed_keys and not module.check_mode:
            module.journal.plan(changed_keys)
            commands = self.apply_commands(before, after)
            try:
                module.session.run(commands)
                module.journal.record(applied=changed_keys)
            except HostError as exc:
                module.journal.record(unknown=changed_keys)
                elsewhere = self._applied_elsewhere(commands, exc)
                self._settle_failed_write(module, before, after, exc, converges=elsewhere is not None)
                if elsewhere is None:
                    result['confirmed_by_reread'] = True
                else:
                    self.applied_elsewhere = elsewhere
                    result['changed'] = len(elsewhere) < len(commands)
                    module.warn('Another run changed %s while this task ran: %s was already done; reading the state again '
                                'showed every change in place' % (module.host, ', '.join(describe(command) for command in elsewhere)))
        result.update(self.result_extras(before, after))
        if module.diff_mode:
            result['diff'] = dict(before=before, after=after)
        return result

    def _applied_elsewhere(self, commands: List[Command], exc: HostError) -> Optional[List[Command]]:
        """The commands whose error records all say another run made their change, or None when any error says otherwise."""
        if not isinstance(exc, HostCommandError) or not exc.errors:
            return None
        elsewhere: List[Command] = []
        for error in exc.errors:
            match = next((command for command in commands if command.name.lower() == (error.command or '').lower()
                          and not any(command is found for found in elsewhere) and self.made_by_another_run(command, error)), None)
            if match is None:
                return None
            elsewhere.append(match)
        return elsewhere

    def _settle_failed_write(self, module: 'HypervModule', before: Params, after: Params, exc: HostError, converges: bool = False) -> None:
        """The write pipeline failed, or its outcome is unknown: read the host again and say what was and was not applied.

        Returns only when the re-read shows every change in place and either the outcome was unknown or converges (every
        error said another run had made that change).
        """
        try:
            now = self.current_state(self.read(module.session))
        except HostError:
            module.fail_from_error(exc, before=before)
        not_applied = state_diff(now, after)
        module.journal.settle(key for key in state_diff(before, after) if key not in not_applied)
        if not_applied or not (converges or isinstance(exc, OutcomeUnknownError)):
            module.fail_from_error(exc, before=before, after=now)
        if not converges:
            module.warn('The connection failed after the change was sent; reading the state again showed it was applied.')


class InfoResource(Resource):
    """A read-only module: one read pipeline, its facts as the result, never a change and no diff."""

    def read_commands(self) -> List[Command]:
        raise NotImplementedError

    def is_answer(self, error: Any, result: PipelineResult) -> bool:  # pylint: disable=unused-argument
        """Whether an error record is an answer (a fact) rather than a failure; by default none is."""
        return False

    def facts(self, result: PipelineResult) -> Params:
        raise NotImplementedError

    def failures(self, result: PipelineResult) -> List[Any]:
        """The error records that fail the module."""
        return [error for error in result.errors if not self.is_answer(error, result)]

    def refuse(self, result: PipelineResult, host: str) -> None:
        """Raise ModuleFailure when the read cannot give facts: by default, for every error record that is no answer."""
        failures = self.failures(result)
        if failures:
            raise ModuleFailure('%s: %s' % (host, describe_errors(failures)), errors=[error.to_dict() for error in failures], host=host)

    def run(self, module: 'HypervModule') -> Params:
        result = module.read(self.read_commands())
        self.refuse(result, module.host or '')
        return dict(changed=False, **self.facts(result))


class HypervModule:
    """AnsibleModule plus the sessions, the journal of writes and the one failure path. The only entry point of a module.

    host_connection: whether the module takes the hyperv_* options and works on a Hyper-V host (False for the AD modules).
    """

    def __init__(self, argument_spec: Optional[Params] = None, supports_check_mode: bool = True, required_together: Optional[list] = None,
                 required_if: Optional[list] = None, host_connection: bool = True, **kwargs: Any) -> None:
        self.host_connection = host_connection
        self.module = AnsibleModule(
            argument_spec=connection_argument_spec(argument_spec) if host_connection else dict(argument_spec or {}),
            supports_check_mode=supports_check_mode,
            required_together=(CONNECTION_REQUIRED_TOGETHER if host_connection else []) + list(required_together or []),
            required_if=(CONNECTION_REQUIRED_IF if host_connection else []) + list(required_if or []),
            **kwargs
        )
        self.journal = Journal()
        self._session: Optional[HostSession] = None
        self._peers: List[HostSession] = []
        if host_connection:
            self.check_connection(self.connection_options)

    # ------------------------------------------------------------------ options

    @property
    def params(self) -> Params:
        return self.module.params

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def diff_mode(self) -> bool:
        return self.module._diff  # pylint: disable=protected-access

    @property
    def host(self) -> Optional[str]:
        return self.module.params.get('hyperv_host')

    @property
    def connection_options(self) -> ConnectionOptions:
        return ConnectionOptions.from_params(self.module.params)

    def check_connection(self, options: ConnectionOptions, prefix: str = 'hyperv_') -> None:
        """Fail before any connection when the options cannot work: a missing library, a bound, a file, a realm."""
        missing = missing_library(options.transport)
        if missing:
            self.fail(missing_required_lib(missing[0]), exception=missing[1])
        problems = options.problems(prefix)
        if problems:
            self.fail('; '.join(problems))

    def warn(self, message: str) -> None:
        self.module.warn(message)

    # ------------------------------------------------------------------ sessions

    @property
    def session(self) -> HostSession:
        """The session to the task's host, opened on first use."""
        if self._session is None:
            self._session = HostSession(self.connection_options)
        return self._session

    def peer_session(self, options: ConnectionOptions) -> HostSession:
        """A session to a second host (a destination); closed with the module."""
        session = HostSession(options)
        self._peers.append(session)
        return session

    def read(self, commands: Sequence[Command], session: Optional[HostSession] = None, check: bool = False) -> PipelineResult:
        """One read pipeline (repeatable after a transport failure); check=True raises HostCommandError on error records."""
        return (session or self.session).run(list(commands), check=check)

    def run_steps(self, steps: Sequence[Step], on_result: Optional[Callable[[Step, PipelineResult], None]] = None) -> List[PipelineResult]:
        """Run a plan's write steps in order, each one pipeline, recording every command in the journal.

        A command is applied when no error record names its cmdlet. The first step with error records ends the plan: its
        result goes to on_result (to take in what its read-back saw), then StepFailed is raised, so the steps after it
        are reported as not applied. A transport failure is raised as it is, its step recorded as unknown or not applied.
        """
        self._refuse_in_check_mode()
        self.journal.plan(label for step in steps for label in step.labels)
        results = []
        for step in steps:
            try:
                result = step.session.run(step.commands + step.read_back, read_only=False, check=False)
            except OutcomeUnknownError:
                self.journal.record(unknown=step.labels)
                raise
            except HostError:
                self.journal.record()       # tried, and the host could not act on it
                raise
            self.journal.record(*self._attribute(step, result))
            results.append(result)
            if on_result is not None:
                on_result(step, result)
            if result.errors:
                raise StepFailed(step, result)
        return results

    def _refuse_in_check_mode(self) -> None:
        if self.check_mode:
            raise RuntimeError('a write was attempted in check mode')  # a bug of the module: execute() reports it

    @staticmethod
    def _attribute(step: Step, result: PipelineResult) -> Tuple[List[str], List[str]]:
        """(applied, unknown) labels of a step from its error records (an error record naming no cmdlet taints the whole step)."""
        if any(not error.command for error in result.errors):
            return [], list(step.labels)
        failed = set(error.command.lower() for error in result.errors)
        # A statement of piped commands (Get-VM -Id | Move-VM) failed when any of its commands wrote an error.
        return [label for command, label in zip(step.commands, step.labels, strict=True)
                if not failed.intersection(part.name.lower() for part in command.commands)], []

    def run_program_step(self, label: str, program: Program, session: Optional[HostSession] = None) -> ProgramResult:
        """Run one program of a plan (never repeated after a transport failure); exit code 0 records it as applied."""
        self._refuse_in_check_mode()
        return self.journal.run_program(session or self.session, label, program)

    def run_write(self, label: str, action: Callable[[], Any], refused: Tuple[Type[BaseException], ...] = ()) -> Any:
        """A write that is not a host pipeline (an LDAP modify), journaled under label.

        Applied when action() returns; not applied when it raises one of refused (the server's answer: nothing changed);
        unknown for any other exception (the connection may have failed after the server acted).
        """
        self._refuse_in_check_mode()
        self.journal.plan([label])
        try:
            value = action()
        except refused:
            self.journal.record()
            raise
        except Exception:
            self.journal.record(unknown=[label])
            raise
        self.journal.record(applied=[label])
        return value

    def wait_until(self, read: Callable[[], Any], finished: Callable[[Any], bool], timeout: int, interval: float,
                   state_of: Optional[Callable[[Any], Params]] = None, first: Any = None, stop: Optional[Callable[[Any], Optional[str]]] = None,
                   clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> Waited:
        """Read until finished(value) or timeout seconds have passed; each distinct state_of(value) is kept with its time.

        first: a value already read (no extra read before the first check). stop(value) returns a reason to give up early
        (the work failed), raised as WaitStopped with what was seen. Returns a Waited, finished False on timeout.
        """
        started = clock()
        value = read() if first is None else first
        progress: List[Params] = []
        while True:
            elapsed = round(clock() - started, 1)
            state = state_of(value) if state_of is not None else None
            if state is not None and (not progress or dict((k, v) for k, v in progress[-1].items() if k != 'elapsed_seconds') != state):
                progress.append(dict(state, elapsed_seconds=elapsed))
            if finished(value):
                return Waited(value, True, elapsed, progress)
            reason = stop(value) if stop is not None else None
            if reason:
                raise WaitStopped(reason, Waited(value, False, elapsed, progress))
            if elapsed >= timeout:
                return Waited(value, False, elapsed, progress)
            sleep(min(interval, max(timeout - elapsed, 0.1)))
            value = read()

    def run_step_within(self, step: Step, timeout: int) -> 'StepOutcome':
        """Run one step in a worker thread and wait for it at most timeout seconds (the host goes on after that).

        The journal records it as applied (per command, as run_steps does), as unknown when the wait ran out or the
        connection hid the outcome, or as not applied when it failed before the host could act. The thread is a daemon,
        so the module may exit while it still waits for the host.
        """
        self._refuse_in_check_mode()
        self.journal.plan(step.labels)
        outcome = run_within(lambda: step.session.run(step.commands + step.read_back, read_only=False, check=False), timeout)
        if not outcome.finished or isinstance(outcome.error, OutcomeUnknownError):
            self.journal.record(unknown=step.labels)
        elif outcome.result is not None:
            self.journal.record(*self._attribute(step, outcome.result))
        else:
            self.journal.record()
        return outcome

    # ------------------------------------------------------------------ ending

    def close(self) -> None:
        for session in [self._session] + self._peers:
            if session is not None:
                session.close()
        self._session, self._peers = None, []

    def exit(self, **result: Any) -> None:
        self.close()
        self.module.exit_json(**result)

    def fail(self, msg: str, **details: Any) -> None:
        """The one way a module fails: once a write was attempted, changed / applied / not_applied say what happened."""
        self.close()
        msg, details = with_journal(self.journal, msg, details)
        self.module.fail_json(msg=msg, **details)

    def fail_from_error(self, exc: HostError, msg: Optional[str] = None, **details: Any) -> None:
        """Fail for a host session error with machine-readable details (msg overrides its message)."""
        self.fail(msg or exc.message, **dict(details, **error_details(exc, self.host)))

    def execute(self, factory: Callable[[Params], Resource]) -> None:
        """Build the resource, validate its options (no I/O), run it, exit with its result; every failure is translated."""
        try:
            resource = built(factory, self.params)
        except ModuleFailure as exc:
            self.fail(exc.msg, **exc.details)
        self.exit(**run_resource(resource, self))


def built(factory: Callable[[Params], Resource], params: Params) -> Resource:
    """The resource for params, its options validated (no I/O); ModuleFailure naming the option when they cannot work."""
    try:
        resource = factory(params)
        resource.validate()
    except ValueError as exc:  # the resource's option parsing (pure) refused a value; its message names the option
        raise ModuleFailure(str(exc))
    return resource


def run_resource(resource: Resource, runner: Any) -> Params:
    """resource.run(runner), every failure through runner.fail (a HypervModule exits; a HostRun raises HostRunFailed)."""
    try:
        return resource.run(runner)
    except HostRunFailed:
        raise  # already through runner.fail
    except ModuleFailure as exc:
        runner.fail(exc.msg, **exc.details)
    except HostError as exc:
        runner.fail_from_error(exc)
    except Exception as exc:  # pylint: disable=broad-except  # never a bare traceback: a message that names the host
        translated = resource.translate_error(exc)
        if translated is not None:
            runner.fail(translated.msg, **translated.details)
        where = ' on %s' % runner.host if runner.host else ''
        runner.fail('unexpected error%s: %s: %s' % (where, type(exc).__name__, exc), exception=traceback.format_exc())
    raise AssertionError('runner.fail returned')  # pragma: no cover  # fail() never returns


def with_journal(journal: Journal, msg: str, details: Params) -> Tuple[str, Params]:
    """A failure's message and details, with what was and was not applied once a write was attempted."""
    if not journal.attempted:
        return msg, details
    return '%s %s' % (msg, journal.text()), dict(details, **journal.report())


def error_details(exc: HostError, host: Optional[str]) -> Params:
    """Machine-readable details of a host session error: the host, and the error records or what the connection did."""
    details: Params = dict(host=exc.host or host)
    if isinstance(exc, HostCommandError):
        details['errors'] = [error.to_dict() for error in exc.errors]
    elif isinstance(exc, OutcomeUnknownError):
        details['outcome_unknown'] = True
    elif isinstance(exc, HostConnectionError):
        details['connection_error'] = True
    return details


class StepFailed(ModuleFailure):
    """A step of a plan wrote error records; the module turns it into its own message (and why / fix)."""

    def __init__(self, step: Step, result: PipelineResult) -> None:
        super().__init__('%s: %s' % (step.session.options.host, describe_errors(result.errors)), errors=[error.to_dict() for error in result.errors])
        self.step = step
        self.result = result


class WaitStopped(ModuleFailure):
    """A wait gave up before the timeout because the work failed; waited holds what was seen."""

    def __init__(self, reason: str, waited: Waited) -> None:
        super().__init__(reason)
        self.waited = waited
