"""Normalised identifiers and their keyed hashes (BLAKE2b with a secret key, R19)."""

from __future__ import annotations

import hashlib
import re

from schemas.enums import ContactPointKind

_COUNTRY_CODES = {"UK": "44", "FR": "33", "DE": "49", "IE": "353", "ES": "34", "IT": "39"}
_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str, jurisdiction: str) -> str:
    """E.164 (`+CC…`): strips punctuation, `00` → `+`, national `0…` → the jurisdiction's code."""
    digits = _PHONE_NOISE.sub("", value.strip())
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("+"):
        return digits
    code = _COUNTRY_CODES.get(jurisdiction)
    if digits.startswith("0") and code:
        return f"+{code}{digits[1:]}"
    return digits


def normalise(kind: ContactPointKind, value: str, jurisdiction: str) -> str:
    if kind is ContactPointKind.EMAIL:
        return normalise_email(value)
    if kind is ContactPointKind.PHONE:
        return normalise_phone(value, jurisdiction)
    return " ".join(value.lower().split())


def keyed_hash(key: bytes, kind: ContactPointKind, normalised: str) -> str:
    """BLAKE2b-256 keyed with the deployment's secret; the kind prefixes the message."""
    digest = hashlib.blake2b(f"{kind.value}:{normalised}".encode(), key=key, digest_size=32)
    return digest.hexdigest()
