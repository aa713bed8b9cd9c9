"""The lab's certificate authority and its HTTPS server certificate."""

from __future__ import annotations

import datetime as dt
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .home import LabHome, write_private

_KEY_SIZE = 2048


def ensure_pki(home: LabHome) -> None:
    """Create the CA and a server certificate for 127.0.0.1/localhost unless both exist."""
    if not (home.ca_cert.exists() and home.ca_key.exists()):
        _make_ca(home)
    if not (home.server_cert.exists() and home.server_key.exists()):
        _make_server_cert(home)


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """Parse an unencrypted PEM RSA private key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("expected an RSA private key")
    return key


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA key of the lab's size."""
    return rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)


def private_key_pem(key: rsa.RSAPrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _make_ca(home: LabHome) -> None:
    key = new_rsa_key()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "podid lab"),
            x509.NameAttribute(NameOID.COMMON_NAME, "podid lab local CA"),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(days=1))
        .not_valid_after(_now() + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(home.ca_key, private_key_pem(key))
    write_private(home.ca_cert, cert.public_bytes(serialization.Encoding.PEM))
    # A new CA invalidates any server certificate signed by an old one.
    home.server_cert.unlink(missing_ok=True)


def _make_server_cert(home: LabHome) -> None:
    ca_key = load_private_key(home.ca_key.read_bytes())
    ca_cert = x509.load_pem_x509_certificate(home.ca_cert.read_bytes())
    key = new_rsa_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - dt.timedelta(days=1))
        .not_valid_after(_now() + dt.timedelta(days=825))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_private(home.server_key, private_key_pem(key))
    write_private(home.server_cert, cert.public_bytes(serialization.Encoding.PEM))
