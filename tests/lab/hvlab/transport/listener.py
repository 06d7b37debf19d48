"""HTTP(S) listeners of one simulated host: connection handling, authentication, encryption, faults, latency."""

import http.server
import logging
import socket
import socketserver
import ssl
import time
import typing

from hvlab.transport import encryption, wsman
from hvlab.transport.auth import AuthChallenge, AuthRejected, ConnectionAuth, Credentials
from hvlab.transport.controls import ACCESS_DENIED_CODES, InjectedFault
from hvlab.transport.service import HostService

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = 'application/soap+xml;charset=UTF-8'


class _DropConnection(Exception):
    """Close the connection without answering."""


class WinRMRequestHandler(http.server.BaseHTTPRequestHandler):
    """One client connection to a host listener (HTTP/1.1 keep-alive: NTLM state lives as long as the connection)."""

    protocol_version = 'HTTP/1.1'
    server_version = 'Microsoft-HTTPAPI/2.0'
    sys_version = ''
    server: 'HostListener'

    def setup(self) -> None:
        super().setup()
        self.auth = ConnectionAuth(self.server.credentials, self.server.https)

    def log_message(self, format: str, *args: typing.Any) -> None:  # pylint: disable=redefined-builtin  # signature of the base class
        log.debug('%s %s', self.server.service.host.name, format % args)

    def do_POST(self) -> None:  # pylint: disable=invalid-name  # http.server's naming
        try:
            self._handle_post()
        except _DropConnection:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def do_GET(self) -> None:  # pylint: disable=invalid-name
        self._reply(405, b'', 'text/plain')

    # --- request flow ---------------------------------------------------------------------------------------------
    def _handle_post(self) -> None:
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        controls = self.server.service.controls
        controls.count_request(len(body))
        if self.path.split('?', 1)[0].lower() != '/wsman':
            self._reply(404, b'', 'text/plain')
            return

        request_fault = controls.take_request_fault()
        if request_fault == 'host_down':
            raise _DropConnection()
        if request_fault == 'auth_failure':
            self.auth = ConnectionAuth(self.server.credentials, self.server.https)
            self._unauthorized()
            return
        self._access_denied = ACCESS_DENIED_CODES.get(request_fault)

        try:
            final_token = self.auth.authenticate(self.headers.get('Authorization'))
        except AuthChallenge as challenge:
            self._reply(401, b'', 'text/plain', [('WWW-Authenticate', challenge.header)])
            return
        except AuthRejected:
            self._unauthorized()
            return
        extra = [('WWW-Authenticate', final_token)] if final_token else []

        if not body:
            # The empty POST clients send to authenticate before encrypting.
            self._reply(200, b'', SOAP_CONTENT_TYPE, extra)
            return

        content_type = self.headers.get('Content-Type', '')
        context = self.auth.security_context
        encrypted = encryption.is_encrypted(content_type)
        if encrypted:
            if context is None:
                self._reply(400, b'', 'text/plain', extra)
                return
            try:
                body = encryption.unwrap_body(context, body, content_type)
            except encryption.EncryptionError:
                self._reply(400, b'', 'text/plain', extra)
                return
        elif not self.server.https:
            # AllowUnencrypted=false: clear-text SOAP is refused on HTTP.
            self._unauthorized()
            return

        latency = controls.latency_seconds
        if latency:
            time.sleep(latency)

        status, answer = self._dispatch(body)
        if encrypted:
            wrapped_type, answer = encryption.wrap_body(context, answer)
            self._reply(status, answer, wrapped_type, extra)
        else:
            self._reply(status, answer, SOAP_CONTENT_TYPE, extra)

    def _dispatch(self, body: bytes) -> typing.Tuple[int, bytes]:
        relates_to = ''
        machine = self.server.service.host.fqdn
        try:
            request = wsman.WSManRequest.parse(body)
            relates_to = request.message_id
            identity = self.server.identity(self.auth, request.resource_uri)
            if getattr(self, '_access_denied', None):
                raise wsman.access_denied(self._access_denied)
            return 200, self.server.service.handle(request, identity, self.server.endpoint, self.client_address[0])
        except wsman.WSManFault as fault:
            return 500, wsman.fault_envelope(fault, relates_to, machine)
        except InjectedFault as fault:
            if fault.kind == 'http_500':
                return 500, b''
            if fault.kind == 'wsman_fault':
                return 500, wsman.fault_envelope(wsman.fault_injected(), relates_to, machine)
            raise _DropConnection() from fault
        except Exception as error:  # pylint: disable=broad-except  # a lab bug must still reach the client as a fault
            log.exception('internal error while handling a WSMan request')
            return 500, wsman.fault_envelope(wsman.WSManFault(0x80004005, 'Internal error in the lab: %s' % error), relates_to, machine)

    # --- answers --------------------------------------------------------------------------------------------------
    def _unauthorized(self) -> None:
        self._reply(401, b'', 'text/plain', [('WWW-Authenticate', value) for value in self.auth.challenge_headers()])

    def _reply(self, status: int, body: bytes, content_type: str, headers: typing.Iterable[typing.Tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.server.service.controls.count_bytes_out(len(body))


class HostListener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One listener (HTTP or HTTPS) of one host."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: str, port: int, service: HostService, credentials: Credentials,
                 ssl_context: typing.Optional[ssl.SSLContext], identity_factory: typing.Callable[[str, str, str], typing.Any]) -> None:
        self.service = service
        self.credentials = credentials
        self.ssl_context = ssl_context
        self.https = ssl_context is not None
        self.endpoint = '%s://%s:%d/wsman' % ('https' if self.https else 'http', address, port)
        self._identity_factory = identity_factory
        super().__init__((address, port), WinRMRequestHandler)

    def identity(self, auth: ConnectionAuth, resource_uri: str) -> typing.Any:
        transport = 'winrm' if resource_uri == wsman.RESOURCE_CMD else 'psrp'
        return self._identity_factory(auth.user or '', auth.method or '', transport)

    def get_request(self) -> typing.Tuple[socket.socket, typing.Any]:
        sock, address = self.socket.accept()
        # Without TCP_NODELAY every request/answer pair waits ~40 ms for delayed ACKs.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    def verify_request(self, request: typing.Any, client_address: typing.Any) -> bool:
        # A host that is down: the connection is closed as soon as it is accepted.
        return not self.service.controls.take_host_down()

    def finish_request(self, request: typing.Any, client_address: typing.Any) -> None:
        if self.ssl_context is not None:
            # The TLS handshake happens here, in the connection's thread, not in the accept loop.
            try:
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            try:
                super().finish_request(request, client_address)
            finally:
                request.close()
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: typing.Any, client_address: typing.Any) -> None:
        log.debug('connection from %s to %s ended with an error', client_address, self.endpoint, exc_info=True)
