"""The WSMan service of one simulated host: shells, and the Create/Delete/Get/Command/Send/Receive/Signal actions."""

import base64
import contextlib
import threading
import time
import typing
import uuid
import xml.etree.ElementTree as ET

from hvlab.transport import wsman
from hvlab.transport.controls import HostControls
from hvlab.transport.psrp import PsrpShell
from hvlab.transport.winrs import RunnerScript, WinrsShell
from hvlab.transport.wsman import NS, WSManFault, WSManRequest, q

# Longest a Receive waits for output before answering with the OperationTimeout fault, whatever the client asks.
MAX_RECEIVE_WAIT = 30.0


class HostService:
    """WSMan endpoint of one SimHost.  One lock serialises the shell operations of the host."""

    def __init__(self, host: typing.Any, controls: HostControls, runner_loader: typing.Callable[[], RunnerScript]) -> None:
        self.host = host
        self.controls = controls
        self._runner_loader = runner_loader
        self._shells: typing.Dict[str, typing.Union[PsrpShell, WinrsShell]] = {}
        self._changed = threading.Condition()
        # One operation at a time per shell; the host's other shells run meanwhile, as a Windows host runs its sessions
        # concurrently (the world's lock orders what they do to the model, and a live migration releases it while it transfers).
        self._shell_locks: typing.Dict[str, threading.Lock] = {}

    # --- entry point ----------------------------------------------------------------------------------------------
    def handle(self, request: WSManRequest, identity: typing.Any, endpoint: str, client_ip: str) -> bytes:
        action = request.action
        if action == wsman.ACTION_GET:
            return self._get(request)
        if action == wsman.ACTION_CREATE:
            return self._create(request, identity, endpoint, client_ip)
        if action == wsman.ACTION_DELETE:
            return self._delete(request)
        if action == wsman.ACTION_COMMAND:
            return self._command(request)
        if action == wsman.ACTION_SEND:
            return self._send(request)
        if action == wsman.ACTION_RECEIVE:
            return self._receive(request)
        if action == wsman.ACTION_SIGNAL:
            return self._signal(request)
        raise wsman.fault_unsupported(action or '(no action)')

    def shell_count(self) -> int:
        with self._changed:
            return len(self._shells)

    # --- helpers --------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _working(self, request: WSManRequest) -> typing.Iterator[typing.Union[PsrpShell, WinrsShell]]:
        """The request's shell, held for one operation outside the host-wide lock; receivers are woken when it ends."""
        with self._changed:
            shell = self._shell(request)
            lock = self._shell_locks.setdefault(shell.shell_id, threading.Lock())
        with lock:
            try:
                yield shell
            finally:
                with self._changed:
                    self._changed.notify_all()

    def _shell(self, request: WSManRequest) -> typing.Union[PsrpShell, WinrsShell]:
        shell_id = request.selectors.get('ShellId', '')
        shell = self._shells.get(shell_id.upper())
        if shell is None:
            raise wsman.fault_unknown_shell(shell_id)
        return shell

    def _run_statements(self, identity: typing.Any) -> typing.Callable[..., typing.Any]:
        def run(statements: list, variables: typing.Optional[dict] = None) -> typing.Any:
            # Both transports (PSRP pipelines and the WinRM runner) end here: record what the host is asked to run. variables: the
            # session state shared by several calls (the runner's statements run in one powershell.exe scope).
            self.controls.record_commands(statements)
            return self.host.execute(statements, identity, variables)
        return run

    def _count_psrp_pipeline(self, run: typing.Callable[[list], typing.Any]) -> typing.Callable[[list], typing.Any]:
        def counted(statements: list) -> typing.Any:
            self.controls.count_pipeline(cmd.name for statement in statements for cmd in statement)
            return run(statements)
        return counted

    # --- actions --------------------------------------------------------------------------------------------------
    def _get(self, request: WSManRequest) -> bytes:
        if request.resource_uri.rstrip('/') == wsman.RESOURCE_CONFIG:
            return wsman.envelope(wsman.ACTION_GET + 'Response', request.message_id, [wsman.config_element()])
        if request.resource_uri.rstrip('/') == wsman.RESOURCE_SHELL:
            with self._changed:
                shell = self._shell(request)
                element = ET.Element(q('rsp', 'Shell'))
                ET.SubElement(element, q('rsp', 'ShellId')).text = shell.shell_id
                ET.SubElement(element, q('rsp', 'ResourceUri')).text = shell.resource_uri
                ET.SubElement(element, q('rsp', 'State')).text = 'Connected'
            return wsman.envelope(wsman.ACTION_GET + 'Response', request.message_id, [element])
        raise wsman.fault_unsupported('Get of %s' % request.resource_uri)

    def _create(self, request: WSManRequest, identity: typing.Any, endpoint: str, client_ip: str) -> bytes:
        shell_el = request.body_element('rsp', 'Shell')
        if shell_el is None:
            raise wsman.fault_unsupported('Create without rsp:Shell')
        shell_id = (shell_el.get('ShellId') or str(uuid.uuid4())).upper()
        resource_uri = request.resource_uri
        run = self._run_statements(identity)
        if resource_uri == wsman.RESOURCE_PSRP:
            creation = shell_el.find('pwsh:creationXml', NS)
            shell: typing.Union[PsrpShell, WinrsShell] = PsrpShell(shell_id, self._count_psrp_pipeline(run), self.controls.run_command)
            with self._changed:
                shell.open(creation.text if creation is not None and creation.text else '')
                self._shells[shell_id] = shell
        elif resource_uri == wsman.RESOURCE_CMD:
            input_streams = shell_el.findtext('rsp:InputStreams', 'stdin', NS)
            output_streams = shell_el.findtext('rsp:OutputStreams', 'stdout stderr', NS)
            shell = WinrsShell(shell_id, self._runner_loader(), run, self.controls.run_command,
                               self.controls.count_pipeline, input_streams, output_streams, getattr(self.host, 'run_program', None))
            with self._changed:
                self._shells[shell_id] = shell
        else:
            raise WSManFault(0x80338001 + 0x2A, 'The WS-Management service cannot process the request. The resource URI %s was not found.' % resource_uri,
                             subcode='w:DestinationUnreachable', fault_code='s:Sender')
        self.controls.count_shell()

        created = ET.Element(q('wst', 'ResourceCreated'))
        ET.SubElement(created, q('wsa', 'Address')).text = endpoint
        params = ET.SubElement(created, q('wsa', 'ReferenceParameters'))
        ET.SubElement(params, q('wsman', 'ResourceURI')).text = resource_uri
        selectors = ET.SubElement(params, q('wsman', 'SelectorSet'))
        ET.SubElement(selectors, q('wsman', 'Selector'), Name='ShellId').text = shell_id
        info = ET.Element(q('rsp', 'Shell'))
        for name, value in (('ShellId', shell_id), ('ResourceUri', resource_uri), ('Owner', getattr(identity, 'user', '')),
                            ('ClientIP', client_ip), ('IdleTimeOut', 'PT7200.000S'), ('InputStreams', shell.input_streams),
                            ('OutputStreams', shell.output_streams), ('ShellRunTime', 'P0DT0H0M0S'), ('ShellInactivity', 'P0DT0H0M0S')):
            ET.SubElement(info, q('rsp', name)).text = value
        return wsman.envelope(wsman.ACTION_CREATE + 'Response', request.message_id, [created, info])

    def _delete(self, request: WSManRequest) -> bytes:
        with self._changed:
            shell = self._shell(request)
            shell.close()
            del self._shells[shell.shell_id]
            self._shell_locks.pop(shell.shell_id, None)
            self._changed.notify_all()
        return wsman.envelope(wsman.ACTION_DELETE + 'Response', request.message_id)

    def _command(self, request: WSManRequest) -> bytes:
        line = request.body_element('rsp', 'CommandLine')
        if line is None:
            raise wsman.fault_unsupported('Command without rsp:CommandLine')
        command_id = (line.get('CommandId') or str(uuid.uuid4())).upper()
        arguments = [arg.text or '' for arg in line.findall('rsp:Arguments', NS)]
        with self._working(request) as shell:
            if isinstance(shell, PsrpShell):
                command_id = shell.command(command_id, arguments)
            else:
                skip_cmd_shell = request.options.get('WINRS_SKIP_CMD_SHELL', 'FALSE').upper() == 'TRUE'
                command_id = shell.command(command_id, arguments, line.findtext('rsp:Command', '', NS), skip_cmd_shell)
        response = ET.Element(q('rsp', 'CommandResponse'))
        ET.SubElement(response, q('rsp', 'CommandId')).text = command_id
        return wsman.envelope(wsman.ACTION_COMMAND + 'Response', request.message_id, [response])

    def _send(self, request: WSManRequest) -> bytes:
        send = request.body_element('rsp', 'Send')
        streams = send.findall('rsp:Stream', NS) if send is not None else []
        with self._working(request) as shell:
            for stream in streams:
                data = base64.b64decode(stream.text or '')
                command_id = (stream.get('CommandId') or '').upper() or None
                if isinstance(shell, PsrpShell):
                    shell.send(command_id, data)
                else:
                    shell.send(command_id, data, (stream.get('End') or '').lower() == 'true')
        return wsman.envelope(wsman.ACTION_SEND + 'Response', request.message_id, [ET.Element(q('rsp', 'SendResponse'))])

    def _receive(self, request: WSManRequest) -> bytes:
        desired = request.body.find('rsp:Receive/rsp:DesiredStream', NS)
        command_id = ((desired.get('CommandId') if desired is not None else None) or '').upper() or None
        deadline = time.monotonic() + min(request.operation_timeout, MAX_RECEIVE_WAIT)
        with self._changed:
            shell = self._shell(request)
            while True:
                # A shell busy with an operation has nothing to deliver yet (never wait for its lock: it notifies when done).
                lock = self._shell_locks.setdefault(shell.shell_id, threading.Lock())
                if lock.acquire(blocking=False):
                    if shell.has_data(command_id):
                        break
                    lock.release()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise wsman.fault_timeout()
                self._changed.wait(remaining)
                shell = self._shell(request)
            try:
                return self._receive_response(request, shell, command_id)
            finally:
                lock.release()

    def _receive_response(self, request: WSManRequest, shell: typing.Union[PsrpShell, WinrsShell], command_id: typing.Optional[str]) -> bytes:
        response = ET.Element(q('rsp', 'ReceiveResponse'))
        if isinstance(shell, PsrpShell):
            chunks, done = shell.receive(command_id)
            for chunk in chunks:
                stream = ET.SubElement(response, q('rsp', 'Stream'), Name='stdout')
                if command_id:
                    stream.set('CommandId', command_id)
                stream.text = base64.b64encode(chunk).decode('ascii')
            if command_id:
                state = ET.SubElement(response, q('rsp', 'CommandState'), CommandId=command_id,
                                      State=wsman.STATE_DONE if done else wsman.STATE_RUNNING)
                if done:
                    ET.SubElement(state, q('rsp', 'ExitCode')).text = '0'
        else:
            streams, exit_code = shell.receive(command_id)
            for name, data in streams.items():
                stream = ET.SubElement(response, q('rsp', 'Stream'), Name=name, CommandId=command_id or '')
                stream.text = base64.b64encode(data).decode('ascii')
                # WinRS marks each stream's last packet with End=true.
                ET.SubElement(response, q('rsp', 'Stream'), Name=name, CommandId=command_id or '', End='true')
            state = ET.SubElement(response, q('rsp', 'CommandState'), CommandId=command_id or '',
                                  State=wsman.STATE_DONE if exit_code is not None else wsman.STATE_RUNNING)
            if exit_code is not None:
                ET.SubElement(state, q('rsp', 'ExitCode')).text = str(exit_code)
        return wsman.envelope(wsman.ACTION_RECEIVE + 'Response', request.message_id, [response])

    def _signal(self, request: WSManRequest) -> bytes:
        signal = request.body_element('rsp', 'Signal')
        command_id = ((signal.get('CommandId') if signal is not None else None) or '').upper()
        code = signal.findtext('rsp:Code', '', NS) if signal is not None else ''
        with self._changed:
            shell = self._shell(request)
            shell.signal(command_id, code)
            self._changed.notify_all()
        return wsman.envelope(wsman.ACTION_SIGNAL + 'Response', request.message_id, [ET.Element(q('rsp', 'SignalResponse'))])
