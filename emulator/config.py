"""Settings of the emulated org (all optional; defaults resemble a Developer Edition org)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_API_VERSION = "62.0"
SUPPORTED_VERSIONS = tuple(f"{v}.0" for v in range(31, 68))


@dataclass
class OrgConfig:
    """Identity, credentials, limits and paging of the org."""

    org_id: str = "00D5g000004ZtQmEAK"
    username: str = "integration@lawful.example"
    password: str = "lawful-Emulat0r"  # noqa: S105 - a local emulator's demo user
    security_token: str = "EMULATORSECURITYTOKEN0"  # noqa: S105 - demo user
    user_first_name: str = "Lawful"
    user_last_name: str = "Integration"
    token_ttl_s: float = 7200.0
    daily_api_limit: int = 15_000
    query_page_size: int = 2000
    collection_limit: int = 200
    # CDC-enabled entities; None means every standard and custom object in the schema.
    cdc_entities: frozenset[str] | None = None
    metadata_dir: Path | None = None
    data_path: Path | None = None  # JSON persistence file (loaded at start, saved at stop)
    autosave_s: float = 30.0  # also saved this often while running, when something changed
    api_version: str = DEFAULT_API_VERSION
