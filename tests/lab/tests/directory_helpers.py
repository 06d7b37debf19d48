"""Helpers of the lab's directory and Kerberos-migration tests: write delegation into the test DC the way an admin would, and
security descriptors built by hand. The DC itself is the ``lab_dc`` fixture (tests/lab/tests/conftest.py)."""

from __future__ import annotations

import ssl
import struct

import ldap3

from hvlab.samba import SambaDC

LAB_HOSTS = ('hv01', 'hv02', 'hv03')
DOMAIN = 'hvlab.test'


def admin_connection(dc: SambaDC) -> ldap3.Connection:
    """A writable LDAPS connection as the domain admin, to set delegation the way an admin would."""
    tls = ldap3.Tls(ca_certs_file=dc.ca_path, validate=ssl.CERT_REQUIRED)
    return ldap3.Connection(ldap3.Server(dc.ldap_url, tls=tls, get_info=ldap3.NONE), dc.admin_user, dc.admin_password,
                            auto_bind=True, raise_exceptions=True)


def computer_dn(dc: SambaDC, name: str) -> str:
    return f'CN={name.upper()},CN=Computers,{dc.base_dn}'


def set_attribute(dc: SambaDC, name: str, attribute: str, values: list) -> None:
    """Replace (or clear, with []) one attribute of a computer account."""
    connection = admin_connection(dc)
    try:
        connection.modify(computer_dn(dc, name), {attribute: [(ldap3.MODIFY_REPLACE, values)]})
    finally:
        connection.unbind()


def reset_delegation(dc: SambaDC) -> None:
    """Every lab host back to 'no delegation' (WORKSTATION_TRUST_ACCOUNT only)."""
    for name in LAB_HOSTS:
        set_attribute(dc, name, 'msDS-AllowedToDelegateTo', [])
        set_attribute(dc, name, 'msDS-AllowedToActOnBehalfOfOtherIdentity', [])
        set_attribute(dc, name, 'userAccountControl', ['4096'])


# ---- security descriptors, built by hand ([MS-DTYP] 2.4.6) so the parser is checked against known bytes ----
def sid_bytes(sid: str) -> bytes:
    parts = sid.split('-')
    subs = [int(part) for part in parts[3:]]
    return struct.pack('<BB', int(parts[1]), len(subs)) + int(parts[2]).to_bytes(6, 'big') + struct.pack(f'<{len(subs)}I', *subs)


def ace(ace_type: int, sid: str, mask: int = 0xF01FF, object_type: bytes | None = None) -> bytes:
    """One ACE: 0 allowed, 1 denied, 5 allowed-object, 6 denied-object."""
    body = struct.pack('<I', mask)
    if ace_type in (5, 6):
        body += struct.pack('<I', 1 if object_type else 0) + (object_type or b'')
    body += sid_bytes(sid)
    return struct.pack('<BBH', ace_type, 0, 4 + len(body)) + body


def security_descriptor(aces: list[bytes], owner: str = 'S-1-5-32-544') -> bytes:
    """Self-relative descriptor: header, owner SID, DACL (what ADUC / Set-ADComputer write for RBCD)."""
    owner_bytes = sid_bytes(owner)
    body = b''.join(aces)
    dacl = struct.pack('<BBHHH', 4, 0, 8 + len(body), len(aces), 0) + body
    header = struct.pack('<BBHIIII', 1, 0, 0x8004, 20, 0, 0, 20 + len(owner_bytes))
    return header + owner_bytes + dacl
