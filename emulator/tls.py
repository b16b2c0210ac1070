"""HTTPS for localhost: a throw-away CA (trustme) and a server certificate it signs."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass
class LocalTls:
    """The CA file clients trust and the server-side SSL context."""

    ca_path: Path
    context: ssl.SSLContext


def create_tls(directory: Path) -> LocalTls:
    """Generate a CA and a `localhost`/`127.0.0.1` certificate; write the CA to `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name="lawful emulator")
    certificate = authority.issue_cert("localhost", "127.0.0.1", "::1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    ca_path = directory / "emulator-ca.pem"
    authority.cert_pem.write_to_path(str(ca_path))
    return LocalTls(ca_path, context)
