"""A small read-only LDAP view of the lab's Active Directory domain (the Samba DC).

The lab's hosts "belong" to the domain: when ``Move-VM`` authenticates with Kerberos, the engine asks
this view for the computer accounts involved and checks their delegation the way the KDC would
(constrained delegation on the source, or resource-based delegation on the destination).

Every call opens a fresh LDAPS connection and reads the account anew. What a host *uses* is another matter: its SYSTEM
logon session (LUID 0x3e7) caches the computer account's Kerberos tickets (SystemTicketCache below), and Microsoft's
live-migration procedure says a delegation change applies only once it has replicated to the DCs *and* the DC issues a
new Kerberos ticket. So a move is checked against the account as read now and as the cached tickets carry it.

The lab must not import collection code, so the security-descriptor parser below is the lab's own.
"""

from __future__ import annotations

import datetime
import ssl
import struct
from dataclasses import dataclass, field

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

# userAccountControl bits that matter for delegation ([MS-ADTS] 2.2.16).
TRUSTED_FOR_DELEGATION = 0x80000
TRUSTED_TO_AUTH_FOR_DELEGATION = 0x1000000

_ATTRIBUTES = ['sAMAccountName', 'dNSHostName', 'objectSid', 'msDS-AllowedToDelegateTo', 'userAccountControl',
               'msDS-AllowedToActOnBehalfOfOtherIdentity', 'distinguishedName']

# ACE types ([MS-DTYP] 2.4.4.1) that grant or deny access to a trustee SID.
_ACCESS_ALLOWED = 0x00
_ACCESS_DENIED = 0x01
_ACCESS_ALLOWED_OBJECT = 0x05
_ACCESS_DENIED_OBJECT = 0x06
_OBJECT_TYPE_PRESENT = 0x1
_INHERITED_OBJECT_TYPE_PRESENT = 0x2
_SE_DACL_PRESENT = 0x0004


class DirectoryError(RuntimeError):
    """The domain controller could not be reached or refused the bind/search."""


def sid_to_string(data: bytes) -> str:
    """A binary SID ([MS-DTYP] 2.4.2.2) as S-1-5-21-...; raises ValueError when malformed."""
    if len(data) < 8:
        raise ValueError('SID shorter than its 8-byte header')
    revision, count = data[0], data[1]
    if len(data) < 8 + 4 * count:
        raise ValueError('SID shorter than its sub-authority count says')
    authority = int.from_bytes(data[2:8], 'big')
    subs = struct.unpack_from(f'<{count}I', data, 8)
    return f'S-{revision}-{authority}' + ''.join(f'-{sub}' for sub in subs)


def _sid_length(data: bytes, offset: int) -> int:
    return 8 + 4 * data[offset + 1]


@dataclass(frozen=True)
class DaclSummary:
    """The trustees of a DACL's access-allowed and access-denied ACEs (SID strings)."""

    allowed: tuple[str, ...]
    denied: tuple[str, ...]

    @property
    def effectively_allowed(self) -> tuple[str, ...]:
        """Allowed SIDs that no deny ACE names (the order-independent simplification the lab uses)."""
        return tuple(sid for sid in self.allowed if sid not in self.denied)


def parse_security_descriptor(data: bytes) -> DaclSummary:
    """Trustees of the DACL of a self-relative SECURITY_DESCRIPTOR ([MS-DTYP] 2.4.6).

    msDS-AllowedToActOnBehalfOfOtherIdentity holds such a descriptor; the KDC allows a service to
    delegate to the account when the service's SID is granted access by its DACL.
    Raises ValueError when the bytes are not a well-formed descriptor.
    """
    if len(data) < 20:
        raise ValueError('security descriptor shorter than its 20-byte header')
    _revision, _sbz1, control, _owner, _group, _sacl, dacl_offset = struct.unpack_from('<BBHIIII', data, 0)
    if not control & _SE_DACL_PRESENT or dacl_offset == 0:
        return DaclSummary((), ())
    if dacl_offset + 8 > len(data):
        raise ValueError('DACL offset beyond the end of the descriptor')
    _acl_revision, _sbz, acl_size, ace_count, _sbz2 = struct.unpack_from('<BBHHH', data, dacl_offset)
    end = min(dacl_offset + acl_size, len(data))
    allowed, denied = [], []
    position = dacl_offset + 8
    for _unused in range(ace_count):
        if position + 4 > end:
            raise ValueError('ACE header beyond the end of the DACL')
        ace_type, _flags, ace_size = struct.unpack_from('<BBH', data, position)
        if ace_size < 4 or position + ace_size > end:
            raise ValueError('ACE size out of bounds')
        sid = _ace_trustee(data, position, ace_type)
        if sid is not None:
            (allowed if ace_type in (_ACCESS_ALLOWED, _ACCESS_ALLOWED_OBJECT) else denied).append(sid)
        position += ace_size
    return DaclSummary(tuple(allowed), tuple(denied))


def _ace_trustee(data: bytes, position: int, ace_type: int) -> str | None:
    """The SID of an allow/deny ACE (plain or object ACE); None for ACE types that grant nothing."""
    body = position + 8                       # header (4) + access mask (4)
    if ace_type in (_ACCESS_ALLOWED_OBJECT, _ACCESS_DENIED_OBJECT):
        (flags,) = struct.unpack_from('<I', data, body)
        body += 4
        body += 16 if flags & _OBJECT_TYPE_PRESENT else 0
        body += 16 if flags & _INHERITED_OBJECT_TYPE_PRESENT else 0
    elif ace_type not in (_ACCESS_ALLOWED, _ACCESS_DENIED):
        return None
    return sid_to_string(data[body:body + _sid_length(data, body)])


@dataclass(frozen=True)
class ComputerAccount:
    """The delegation-relevant attributes of one computer account."""

    dn: str
    sam_account_name: str
    dns_host_name: str | None
    sid: str
    allowed_to_delegate_to: tuple[str, ...]
    user_account_control: int
    allowed_to_act_sids: tuple[str, ...]

    def delegates_to(self, spn: str) -> bool:
        """Classic constrained delegation to SPN (the KDC compares SPNs case-insensitively)."""
        return spn.lower() in (entry.lower() for entry in self.allowed_to_delegate_to)

    @property
    def protocol_transition(self) -> bool:
        """'Use any authentication protocol' (TRUSTED_TO_AUTH_FOR_DELEGATION)."""
        return bool(self.user_account_control & TRUSTED_TO_AUTH_FOR_DELEGATION)

    def allows_to_act(self, sid: str) -> bool:
        """Resource-based constrained delegation: may the account with SID delegate to this one?"""
        return sid in self.allowed_to_act_sids


# Default Domain Policy, Kerberos Policy: "Maximum lifetime for user ticket" (TGT) 10 hours, "Maximum lifetime for service
# ticket" 600 minutes. The lab's hosts keep the default.
TICKET_LIFETIME = datetime.timedelta(hours=10)


@dataclass
class SystemTicketCache:
    """The Kerberos tickets of a host's SYSTEM logon session (LUID 0x3e7), which the migration service authenticates with.

    The tickets carry the computer account as the KDC saw it when they were issued (``account``, at ``obtained_at`` on the
    lab clock, World.replication_clock). A domain-joined host holds them from boot (World.configure_directory fills the
    cache); they are issued anew when the cache is empty (after ``klist -li 0x3e7 purge``) or older than TICKET_LIFETIME.
    No source says which delegation changes a cached ticket hides (an added SPN, the protocol-transition bit, a removed
    one); the lab models the conservative case: a move needs the delegation both in the cached tickets and in AD now.
    Resource-based delegation lives on the destination's account and is read live.
    """

    account: ComputerAccount | None = None
    obtained_at: datetime.datetime | None = None
    purges: list = field(default_factory=list)      # lab clock (ISO) of every purge, for tests

    def fill(self, account: ComputerAccount, now: datetime.datetime) -> None:
        self.account, self.obtained_at = account, now

    def tickets_for(self, current: ComputerAccount, now: datetime.datetime) -> ComputerAccount:
        """The account as the tickets in use carry it: issued anew from ``current`` when none are cached or they expired."""
        if self.account is None or self.obtained_at is None or now >= self.obtained_at + TICKET_LIFETIME:
            self.fill(current, now)
        return self.account

    def purge(self, now: datetime.datetime) -> None:
        self.account, self.obtained_at = None, None
        self.purges.append(now.isoformat())

    def to_state(self) -> dict:
        return {'obtained_at': self.obtained_at.isoformat() if self.obtained_at else None,
                'delegates_to': list(self.account.allowed_to_delegate_to) if self.account else None,
                'protocol_transition': self.account.protocol_transition if self.account else None,
                'purges': list(self.purges)}


class Directory:
    """Read-only LDAPS access to the domain with a simple bind (the DC's admin credentials)."""

    def __init__(self, ldap_url: str, user: str, password: str, ca_path: str | None, timeout: float = 5.0):
        self.ldap_url = ldap_url
        self.user = user
        self.password = password
        self.ca_path = ca_path
        self.timeout = timeout

    def __repr__(self) -> str:
        return f'Directory({self.ldap_url!r}, user={self.user!r})'

    def _connect(self) -> ldap3.Connection:
        tls = ldap3.Tls(ca_certs_file=self.ca_path, validate=ssl.CERT_REQUIRED if self.ca_path else ssl.CERT_NONE)
        server = ldap3.Server(self.ldap_url, tls=tls, get_info=ldap3.NONE, connect_timeout=self.timeout)
        try:
            return ldap3.Connection(server, self.user, self.password, auto_bind=True, receive_timeout=max(1, round(self.timeout)),
                                    read_only=True, raise_exceptions=True)
        except LDAPException as error:
            raise DirectoryError(f'cannot bind to {self.ldap_url} as {self.user}: {error}') from error

    def computer(self, name: str) -> ComputerAccount | None:
        """The computer account for a host's short name (sAMAccountName NAME$), or None when missing."""
        short = name.split('.', 1)[0].rstrip('$')
        connection = self._connect()
        try:
            base_dn = self._default_naming_context(connection)
            connection.search(base_dn, f'(&(objectClass=computer)(sAMAccountName={escape_filter_chars(short)}$))',
                              attributes=_ATTRIBUTES)
            entries = [entry for entry in connection.response if entry.get('type') == 'searchResEntry']
        except LDAPException as error:
            raise DirectoryError(f'search for computer {short}$ on {self.ldap_url} failed: {error}') from error
        finally:
            connection.unbind()
        if not entries:
            return None
        return _computer_from_entry(entries[0])

    @staticmethod
    def _default_naming_context(connection: ldap3.Connection) -> str:
        connection.search('', '(objectClass=*)', search_scope=ldap3.BASE, attributes=['defaultNamingContext'])
        values = connection.response[0]['raw_attributes'].get('defaultNamingContext') or [b'']
        return values[0].decode('utf-8')


def _text_values(raw: dict, name: str) -> list[str]:
    return [value.decode('utf-8') for value in raw.get(name) or []]


def _computer_from_entry(entry: dict) -> ComputerAccount:
    raw = entry['raw_attributes']
    descriptor = (raw.get('msDS-AllowedToActOnBehalfOfOtherIdentity') or [b''])[0]
    dns = _text_values(raw, 'dNSHostName')
    return ComputerAccount(
        dn=entry['dn'],
        sam_account_name=_text_values(raw, 'sAMAccountName')[0],
        dns_host_name=dns[0] if dns else None,
        sid=sid_to_string(raw['objectSid'][0]),
        allowed_to_delegate_to=tuple(_text_values(raw, 'msDS-AllowedToDelegateTo')),
        user_account_control=int((_text_values(raw, 'userAccountControl') or ['0'])[0]),
        allowed_to_act_sids=parse_security_descriptor(descriptor).effectively_allowed if descriptor else (),
    )
