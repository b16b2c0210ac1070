"""The committed JSON Schemas match the models (drift check)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.jsonschema import SCHEMAS, render

pytestmark = pytest.mark.unit

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_committed_schema_has_not_drifted(name: str) -> None:
    committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert committed == render(name), f"run `lawful schemas` and commit schemas/json/{name}"
