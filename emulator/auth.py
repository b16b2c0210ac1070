"""Sessions, the connected app and the integration user: issuing and validating access tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from emulator.clock import Clock


@dataclass(frozen=True)
class Session:
    """An issued access token and who it belongs to."""

    token: str
    user_id: str
    issued_at: float
    expires_at: float


@dataclass
class ConnectedApp:
    """Consumer key/secret and the certificate used to verify JWT bearer assertions."""

    client_id: str
    client_secret: str
    private_key_pem: bytes
    certificate_pem: bytes

    @classmethod
    def generate(cls) -> ConnectedApp:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lawful-emulator-jwt")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .sign(key, hashes.SHA256())
        )
        return cls(
            client_id="3MVG9" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "B"),
            client_secret=secrets.token_hex(32).upper(),
            private_key_pem=key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            certificate_pem=certificate.public_bytes(serialization.Encoding.PEM),
        )

    @classmethod
    def load_or_create(cls, path: Path) -> ConnectedApp:
        """Reuse the app stored at `path` (so restarts keep client id and JWT key), else create."""
        if path.exists():
            data = json.loads(path.read_text())
            return cls(
                data["client_id"],
                data["client_secret"],
                data["private_key_pem"].encode(),
                data["certificate_pem"].encode(),
            )
        app = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "client_id": app.client_id,
                    "client_secret": app.client_secret,
                    "private_key_pem": app.private_key_pem.decode(),
                    "certificate_pem": app.certificate_pem.decode(),
                }
            )
        )
        path.chmod(0o600)
        return app

    def public_key_pem(self) -> bytes:
        certificate = x509.load_pem_x509_certificate(self.certificate_pem)
        return certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def signature(self, identity_url: str, issued_at: str) -> str:
        digest = hmac.new(
            self.client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256
        ).digest()
        return base64.b64encode(digest).decode()


@dataclass
class UserAccount:
    """A user who can log in (the integration user)."""

    user_id: str
    username: str
    password: str
    security_token: str
    approved_for_app: bool = True
    active: bool = True


@dataclass
class SessionStore:
    """All issued access and refresh tokens; tokens expire after `ttl_s` seconds."""

    org_id: str
    clock: Clock
    ttl_s: float = 7200.0
    sessions: dict[str, Session] = field(default_factory=dict)
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> user id
    token_requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self, user_id: str) -> Session:
        now = self.clock.now()
        token = f"{self.org_id[:15]}!AQ8AQ{secrets.token_urlsafe(72)}"
        session = Session(token, user_id, now, now + self.ttl_s)
        with self._lock:
            self.sessions[token] = session
        return session

    def issue_refresh_token(self, user_id: str) -> str:
        token = "5Aep861" + secrets.token_urlsafe(64)
        self.refresh_tokens[token] = user_id
        return token

    def validate(self, token: str) -> Session | None:
        session = self.sessions.get(token)
        if session is None:
            return None
        if self.clock.now() >= session.expires_at:
            with self._lock:
                self.sessions.pop(token, None)
            return None
        return session

    def revoke(self, token: str | None = None) -> int:
        """Revoke one token, or every access token when `token` is None."""
        with self._lock:
            if token is None:
                count = len(self.sessions)
                self.sessions.clear()
                return count
            return 1 if self.sessions.pop(token, None) else 0

    def expire(self, token: str) -> None:
        """Make one token expired, as if its lifetime had passed."""
        with self._lock:
            session = self.sessions.get(token)
            if session is not None:
                past = self.clock.now() - 1
                self.sessions[token] = Session(token, session.user_id, session.issued_at, past)

    def expire_all(self) -> None:
        """Make every current token expired (as if its lifetime had passed)."""
        with self._lock:
            past = self.clock.now() - 1
            self.sessions = {
                t: Session(s.token, s.user_id, s.issued_at, past) for t, s in self.sessions.items()
            }
