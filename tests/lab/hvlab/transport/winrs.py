"""WinRS cmd shells (pywinrm) and the lab's emulation of the collection's WinRM runner script.

A host "runs" exactly one script: the collection's RUNNER_SCRIPT, recognised by the sha256 of the script
passed to ``powershell.exe -EncodedCommand``.  Its request arrives on stdin (Base64 of UTF-8 JSON) and its
response goes to stdout (UTF-8 JSON), as docs/dev/contracts.md specifies.  Any other command line fails the
way a Windows host without that program or script would: a message on stderr and exit code 1.
"""

import base64
import binascii
import hashlib
import json
import os
import runpy
import typing

from hvlab.transport import values, wsman

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DEFAULT_RUNNER_PATH = os.path.join(REPO_ROOT, 'plugins', 'module_utils', '_host', 'runner.py')

_ENCODED_COMMAND_SWITCHES = ('-encodedcommand', '-enc', '-encodedcommand:', '-ec', '-e', '-en', '-enco', '-encod', '-encode',
                             '-encoded', '-encodedc', '-encodedco', '-encodedcom', '-encodedcomm', '-encodedcomma', '-encodedcomman')
_POWERSHELL_NAMES = ('powershell', 'powershell.exe', 'pwsh', 'pwsh.exe')


class RunnerScript:
    """The collection's runner, read from its module file without importing the collection package."""

    def __init__(self, path: typing.Optional[str] = None) -> None:
        self.path = path or DEFAULT_RUNNER_PATH
        namespace = runpy.run_path(self.path)
        self.script: str = namespace['RUNNER_SCRIPT']
        self.sha256 = hashlib.sha256(self.script.encode('utf-8')).hexdigest()
        allowed = namespace.get('ALLOWED_CMDLETS')
        # PowerShell's -notcontains is case-insensitive.
        self.allowed = None if allowed is None else {name.lower() for name in allowed}
        self.not_allowed_error_id = namespace.get('NOT_ALLOWED_ERROR_ID', 'HyperVMobility.CommandNotAllowed')
        self.request_version = namespace.get('REQUEST_VERSION', 2)

    def matches(self, script_text: str) -> bool:
        return hashlib.sha256(script_text.encode('utf-8')).hexdigest() == self.sha256

    def is_allowed(self, name: str) -> bool:
        return self.allowed is None or name.lower() in self.allowed


def split_command_line(command: str, arguments: typing.List[str]) -> typing.List[str]:
    # pywinrm sends the arguments joined in one element, pypsrp one element each; either way split on blanks.
    return ' '.join([command] + list(arguments)).split()


def encoded_script(tokens: typing.List[str]) -> typing.Optional[str]:
    """The script of a ``powershell.exe ... -EncodedCommand <b64>`` command line, or None."""
    if not tokens or os.path.basename(tokens[0].replace('\\', '/')).lower() not in _POWERSHELL_NAMES:
        return None
    for index, token in enumerate(tokens[1:-1], start=1):
        if token.lower() in _ENCODED_COMMAND_SWITCHES:
            try:
                return base64.b64decode(tokens[index + 1], validate=True).decode('utf-16-le')
            except (binascii.Error, UnicodeDecodeError):
                return None
    return None


class RunnerOutcome(typing.NamedTuple):
    stdout: bytes
    stderr: bytes
    exit_code: int


def _runner_failure(message: str) -> RunnerOutcome:
    return RunnerOutcome(b'', ('hyperv.mobility runner failed: %s\r\n' % message).encode('utf-8'), 1)


def _runner_error(error: typing.Any) -> dict:
    return {'command': error.command, 'message': error.message, 'fully_qualified_error_id': error.fully_qualified_error_id,
            'category': error.category, 'exception_type': error.exception_type, 'target': error.target}


def run_runner(runner: RunnerScript, stdin: bytes, execute: typing.Callable[[list], typing.Any]) -> RunnerOutcome:
    """What the runner script does with its stdin; execute(statements) runs statements on the host.

    As the script does: a statement with a name outside the allow-list is refused whole before any of it runs; the others
    run in order, each its own statement of piped commands, and every output object is written as the CLIXML
    PSSerializer.Serialize(object, 1) produces.
    """
    from hvlab.engine import Command  # pylint: disable=import-outside-toplevel  # the engine is optional at import time

    try:
        request = json.loads(base64.b64decode(stdin.decode('ascii').strip()).decode('utf-8'))
    except (ValueError, UnicodeDecodeError, binascii.Error) as error:
        return _runner_failure('Invalid JSON primitive: %s' % error)
    if not isinstance(request, dict) or request.get('version') != runner.request_version:
        return _runner_failure('bad request version %s' % (request.get('version', '') if isinstance(request, dict) else ''))

    output: list = []
    errors: list = []
    warnings: list = []
    for statement in request.get('statements') or []:
        commands = [(str(command.get('name', '')), list((command.get('parameters') or {}).items()))
                    for command in (statement or {}).get('commands') or []]
        refused = [name for name, _unused in commands if not runner.is_allowed(name)]
        for name in refused:
            errors.append({'command': name, 'message': "'%s' is not allowed." % name,
                           'fully_qualified_error_id': runner.not_allowed_error_id, 'category': 'PermissionDenied',
                           'exception_type': 'System.UnauthorizedAccessException', 'target': name})
        if refused or not commands:
            continue
        execution = execute([[Command(name, parameters) for name, parameters in commands]])
        output.extend(values.to_clixml(item) for item in execution.output)
        errors.extend(_runner_error(error) for error in execution.errors)
        warnings.extend(str(warning) for warning in execution.warnings)
    document = {'version': runner.request_version, 'output': output, 'errors': errors, 'warnings': warnings}
    return RunnerOutcome(json.dumps(document, separators=(',', ':'), ensure_ascii=False).encode('utf-8'), b'', 0)


def foreign_command_outcome(tokens: typing.List[str]) -> RunnerOutcome:
    """How a host without the program / with only the runner script answers any other command line."""
    if not tokens:
        return RunnerOutcome(b'', b'', 0)
    program = tokens[0]
    if os.path.basename(program.replace('\\', '/')).lower() in _POWERSHELL_NAMES:
        message = ('This lab host runs only the hyperv.mobility runner script; the command line was not run.\r\n'
                   '    + CategoryInfo          : NotImplemented: (:) [], NotSupportedException\r\n'
                   '    + FullyQualifiedErrorId : HvLab.ScriptNotRecognised\r\n')
        return RunnerOutcome(b'', message.encode('utf-8'), 1)
    message = ("'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n" % program)
    return RunnerOutcome(b'', message.encode('utf-8'), 1)


class WinrsCommand:
    """One command of a cmd shell: its stdin, and its outcome once it ran."""

    def __init__(self, command_id: str, tokens: typing.List[str], is_runner: bool) -> None:
        self.command_id = command_id
        self.tokens = tokens
        self.is_runner = is_runner
        self.stdin = bytearray()
        self.stdin_closed = False
        self.outcome: typing.Optional[RunnerOutcome] = None
        self.delivered = False


class WinrsShell:
    """A WinRS cmd shell (resource URI .../windows/shell/cmd)."""

    resource_uri = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd'

    def __init__(self, shell_id: str, runner: RunnerScript, run_statements: typing.Callable[..., typing.Any],
                 run_command: typing.Callable[[typing.Callable[[], typing.Any]], typing.Any], count_runner: typing.Callable[[list], None],
                 input_streams: str = 'stdin', output_streams: str = 'stdout stderr',
                 run_program: typing.Optional[typing.Callable[[str, bool], typing.Any]] = None) -> None:
        self.shell_id = shell_id
        self.input_streams = input_streams
        self.output_streams = output_streams
        self._runner = runner
        self._run_statements = run_statements
        self._run_command = run_command
        self._count_runner = count_runner
        self._run_program = run_program
        self._commands: typing.Dict[str, WinrsCommand] = {}

    def open(self, creation_xml_b64: typing.Optional[str]) -> None:  # pylint: disable=unused-argument
        return None

    def command(self, command_id: str, arguments: typing.List[str], command_text: str = '', skip_cmd_shell: bool = False) -> str:
        tokens = split_command_line(command_text, arguments)
        script = encoded_script(tokens)
        command = WinrsCommand(command_id, tokens, script is not None and self._runner.matches(script))
        if not command.is_runner:
            # Any other command line runs right away (the lab's programs need no stdin); the fault gate applies to it too. A
            # program that cannot start fails the Command request itself (a WSMan fault), and no command exists then.
            line = ' '.join([command_text] + list(arguments))
            command.outcome = self._run_command(lambda: self._program_outcome(line, tokens, skip_cmd_shell))
        self._commands[command_id] = command
        return command_id

    def _program_outcome(self, line: str, tokens: typing.List[str], skip_cmd_shell: bool) -> RunnerOutcome:
        if self._run_program is None or encoded_script(tokens) is not None:
            return foreign_command_outcome(tokens)
        from hvlab.model.programs import ProgramNotFound  # pylint: disable=import-outside-toplevel  # the model is optional at import time
        try:
            outcome = self._run_program(line, skip_cmd_shell)
        except ProgramNotFound as missing:
            raise wsman.fault_file_not_found() from missing
        return RunnerOutcome(outcome.stdout.encode('utf-8'), outcome.stderr.encode('utf-8'), outcome.exit_code)

    def send(self, command_id: typing.Optional[str], data: bytes, end: bool) -> None:
        command = self._commands.get(command_id or '')
        if command is None or command.stdin_closed:
            return
        command.stdin.extend(data)
        if end:
            command.stdin_closed = True
            if command.is_runner and command.outcome is None:
                command.outcome = self._run_command(lambda: self._run_runner(command))

    def _run_runner(self, command: WinrsCommand) -> RunnerOutcome:
        names: typing.List[str] = []

        variables: dict = {}        # one powershell.exe: what -OutVariable stores in one statement, a later one reads

        def execute(statements: list) -> typing.Any:
            names.extend(cmd.name for statement in statements for cmd in statement)
            return self._run_statements(statements, variables)

        outcome = run_runner(self._runner, bytes(command.stdin), execute)
        self._count_runner(names)
        return outcome

    def has_data(self, command_id: typing.Optional[str]) -> bool:
        command = self._commands.get(command_id or '')
        return command is None or command.outcome is not None

    def receive(self, command_id: typing.Optional[str]) -> typing.Tuple[typing.Dict[str, bytes], typing.Optional[int]]:
        """({stream: data}, exit code or None while running)."""
        command = self._commands.get(command_id or '')
        if command is None or command.outcome is None:
            return {}, None
        if command.delivered:
            return {}, command.outcome.exit_code
        command.delivered = True
        return {'stdout': command.outcome.stdout, 'stderr': command.outcome.stderr}, command.outcome.exit_code

    def signal(self, command_id: str, code: str) -> None:  # pylint: disable=unused-argument
        # terminate / ctrl_c: the command is gone either way.
        self._commands.pop(command_id, None)

    def close(self) -> None:
        self._commands.clear()
