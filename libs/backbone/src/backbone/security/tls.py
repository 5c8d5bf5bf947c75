"""Mutual TLS: the server's certificate, and the client certificate that names the agency.

The server asks every client for a certificate signed by the configured client CA
(``require_client_auth=True``): a client without one, or with one from another CA or out
of its validity period, is refused in the handshake, before any RPC exists. The agency is
the certificate subject's organisation (``O=``), read from the verified peer certificate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.x509.oid import NameOID


def server_credentials(
    cert_file: str, key_file: str, client_ca_file: str
) -> grpc.ServerCredentials:
    """Credentials that present ``cert_file`` and demand a client certificate from
    ``client_ca_file``'s CA."""
    return grpc.ssl_server_credentials(
        [(Path(key_file).read_bytes(), Path(cert_file).read_bytes())],
        root_certificates=Path(client_ca_file).read_bytes(),
        require_client_auth=True,
    )


def channel_credentials(
    ca_file: str, cert_file: str = "", key_file: str = ""
) -> grpc.ChannelCredentials:
    """A client's credentials: trust ``ca_file``; present ``cert_file`` when given."""
    return grpc.ssl_channel_credentials(
        root_certificates=Path(ca_file).read_bytes(),
        private_key=Path(key_file).read_bytes() if key_file else None,
        certificate_chain=Path(cert_file).read_bytes() if cert_file else None,
    )


def organisation(cert: x509.Certificate) -> str:
    """The subject's organisation (``O=``), or "" when it names none."""
    names = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    value = names[0].value if names else ""
    return value.decode() if isinstance(value, bytes) else str(value)


def peer_agency(context: Any) -> str | None:
    """The agency of the call's verified client certificate; None on a plaintext
    connection (no certificate was asked for)."""
    auth = context.auth_context() or {}
    pem = auth.get("x509_pem_cert")
    if not pem:
        return None
    return organisation(x509.load_pem_x509_certificate(pem[0]))
