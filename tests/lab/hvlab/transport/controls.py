"""Per-host counters, latency and fault injection (what the control endpoint reads and sets)."""

import collections
import threading
import time
import typing

#: Fault kinds the lab can inject.  The first four hit the next requests that would run a command
#: (a PSRP CreatePipeline, the runner's execution, any other WinRS command line); the last two hit any request.
#: A command fault may be delayed: ``after`` commands run normally first (so a test can hit the write pipeline of a module
#: that reads in its first one).
COMMAND_FAULTS = ('http_500', 'wsman_fault', 'drop_before', 'drop_after')
#: access_denied / access_denied_hresult: the user authenticates but WinRM refuses it, with the WSMan fault code 5 or 0x80070005.
REQUEST_FAULTS = ('auth_failure', 'host_down', 'access_denied', 'access_denied_hresult')
ACCESS_DENIED_CODES = {'access_denied': 5, 'access_denied_hresult': 0x80070005}
FAULT_KINDS = COMMAND_FAULTS + REQUEST_FAULTS
#: How many executed commands (with their parameters) each host remembers for GET /hosts/<name>/commands.
RECORDED_COMMANDS = 200


class InjectedFault(Exception):
    """Raised inside request handling to make the HTTP layer answer (or not answer) as the fault says."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class HostControls:
    """Counters, latency and pending faults of one simulated host.  Thread-safe."""

    def __init__(self, host_name: str) -> None:
        self.host_name = host_name
        self._lock = threading.Lock()
        self._latency_ms = 0
        self._faults: typing.Dict[str, int] = {}
        self._fault_delays: typing.Dict[str, int] = {}   # command fault kind -> commands still to let through
        self._reset_counters()

    def _reset_counters(self) -> None:
        self._requests = 0
        self._pipelines = 0
        self._shells = 0
        self._bytes_in = 0
        self._bytes_out = 0
        self._commands: typing.Counter[str] = collections.Counter()
        self._recorded: typing.Deque[dict] = collections.deque(maxlen=RECORDED_COMMANDS)

    # --- counters -------------------------------------------------------------------------------------------------
    def reset_counters(self) -> None:
        with self._lock:
            self._reset_counters()

    def count_request(self, bytes_in: int) -> None:
        with self._lock:
            self._requests += 1
            self._bytes_in += bytes_in

    def count_bytes_out(self, count: int) -> None:
        with self._lock:
            self._bytes_out += count

    def count_shell(self) -> None:
        with self._lock:
            self._shells += 1

    def count_pipeline(self, command_names: typing.Iterable[str]) -> None:
        with self._lock:
            self._pipelines += 1
            self._commands.update(command_names)

    def record_commands(self, statements: typing.Iterable[typing.Iterable[typing.Any]]) -> None:
        """Remember the commands about to run, with their parameters exactly as the transport decoded them.

        Tests read them back (GET /hosts/<name>/commands) to prove that values reach the host byte for byte, and with the time
        (seconds since the epoch) to put them in order with what other parts of the lab recorded (the fake Azure's events).
        """
        now = time.time()
        entries = [{'name': command.name, 'parameters': [[name, value] for name, value in command.parameters], 'time': now}
                   for statement in statements for command in statement]
        with self._lock:
            self._recorded.extend(entries)

    def recorded_commands(self) -> typing.List[dict]:
        """The last RECORDED_COMMANDS commands since the counters were reset, oldest first."""
        with self._lock:
            return list(self._recorded)

    def counters(self) -> dict:
        with self._lock:
            return {'requests': self._requests, 'pipelines': self._pipelines, 'shells': self._shells,
                    'bytes_in': self._bytes_in, 'bytes_out': self._bytes_out, 'commands': dict(self._commands)}

    # --- latency --------------------------------------------------------------------------------------------------
    @property
    def latency_seconds(self) -> float:
        with self._lock:
            return self._latency_ms / 1000.0

    def set_latency(self, milliseconds: int) -> None:
        if milliseconds < 0:
            raise ValueError('latency must be >= 0 ms')
        with self._lock:
            self._latency_ms = int(milliseconds)

    # --- faults ---------------------------------------------------------------------------------------------------
    def inject_fault(self, kind: str, count: int = 1, after: int = 0) -> None:
        """Arm COUNT faults of KIND; a command fault fires only once AFTER more commands have run normally."""
        if kind not in FAULT_KINDS:
            raise ValueError('unknown fault kind %r, expected one of %s' % (kind, ', '.join(FAULT_KINDS)))
        if count < 1:
            raise ValueError('fault count must be >= 1')
        if after < 0 or (after and kind not in COMMAND_FAULTS):
            raise ValueError('after must be >= 0 and is only for the command faults %s' % ', '.join(COMMAND_FAULTS))
        with self._lock:
            self._faults[kind] = self._faults.get(kind, 0) + int(count)
            if after:
                self._fault_delays[kind] = int(after)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._fault_delays.clear()

    def pending_faults(self) -> dict:
        with self._lock:
            return dict(self._faults)

    def _take(self, kinds: typing.Iterable[str]) -> typing.Optional[str]:
        with self._lock:
            for kind in kinds:
                if self._faults.get(kind, 0) > 0:
                    self._faults[kind] -= 1
                    if not self._faults[kind]:
                        del self._faults[kind]
                    return kind
        return None

    def _take_command_fault(self) -> typing.Optional[str]:
        """The command fault that hits this command, if any; delayed faults count the command as one let through."""
        with self._lock:
            kind = next((kind for kind in COMMAND_FAULTS if self._faults.get(kind, 0) > 0 and not self._fault_delays.get(kind)), None)
            for delayed in list(self._fault_delays):
                self._fault_delays[delayed] -= 1
                if self._fault_delays[delayed] <= 0:
                    del self._fault_delays[delayed]
            if kind is not None:
                self._faults[kind] -= 1
                if not self._faults[kind]:
                    del self._faults[kind]
            return kind

    def take_request_fault(self) -> typing.Optional[str]:
        """Consume one host_down, auth_failure or access_denied* fault (checked on every request)."""
        return self._take(REQUEST_FAULTS)

    def take_host_down(self) -> bool:
        """Consume one host_down fault (checked when a connection is accepted)."""
        return self._take(('host_down',)) is not None

    def run_command(self, run: typing.Callable[[], typing.Any]) -> typing.Any:
        """Run a command through the fault gate: a pending command fault fires before or after run()."""
        kind = self._take_command_fault()
        if kind in ('http_500', 'wsman_fault', 'drop_before'):
            raise InjectedFault(kind)
        result = run()
        if kind == 'drop_after':
            raise InjectedFault(kind)
        return result
