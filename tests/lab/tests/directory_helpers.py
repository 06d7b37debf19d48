"""A real Samba AD DC for the lab's directory and Kerberos-migration tests, shared by the test modules.

The DC is provisioned once per test process (about 20 s) on a loopback address of its own, so it runs
next to a DC another suite (or ``make lab-up DC=1``) keeps on 127.0.0.1. hvlab.samba provisions with
``interfaces = lo`` and Samba's global pid file; both are pointed at this DC's own address and folder
here (a change to hvlab.samba itself is suggested to the AD owner). The DC is stopped at exit.
"""

from __future__ import annotations

import atexit
import re
import shutil
import socket
import ssl
import struct
import tempfile
from pathlib import Path

import ldap3
import pytest

from hvlab.samba import LDAPS_PORT, SambaDC

LAB_HOSTS = ('hv01', 'hv02', 'hv03')
DOMAIN = 'hvlab.test'
_CANDIDATE_ADDRESSES = ('127.0.31.1', '127.0.31.2', '127.0.31.3', '127.0.31.4')
_SHARED: dict[str, SambaDC | Exception] = {}


def _free(address: str) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.3)
        return probe.connect_ex((address, LDAPS_PORT)) != 0


def _confine_to_own_address(dc: SambaDC) -> None:
    """Bind only dc.address and keep the pid file in the DC's folder (two DCs may run side by side)."""
    run_dir = dc.dir / 'run'
    run_dir.mkdir(exist_ok=True)
    conf = dc.smb_conf.read_text()
    conf = re.sub(r'(?m)^(\s*interfaces\s*=).*$', rf'\g<1> {dc.address}/8', conf)
    conf = conf.replace('[global]\n', f'[global]\n\tpid directory = {run_dir}\n', 1)
    dc.smb_conf.write_text(conf)


def _start_shared_dc() -> SambaDC:
    address = next((candidate for candidate in _CANDIDATE_ADDRESSES if _free(candidate)), None)
    if address is None:
        raise RuntimeError(f'no free loopback address for the test DC among {_CANDIDATE_ADDRESSES}')
    state_dir = Path(tempfile.mkdtemp(prefix='hvlab-directory-dc-'))
    dc = SambaDC(state_dir, address=address)

    def cleanup() -> None:
        dc.stop()
        shutil.rmtree(state_dir, ignore_errors=True)

    atexit.register(cleanup)
    dc.provision()
    _confine_to_own_address(dc)
    for name in LAB_HOSTS:
        dc.add_computer(name, f'{name}.{DOMAIN}')
    dc.start()
    return dc


@pytest.fixture(name='lab_dc')
def lab_dc_fixture() -> SambaDC:
    """The process-wide test DC with computer accounts HV01$..HV03$ (no delegation)."""
    if 'dc' not in _SHARED:
        try:
            _SHARED['dc'] = _start_shared_dc()
        except Exception as error:  # pylint: disable=broad-exception-caught  # remembered: one failed provisioning, not one per test
            _SHARED['dc'] = error
    if isinstance(_SHARED['dc'], Exception):
        raise RuntimeError(f'the test DC could not be started: {_SHARED["dc"]}') from _SHARED['dc']
    return _SHARED['dc']


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
