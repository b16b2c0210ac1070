"""The credentials JSON file the rest of lawful reads to connect to the emulator."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from emulator.org import Org


@dataclass(frozen=True)
class Credentials:
    """Everything a client needs: URLs, CA, connected app, user, JWT key and a refresh token."""

    instance_url: str
    login_url: str
    token_url: str
    soap_url: str
    ca_path: str
    client_id: str
    client_secret: str
    username: str
    password: str
    security_token: str
    private_key_path: str
    certificate_path: str
    refresh_token: str
    org_id: str
    api_version: str
    http_url: str | None = None  # plain-HTTP listener of the same org, if enabled

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"


def write_credentials(org: Org, directory: Path, ca_path: Path) -> tuple[Path, Credentials]:
    """Write the JWT key, certificate and credentials.json into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / "jwt-private-key.pem"
    key_path.write_bytes(org.app.private_key_pem)
    key_path.chmod(0o600)
    cert_path = directory / "jwt-certificate.pem"
    cert_path.write_bytes(org.app.certificate_pem)
    user = org.integration_user
    credentials = Credentials(
        instance_url=org.instance_url,
        login_url=org.instance_url,
        token_url=f"{org.instance_url}/services/oauth2/token",
        soap_url=f"{org.instance_url}/services/Soap/u/{org.config.api_version}",
        ca_path=str(ca_path),
        client_id=org.app.client_id,
        client_secret=org.app.client_secret,
        username=user.username,
        password=user.password,
        security_token=user.security_token,
        private_key_path=str(key_path),
        certificate_path=str(cert_path),
        refresh_token=org.sessions.issue_refresh_token(user.user_id),
        org_id=org.config.org_id,
        api_version=org.config.api_version,
        http_url=org.http_url,
    )
    path = directory / "credentials.json"
    path.write_text(credentials.to_json())
    path.chmod(0o600)
    return path, credentials
