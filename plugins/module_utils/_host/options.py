# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Where and how to reach a host: the one table of connection options, and the ConnectionOptions built from them.

CONNECTION_OPTIONS is the only list of the hyperv_* options. The module argument spec, the suboptions of a peer's
connection (destination_connection), the action plugin's inventory-variable map and ConnectionOptions.from_params are
all derived from it. The doc fragment hyperv.mobility.connection stays literal YAML (ansible-test reads fragments as
string literals); tests/unit/plugins/module_utils/test_connection_table.py asserts that the fragment, this table and
the action plugin agree.
"""

import importlib.util
import ipaddress
import os
import re
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Tuple

from ansible.module_utils.common.parameters import AnsibleFallbackNotFound

TRANSPORTS = ('psrp', 'winrm')
AUTH_METHODS = ('negotiate', 'ntlm', 'kerberos', 'credssp', 'certificate', 'basic')
PROTOCOLS = ('http', 'https')
DEFAULT_PORTS = {'http': 5985, 'https': 5986}
# A DNS or NetBIOS name: labels of letters (any script), digits, hyphens and underscores, joined by dots. Underscores and
# non-ASCII letters are not refused: requests / pywinrm / pypsrp carry them (IDNA), and a name only the resolver can judge.
HOST_NAME = re.compile(r'^(?!-)[\w-]{1,63}(?<!-)(\.(?!-)[\w-]{1,63}(?<!-))*\.?$')


def host_problem(host: Any) -> Optional[str]:
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


# The collection's own bounds: no Windows limit applies on the client side (a WSMan server caps a larger
# OperationTimeout at its MaxTimeoutms), but a value past a day is a typo, and Python's socket and clock functions
# overflow on huge ones.
MAX_TIMEOUT_SECONDS = 86400
MAX_RETRIES = 20


class ConnectionOption(NamedTuple):
    """One hyperv_* option: its argument spec, the inventory variables that fill it, and how a peer host gets it."""

    key: str                          # the option without the hyperv_ prefix (the key of destination_connection)
    type: str
    default: Any = None
    choices: Optional[Tuple[str, ...]] = None
    required: bool = False
    no_log: Optional[bool] = None
    # Inventory variables, highest precedence first (ansible-core: the later var in a plugin's list wins).
    psrp_vars: Tuple[str, ...] = ()
    winrm_vars: Tuple[str, ...] = ()
    common_vars: Tuple[str, ...] = ()   # read after the transport's own
    # Whether a peer host takes the source's value when its own connection leaves the key out: keys that describe the
    # account and the trust are; keys that describe the endpoint (host, port, protocol, transport) are not, because
    # the source's listener says nothing about the destination's.
    inherited: bool = False
    # (minimum, maximum) for integers: checked before any connection (ConnectionOptions.problems)
    bounds: Optional[Tuple[int, int]] = None
    # Environment variables read last, below the task, module_defaults and the inventory (what AWX credentials inject).
    env_vars: Tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return 'hyperv_' + self.key


CONNECTION_OPTIONS: Tuple[ConnectionOption, ...] = (
    ConnectionOption('host', 'str', required=True, psrp_vars=('ansible_psrp_host',), winrm_vars=('ansible_winrm_host',),
                     common_vars=('ansible_host', 'inventory_hostname')),
    ConnectionOption('port', 'int', psrp_vars=('ansible_psrp_port',), winrm_vars=('ansible_winrm_port',), common_vars=('ansible_port',),
                     bounds=(1, 65535)),
    ConnectionOption('user', 'str', psrp_vars=('ansible_psrp_user',), winrm_vars=('ansible_winrm_user',), common_vars=('ansible_user',),
                     inherited=True, env_vars=('HYPERV_USER',)),
    # ansible-core's psrp and winrm plugins both read ansible_password, ansible_winrm_pass and ansible_winrm_password.
    ConnectionOption('password', 'str', no_log=True, psrp_vars=('ansible_winrm_password', 'ansible_winrm_pass'),
                     winrm_vars=('ansible_winrm_password', 'ansible_winrm_pass'), common_vars=('ansible_password',), inherited=True,
                     env_vars=('HYPERV_PASSWORD',)),
    # Filled from ansible_connection (transport_of), not from a variable of its own.
    ConnectionOption('transport', 'str', default='psrp', choices=TRANSPORTS),
    ConnectionOption('auth', 'str', default='negotiate', choices=AUTH_METHODS, psrp_vars=('ansible_psrp_auth',),
                     winrm_vars=('ansible_winrm_transport',), inherited=True, env_vars=('HYPERV_AUTH',)),
    ConnectionOption('protocol', 'str', choices=PROTOCOLS, psrp_vars=('ansible_psrp_protocol',), winrm_vars=('ansible_winrm_scheme',)),
    ConnectionOption('validate_certs', 'bool', default=True, psrp_vars=('ansible_psrp_cert_validation',),
                     winrm_vars=('ansible_winrm_server_cert_validation',), inherited=True, env_vars=('HYPERV_VALIDATE_CERTS',)),
    ConnectionOption('ca_cert', 'path', psrp_vars=('ansible_psrp_ca_cert', 'ansible_psrp_cert_trust_path'),
                     winrm_vars=('ansible_winrm_ca_trust_path',), inherited=True, env_vars=('HYPERV_CA_CERT',)),
    ConnectionOption('cert_pem', 'path', psrp_vars=('ansible_psrp_certificate_pem',), winrm_vars=('ansible_winrm_cert_pem',), inherited=True,
                     env_vars=('HYPERV_CERT_PEM',)),
    ConnectionOption('cert_key_pem', 'path', no_log=False, psrp_vars=('ansible_psrp_certificate_key_pem',),
                     winrm_vars=('ansible_winrm_cert_key_pem',), inherited=True, env_vars=('HYPERV_CERT_KEY_PEM',)),
    ConnectionOption('connection_timeout', 'int', default=30, psrp_vars=('ansible_psrp_connection_timeout',),
                     winrm_vars=('ansible_winrm_connection_timeout',), inherited=True, bounds=(1, MAX_TIMEOUT_SECONDS)),
    ConnectionOption('operation_timeout', 'int', default=20, psrp_vars=('ansible_psrp_operation_timeout',),
                     winrm_vars=('ansible_winrm_operation_timeout_sec',), inherited=True, bounds=(1, MAX_TIMEOUT_SECONDS)),
    ConnectionOption('read_timeout', 'int', default=30, psrp_vars=('ansible_psrp_read_timeout',),
                     winrm_vars=('ansible_winrm_read_timeout_sec',), inherited=True, bounds=(1, MAX_TIMEOUT_SECONDS)),
    ConnectionOption('retries', 'int', default=3, inherited=True, bounds=(0, MAX_RETRIES)),
)
CONNECTION_OPTION_BY_KEY = dict((option.key, option) for option in CONNECTION_OPTIONS)


def set_env_fallback(*names: str) -> str:
    """The first of the environment variables ``names`` that holds a value; an empty one counts as not set.

    The lowest source of a connection option: below the task, module_defaults and the inventory vars the action plugin fills.
    AWX's custom credentials inject their env vars whether or not the input was given (an absent one renders empty), so an
    empty value must leave the option to its default rather than set it to ''.
    """
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    raise AnsibleFallbackNotFound


def _spec(option: ConnectionOption, with_defaults: bool) -> Dict[str, Any]:
    spec: Dict[str, Any] = {'type': option.type}
    if option.choices:
        spec['choices'] = list(option.choices)
    if option.no_log is not None:
        spec['no_log'] = option.no_log
    if with_defaults:
        if option.env_vars:
            spec['fallback'] = (set_env_fallback, list(option.env_vars))
        if option.required:
            spec['required'] = True
        if option.default is not None:
            spec['default'] = option.default
    return spec


# The module options (argument spec) of every host module, with their environment fallbacks.
CONNECTION_ARGUMENT_SPEC = dict((option.name, _spec(option, with_defaults=True)) for option in CONNECTION_OPTIONS)
# The keys of a peer's connection (destination_connection): no defaults, nothing required and no environment fallback, so
# that None means "not given" and inheritance (from the source's options, environment included) can tell it apart.
CONNECTION_SUBOPTIONS = dict((option.key, _spec(option, with_defaults=False)) for option in CONNECTION_OPTIONS)
CONNECTION_REQUIRED_TOGETHER = [['hyperv_cert_pem', 'hyperv_cert_key_pem']]
CONNECTION_REQUIRED_IF = [['hyperv_auth', 'certificate', ['hyperv_cert_pem', 'hyperv_cert_key_pem']]]

# The Python package that a transport needs for an authentication method, and the module that proves it is installed.
AUTH_LIBRARIES = {
    ('psrp', 'credssp'): ('requests_credssp', 'pypsrp[credssp]'),
    ('psrp', 'kerberos'): ('gssapi', 'pyspnego[kerberos]'),
    ('winrm', 'credssp'): ('requests_credssp', 'pywinrm[credssp]'),
    ('winrm', 'kerberos'): ('kerberos', 'pywinrm[kerberos]'),
}


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def kerberos_default_realm() -> Optional[str]:
    """The default realm of the controller's Kerberos configuration (krb5.conf or KRB5_CONFIG), None when there is none."""
    try:
        import krb5  # pylint: disable=import-outside-toplevel  # optional: only Kerberos needs it
        context = krb5.init_context()
        realm = krb5.get_default_realm(context)
        return realm.decode('utf-8') if isinstance(realm, bytes) else str(realm)
    except Exception:  # pylint: disable=broad-except  # ImportError, or krb5.Krb5Error "no default realm" and its kind
        pass
    for path in (os.environ.get('KRB5_CONFIG') or '/etc/krb5.conf').split(':'):
        try:
            with open(path, encoding='utf-8') as handle:
                for line in handle:
                    name, sep, value = line.partition('=')
                    if sep and name.strip() == 'default_realm' and value.strip():
                        return value.strip()
        except OSError:
            continue
    return None


class ConnectionOptions:
    """Where and how to reach a host. Built from the hyperv_* module options (see the connection doc fragment)."""

    def __init__(self, host: str, user: Optional[str] = None, password: Optional[str] = None, port: Optional[int] = None,
                 transport: str = 'psrp', auth: str = 'negotiate', protocol: Optional[str] = None, validate_certs: bool = True,
                 ca_cert: Optional[str] = None, cert_pem: Optional[str] = None, cert_key_pem: Optional[str] = None,
                 connection_timeout: int = 30, operation_timeout: int = 20, read_timeout: int = 30, retries: int = 3,
                 path: str = 'wsman') -> None:
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
        self.given_port = port
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
        self.given_read_timeout = read_timeout
        self.retries = retries
        self.path = path

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> 'ConnectionOptions':
        """From a module's params (the hyperv_* options); an option left out or None takes its documented default."""
        kwargs = {}
        for option in CONNECTION_OPTIONS:
            value = params.get(option.name)
            kwargs[option.key] = option.default if value is None else value
        return cls(**kwargs)

    @property
    def endpoint(self) -> str:
        return '%s://%s:%d/%s' % (self.protocol, self.host, self.port, self.path)

    def describe(self) -> str:
        return '%s over %s (%s auth)' % (self.endpoint, self.transport, self.auth)

    def problems(self, prefix: str = 'hyperv_') -> List[str]:
        """What keeps these options from working, found without connecting: each names the option and the host.

        prefix is how the options are named to the user: 'hyperv_' for the task's host, 'destination_connection.' for a peer.
        """
        found = []
        values = {'port': self.given_port, 'connection_timeout': self.connection_timeout, 'operation_timeout': self.operation_timeout,
                  'read_timeout': self.given_read_timeout, 'retries': self.retries}
        for key, value in values.items():
            bounds = CONNECTION_OPTION_BY_KEY[key].bounds
            if value is not None and bounds and not bounds[0] <= value <= bounds[1]:
                found.append('%s%s must be between %d and %d, got %d' % (prefix, key, bounds[0], bounds[1], value))
        for key in ('ca_cert', 'cert_pem', 'cert_key_pem'):
            path = getattr(self, key)
            if path and not (os.path.exists(path) if key == 'ca_cert' else os.path.isfile(path)):  # a CA may be a folder (c_rehash)
                found.append('%s%s: %s does not exist on the controller' % (prefix, key, path))
        library = AUTH_LIBRARIES.get((self.transport, self.auth))
        if library and not _importable(library[0]):
            found.append('%sauth=%s over %s needs the Python package %s on the controller (pip install "%s")'
                         % (prefix, self.auth, self.transport, library[1], library[1]))
        # pypsrp refuses basic without both (a bare ValueError), pywinrm every authentication but Kerberos and certificates.
        if self.auth == 'basic' or (self.transport == 'winrm' and self.auth not in ('kerberos', 'certificate')):
            missing = [key for key, value in (('user', self.user), ('password', self.password)) if not value]
            if missing:
                found.append('%sauth=%s over %s needs %s' % (prefix, self.auth, self.transport, ' and '.join(prefix + key for key in missing)))
        if self.auth == 'kerberos' and self.user and '@' not in self.user and kerberos_default_realm() is None:
            found.append('%sauth=kerberos for user %r: the controller has no Kerberos default realm (no default_realm in %s): give the user '
                         'as user@REALM or configure the realm' % (prefix, self.user, os.environ.get('KRB5_CONFIG') or '/etc/krb5.conf'))
        return ['%s (host %s)' % (problem, self.host) for problem in found]
