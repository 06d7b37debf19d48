"""The lab's own PKI: one CA and one server certificate for every simulated host.

A real estate gives each WinRM HTTPS listener a certificate whose SANs name the host; the lab
issues one certificate carrying the SANs of every host (address, short name, FQDN), which is
enough for a client that validates the chain and the name against the lab CA.
"""

import datetime
import ipaddress
import os
import typing

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


class LabPki(typing.NamedTuple):
    """Paths of the lab CA certificate and of the listeners' certificate and key (PEM)."""

    ca_path: str
    cert_path: str
    key_path: str


def _host_names(host: typing.Any) -> typing.Tuple[str, str, str]:
    """(address, short name, fqdn) of a SimHost-like object or a dict with those keys."""
    if isinstance(host, dict):
        return host['address'], host['name'], host.get('fqdn') or host['name']
    return host.address, host.name, getattr(host, 'fqdn', None) or host.name


def _subject_alternative_names(hosts: typing.Iterable[typing.Any]) -> x509.SubjectAlternativeName:
    names: typing.List[x509.GeneralName] = []
    seen = set()
    for host in hosts:
        address, name, fqdn = _host_names(host)
        for entry in (name, fqdn):
            if entry.lower() not in seen:
                seen.add(entry.lower())
                names.append(x509.DNSName(entry))
        if address not in seen:
            seen.add(address)
            names.append(x509.IPAddress(ipaddress.ip_address(address)))
    return x509.SubjectAlternativeName(names)


def _write(path: str, data: bytes, private: bool = False) -> None:
    with open(path, 'wb') as handle:
        handle.write(data)
    if private:
        os.chmod(path, 0o600)


def make_lab_pki(state_dir: str, hosts: typing.Iterable[typing.Any]) -> LabPki:
    """Create ``ca.pem``, ``server.pem`` and ``server.key`` in state_dir and return their paths.

    hosts: SimHost objects (``.address``, ``.name``, ``.fqdn``) or dicts with the same keys.
    """
    os.makedirs(state_dir, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    not_before = now - datetime.timedelta(days=1)
    not_after = now + datetime.timedelta(days=365)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'hvlab'),
                         x509.NameAttribute(NameOID.COMMON_NAME, 'hvlab test CA')])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'hvlab WinRM listeners')]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(_subject_alternative_names(hosts), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    pki = LabPki(ca_path=os.path.join(state_dir, 'ca.pem'),
                 cert_path=os.path.join(state_dir, 'server.pem'),
                 key_path=os.path.join(state_dir, 'server.key'))
    _write(pki.ca_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(pki.cert_path, server_cert.public_bytes(serialization.Encoding.PEM))
    _write(pki.key_path, server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()), private=True)
    return pki
