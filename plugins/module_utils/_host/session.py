# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A session to one Hyper-V host that runs structured pipelines over psrp (pypsrp) or winrm (pywinrm).

    with HostSession(ConnectionOptions.from_params(module.params)) as session:
        result = session.run([Command('Get-VMHost'), Command('Get-VM')])
        vmhost = result.of_type('Microsoft.HyperV.PowerShell.VMHost')[0]

Every Command is one statement; names and parameter values travel as data (pypsrp add_cmdlet/add_parameter, or the
JSON request of the winrm runner), never as script text. Both transports return the same PipelineResult.

A few documented Windows programs (the Site Recovery provider's setup and registration tool) are not cmdlets: a Program
runs through a WinRS shell of the same WSMan endpoint with WINRS_SKIP_CMD_SHELL, so no cmd.exe sees the command line,
and WinRS returns the program's exit code.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import re
import traceback

from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import (
    FAILURE_NOT_SENT,
    FAILURE_PERMANENT,
    FAILURE_TRANSIENT,
    HostAuthenticationError,
    HostCommandError,
    HostConnectionError,
    HostError,
    OutcomeUnknownError,
    RetryPolicy,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import (
    ErrorRecordData,
    psrp_error,
    psrp_output,
    runner_error,
    runner_output,
)
from ansible_collections.hyperv.mobility.plugins.module_utils._host import runner as winrm_runner

PYPSRP_IMPORT_ERROR = None
try:
    from pypsrp.powershell import PowerShell, RunspacePool
    from pypsrp.shell import Process, WinRS
    from pypsrp.wsman import WSMan
    from pypsrp import exceptions as pypsrp_exceptions
except ImportError:  # pragma: no cover - reported to the user by the module (missing_required_lib)
    PYPSRP_IMPORT_ERROR = traceback.format_exc()
    pypsrp_exceptions = None

PYWINRM_IMPORT_ERROR = None
try:
    import winrm
    from winrm import exceptions as winrm_exceptions
except ImportError:  # pragma: no cover
    PYWINRM_IMPORT_ERROR = traceback.format_exc()
    winrm_exceptions = None

REQUESTS_IMPORT_ERROR = None
try:
    import requests.exceptions as requests_exceptions
except ImportError:  # pragma: no cover
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    requests_exceptions = None

TRANSPORTS = ('psrp', 'winrm')
AUTH_METHODS = ('negotiate', 'ntlm', 'kerberos', 'credssp', 'certificate', 'basic')
PROTOCOLS = ('http', 'https')
DEFAULT_PORTS = {'http': 5985, 'https': 5986}

# Verbs whose cmdlets only read state: a pipeline made only of these may be repeated after a transport failure.
READ_ONLY_VERBS = frozenset(('get', 'test', 'measure', 'compare'))

# WSMan fault code for access denied (ERROR_ACCESS_DENIED): retrying cannot help.
WSMAN_ACCESS_DENIED = 5


class Command:
    """One cmdlet invocation, sent as its own statement."""

    def __init__(self, name, parameters=None):
        self.name = name
        self.parameters = dict(parameters or {})

    @property
    def read_only(self):
        return self.name.split('-', 1)[0].lower() in READ_ONLY_VERBS

    def __repr__(self):
        return 'Command(%r, %r)' % (self.name, self.parameters)


# Characters refused in a program argument: a double quote or a control character would make the command line ambiguous.
UNSAFE_ARGUMENT = re.compile(r'["\x00-\x1f\x7f]')
# Arguments made only of these need no quotes.
BARE_ARGUMENT = re.compile(r'^[A-Za-z0-9_./:\\-]+$')


def quote_argument(value):
    """One argument of a Windows command line, quoted the way CommandLineToArgvW reads it back (values may not hold quotes)."""
    if UNSAFE_ARGUMENT.search(value):
        raise ValueError('a program argument cannot contain a double quote or a control character: %r' % value)
    if value and BARE_ARGUMENT.match(value):
        return value
    # Backslashes are literal except before a quote, so the ones that end the value are doubled before the closing quote.
    trailing = len(value) - len(value.rstrip('\\'))
    return '"%s%s"' % (value, '\\' * trailing)


class Program:
    """A Windows program with its arguments; secret arguments are masked wherever the command line is shown."""

    def __init__(self, path, arguments=(), secrets=()):
        self.path = path
        self.arguments = [str(argument) for argument in arguments]
        self.secrets = [str(secret) for secret in secrets if secret]

    def command_line(self):
        return ' '.join(quote_argument(part) for part in [self.path] + self.arguments)

    def display(self):
        """The command line with every secret replaced by ********."""
        shown = [quote_argument(part) if part not in self.secrets else '********' for part in [self.path] + self.arguments]
        return ' '.join(shown)

    def __repr__(self):
        return 'Program(%s)' % self.display()


class ProgramResult:
    """How a program ended: exit code and its stdout / stderr as text."""

    def __init__(self, exit_code, stdout='', stderr=''):
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr


def _text(data):
    return data.decode('utf-8', 'replace') if isinstance(data, bytes) else str(data or '')


class PipelineResult:
    """What a pipeline returned: output objects, error records and warnings, as plain values."""

    def __init__(self, output=None, errors=None, warnings=None):
        self.output = list(output or [])
        self.errors = list(errors or [])
        self.warnings = list(warnings or [])

    def of_type(self, type_name):
        """Output objects whose type names include type_name (case-insensitive, without the 'Deserialized.' prefix)."""
        return [item for item in self.output if hasattr(item, 'is_type') and item.is_type(type_name)]

    def errors_of(self, command_name):
        return [error for error in self.errors if (error.command or '').lower() == command_name.lower()]


class ConnectionOptions:
    """Where and how to reach a host. Built from the hyperv_* module options (see the connection doc fragment)."""

    def __init__(self, host, user=None, password=None, port=None, transport='psrp', auth='negotiate', protocol=None,
                 validate_certs=True, ca_cert=None, cert_pem=None, cert_key_pem=None, connection_timeout=30,
                 operation_timeout=20, read_timeout=30, retries=3, path='wsman'):
        if transport not in TRANSPORTS:
            raise ValueError('transport must be one of %s, got %r' % (', '.join(TRANSPORTS), transport))
        if auth not in AUTH_METHODS:
            raise ValueError('auth must be one of %s, got %r' % (', '.join(AUTH_METHODS), auth))
        # As ansible-core's psrp/winrm connection plugins: https/5986 unless http or port 5985 is asked for.
        if protocol is None:
            protocol = 'http' if port == DEFAULT_PORTS['http'] else 'https'
        if protocol not in PROTOCOLS:
            raise ValueError('protocol must be one of %s, got %r' % (', '.join(PROTOCOLS), protocol))
        self.host = host
        self.user = user
        self.password = password
        self.port = port or DEFAULT_PORTS[protocol]
        self.transport = transport
        self.auth = auth
        self.protocol = protocol
        self.validate_certs = validate_certs
        self.ca_cert = ca_cert
        self.cert_pem = cert_pem
        self.cert_key_pem = cert_key_pem
        self.connection_timeout = connection_timeout
        self.operation_timeout = operation_timeout
        # pywinrm insists that the HTTP read timeout exceeds the WSMan operation timeout.
        self.read_timeout = max(read_timeout, operation_timeout + 1)
        self.retries = retries
        self.path = path

    @classmethod
    def from_params(cls, params):
        """From a module's params (the hyperv_* options)."""
        return cls(
            host=params['hyperv_host'],
            user=params.get('hyperv_user'),
            password=params.get('hyperv_password'),
            port=params.get('hyperv_port'),
            transport=params.get('hyperv_transport') or 'psrp',
            auth=params.get('hyperv_auth') or 'negotiate',
            protocol=params.get('hyperv_protocol'),
            validate_certs=params.get('hyperv_validate_certs', True) is not False,
            ca_cert=params.get('hyperv_ca_cert'),
            cert_pem=params.get('hyperv_cert_pem'),
            cert_key_pem=params.get('hyperv_cert_key_pem'),
            connection_timeout=params.get('hyperv_connection_timeout') or 30,
            operation_timeout=params.get('hyperv_operation_timeout') or 20,
            read_timeout=params.get('hyperv_read_timeout') or 30,
            retries=3 if params.get('hyperv_retries') is None else params['hyperv_retries'],
        )

    @property
    def endpoint(self):
        return '%s://%s:%d/%s' % (self.protocol, self.host, self.port, self.path)

    def describe(self):
        return '%s over %s (%s auth)' % (self.endpoint, self.transport, self.auth)


class PipelineNotSent(Exception):
    """A transport failed before the pipeline could have reached the host; the cause is the library's exception."""

    def __init__(self, cause):
        super(PipelineNotSent, self).__init__(str(cause))
        self.cause = cause


def before_sending(step, *args, **kwargs):
    """step(*args, **kwargs), a step that comes before anything is sent (opening a shell): its transport failure is PipelineNotSent."""
    try:
        return step(*args, **kwargs)
    except Exception as exc:
        if failure_reason(exc) is None:
            raise
        raise PipelineNotSent(exc)


# ---------------------------------------------------------------- failure classification

def failure_reason(exc):
    """A short label of a transport exception: 'auth', 'tls', 'refused', 'timeout', 'http', 'wsman', 'dropped'; None if not one."""
    if isinstance(exc, PipelineNotSent):
        return failure_reason(exc.cause)
    auth_errors = tuple(module.AuthenticationError for module in (pypsrp_exceptions, winrm_exceptions) if module is not None)
    if auth_errors and isinstance(exc, auth_errors):
        return 'auth'
    transport_errors = tuple(module.WinRMTransportError for module in (pypsrp_exceptions, winrm_exceptions) if module is not None)
    if transport_errors and isinstance(exc, transport_errors):
        return 'auth' if _http_code(exc) == 401 else 'http'
    fault_errors = tuple(module.WSManFaultError for module in (pypsrp_exceptions, winrm_exceptions) if module is not None)
    if fault_errors and isinstance(exc, fault_errors):
        return 'access_denied' if _wsman_fault_code(exc) == WSMAN_ACCESS_DENIED else 'wsman'
    if winrm_exceptions is not None and isinstance(exc, winrm_exceptions.WinRMOperationTimeoutError):
        return 'timeout'
    if pypsrp_exceptions is not None and isinstance(exc, (pypsrp_exceptions.InvalidRunspacePoolStateError,
                                                          pypsrp_exceptions.InvalidPipelineStateError)):
        return 'dropped'
    if requests_exceptions is not None and isinstance(exc, requests_exceptions.RequestException):
        return _requests_reason(exc)
    # requests_ntlm (pywinrm's NTLM) says "Access denied" with a PermissionError when the server answers the
    # credentials with a bare 401 instead of an NTLM challenge.
    if isinstance(exc, PermissionError):
        return 'auth'
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return 'refused' if isinstance(exc, ConnectionRefusedError) else 'dropped'
    return None


def _wsman_fault_code(exc):
    # pypsrp's WSManFaultError.code is the WSMan fault code; pywinrm's .code is the HTTP status and .wsman_fault_code the fault.
    if winrm_exceptions is not None and isinstance(exc, winrm_exceptions.WSManFaultError):
        return exc.wsman_fault_code
    return getattr(exc, 'code', None)


def _http_code(exc):
    code = getattr(exc, 'code', None)
    return code if isinstance(code, int) else None


# An SSLError that only says the peer closed the connection during the handshake is a dropped connection (a host going
# down, a listener restarting), not a certificate problem: retry it, and do not send the user after their CA.
_TLS_EOF = re.compile(r'UNEXPECTED_EOF|EOF occurred in violation of protocol|SSLEOFError|SSLZeroReturnError|Connection reset by peer')


def _requests_reason(exc):
    if isinstance(exc, requests_exceptions.SSLError):
        return 'dropped' if _TLS_EOF.search(str(exc)) else 'tls'
    if isinstance(exc, requests_exceptions.ConnectTimeout):
        return 'refused'
    if isinstance(exc, requests_exceptions.Timeout):
        return 'timeout'
    if isinstance(exc, requests_exceptions.ConnectionError):
        text = str(exc)
        if re.search(r'NewConnectionError|Connection refused|Failed to establish|Name or service not known|'
                     r'nodename nor servname|getaddrinfo failed|No route to host', text):
            return 'refused'
        return 'dropped'
    return 'http'


REASON_KINDS = {
    'auth': FAILURE_PERMANENT,
    'access_denied': FAILURE_PERMANENT,
    'tls': FAILURE_PERMANENT,
    'refused': FAILURE_NOT_SENT,
    'timeout': FAILURE_TRANSIENT,
    'http': FAILURE_TRANSIENT,
    'wsman': FAILURE_TRANSIENT,
    'dropped': FAILURE_TRANSIENT,
}


def failure_kind(exc):
    """FAILURE_* kind of an exception for the retry policy, or None for exceptions that are not transport failures."""
    cause = exc.cause if isinstance(exc, PipelineNotSent) else exc
    reason = failure_reason(cause)
    if reason is None:
        return None
    kind = REASON_KINDS[reason]
    if reason == 'http' and (_http_code(cause) or 500) < 500:
        kind = FAILURE_PERMANENT  # 4xx other than 401: a configuration problem (path, size limits), not a hiccup
    if isinstance(exc, PipelineNotSent) and kind == FAILURE_TRANSIENT:
        return FAILURE_NOT_SENT
    return kind


def _advice(reason, options):
    if reason == 'auth':
        return ('the host rejected the credentials of user %r with %s authentication: check hyperv_user/hyperv_password '
                '(ansible_user/ansible_password) and that %s authentication is enabled on the WinRM service'
                % (options.user, options.auth, options.auth))
    if reason == 'access_denied':
        return ('WinRM denied access to user %r: the account must be an administrator of the host (or a member of '
                '"Hyper-V Administrators" and "Remote Management Users")' % (options.user,))
    if reason == 'tls':
        return ('the TLS certificate of the host could not be validated: give the issuing CA with hyperv_ca_cert '
                '(ansible_psrp_ca_cert / ansible_winrm_ca_trust_path), check that the certificate names %s, or, on a lab only, '
                'set hyperv_validate_certs: false' % (options.host,))
    if reason in ('refused', 'timeout'):
        return ('check the host name or address, that a WinRM %s listener is on port %d (hyperv_port/ansible_port, '
                'hyperv_protocol), that the firewall allows it, and the timeouts (hyperv_connection_timeout, '
                'hyperv_operation_timeout, hyperv_read_timeout)' % (options.protocol.upper(), options.port))
    return 'the WinRM service of the host failed; check that it is running and its event log (Microsoft-Windows-WinRM/Operational)'


# ---------------------------------------------------------------- transports

class PsrpTransport:
    """pypsrp: one WSMan connection and one RunspacePool for the whole session; a PowerShell pipeline per run()."""

    def __init__(self, options):
        self._options = options
        self._wsman = None
        self._pool = None

    def _wsman_kwargs(self):
        options = self._options
        cert_validation = options.validate_certs
        if cert_validation and options.ca_cert:
            cert_validation = options.ca_cert
        kwargs = dict(
            server=options.host, port=options.port, username=options.user, password=options.password,
            ssl=options.protocol == 'https', path=options.path, auth=options.auth, cert_validation=cert_validation,
            connection_timeout=options.connection_timeout, operation_timeout=options.operation_timeout,
            read_timeout=options.read_timeout,
        )
        if options.auth == 'certificate':
            kwargs.update(certificate_pem=options.cert_pem, certificate_key_pem=options.cert_key_pem)
        return kwargs

    def open(self):
        if self._pool is not None:
            return
        try:
            self._wsman = WSMan(**self._wsman_kwargs())
            pool = RunspacePool(self._wsman)
            pool.open()
        except Exception as exc:
            if failure_reason(exc) is None:
                raise
            self.discard()
            raise PipelineNotSent(exc)
        self._pool = pool

    def run(self, commands):
        self.open()
        shell = PowerShell(self._pool)
        for index, command in enumerate(commands):
            if index:
                shell.add_statement()
            shell.add_cmdlet(command.name)
            for name, value in command.parameters.items():
                shell.add_parameter(name, value)
        output = shell.invoke()
        # pypsrp sets had_errors only for a failed pipeline state; error records of non-terminating errors are only
        # in streams.error, so that is what decides.
        single = commands[0].name if len(commands) == 1 else None
        errors = [psrp_error(record, single) for record in shell.streams.error]
        if shell.had_errors and not errors:
            errors.append(ErrorRecordData(single, 'the pipeline failed without an error record', 'PipelineFailed'))
        warnings = [getattr(record, 'message', None) or str(record) for record in shell.streams.warning]
        return PipelineResult([psrp_output(item) for item in output], errors, warnings)

    def run_program(self, program):
        """The program in a WinRS cmd shell of the same WSMan connection, without cmd.exe (no_shell)."""
        self.open()
        shell = WinRS(self._wsman, codepage=65001)
        before_sending(shell.open)
        try:
            process = Process(shell, program.command_line(), no_shell=True)
            process.invoke()
        finally:
            WinrmTransport._best_effort(shell.close)
        return ProgramResult(process.rc, _text(process.stdout), _text(process.stderr))

    def discard(self):
        """Forget the pool after a failure (best effort close: the connection may already be gone)."""
        pool, wsman, self._pool, self._wsman = self._pool, self._wsman, None, None
        for closer in (getattr(pool, 'close', None), getattr(wsman, 'close', None)):
            if closer is None:
                continue
            try:
                closer()
            except Exception:  # pylint: disable=broad-except
                pass

    close = discard


class WinrmTransport:
    """pywinrm: a WinRS shell per run() that executes the fixed runner script and passes the pipeline on stdin."""

    AUTH = {'negotiate': 'ntlm', 'ntlm': 'ntlm', 'kerberos': 'kerberos', 'credssp': 'credssp',
            'certificate': 'certificate', 'basic': 'basic'}

    def __init__(self, options):
        self._options = options
        self._protocol = None

    def _make_protocol(self):
        options = self._options
        kwargs = dict(
            endpoint=options.endpoint, transport=self.AUTH[options.auth], username=options.user, password=options.password,
            server_cert_validation='validate' if options.validate_certs else 'ignore',
            read_timeout_sec=options.read_timeout, operation_timeout_sec=options.operation_timeout,
        )
        if options.validate_certs and options.ca_cert:
            kwargs['ca_trust_path'] = options.ca_cert
        if options.auth == 'certificate':
            kwargs.update(cert_pem=options.cert_pem, cert_key_pem=options.cert_key_pem)
        return winrm.Protocol(**kwargs)

    def open(self):
        if self._protocol is None:
            self._protocol = self._make_protocol()

    def run(self, commands):
        self.open()
        protocol = self._protocol
        shell_id = before_sending(protocol.open_shell, codepage=65001)
        try:
            try:
                command_id = protocol.run_command(shell_id, winrm_runner.POWERSHELL_EXE, winrm_runner.command_arguments())
            except Exception as exc:
                # The runner waits for the whole request on stdin, so without it nothing can have run.
                if failure_reason(exc) is None:
                    raise
                raise PipelineNotSent(exc)
            protocol.send_command_input(shell_id, command_id, winrm_runner.encode_request(commands), end=True)
            stdout, stderr, return_code = protocol.get_command_output(shell_id, command_id)
            self._best_effort(protocol.cleanup_command, shell_id, command_id)
        finally:
            self._best_effort(protocol.close_shell, shell_id)
        if return_code != 0:
            raise HostError('the hyperv.mobility runner failed on %s (exit code %s): %s'
                            % (self._options.host, return_code, _clean_stderr(stderr)), host=self._options.host)
        try:
            response = winrm_runner.decode_response(stdout)
        except winrm_runner.RunnerProtocolError as exc:
            raise HostError('%s: %s' % (self._options.host, exc), host=self._options.host)
        return PipelineResult(
            [runner_output(item) for item in response['output']],
            [runner_error(record) for record in response['errors']],
            [str(warning) for warning in response['warnings']],
        )

    def run_program(self, program):
        """The program in its own WinRS shell, skipping cmd.exe (WINRS_SKIP_CMD_SHELL) so the line reaches it as written."""
        self.open()
        protocol = self._protocol
        shell_id = before_sending(protocol.open_shell, codepage=65001)
        try:
            command_id = protocol.run_command(shell_id, program.command_line(), skip_cmd_shell=True)
            stdout, stderr, return_code = protocol.get_command_output(shell_id, command_id)
            self._best_effort(protocol.cleanup_command, shell_id, command_id)
        finally:
            self._best_effort(protocol.close_shell, shell_id)
        return ProgramResult(return_code, _text(stdout), _clean_stderr(stderr) if stderr else '')

    @staticmethod
    def _best_effort(call, *args):
        try:
            call(*args)
        except Exception:  # pylint: disable=broad-except
            pass

    def discard(self):
        self._protocol = None

    close = discard


def _clean_stderr(stderr):
    text = stderr.decode('utf-8', 'replace') if isinstance(stderr, bytes) else str(stderr)
    if text.startswith('#< CLIXML'):
        # powershell.exe writes stderr as CLIXML; the messages are in <S S="Error"> elements.
        text = ''.join(re.findall(r'<S S="Error">(.*?)</S>', text)).replace('_x000D__x000A_', '\n')
    return text.strip() or '(no error output)'


TRANSPORT_CLASSES = {'psrp': PsrpTransport, 'winrm': WinrmTransport}


def missing_library(transport):
    """The import traceback of the library a transport needs, or None when it is importable."""
    if REQUESTS_IMPORT_ERROR:
        return 'requests', REQUESTS_IMPORT_ERROR
    if transport == 'psrp' and PYPSRP_IMPORT_ERROR:
        return 'pypsrp', PYPSRP_IMPORT_ERROR
    if transport == 'winrm' and PYWINRM_IMPORT_ERROR:
        return 'pywinrm', PYWINRM_IMPORT_ERROR
    return None


# ---------------------------------------------------------------- the session

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
        """Run commands (one statement each) as one pipeline and return its PipelineResult.

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
        """Run a Program once and return its ProgramResult; it changes state, so a failure after sending is not retried."""
        result = self._with_retries(lambda: self._run_once(program, self._transport.run_program), False)
        self.programs_run += 1
        return result

    def _open_once(self):
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
            return HostAuthenticationError('Authentication to %s failed: %s' % (where, _advice(reason, options)), options.host, cause)
        if not idempotent and failure_kind(exc) == FAILURE_TRANSIENT:
            return OutcomeUnknownError(
                'The connection to %s failed after a pipeline that changes state was sent (%s: %s); it may or may not '
                'have run, so it was not repeated. Read the state again before retrying.'
                % (where, type(cause).__name__, cause), options.host, cause)
        attempts = '' if failure_kind(exc) == FAILURE_PERMANENT else ' after %d attempt(s)' % (self.retry_policy.retries + 1)
        advice = _advice(reason, options)
        return HostConnectionError('Cannot reach %s%s: %s: %s. %s%s.'
                                   % (where, attempts, type(cause).__name__, cause, advice[0].upper(), advice[1:]), options.host, cause)
