"""LabServer: every simulated host's WinRM listeners plus the control endpoint, in one process."""

import os
import ssl
import tempfile
import threading
import typing

from hvlab.transport.auth import Credentials
from hvlab.transport.controls import HostControls
from hvlab.transport.listener import HostListener
from hvlab.transport.service import HostService
from hvlab.transport.winrs import RunnerScript

HTTP_PORT = 5985
HTTPS_PORT = 5986


def _engine_identity(user: str, auth: str, transport: str) -> typing.Any:
    from hvlab.engine import Identity  # pylint: disable=import-outside-toplevel  # the engine is optional at import time
    return Identity(user, auth, transport)


class LabServer:
    """Serve world's hosts on <address>:5985 (HTTP) and :5986 (HTTPS), and the control endpoint.

    users: {'labadmin': password}; pki: hvlab.tls.LabPki; control: (address, port) of the control endpoint or None.
    runner_path: the module file holding RUNNER_SCRIPT (default: the collection's plugins/module_utils/_host/runner.py).
    """

    def __init__(self, world: typing.Any, users: typing.Dict[str, str], pki: typing.Any,
                 control: typing.Optional[typing.Tuple[str, int]] = ('127.0.10.254', 8700),
                 http_port: int = HTTP_PORT, https_port: int = HTTPS_PORT, runner_path: typing.Optional[str] = None,
                 netbios_domain: str = 'HVLAB', dns_domain: str = 'hvlab.test',
                 identity_factory: typing.Callable[[str, str, str], typing.Any] = _engine_identity) -> None:
        self.world = world
        self.pki = pki
        self.control_address = control
        self.http_port = http_port
        self.https_port = https_port
        self.runner_path = runner_path
        self.credentials = Credentials(users, netbios_domain, dns_domain, [host.name for host in world.hosts])
        self.controls: typing.Dict[str, HostControls] = {host.name: HostControls(host.name) for host in world.hosts}
        self.services: typing.Dict[str, HostService] = {
            host.name: HostService(host, self.controls[host.name], self._load_runner) for host in world.hosts}
        self._identity_factory = identity_factory
        self._listeners: typing.List[typing.Any] = []
        self._threads: typing.List[threading.Thread] = []
        self._runner: typing.Optional[RunnerScript] = None
        self._runner_lock = threading.Lock()
        self._state_dir: typing.Optional[tempfile.TemporaryDirectory] = None
        self.control_server: typing.Any = None

    def _load_runner(self) -> RunnerScript:
        # Read lazily: the runner file belongs to the collection and may change between lab runs.
        with self._runner_lock:
            if self._runner is None:
                self._runner = RunnerScript(self.runner_path)
            return self._runner

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.cert_path, self.pki.key_path)
        return context

    def start(self) -> None:
        """Bind every listener and serve in background threads; returns once all are listening."""
        self._state_dir = tempfile.TemporaryDirectory(prefix='hvlab-ntlm-')
        # pyspnego's NTLM acceptor reads its accounts from this process-wide variable.
        os.environ['NTLM_USER_FILE'] = self.credentials.write_ntlm_user_file(os.path.join(self._state_dir.name, 'ntlm_users'))
        ssl_context = self._ssl_context()
        try:
            for host in self.world.hosts:
                service = self.services[host.name]
                for port, context in ((self.http_port, None), (self.https_port, ssl_context)):
                    self._serve(HostListener(host.address, port, service, self.credentials, context, self._identity_factory))
            if self.control_address is not None:
                from hvlab.control import ControlServer  # pylint: disable=import-outside-toplevel  # control imports transport
                self.control_server = ControlServer(self.control_address, self)
                self._serve(self.control_server)
        except BaseException:
            self.stop()
            raise

    def _serve(self, server: typing.Any) -> None:
        self._listeners.append(server)
        thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True,
                                  name='hvlab-%s:%s' % server.server_address[:2])
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        for server in self._listeners:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._listeners.clear()
        self._threads.clear()
        if self._state_dir is not None:
            self._state_dir.cleanup()
            self._state_dir = None

    # --- used by the control endpoint ------------------------------------------------------------------------------
    def host_controls(self, name: str) -> HostControls:
        try:
            return self.controls[name]
        except KeyError:
            raise KeyError('unknown host %r' % name) from None

    def __enter__(self) -> 'LabServer':
        self.start()
        return self

    def __exit__(self, *exc_info: typing.Any) -> None:
        self.stop()
