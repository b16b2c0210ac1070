"""Who is calling: API keys from a secret file, or OIDC bearer tokens verified against a JWKS.

Roles: `viewer` (search, read, explain) and `operator` (also backfills, replays, erasures).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

import aiohttp
import jwt

from schemas.errors import ConfigError
from workers.settings import ApiSettings


class Role(IntEnum):
    """Ordered: a higher role may do everything a lower one may."""

    VIEWER = 1
    OPERATOR = 2


class Unauthenticated(Exception):  # noqa: N818 - reads as the HTTP status it becomes
    """No credentials, or credentials that do not verify (401)."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role | None  # None: authenticated, but granted no lawful role (403 everywhere)
    method: str  # "api-key" or "oidc"


def parse_role(name: str) -> Role | None:
    try:
        return Role[name.strip().upper()]
    except KeyError:
        return None


def load_api_keys(path: Path) -> list[tuple[str, Role, str]]:
    """Lines `name role key` (`#` comments); an unknown role is a configuration error."""
    keys = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        parts = text.split()
        role = parse_role(parts[1]) if len(parts) == 3 else None
        if role is None or len(parts[2]) < 16:
            raise ConfigError(f"{path}:{number}: expected `name viewer|operator key(16+ chars)`")
        keys.append((parts[0], role, parts[2]))
    return keys


class JwksCache:
    """The issuer's signing keys, fetched with aiohttp and reused for `ttl` seconds."""

    def __init__(self, url: str, ttl: float, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.ttl = ttl
        self.session = session
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched = -float("inf")

    async def key(self, kid: str) -> jwt.PyJWK:
        age = time.monotonic() - self._fetched
        if age > self.ttl or (kid not in self._keys and age > 10):
            await self._refresh()
        try:
            return self._keys[kid]
        except KeyError:
            raise Unauthenticated("unknown signing key") from None

    async def _refresh(self) -> None:
        try:
            async with self.session.get(
                self.url, timeout=aiohttp.ClientTimeout(total=10)
            ) as answer:
                answer.raise_for_status()
                document = await answer.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise Unauthenticated("the issuer's keys could not be fetched") from error
        keys = jwt.PyJWKSet.from_dict(document).keys
        self._keys = {k.key_id: k for k in keys if k.key_id}
        self._fetched = time.monotonic()


class Authenticator:
    """Turns the request's credentials into a `Principal` or raises `Unauthenticated`."""

    def __init__(self, settings: ApiSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.api_keys = load_api_keys(settings.api_keys_file) if settings.api_keys_file else []
        self.jwks = (
            JwksCache(settings.oidc_jwks_url, settings.jwks_cache_seconds, session)
            if settings.oidc_jwks_url
            else None
        )

    async def authenticate(self, credential: str | None) -> Principal:
        if not credential:
            raise Unauthenticated("credentials required")
        for name, role, key in self.api_keys:
            if hmac.compare_digest(credential.encode(), key.encode()):
                return Principal(name, role, "api-key")
        if self.jwks is not None and credential.count(".") == 2:
            return await self._verify_token(self.jwks, credential)
        raise Unauthenticated("invalid credentials")

    async def _verify_token(self, jwks: JwksCache, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256":
                raise Unauthenticated("token must be signed with RS256")
            key = await jwks.key(str(header.get("kid", "")))
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self.settings.oidc_audience,
                issuer=self.settings.oidc_issuer,
                options={"require": ["exp", "iss", "sub"], "verify_aud": True},
                leeway=30,
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"invalid token: {type(error).__name__}") from error
        role = self._role(claims.get(self.settings.oidc_roles_claim))
        return Principal(str(claims["sub"]), role, "oidc")

    @staticmethod
    def _role(value: object) -> Role | None:
        names = value.split() if isinstance(value, str) else value
        roles = [parse_role(str(n)) for n in names] if isinstance(names, list) else []
        return max((r for r in roles if r is not None), default=None)
