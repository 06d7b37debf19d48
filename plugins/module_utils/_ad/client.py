# -*- coding: utf-8 -*-
# Copyright (c) hyperv.mobility contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small Active Directory client over LDAP (ldap3) for the collection's controller-side modules.

- Transport: LDAPS (default) or StartTLS; plain LDAP only with Kerberos (never with a password).
- Bind: simple (UPN, DOMAIN\\user or DN) or Kerberos/GSSAPI (ticket cache, or a password to get one).
- Reads and writes the delegation attributes of computer accounts:
  msDS-AllowedToDelegateTo, the userAccountControl delegation bits, and the security descriptor in
  msDS-AllowedToActOnBehalfOfOtherIdentity (resource-based constrained delegation).
Every failure is raised as ADError with a message that names the server and the account.
"""

import ipaddress
import os
import re
import ssl
import struct
import sys
import traceback
from typing import Optional

try:
    import ldap3
    from ldap3.core import exceptions as ldap3_exceptions
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import parse_dn
except ImportError:
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR: Optional[str] = traceback.format_exc()
else:
    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR = None

from ansible.module_utils.basic import env_fallback


def _gssapi():
    """The gssapi package (ldap3's SASL GSSAPI needs it), None when it does not import. Imported only for ad_auth=kerberos:
    a module process with simple binds never pays for it."""
    try:
        import gssapi  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return gssapi


# userAccountControl bits (MS-ADTS 2.2.16)
UF_TRUSTED_FOR_DELEGATION = 0x80000          # unconstrained: this collection never sets it
UF_TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000  # "use any authentication protocol" (protocol transition)
UF_SERVER_TRUST_ACCOUNT = 0x2000             # the account of a domain controller
DOMAIN_CONTROLLERS_RID = 516                 # primaryGroupID of a writable DC's account (Domain Controllers, MS-ADTS 6.1.1.6)

ATTR_ALLOWED_TO_DELEGATE_TO = 'msDS-AllowedToDelegateTo'
ATTR_ALLOWED_TO_ACT = 'msDS-AllowedToActOnBehalfOfOtherIdentity'
# The single-valued attributes the collection writes: msDS-AllowedToActOnBehalfOfOtherIdentity ([MS-ADA2] 2.218, isSingleValued TRUE).
SINGLE_VALUED_ATTRIBUTES = frozenset([ATTR_ALLOWED_TO_ACT.lower()])
COMPUTER_ATTRIBUTES = ['distinguishedName', 'sAMAccountName', 'dNSHostName', 'objectSid', 'userAccountControl', 'primaryGroupID',
                       ATTR_ALLOWED_TO_DELEGATE_TO, ATTR_ALLOWED_TO_ACT]

# ansible-core argument spec shared by every module that talks to AD (documented in the doc fragment hyperv.mobility.ad).
AD_ARGUMENT_SPEC = dict(
    ad_server=dict(type='str', fallback=(env_fallback, ['HYPERV_AD_SERVER'])),
    ad_port=dict(type='int', fallback=(env_fallback, ['HYPERV_AD_PORT'])),
    ad_username=dict(type='str', fallback=(env_fallback, ['HYPERV_AD_USERNAME'])),
    ad_password=dict(type='str', no_log=True, fallback=(env_fallback, ['HYPERV_AD_PASSWORD'])),
    ad_auth=dict(type='str', default='simple', choices=['simple', 'kerberos'], fallback=(env_fallback, ['HYPERV_AD_AUTH'])),
    ad_tls=dict(type='str', default='ldaps', choices=['ldaps', 'starttls', 'none'], fallback=(env_fallback, ['HYPERV_AD_TLS'])),
    ad_ca_cert=dict(type='path', fallback=(env_fallback, ['HYPERV_AD_CA_CERT'])),
    ad_validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['HYPERV_AD_VALIDATE_CERTS'])),
)

# LDAP result codes we translate into advice.
LDAP_INVALID_CREDENTIALS = 49
LDAP_STRONGER_AUTH_REQUIRED = 8
LDAP_INSUFFICIENT_ACCESS = 50
LDAP_CONSTRAINT_VIOLATION = 19
# RFC 4511 4.6: a modify that adds a value already present, or deletes a value (or attribute) no longer there, fails whole
# with one of these. Between this task's read and its write, another writer (a concurrent run) changed the attribute.
LDAP_NO_SUCH_ATTRIBUTE = 16
LDAP_ATTRIBUTE_OR_VALUE_EXISTS = 20
# An add to a single-valued attribute that has a value already - another writer's, added since this task read none - leaves two
# values. [MS-ADTS] 3.1.1.5.1.1 (Enforce Schema Constraints, originating Add and Modify): values not compliant with isSingleValued
# fail with constraintViolation (RFC 4511 appendix A gives the same example for 19); Samba answers attributeOrValueExists (20)
# instead. constraintViolation has other causes too (rangeUpper, for one), so on such an add it means only "perhaps concurrent":
# the caller reads again and decides (ADConcurrentChange.certain is False).


class ADError(Exception):
    """A failure talking to AD, with a message meant for the playbook's user."""


def _is_server_address(text):
    """A DNS name (labels of letters, digits and hyphens) or an IPv4/IPv6 address: what ldap3 takes as a server's host (it
    reads a colon as the start of a port, and failed on anything else with a bare error)."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return len(text) <= 255 and all(DNS_LABEL.match(label) for label in text.rstrip('.').split('.'))


class ADConcurrentChange(ADError):
    """The server refused a modify because the values it adds are there already or those it deletes are gone (nothing changed):
    the attribute changed since it was read. Read it again and plan again.

    certain is False for a refusal that a concurrent change explains but other causes may too (constraintViolation of an add to a
    single-valued attribute): when the attribute read again is as it was, the refusal is the server's answer to this change."""

    def __init__(self, message, certain=True):
        super().__init__(message)
        self.certain = certain


def _adds_to_single_valued(changes):
    """Whether a modify adds a value to a single-valued attribute without deleting the value read (SINGLE_VALUED_ATTRIBUTES)."""
    return any(attribute.lower() in SINGLE_VALUED_ATTRIBUTES and operations and all(operation == ldap3.MODIFY_ADD for operation, _values in operations)
               for attribute, operations in changes.items())


# Computer names (Microsoft, "Naming conventions in Active Directory for computers, domains, sites, and OUs"): a NetBIOS
# name has 1 to 15 characters, none of \ / : * ? " < > |, does not start with a period and, for a domain member, is not
# all digits; a DNS host name has labels of letters, digits and hyphens (at most 63 each, 255 in all). Control
# characters are refused everywhere: no name holds one.
NETBIOS_DISALLOWED = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
DNS_LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


def computer_name_problem(identity):
    """Why identity is not a computer name (sAMAccountName, DNS host name or distinguished name), or None when it is one."""
    value = (identity or '').strip()
    if not value:
        return 'is empty'
    if re.search(r'[\x00-\x1f\x7f]', value):
        return 'holds a control character'
    if '=' in value:
        if HAS_LDAP3:
            try:
                parse_dn(value)
            except Exception:  # pylint: disable=broad-except  # ldap3 raises LDAPInvalidDnError and, for some inputs, others
                return 'is not a valid distinguished name'
        return None
    if '.' in value:
        labels = value.rstrip('.').split('.')
        if len(value) > 255 or not all(DNS_LABEL.match(label) for label in labels):
            return 'is not a DNS host name (labels of letters, digits and hyphens, at most 63 characters each)'
        return None
    name = value[:-1] if value.endswith('$') else value
    if not 1 <= len(name) <= 15 or NETBIOS_DISALLOWED.search(name) or name.isdigit():
        return 'is not a computer name (1 to 15 characters, none of \\ / : * ? " < > |, not only digits)'
    return None


# --------------------------------------------------------------------------------------------------
# Service principal names
# --------------------------------------------------------------------------------------------------
# service class / host [:port] [/service name]; the class may contain spaces
# ("Microsoft Virtual System Migration Service"), the host is a DNS name or an IPv4 address.
_SPN_PATTERN = re.compile(r'^(?P<service>[^/\s](?:[^/]*[^/\s])?)/(?P<host>[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)'
                          r'(?::(?P<port>[0-9]{1,5}))?(?:/(?P<name>[^/\s][^/]*))?$')


def validate_spn(value):
    """Return VALUE if it is a service principal name, else raise ADError explaining the expected form."""
    text = value if isinstance(value, str) else str(value)
    match = _SPN_PATTERN.match(text)
    problem = None
    if match is None:
        problem = 'expected service/host[:port][/name]'
    elif match.group('port') is not None and not 0 < int(match.group('port')) < 65536:
        problem = 'the port must be between 1 and 65535'
    elif match.group('service').lower() == 'krbtgt':
        # Delegating to the KDC's own service lets the account ask for tickets as anyone to anything: never what migration needs.
        raise ADError("'%s' names the Kerberos ticket-granting service (krbtgt): delegation to it is refused; delegate to the "
                      "services of the peers, e.g. cifs/hv02.corp.example.com" % text)
    if problem:
        raise ADError("'%s' is not a service principal name: %s, e.g. cifs/hv02.corp.example.com "
                      "or 'Microsoft Virtual System Migration Service/hv02'" % (text, problem))
    return text


def migration_spns(short_name, fqdn):
    """The four SPNs live migration needs for one peer, in the order Microsoft's procedure lists them."""
    return ['cifs/%s' % short_name, 'cifs/%s' % fqdn,
            'Microsoft Virtual System Migration Service/%s' % short_name,
            'Microsoft Virtual System Migration Service/%s' % fqdn]


# --------------------------------------------------------------------------------------------------
# SIDs and the security descriptor of msDS-AllowedToActOnBehalfOfOtherIdentity
# --------------------------------------------------------------------------------------------------
SID_BUILTIN_ADMINISTRATORS = 'S-1-5-32-544'
ACCESS_ALLOWED_ACE_TYPE = 0x00
# CCDCLCSWRPWPDTLOCRSDRCWDWO: what Set-ADComputer -PrincipalsAllowedToDelegateToAccount grants each principal.
RBCD_ACCESS_MASK = 0x000F01FF
SE_DACL_PRESENT = 0x0004
SE_SELF_RELATIVE = 0x8000
ACL_REVISION = 2


def sid_to_bytes(sid):
    """'S-1-5-21-...' -> the binary SID (MS-DTYP 2.4.2.2)."""
    parts = sid.upper().split('-')
    if len(parts) < 3 or parts[0] != 'S' or not all(p.isdigit() for p in parts[1:]):
        raise ADError("'%s' is not a SID" % sid)
    revision, authority, sub_authorities = int(parts[1]), int(parts[2]), [int(p) for p in parts[3:]]
    return (struct.pack('<BB', revision, len(sub_authorities)) + authority.to_bytes(6, 'big')
            + b''.join(struct.pack('<I', sub) for sub in sub_authorities))


def sid_from_bytes(data, offset=0):
    """Binary SID at OFFSET -> ('S-1-...', length in bytes)."""
    revision, count = struct.unpack_from('<BB', data, offset)
    authority = int.from_bytes(data[offset + 2:offset + 8], 'big')
    subs = struct.unpack_from('<%dI' % count, data, offset + 8)
    return 'S-%d-%d%s' % (revision, authority, ''.join('-%d' % s for s in subs)), 8 + 4 * count


class AccessControlEntry:
    """One ACE kept as parsed: only ACCESS_ALLOWED entries are interpreted, others are carried through unchanged."""

    def __init__(self, ace_type, flags, mask, sid, raw=None):
        self.ace_type = ace_type
        self.flags = flags
        self.mask = mask
        self.sid = sid
        self.raw = raw

    def to_bytes(self):
        if self.raw is not None:
            return self.raw
        sid = sid_to_bytes(self.sid)
        return struct.pack('<BBHI', self.ace_type, self.flags, 8 + len(sid), self.mask) + sid


class DelegationDescriptor:
    """Self-relative security descriptor as AD stores it in msDS-AllowedToActOnBehalfOfOtherIdentity.

    The principals allowed to delegate to the account are the SIDs of the DACL's ACCESS_ALLOWED entries.
    """

    def __init__(self, owner_sid=SID_BUILTIN_ADMINISTRATORS, group_sid=None, aces=None, stored=None):
        self.owner_sid = owner_sid
        self.group_sid = group_sid
        self.aces = list(aces or [])
        # The value exactly as read from AD (from_bytes), None for a descriptor built here: a write deletes this value, so the DC
        # refuses it (noSuchAttribute) when another writer replaced the descriptor since it was read.
        self.stored = stored

    @classmethod
    def for_principals(cls, sids):
        return cls(aces=[AccessControlEntry(ACCESS_ALLOWED_ACE_TYPE, 0, RBCD_ACCESS_MASK, sid) for sid in sids])

    @property
    def principal_sids(self):
        return [ace.sid for ace in self.aces if ace.ace_type == ACCESS_ALLOWED_ACE_TYPE and ace.sid]

    def with_principals(self, sids):
        """A copy whose allowed principals are exactly SIDS (other kinds of ACE are kept)."""
        wanted = [sid.upper() for sid in sids]
        kept = [ace for ace in self.aces if ace.ace_type != ACCESS_ALLOWED_ACE_TYPE or ace.sid.upper() in wanted]
        present = set(ace.sid.upper() for ace in kept if ace.ace_type == ACCESS_ALLOWED_ACE_TYPE)
        kept += [AccessControlEntry(ACCESS_ALLOWED_ACE_TYPE, 0, RBCD_ACCESS_MASK, sid) for sid in sids if sid.upper() not in present]
        return DelegationDescriptor(self.owner_sid, self.group_sid, kept)

    @classmethod
    def from_bytes(cls, data):
        try:
            revision, _sbz1, control, owner_off, group_off, _sacl_off, dacl_off = struct.unpack_from('<BBHIIII', data, 0)
            if revision != 1 or not control & SE_SELF_RELATIVE:
                raise ValueError('not a self-relative security descriptor (revision %d, control 0x%04x)' % (revision, control))
            owner = sid_from_bytes(data, owner_off)[0] if owner_off else None
            group = sid_from_bytes(data, group_off)[0] if group_off else None
            aces = []
            if control & SE_DACL_PRESENT and dacl_off:
                _rev, _sbz, _size, count, _sbz2 = struct.unpack_from('<BBHHH', data, dacl_off)
                offset = dacl_off + 8
                for _index in range(count):
                    ace_type, flags, size = struct.unpack_from('<BBH', data, offset)
                    raw = bytes(data[offset:offset + size])
                    if ace_type == ACCESS_ALLOWED_ACE_TYPE:
                        mask = struct.unpack_from('<I', data, offset + 4)[0]
                        aces.append(AccessControlEntry(ace_type, flags, mask, sid_from_bytes(data, offset + 8)[0]))
                    else:
                        aces.append(AccessControlEntry(ace_type, flags, None, None, raw=raw))
                    offset += size
        except (struct.error, ValueError, IndexError) as error:
            raise ADError('%s holds a security descriptor that cannot be parsed: %s' % (ATTR_ALLOWED_TO_ACT, error))
        return cls(owner, group, aces, stored=bytes(data))

    def to_bytes(self):
        ace_bytes = b''.join(ace.to_bytes() for ace in self.aces)
        dacl = struct.pack('<BBHHH', ACL_REVISION, 0, 8 + len(ace_bytes), len(self.aces), 0) + ace_bytes
        owner = sid_to_bytes(self.owner_sid) if self.owner_sid else b''
        group = sid_to_bytes(self.group_sid) if self.group_sid else b''
        header_size = 20
        owner_off = header_size if owner else 0
        group_off = header_size + len(owner) if group else 0
        dacl_off = header_size + len(owner) + len(group)
        header = struct.pack('<BBHIIII', 1, 0, SE_SELF_RELATIVE | SE_DACL_PRESENT, owner_off, group_off, 0, dacl_off)
        return header + owner + group + dacl


# --------------------------------------------------------------------------------------------------
# Connection options
# --------------------------------------------------------------------------------------------------
class ADConnectionOptions:
    """The ad_* options of a task, validated; explicit state, no I/O."""

    def __init__(self, server, port=None, username=None, password=None, auth='simple', tls='ldaps', ca_cert=None, validate_certs=True):
        self.server = server
        self.tls = tls or 'ldaps'
        self.port = port if port is not None else (636 if self.tls == 'ldaps' else 389)   # a given 0 is refused by problems(), not defaulted
        self.username = username
        self.password = password
        self.auth = auth or 'simple'
        self.ca_cert = ca_cert
        self.validate_certs = True if validate_certs is None else bool(validate_certs)

    @classmethod
    def from_params(cls, params):
        return cls(server=params.get('ad_server'), port=params.get('ad_port'), username=params.get('ad_username'),
                   password=params.get('ad_password'), auth=params.get('ad_auth'), tls=params.get('ad_tls'),
                   ca_cert=params.get('ad_ca_cert'), validate_certs=params.get('ad_validate_certs'))

    @property
    def endpoint(self):
        scheme = 'ldaps' if self.tls == 'ldaps' else 'ldap'
        return '%s://%s:%s' % (scheme, self.server, self.port)

    def problems(self):
        """What is wrong with the values themselves (bounds, files), found without connecting; each names the option."""
        found = []
        if self.port is not None and not 1 <= self.port <= 65535:
            found.append('ad_port must be between 1 and 65535, got %d (AD server %s)' % (self.port, self.server))
        if self.server and not _is_server_address(self.server):
            found.append("ad_server must be a domain controller's DNS name or IP address, got %r" % self.server)
        if self.ca_cert and not os.path.isfile(self.ca_cert):
            found.append('ad_ca_cert %s does not exist (AD server %s)' % (self.ca_cert, self.server))
        return found

    def validate(self):
        problems = self.problems()
        if problems:
            raise ADError('; '.join(problems))
        if not self.server:
            raise ADError('no AD server given: set ad_server (or the HYPERV_AD_SERVER environment variable)')
        if self.auth == 'simple':
            if self.tls == 'none':
                raise ADError('refusing to send a password over plain LDAP to %s: use ad_tls=ldaps (default) or starttls, '
                              'or ad_auth=kerberos' % self.endpoint)
            if not self.username or self.password is None:
                raise ADError('simple bind to %s needs ad_username and ad_password' % self.endpoint)
        if self.auth == 'kerberos' and self.password is not None and not self.username:
            raise ADError('ad_password was given for Kerberos without ad_username')
        return self


# --------------------------------------------------------------------------------------------------
# Computer accounts
# --------------------------------------------------------------------------------------------------
class ComputerAccount:
    """The delegation-relevant attributes of one computer object, as read from AD."""

    def __init__(self, dn, sam_account_name, dns_host_name, object_sid, user_account_control, allowed_to_delegate_to, allowed_to_act,
                 primary_group_id=None):
        self.dn = dn
        self.primary_group_id = primary_group_id
        self.sam_account_name = sam_account_name
        self.dns_host_name = dns_host_name
        self.object_sid = object_sid
        self.user_account_control = user_account_control
        self.allowed_to_delegate_to = list(allowed_to_delegate_to)
        self.allowed_to_act = allowed_to_act  # DelegationDescriptor or None
        self._service_keys = (None, frozenset())

    def delegated_service_keys(self):
        """The services of msDS-AllowedToDelegateTo lower-cased (AD compares them case-insensitively), built once per list:
        the mesh's preflight checks one account in each of its N − 1 directions, each against N·4 services."""
        services = self.allowed_to_delegate_to
        if self._service_keys[0] is not services:
            self._service_keys = (services, frozenset(service.lower() for service in services))
        return self._service_keys[1]

    @property
    def protocol_transition(self):
        return bool(self.user_account_control & UF_TRUSTED_TO_AUTH_FOR_DELEGATION)

    @property
    def unconstrained(self):
        return bool(self.user_account_control & UF_TRUSTED_FOR_DELEGATION)

    @property
    def domain_controller(self):
        """Whether the account is a domain controller's (SERVER_TRUST_ACCOUNT, or the Domain Controllers primary group)."""
        return bool(self.user_account_control & UF_SERVER_TRUST_ACCOUNT) or self.primary_group_id == DOMAIN_CONTROLLERS_RID

    @property
    def short_name(self):
        if self.dns_host_name:
            return self.dns_host_name.split('.')[0]
        return self.sam_account_name.rstrip('$').lower()

    @classmethod
    def from_entry(cls, entry):
        attributes = entry['attributes']
        raw = entry.get('raw_attributes', {})

        def single(name, default=None):
            value = attributes.get(name)
            if isinstance(value, list):
                return value[0] if value else default
            return default if value in (None, '') else value

        sid_raw = raw.get('objectSid') or [b'']
        sid = sid_from_bytes(sid_raw[0])[0] if sid_raw[0] else None
        act_raw = raw.get(ATTR_ALLOWED_TO_ACT) or []
        descriptor = DelegationDescriptor.from_bytes(act_raw[0]) if act_raw and act_raw[0] else None
        delegate_to = attributes.get(ATTR_ALLOWED_TO_DELEGATE_TO) or []
        if isinstance(delegate_to, str):
            delegate_to = [delegate_to]
        return cls(dn=entry['dn'], sam_account_name=single('sAMAccountName', ''), dns_host_name=single('dNSHostName'),
                   object_sid=sid, user_account_control=int(single('userAccountControl', 0)),
                   allowed_to_delegate_to=delegate_to, allowed_to_act=descriptor,
                   primary_group_id=int(single('primaryGroupID')) if single('primaryGroupID') is not None else None)


# --------------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------------
class ADClient:
    """One bound LDAP connection to a DC. Use as a context manager."""

    def __init__(self, options):
        self.options = options.validate()
        self.connection = None
        self.base_dn = None
        self._prefetched = {}  # lower-cased name -> the search entries prefetch() found for it

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    @property
    def who(self):
        return self.options.username or 'the Kerberos ticket cache (KRB5CCNAME)'

    def _tls(self):
        validate = ssl.CERT_REQUIRED if self.options.validate_certs else ssl.CERT_NONE
        return ldap3.Tls(validate=validate, ca_certs_file=self.options.ca_cert if self.options.validate_certs else None)

    def _kerberos_credentials(self):
        """sasl_credentials for ldap3: the ticket cache, or a TGT got from ad_username/ad_password (in memory)."""
        gssapi = _gssapi()
        if gssapi is None:
            raise ADError('ad_auth=kerberos needs the Python package gssapi on the controller (pip install gssapi)')
        if self.options.password is None:
            return None
        try:
            name = gssapi.Name(self.options.username, gssapi.NameType.user)
            acquired = gssapi.raw.acquire_cred_with_password(name, self.options.password.encode('utf-8'), usage='initiate')
        except gssapi.exceptions.GSSError as error:
            raise ADError('Kerberos: could not get a ticket for %s from the KDC of its realm: %s' % (self.options.username, error))
        return (None, None, acquired.creds)

    def connect(self):
        opts = self.options
        server = ldap3.Server(opts.server, port=opts.port, use_ssl=opts.tls == 'ldaps',
                              tls=self._tls() if opts.tls != 'none' else None, get_info=ldap3.NONE, connect_timeout=10)
        kwargs = dict(auto_bind=ldap3.AUTO_BIND_NONE, raise_exceptions=False, receive_timeout=30, read_only=False)
        if opts.auth == 'kerberos':
            kwargs.update(authentication=ldap3.SASL, sasl_mechanism=ldap3.KERBEROS)
            credentials = self._kerberos_credentials()
            if credentials:
                kwargs['sasl_credentials'] = credentials
        else:
            kwargs.update(authentication=ldap3.SIMPLE, user=opts.username, password=opts.password)
        self.connection = ldap3.Connection(server, **kwargs)
        try:
            self.connection.open()
            if opts.tls == 'starttls' and not self.connection.start_tls():
                raise ADError('StartTLS with %s failed: %s' % (opts.endpoint, self.connection.result))
            bound = self.connection.bind()
        except ADError:
            raise
        except Exception as error:  # pylint: disable=broad-except  # ldap3, ssl and gssapi raise many kinds
            raise self._translate_connect_error(error)
        if not bound:
            raise self._translate_bind_result(self.connection.result)
        self.base_dn = self._default_naming_context()

    def close(self):
        if self.connection is not None:
            try:
                self.connection.unbind()
            except Exception:  # pylint: disable=broad-except  # closing a broken connection must not hide the real error
                pass
            self.connection = None

    def _translate_connect_error(self, error):
        text = str(error)
        endpoint = self.options.endpoint
        if 'certificate' in text.lower() or isinstance(error, (ssl.SSLError, ldap3_exceptions.LDAPCertificateError)):
            return ADError('the TLS certificate of AD server %s could not be validated (%s). Give the issuing CA in ad_ca_cert, '
                           'or set ad_validate_certs=false in a lab' % (endpoint, _short(text)))
        gssapi_exceptions = sys.modules.get('gssapi.exceptions')  # only a process that imported gssapi can have a GSSError
        if gssapi_exceptions is not None and isinstance(error, gssapi_exceptions.GSSError):
            return ADError('Kerberos authentication to %s as %s failed: %s. Check the ticket (klist, KRB5CCNAME), '
                           'KRB5_CONFIG and that the server name has an ldap/ SPN' % (endpoint, self.who, _short(text)))
        if isinstance(error, ldap3_exceptions.LDAPPackageUnavailableError):
            return ADError('ad_auth=kerberos needs the Python package gssapi on the controller: %s' % text)
        if isinstance(error, (ldap3_exceptions.LDAPSocketOpenError, ldap3_exceptions.LDAPSocketReceiveError, OSError)):
            return ADError('cannot reach AD server %s: %s' % (endpoint, _short(text)))
        return ADError('LDAP error talking to %s as %s: %s: %s' % (endpoint, self.who, type(error).__name__, _short(text)))

    def _translate_bind_result(self, result):
        endpoint, code = self.options.endpoint, result.get('result')
        detail = '%s %s' % (result.get('description'), result.get('message') or '')
        if code == LDAP_INVALID_CREDENTIALS:
            return ADError('AD server %s rejected the credentials of %s (invalid credentials: wrong user name or password, '
                           'or the account is locked or disabled)' % (endpoint, self.who))
        if code == LDAP_STRONGER_AUTH_REQUIRED:
            return ADError('AD server %s requires a stronger binding (%s): use ad_tls=ldaps or starttls' % (endpoint, detail.strip()))
        return ADError('bind to AD server %s as %s failed: %s' % (endpoint, self.who, detail.strip()))

    def _default_naming_context(self):
        if not self.connection.search('', '(objectClass=*)', search_scope=ldap3.BASE, attributes=['defaultNamingContext']):
            raise ADError('cannot read the rootDSE of %s: %s' % (self.options.endpoint, self.connection.result.get('message')))
        value = self.connection.response[0]['attributes'].get('defaultNamingContext')
        return value[0] if isinstance(value, list) else value

    # ---- reading --------------------------------------------------------------------------------
    def _search(self, base, search_filter, scope):
        ok = self.connection.search(base, search_filter, search_scope=scope, attributes=COMPUTER_ATTRIBUTES)
        code = self.connection.result.get('result')
        if not ok and code not in (0, 32):  # 32 = noSuchObject (a DN that does not exist)
            raise ADError('searching %s on %s failed: %s %s' % (search_filter, self.options.endpoint,
                                                                self.connection.result.get('description'), self.connection.result.get('message')))
        return [entry for entry in (self.connection.response or []) if entry.get('type') == 'searchResEntry']

    def find_computer(self, identity):
        """The computer account named by sAMAccountName (with or without $), DNS host name or DN (from the one search of
        prefetch() when it read that name)."""
        identity = (identity or '').strip()
        if not identity:
            raise ADError('an empty computer name was given')
        if '=' in identity:
            entries = self._search(identity, '(objectClass=computer)', ldap3.BASE)
            what = 'distinguished name'
        elif '.' in identity:
            entries = self._prefetched.get(identity.lower())
            if entries is None:
                entries = self._search(self.base_dn, '(&(objectClass=computer)(dNSHostName=%s))' % escape_filter_chars(identity), ldap3.SUBTREE)
            what = 'DNS host name'
        else:
            entries = self._prefetched.get(identity.lower())
            if entries is None:
                entries = self._search(self.base_dn, '(&(objectClass=computer)(sAMAccountName=%s))' % escape_filter_chars(_sam(identity)), ldap3.SUBTREE)
            what = 'sAMAccountName'
        if not entries:
            raise ADError("computer account '%s' not found in AD (%s, by %s under %s)" % (identity, self.options.endpoint, what, self.base_dn))
        if len(entries) > 1:
            raise ADError("computer name '%s' is ambiguous in AD (%s): it matches %s; give the sAMAccountName or the DN"
                          % (identity, self.options.endpoint, ', '.join(sorted(e['dn'] for e in entries))))
        return ComputerAccount.from_entry(entries[0])

    def _computer_entries(self, names):
        """The entries of every computer account whose dNSHostName (a name with a dot) or sAMAccountName (a short name) is
        among `names`, in one search."""
        clauses = []
        for name in names:
            name = name.strip()
            if '.' in name:
                clauses.append('(dNSHostName=%s)' % escape_filter_chars(name))
            elif name:
                clauses.append('(sAMAccountName=%s)' % escape_filter_chars(_sam(name)))
        if not clauses:
            return []
        return self._search(self.base_dn, '(&(objectClass=computer)(|%s))' % ''.join(clauses), ldap3.SUBTREE)

    def find_computers(self, names):
        """Every computer account whose dNSHostName (a name with a dot) or sAMAccountName (a short name) is among `names`, in one
        search (the mesh reads all its hosts' accounts at once); the caller matches accounts to hosts."""
        return [ComputerAccount.from_entry(entry) for entry in self._computer_entries(names)]

    def prefetch(self, names):
        """Read the accounts of `names` (short names or DNS host names; DNs are read when asked) in one search: find_computer
        answers those names from it, as its own search would have (no match, one, or several). A task delegating many hosts
        reads every account and peer once instead of once per host and peer.

        The answers are the accounts as this search found them, also after a write to one of them: what a peer's lookup
        uses (its names and SID) is not what this collection writes. An account's state after a write is read by its DN,
        which always searches (kerberos_delegation reads back and re-plans that way)."""
        entries = self._computer_entries([name for name in names if '=' not in name])
        for name in names:
            name = name.strip()
            if not name or '=' in name:
                continue
            if '.' in name:
                found = [entry for entry in entries if _attribute(entry, 'dNSHostName').lower() == name.lower()]
            else:
                found = [entry for entry in entries if _attribute(entry, 'sAMAccountName').lower() == _sam(name).lower()]
            self._prefetched[name.lower()] = found

    def name_of_sid(self, sid):
        """sAMAccountName of the object with SID (or the SID itself when no object has it)."""
        self.connection.search(self.base_dn, '(objectSid=%s)' % escape_filter_chars(sid), attributes=['sAMAccountName'])
        for entry in self.connection.response or []:
            if entry.get('type') == 'searchResEntry':
                value = entry['attributes'].get('sAMAccountName')
                return value[0] if isinstance(value, list) else value
        return sid

    # ---- writing --------------------------------------------------------------------------------
    def modify(self, account, changes):
        """Apply CHANGES ({attribute: [(ldap3.MODIFY_*, values)]}) to ACCOUNT in one atomic LDAP modify."""
        if not changes:
            return
        if not self.connection.modify(account.dn, changes):
            result = self.connection.result
            detail = '%s %s' % (result.get('description'), result.get('message') or '')
            if result.get('result') in (LDAP_ATTRIBUTE_OR_VALUE_EXISTS, LDAP_NO_SUCH_ATTRIBUTE):
                raise ADConcurrentChange('%s of %s changed on %s since this task read it: %s'
                                         % (', '.join(sorted(changes)), account.dn, self.options.endpoint, detail.strip()))
            if result.get('result') == LDAP_CONSTRAINT_VIOLATION and _adds_to_single_valued(changes):
                raise ADConcurrentChange('%s of %s: %s refused to add a value to this single-valued attribute, which another writer\'s value '
                                         'added since this task read it would explain: %s'
                                         % (', '.join(sorted(changes)), account.dn, self.options.endpoint, detail.strip()), certain=False)
            if result.get('result') == LDAP_INSUFFICIENT_ACCESS:
                raise ADError('%s may not change %s on %s (insufficient access rights): %s'
                              % (self.who, ', '.join(sorted(changes)), self.options.endpoint, detail.strip()))
            raise ADError('AD server %s refused to change %s of %s: %s' % (self.options.endpoint, ', '.join(sorted(changes)), account.dn, detail.strip()))


def _sam(name):
    """The sAMAccountName of a computer's short name (with its trailing $)."""
    return name if name.endswith('$') else name + '$'


def _attribute(entry, name):
    """A single-valued attribute of a search entry as text ('' when absent)."""
    value = entry['attributes'].get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value or ''


def _short(text, limit=400):
    text = ' '.join(str(text).split())
    return text if len(text) <= limit else text[:limit] + '...'
