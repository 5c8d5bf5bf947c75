"""``portfolio pki``: a local CA, certificates and a token issuer for development."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from backbone.security import pki
from backbone.security.policy import AGENCY_ROLES, OFFICE_AGENCY

app = typer.Typer(help="Certificates and token keys for mutual TLS in development.")

DirOption = Annotated[
    Path, typer.Option("--dir", help="Where the CA, certificates and keys are kept.")
]


@app.command("init")
def init(directory: DirOption = Path("var/pki")) -> None:
    """A fresh CA, a server certificate per service, a client certificate per agency and
    an identity provider key with its JWKS (development only)."""
    layout = pki.init(directory)
    print(f"wrote {layout.root}: CA, {len(pki.SERVICES)} services, {len(AGENCY_ROLES)} agencies")
    print(f"see `portfolio pki env --dir {layout.root}` for the settings that use them")


@app.command("env")
def env(
    directory: DirOption = Path("var/pki"),
    agency: Annotated[
        str, typer.Option("--agency", help="The agency whose client certificate the CLI uses.")
    ] = OFFICE_AGENCY,
    production: Annotated[
        bool, typer.Option("--production", help="Also ENVIRONMENT=production.")
    ] = False,
) -> None:
    """Shell ``export`` lines: each service on mutual TLS with tokens, and the CLI as
    ``--agency``."""
    layout = pki.Layout(directory.resolve())
    lines = []
    for service in pki.SERVICES:
        prefix = service.upper()
        lines += [
            f"{prefix}_TLS_CERT_FILE={layout.service_cert(service)}",
            f"{prefix}_TLS_KEY_FILE={layout.service_key(service)}",
            f"{prefix}_TLS_CLIENT_CA_FILE={layout.ca}",
            f"{prefix}_JWT_ISSUER={pki.DEFAULT_ISSUER}",
            f"{prefix}_JWT_JWKS_FILE={layout.jwks}",
        ]
        if production:
            lines.append(f"{prefix}_ENVIRONMENT=production")
    lines += [
        f"PORTFOLIO_TLS_CA={layout.ca}",
        f"PORTFOLIO_TLS_CERT={layout.agency_cert(agency)}",
        f"PORTFOLIO_TLS_KEY={layout.agency_key(agency)}",
        f"PORTFOLIO_TOKEN_KEY={layout.idp_key}",
    ]
    for line in lines:
        name, _, value = line.partition("=")
        print(f"export {name}='{value}'")
