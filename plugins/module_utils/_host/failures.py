# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Which transport failures happened, whether retrying may help, and what to tell the user.

The exceptions of pypsrp, pywinrm and requests are classified here into a short reason (auth, tls, refused, timeout,
http, wsman, dropped, access_denied) and a FAILURE_* kind for the retry policy (errors.RetryPolicy).
"""


import re
import sys

from ansible_collections.hyperv.mobility.plugins.module_utils._host.errors import FAILURE_NOT_SENT, FAILURE_PERMANENT, FAILURE_TRANSIENT


def _imported(name):
    """The library module `name` when this process has imported it, else None.

    Nothing here imports a transport library: a module process imports only the library of the transport its host uses
    (and an AD module none), and an exception of a library this process never imported cannot have been raised.
    """
    return sys.modules.get(name)


# WSMan fault codes for access denied: ERROR_ACCESS_DENIED as itself or as its HRESULT 0x80070005 (subcode w:InternalError),
# both seen from Windows hosts. Retrying cannot help.
WSMAN_ACCESS_DENIED = (5, 0x80070005)
# ERROR_FILE_NOT_FOUND as an HRESULT: WinRS could not start the program of a Command (WINRS_SKIP_CMD_SHELL), as pypsrp's
# recording test_winrs_no_cmd_shell shows. Nothing ran.
WSMAN_FILE_NOT_FOUND = 0x80070002


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


def failure_reason(exc):
    """A short label of a transport exception: 'auth', 'tls', 'refused', 'timeout', 'http', 'wsman', 'dropped', 'access_denied',
    'file_not_found'; None if not one."""
    if isinstance(exc, PipelineNotSent):
        return failure_reason(exc.cause)
    pypsrp_exceptions = _imported('pypsrp.exceptions')
    winrm_exceptions = _imported('winrm.exceptions')
    requests_exceptions = _imported('requests.exceptions')
    auth_errors = tuple(module.AuthenticationError for module in (pypsrp_exceptions, winrm_exceptions) if module is not None)
    if auth_errors and isinstance(exc, auth_errors):
        return 'auth'
    transport_errors = tuple(module.WinRMTransportError for module in (pypsrp_exceptions, winrm_exceptions) if module is not None)
    if transport_errors and isinstance(exc, transport_errors):
        return 'auth' if _http_code(exc) == 401 else 'http'
    fault_errors = tuple(module.WSManFaultError for module in (pypsrp_exceptions, winrm_exceptions) if module is not None)
    if fault_errors and isinstance(exc, fault_errors):
        code = _wsman_fault_code(exc)
        if code in WSMAN_ACCESS_DENIED:
            return 'access_denied'
        return 'file_not_found' if code == WSMAN_FILE_NOT_FOUND else 'wsman'
    if winrm_exceptions is not None and isinstance(exc, winrm_exceptions.WinRMOperationTimeoutError):
        return 'timeout'
    if pypsrp_exceptions is not None and isinstance(exc, (pypsrp_exceptions.InvalidRunspacePoolStateError,
                                                          pypsrp_exceptions.InvalidPipelineStateError)):
        return 'dropped'
    if requests_exceptions is not None and isinstance(exc, requests_exceptions.RequestException):
        return _requests_reason(exc, requests_exceptions)
    # requests_ntlm (pywinrm's NTLM) says "Access denied" with a PermissionError when the server answers the
    # credentials with a bare 401 instead of an NTLM challenge.
    if isinstance(exc, PermissionError):
        return 'auth'
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return 'refused' if isinstance(exc, ConnectionRefusedError) else 'dropped'
    return None


def _wsman_fault_code(exc):
    # pypsrp's WSManFaultError.code is the WSMan fault code; pywinrm's .code is the HTTP status and .wsman_fault_code the fault.
    winrm_exceptions = _imported('winrm.exceptions')
    if winrm_exceptions is not None and isinstance(exc, winrm_exceptions.WSManFaultError):
        code = exc.wsman_fault_code
    else:
        code = getattr(exc, 'code', None)
    try:
        return int(code)
    except (TypeError, ValueError):
        return None


def _http_code(exc):
    code = getattr(exc, 'code', None)
    return code if isinstance(code, int) else None


# An SSLError that only says the peer closed the connection during the handshake is a dropped connection (a host going
# down, a listener restarting), not a certificate problem: retry it, and do not send the user after their CA.
_TLS_EOF = re.compile(r'UNEXPECTED_EOF|EOF occurred in violation of protocol|SSLEOFError|SSLZeroReturnError|Connection reset by peer')


def _requests_reason(exc, requests_exceptions):
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
    'file_not_found': FAILURE_PERMANENT,
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


def advice(reason, options):
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


def best_effort(call, *args):
    """call(*args) for clean-up after a failure or at the end (closing a shell): the connection may already be gone."""
    try:
        call(*args)
    except Exception:  # pylint: disable=broad-except
        pass
