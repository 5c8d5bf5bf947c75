"""A local PKI for development and tests: a CA, certificates and an identity provider key.

``portfolio pki init --dir var/pki`` (``make certs``) writes:

- ``ca.pem``, ``ca-key.pem``: the CA that signs every certificate below (servers trust it
  for clients, clients for servers);
- ``services/<service>.pem``, ``-key.pem``: a server certificate per service, for
  127.0.0.1 and localhost;
- ``agencies/<slug>.pem``, ``-key.pem``: a client certificate per agency, ``O=<agency>``;
- ``idp/idp-key.pem``, ``idp/jwks.json``: the identity provider's RS256 signing key and
  its public JWKS.

In production the certificates come from the agencies' own PKI (e.g. Buypass/Commfides
enterprise certificates) and tokens from HelseID; nothing here is for production.
Keys are written readable by the owner only.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwt.algorithms import RSAAlgorithm

from backbone.security.policy import AGENCY_ROLES

SERVICES = ("intake", "assessment", "korona", "reporting")
DEFAULT_ISSUER = "https://helseid.eportfolio.test"
IDP_KEY_ID = "eportfolio-dev-1"

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def slug(name: str) -> str:
    """A file name for an agency: ``Helse Sør-Øst RHF`` -> ``helse-sor-ost-rhf``."""
    folded = name.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    ascii_only = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_only).split())


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, as PEM."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def write(self, cert_path: Path, key_path: Path) -> None:
        cert_path.parent.mkdir(parents=True, exist_ok=True)
        cert_path.write_bytes(self.cert_pem)
        _write_secret(key_path, self.key_pem)


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_ca(name: str = "eportfolio local CA", days: int = 365) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
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
        .sign(key, hashes.SHA256())
    )
    return Issued(cert, key)


def issue(
    ca: Issued,
    *,
    common_name: str,
    organisation: str = "",
    server: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    days: int = 365,
) -> Issued:
    """A leaf certificate signed by ``ca``: a server's (SAN 127.0.0.1 and localhost) or a
    client's (``O=organisation``)."""
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    start = not_before or _now() - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(not_after or start + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return Issued(builder.sign(ca.key, hashes.SHA256()), key)


def new_idp_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks(key: rsa.RSAPrivateKey, key_id: str = IDP_KEY_ID) -> dict[str, object]:
    """The public JWKS document of ``key`` (RS256)."""
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": key_id, "alg": "RS256", "use": "sig"})
    return {"keys": [jwk]}


@dataclass(frozen=True)
class Layout:
    """Where ``init`` put everything under ``root``."""

    root: Path

    @property
    def ca(self) -> Path:
        return self.root / "ca.pem"

    def service_cert(self, service: str) -> Path:
        return self.root / "services" / f"{service}.pem"

    def service_key(self, service: str) -> Path:
        return self.root / "services" / f"{service}-key.pem"

    def agency_cert(self, agency: str) -> Path:
        return self.root / "agencies" / f"{slug(agency)}.pem"

    def agency_key(self, agency: str) -> Path:
        return self.root / "agencies" / f"{slug(agency)}-key.pem"

    @property
    def idp_key(self) -> Path:
        return self.root / "idp" / "idp-key.pem"

    @property
    def jwks(self) -> Path:
        return self.root / "idp" / "jwks.json"


def init(
    root: str | Path,
    *,
    services: Iterable[str] = SERVICES,
    agencies: Iterable[str] = tuple(AGENCY_ROLES),
) -> Layout:
    """Write a fresh CA, service and agency certificates and an identity provider key."""
    layout = Layout(Path(root))
    ca = new_ca()
    ca.write(layout.ca, layout.root / "ca-key.pem")
    for service in services:
        issue(ca, common_name=service, server=True).write(
            layout.service_cert(service), layout.service_key(service)
        )
    for agency in agencies:
        issue(ca, common_name=slug(agency), organisation=agency).write(
            layout.agency_cert(agency), layout.agency_key(agency)
        )
    key = new_idp_key()
    _write_secret(
        layout.idp_key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    layout.jwks.write_text(json.dumps(jwks(key), indent=2) + "\n", encoding="utf-8")
    return layout
