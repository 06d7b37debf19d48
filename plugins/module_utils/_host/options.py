# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where and how to reach a host: the connection options a module gets from its hyperv_* options."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type  # pylint: disable=invalid-name

import ipaddress
import re

TRANSPORTS = ('psrp', 'winrm')
AUTH_METHODS = ('negotiate', 'ntlm', 'kerberos', 'credssp', 'certificate', 'basic')
PROTOCOLS = ('http', 'https')
DEFAULT_PORTS = {'http': 5985, 'https': 5986}
# A DNS or NetBIOS name: labels of letters (any script), digits, hyphens and underscores, joined by dots. Underscores and
# non-ASCII letters are not refused: requests / pywinrm / pypsrp carry them (IDNA), and a name only the resolver can judge.
HOST_NAME = re.compile(r'^(?!-)[\w-]{1,63}(?<!-)(\.(?!-)[\w-]{1,63}(?<!-))*\.?$')


def host_problem(host):
    """Why host cannot be the host of a WinRM endpoint URL (None when it can): it must be a host name or an IPv4 / IPv6 address."""
    text = str(host or '')
    try:
        ipaddress.ip_address(text[1:-1] if text.startswith('[') and text.endswith(']') else text)
        return None
    except ValueError:
        pass
    if len(text) <= 253 and HOST_NAME.match(text):
        return None
    return ('%r is not a host name (letters, digits and hyphens, in labels joined by dots) or an IPv4 / IPv6 address; '
            'check hyperv_host (ansible_host) or the destination' % text)


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
