# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The psrp transport (pypsrp): one WSMan connection and one RunspacePool per session, a PowerShell pipeline per run."""


from ansible_collections.hyperv.mobility.plugins.module_utils._host.commands import PipelineResult, ProgramResult, program_text
from ansible_collections.hyperv.mobility.plugins.module_utils._host.failures import PipelineNotSent, before_sending, best_effort, failure_reason
from ansible_collections.hyperv.mobility.plugins.module_utils._host.values import ErrorRecordData, psrp_error, psrp_output, psrp_raw

# pypsrp is imported where it is used, not with this file: a module process imports only the library of the transport
# its host uses (session.missing_library checks that it imports before any connection).


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
        from pypsrp.powershell import RunspacePool  # pylint: disable=import-outside-toplevel
        from pypsrp.wsman import WSMan  # pylint: disable=import-outside-toplevel
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

    def run(self, statements):
        """statements: Commands and Statements, each its own PowerShell statement (the commands of a Statement piped)."""
        from pypsrp.powershell import PowerShell  # pylint: disable=import-outside-toplevel
        self.open()
        shell = PowerShell(self._pool)
        for index, statement in enumerate(statements):
            if index:
                shell.add_statement()
            for command in statement.commands:
                shell.add_cmdlet(command.name)
                for name, value in command.parameters.items():
                    shell.add_parameter(name, value)
        output = shell.invoke()
        # pypsrp sets had_errors only for a failed pipeline state; error records of non-terminating errors are only
        # in streams.error, so that is what decides.
        single = statements[0].name if len(statements) == 1 else None
        errors = [psrp_error(record, single) for record in shell.streams.error]
        if shell.had_errors and not errors:
            errors.append(ErrorRecordData(single, 'the pipeline failed without an error record', 'PipelineFailed'))
        warnings = [getattr(record, 'message', None) or str(record) for record in shell.streams.warning]
        return PipelineResult([psrp_output(item) for item in output], errors, warnings, [psrp_raw(item) for item in output])

    def run_program(self, program):
        """The program in a WinRS cmd shell of the same WSMan connection, without cmd.exe (no_shell)."""
        from pypsrp.shell import Process, WinRS  # pylint: disable=import-outside-toplevel
        self.open()
        shell = WinRS(self._wsman, codepage=65001)
        before_sending(shell.open)
        try:
            process = Process(shell, program.command_line(), no_shell=True)
            process.invoke()
        finally:
            best_effort(shell.close)
        return ProgramResult(process.rc, program_text(process.stdout), program_text(process.stderr))

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
