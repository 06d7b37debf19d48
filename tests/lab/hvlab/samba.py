"""A real Samba Active Directory domain controller for the lab, served on loopback only.

The DC is provisioned into ``<state_dir>/samba`` (a few seconds), started as one foreground ``samba``
process in its own session and stopped by its pid. Its state (admin password, pid) is written to
``<state_dir>/samba/dc.json`` so another process (``python -m hvlab down``, a test) can stop it.

Two deliberate deviations from Samba's out-of-the-box set-up, both to behave like a Windows DC
reached over LDAPS:
- the TLS certificate is issued by our own small CA with the DC's FQDN, short name *and* loopback
  address as subjectAltNames, so clients can validate it when they connect to ``127.0.0.1``
  (there is no DNS in the lab). Samba's self-generated certificate only names ``DC01.hvlab.test``;
- ``ldap server require strong auth = allow_sasl_over_tls``: Windows accepts a GSSAPI bind over
  LDAPS, Samba 4.17 by default does not (ldap3 cannot sign or seal). Simple binds over plain LDAP
  stay refused, as on a hardened Windows DC.
- the schema entry of msDS-AllowedToActOnBehalfOfOtherIdentity is made writable as on Windows Server 2012+
  (Samba 4.17 marks it systemOnly, which refuses resource-based delegation written over LDAP).
An SPN ``ldap/127.0.0.1`` is added to the DC account so Kerberos clients that connect by address get
a service ticket, like Windows clients do when IP-address SPNs are registered.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import secrets
import signal
import socket
import string
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

LDAP_PORT = 389
LDAPS_PORT = 636
KDC_PORT = 88
WORKSTATION_TRUST_ACCOUNT = 0x1000


class SambaError(RuntimeError):
    """A samba-tool call or the DC process failed; the message carries the command's output."""


def _random_password() -> str:
    """A password that satisfies AD's default complexity rules (3 of 4 character classes, length >= 7)."""
    alphabet = string.ascii_letters + string.digits
    return 'Hv' + ''.join(secrets.choice(alphabet) for _unused in range(18)) + '!7a'


def _port_answers(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


class SambaDC:
    """Provision, start, stop and populate a Samba AD DC on loopback."""

    def __init__(self, state_dir, realm: str = 'HVLAB.TEST', domain: str = 'HVLAB', host_name: str = 'dc01', address: str = '127.0.0.1'):
        if not ipaddress.ip_address(address).is_loopback:
            raise ValueError(f'the lab DC may only listen on loopback, not {address}')
        self.realm = realm.upper()
        self.domain = domain.upper()
        self.dns_domain = realm.lower()
        self.host_name = host_name.lower()
        self.fqdn = f'{self.host_name}.{self.dns_domain}'
        self.address = address
        self.dir = Path(state_dir).resolve() / 'samba'
        self.base_dn = ','.join(f'DC={part}' for part in self.dns_domain.split('.'))
        self.admin_user = f'Administrator@{self.realm}'
        self.admin_password: str | None = None
        self.pid: int | None = None
        self._process: subprocess.Popen | None = None
        self._load_state()

    # ---- paths and connection facts -------------------------------------------------------------
    @property
    def smb_conf(self) -> Path:
        return self.dir / 'etc' / 'smb.conf'

    @property
    def sam_ldb(self) -> Path:
        return self.dir / 'private' / 'sam.ldb'

    @property
    def ca_path(self) -> str:
        return str(self.dir / 'private' / 'tls' / 'ca.pem')

    @property
    def krb5_conf(self) -> str:
        return str(self.dir / 'krb5.conf')

    @property
    def ldap_url(self) -> str:
        return f'ldaps://{self.address}:{LDAPS_PORT}'

    @property
    def log_path(self) -> Path:
        return self.dir / 'samba.log'

    @property
    def _state_file(self) -> Path:
        return self.dir / 'dc.json'

    def _load_state(self) -> None:
        if self._state_file.exists():
            state = json.loads(self._state_file.read_text())
            self.admin_password = state.get('admin_password')
            self.pid = state.get('pid')

    def _save_state(self) -> None:
        state = {'realm': self.realm, 'domain': self.domain, 'fqdn': self.fqdn, 'address': self.address,
                 'admin_user': self.admin_user, 'admin_password': self.admin_password, 'pid': self.pid,
                 'ldap_url': self.ldap_url, 'ca_path': self.ca_path, 'krb5_conf': self.krb5_conf}
        self._state_file.write_text(json.dumps(state, indent=2))
        os.chmod(self._state_file, 0o600)

    @property
    def provisioned(self) -> bool:
        return self.sam_ldb.exists() and self.admin_password is not None

    # ---- lifecycle ------------------------------------------------------------------------------
    def provision(self) -> None:
        """Create a fresh domain in the state folder (replaces nothing: refuses an existing one)."""
        if self.sam_ldb.exists():
            raise SambaError(f'{self.dir} already holds a provisioned domain')
        self.dir.mkdir(parents=True, exist_ok=True)
        self.admin_password = _random_password()
        run_dir = self.dir / 'run'
        run_dir.mkdir(parents=True, exist_ok=True)
        options = {
            # Only this DC's own loopback address and pid folder, so several DCs (a lab, a test run) can run side by side.
            'interfaces': f'{self.address}/8',
            'bind interfaces only': 'yes',
            'pid directory': str(run_dir),
            'ldap server require strong auth': 'allow_sasl_over_tls',
            # Only what the lab needs: LDAP(S), CLDAP, KDC (+kpasswd), RPC for samba-tool over the wire.
            'server services': 'ldap cldap kdc rpc',
            'log file': str(self.dir / 'log.%m'),
        }
        command = ['samba-tool', 'domain', 'provision', f'--realm={self.realm}', f'--domain={self.domain}',
                   '--server-role=dc', '--dns-backend=NONE', f'--host-name={self.host_name}',
                   f'--targetdir={self.dir}', f'--adminpass={self.admin_password}']
        command += [f'--option={name}={value}' for name, value in options.items()]
        self._run(command)
        self._write_tls_material()
        self._write_krb5_conf()
        # Kerberos clients that reach the DC by address ask for ldap/<address>.
        self._run(['samba-tool', 'spn', 'add', f'ldap/{self.address}', f'{self.host_name.upper()}$', *self._local_db_args()])
        self._align_schema_with_windows()
        self._save_state()

    def _align_schema_with_windows(self) -> None:
        """Samba 4.17 ships msDS-AllowedToActOnBehalfOfOtherIdentity as systemOnly; Windows Server 2012+ does not.

        On Windows an administrator writes it over LDAP (Set-ADComputer -PrincipalsAllowedToDelegateToAccount);
        the lab must accept the same write, so the attribute's schema entry gets Windows' value.
        """
        ldif = (f'dn: CN=ms-DS-Allowed-To-Act-On-Behalf-Of-Other-Identity,CN=Schema,CN=Configuration,{self.base_dn}\n'
                'changetype: modify\nreplace: systemOnly\nsystemOnly: FALSE\n-\n')
        self._run(['ldbmodify', '-H', str(self.sam_ldb), '--option=dsdb:schema update allowed=true', '--controls=relax:0'], stdin=ldif)

    def start(self, timeout: float = 60.0) -> None:
        """Start samba in the background; return once LDAPS and the KDC answer."""
        if not self.provisioned:
            raise SambaError(f'no provisioned domain in {self.dir}; call provision() first')
        if self.running():
            return
        for port in (LDAPS_PORT, KDC_PORT):
            if _port_answers(self.address, port):
                raise SambaError(f'{self.address}:{port} is already in use: another DC (or lab) is running')
        log = self.log_path.open('ab')
        self._process = subprocess.Popen(  # pylint: disable=consider-using-with  # lives as long as the DC
            ['samba', '-i', '-M', 'single', '-s', str(self.smb_conf)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.pid = self._process.pid
        self._save_state()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SambaError(f'samba exited with {self._process.returncode}; see {self.log_path}:\n{self._log_tail()}')
            if _port_answers(self.address, LDAPS_PORT) and _port_answers(self.address, KDC_PORT):
                return
            time.sleep(0.2)
        self.stop()
        raise SambaError(f'samba did not answer on {self.address}:{LDAPS_PORT} and :{KDC_PORT} within {timeout:.0f}s; see {self.log_path}')

    def running(self) -> bool:
        if self.pid is None:
            return False
        if self._process is not None:
            return self._process.poll() is None
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return self._pid_is_samba(self.pid)

    @staticmethod
    def _pid_is_samba(pid: int) -> bool:
        # A stale pid file must never make us signal an unrelated process.
        try:
            return Path(f'/proc/{pid}/comm').read_text().strip() == 'samba'
        except OSError:
            return False

    def stop(self, timeout: float = 15.0) -> None:
        """Stop the samba process this DC started (by its pid, the whole process group)."""
        if not self.running():
            self.pid = None
            self._process = None
            if self._state_file.exists():
                self._save_state()
            return
        pid = self.pid
        try:
            os.killpg(pid, signal.SIGTERM)  # start_new_session: the group id is samba's pid
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running():
            if self._process is not None:
                try:
                    self._process.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    pass
            else:
                time.sleep(0.2)
        if self.running():
            os.killpg(pid, signal.SIGKILL)
            if self._process is not None:
                self._process.wait(timeout=5)
        self.pid = None
        self._process = None
        self._save_state()

    # ---- directory content ------------------------------------------------------------------------
    def add_computer(self, name: str, dns_host_name: str) -> str:
        """Create an enabled computer account NAME$ with its dNSHostName and HOST/ SPNs; return its DN.

        Written straight into sam.ldb (works whether or not the DC runs), as a domain join would leave it.
        """
        short = name.upper().rstrip('$')
        command = ['samba-tool', 'computer', 'create', short, *self._local_db_args(),
                   f'--service-principal-name=HOST/{short.lower()}', f'--service-principal-name=HOST/{dns_host_name.lower()}']
        self._run(command)
        dn = f'CN={short},CN=Computers,{self.base_dn}'
        ldif = (f'dn: {dn}\nchangetype: modify\nreplace: dNSHostName\ndNSHostName: {dns_host_name.lower()}\n-\n'
                f'replace: userAccountControl\nuserAccountControl: {WORKSTATION_TRUST_ACCOUNT}\n-\n')
        self._run(['ldbmodify', '-H', str(self.sam_ldb)], stdin=ldif)
        return dn

    def delegation_show(self, account: str) -> str:
        """`samba-tool delegation show` read from sam.ldb: the independent view tests verify against."""
        return self._run(['samba-tool', 'delegation', 'show', account, *self._local_db_args()])

    def kinit(self, ccache: str, principal: str | None = None, password: str | None = None) -> dict:
        """Get a TGT into CCACHE with the generated krb5.conf; return the environment to use it."""
        env = self.kerberos_env(ccache)
        self._run(['kinit', principal or self.admin_user], stdin=(password or self.admin_password) + '\n', env={**os.environ, **env})
        return env

    def kerberos_env(self, ccache: str) -> dict:
        return {'KRB5_CONFIG': self.krb5_conf, 'KRB5CCNAME': f'FILE:{ccache}'}

    # ---- helpers ---------------------------------------------------------------------------------
    def _local_db_args(self) -> list[str]:
        return ['-H', str(self.sam_ldb), '-s', str(self.smb_conf)]

    def _run(self, command: list[str], stdin: str | None = None, env: dict | None = None) -> str:
        result = subprocess.run(command, input=stdin, capture_output=True, text=True, env=env, timeout=120, check=False)
        if result.returncode != 0:
            shown = [part if not part.startswith('--adminpass=') else '--adminpass=***' for part in command]
            raise SambaError(f'{" ".join(shown)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}')
        return result.stdout

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return '\n'.join(self.log_path.read_text(errors='replace').splitlines()[-lines:])
        except OSError:
            return ''

    def _write_krb5_conf(self) -> None:
        # rdns/canonicalisation off: the lab has no DNS, clients use the name (or address) they were given.
        text = f"""[libdefaults]
    default_realm = {self.realm}
    dns_lookup_realm = false
    dns_lookup_kdc = false
    rdns = false
    dns_canonicalize_hostname = false
    udp_preference_limit = 0

[realms]
    {self.realm} = {{
        kdc = {self.address}:{KDC_PORT}
        admin_server = {self.address}
    }}

[domain_realm]
    {self.address} = {self.realm}
    .{self.dns_domain} = {self.realm}
    {self.dns_domain} = {self.realm}
"""
        Path(self.krb5_conf).write_text(text)

    def _write_tls_material(self) -> None:
        """CA + server certificate at Samba's default paths (private/tls/{ca,cert,key}.pem)."""
        tls_dir = self.dir / 'private' / 'tls'
        tls_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.timezone.utc)
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'hvlab'),
                             x509.NameAttribute(NameOID.COMMON_NAME, f'hvlab Samba DC CA {self.realm}')])
        ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=365))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                                key_encipherment=False, data_encipherment=False, key_agreement=False,
                                                encipher_only=False, decipher_only=False), critical=True)
                   .sign(ca_key, hashes.SHA256()))
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        sans = [x509.DNSName(self.fqdn), x509.DNSName(self.host_name), x509.IPAddress(ipaddress.ip_address(self.address))]
        cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.fqdn)]))
                .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=365))
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        pem = serialization.Encoding.PEM
        (tls_dir / 'ca.pem').write_bytes(ca_cert.public_bytes(pem))
        (tls_dir / 'cert.pem').write_bytes(cert.public_bytes(pem))
        key_path = tls_dir / 'key.pem'
        key_path.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()))
        os.chmod(key_path, 0o600)  # samba refuses a key file others can read
