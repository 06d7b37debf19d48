"""Server side of WinRM authentication: Basic (HTTPS only) and Negotiate/NTLM (pyspnego acceptor).

pyspnego's NTLM acceptor reads the accounts from the file named by NTLM_USER_FILE (``DOMAIN:user:password``
lines, matched on the exact domain the client sends), so the lab writes one line per accepted spelling of
each user: ``labadmin``, ``HVLAB\\labadmin``, ``HVLAB.TEST\\labadmin``, ``HOST\\labadmin`` and ``labadmin@hvlab.test``.
"""

import base64
import binascii
import os
import typing

import spnego
import spnego.exceptions


class Credentials:
    """The lab's accounts and the spellings a client may use for them."""

    def __init__(self, users: typing.Dict[str, str], netbios_domain: str = 'HVLAB', dns_domain: str = 'hvlab.test',
                 host_names: typing.Iterable[str] = ()) -> None:
        self.users = {name.lower(): password for name, password in users.items()}
        self.netbios_domain = netbios_domain
        self.dns_domain = dns_domain
        self.host_names = [name.upper() for name in host_names]

    def _domains(self) -> typing.List[str]:
        return [self.netbios_domain.upper(), self.dns_domain.upper(), self.dns_domain.lower(), self.netbios_domain.lower()] + self.host_names

    def canonical_user(self, supplied: str) -> typing.Optional[str]:
        """'labadmin' for labadmin, HVLAB\\labadmin, hv01\\labadmin, labadmin@hvlab.test; None for anything else."""
        user = supplied
        if '\\' in supplied:
            domain, user = supplied.split('\\', 1)
            if domain.upper() not in [d.upper() for d in self._domains()]:
                return None
        elif '@' in supplied:
            user, realm = supplied.split('@', 1)
            if realm.lower() not in (self.dns_domain.lower(), self.netbios_domain.lower()):
                return None
        return user.lower() if user.lower() in self.users else None

    def check_password(self, supplied_user: str, password: str) -> typing.Optional[str]:
        user = self.canonical_user(supplied_user)
        return user if user is not None and self.users[user] == password else None

    def write_ntlm_user_file(self, path: str) -> str:
        lines = []
        for user, password in self.users.items():
            lines.append(':%s:%s' % (user, password))
            lines.append(':%s@%s:%s' % (user, self.dns_domain, password))
            lines.append(':%s@%s:%s' % (user, self.dns_domain.upper(), password))
            for domain in self._domains():
                lines.append('%s:%s:%s' % (domain, user, password))
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('\n'.join(lines) + '\n')
        os.chmod(path, 0o600)
        return path


class AuthRejected(Exception):
    """Answer 401 (with a fresh challenge)."""


class AuthChallenge(Exception):
    """Answer 401 carrying a continuation token of the Negotiate/NTLM exchange."""

    def __init__(self, scheme: str, token: bytes) -> None:
        super().__init__(scheme)
        self.header = '%s %s' % (scheme, base64.b64encode(token).decode('ascii'))


class ConnectionAuth:
    """Authentication state of one HTTP connection (NTLM authenticates the connection, Basic each request)."""

    def __init__(self, credentials: Credentials, https: bool) -> None:
        self._credentials = credentials
        self._https = https
        self._context: typing.Any = None
        self.user: typing.Optional[str] = None
        self.method: typing.Optional[str] = None
        # The established Negotiate/NTLM context, used for WinRM message encryption.
        self.security_context: typing.Any = None

    def challenge_headers(self) -> typing.List[str]:
        # Windows' default listener configuration: Negotiate everywhere, Basic only where it is allowed (HTTPS here,
        # because AllowUnencrypted=false refuses Basic's clear-text traffic over HTTP).
        return ['Negotiate', 'Basic realm="WSMAN"'] if self._https else ['Negotiate']

    def authenticate(self, authorization: typing.Optional[str]) -> typing.Optional[str]:
        """Process the Authorization header; return a final server token header value (or None) when authenticated.

        Raises AuthChallenge to continue a handshake and AuthRejected to refuse.
        """
        if not authorization:
            if self.user is not None and self.method != 'basic':
                return None  # connection already authenticated with NTLM
            raise AuthRejected()
        scheme, _unused, value = authorization.partition(' ')
        scheme_l = scheme.lower()
        if scheme_l == 'basic':
            return self._basic(value)
        if scheme_l in ('negotiate', 'ntlm'):
            return self._negotiate(scheme, value)
        raise AuthRejected()

    def _basic(self, value: str) -> None:
        if not self._https:
            raise AuthRejected()
        try:
            user, _unused, password = base64.b64decode(value).decode('utf-8').partition(':')
        except (binascii.Error, UnicodeDecodeError):
            raise AuthRejected() from None
        canonical = self._credentials.check_password(user, password)
        if canonical is None:
            raise AuthRejected()
        self.user, self.method, self.security_context = canonical, 'basic', None
        return None

    def _negotiate(self, scheme: str, value: str) -> typing.Optional[str]:
        try:
            token = base64.b64decode(value)
        except binascii.Error:
            raise AuthRejected() from None
        if self._context is None or self._context.complete:
            # A new handshake (first leg) resets whatever this connection had.
            self.user = self.method = self.security_context = None
            protocol = 'ntlm' if scheme.lower() == 'ntlm' else 'negotiate'
            self._context = spnego.server(protocol=protocol, options=spnego.NegotiateOptions.wrapping_winrm)
        try:
            out_token = self._context.step(token)
        except (spnego.exceptions.SpnegoError, ValueError) as error:
            self._context = None
            raise AuthRejected() from error
        if not self._context.complete:
            raise AuthChallenge(scheme, out_token or b'')
        principal = self._context.client_principal or ''
        canonical = self._credentials.canonical_user(principal)
        if canonical is None:
            self._context = None
            raise AuthRejected()
        self.user, self.method, self.security_context = canonical, 'ntlm', self._context
        return '%s %s' % (scheme, base64.b64encode(out_token).decode('ascii')) if out_token else None
