# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The winrm transport (pywinrm): a WinRS shell per run that executes the fixed runner script with the pipeline on stdin."""


import re

from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult, ProgramResult, program_text
from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import HostError
from ansible_collections.hyperv.mobility.plugins.module_utils._host.failures import PipelineNotSent, before_sending, best_effort, failure_reason
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import runner_error, runner_output
from ansible_collections.hyperv.mobility.plugins.module_utils._host import runner as winrm_runner

# pywinrm is imported where it is used, not with this file: a module process imports only the library of the transport
# its host uses (session.missing_library checks that it imports before any connection).


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
        import winrm  # pylint: disable=import-outside-toplevel
        return winrm.Protocol(**kwargs)

    def open(self):
        if self._protocol is None:
            self._protocol = self._make_protocol()

    def run(self, statements):
        """statements: Commands and Statements, sent as one runner request (each its own PowerShell statement)."""
        self.open()
        protocol = self._protocol
        shell_id = before_sending(protocol.open_shell, codepage=65001)
        try:
            try:
                # stdin must be a pipe for powershell.exe to hand it to the script as $input: ansible-core too turns the
                # console mode off when it feeds stdin.
                command_id = protocol.run_command(shell_id, winrm_runner.POWERSHELL_EXE, winrm_runner.command_arguments(),
                                                  console_mode_stdin=False)
            except Exception as exc:
                # The runner waits for the whole request on stdin, so without it nothing can have run.
                if failure_reason(exc) is None:
                    raise
                raise PipelineNotSent(exc)
            protocol.send_command_input(shell_id, command_id, winrm_runner.encode_request(statements), end=True)
            stdout, stderr, return_code = protocol.get_command_output(shell_id, command_id)
            best_effort(protocol.cleanup_command, shell_id, command_id)
        finally:
            best_effort(protocol.close_shell, shell_id)
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
            list(response['output']),
        )

    def run_program(self, program):
        """The program in its own WinRS shell, skipping cmd.exe (WINRS_SKIP_CMD_SHELL) so the line reaches it as written."""
        self.open()
        protocol = self._protocol
        shell_id = before_sending(protocol.open_shell, codepage=65001)
        try:
            command_id = protocol.run_command(shell_id, program.command_line(), skip_cmd_shell=True)
            stdout, stderr, return_code = protocol.get_command_output(shell_id, command_id)
            best_effort(protocol.cleanup_command, shell_id, command_id)
        finally:
            best_effort(protocol.close_shell, shell_id)
        return ProgramResult(return_code, program_text(stdout), _clean_stderr(stderr) if stderr else '')

    def discard(self):
        self._protocol = None

    close = discard


def _clean_stderr(stderr):
    text = stderr.decode('utf-8', 'replace') if isinstance(stderr, bytes) else str(stderr)
    if text.startswith('#< CLIXML'):
        # powershell.exe writes stderr as CLIXML; the messages are in <S S="Error"> elements.
        text = ''.join(re.findall(r'<S S="Error">(.*?)</S>', text)).replace('_x000D__x000A_', '\n')
    return text.strip() or '(no error output)'
