"""Load and validate the erasure policy YAML (the packaged default unless settings name one)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from schemas.erasure_policy import ErasurePolicy
from schemas.errors import ConfigError

DEFAULT_POLICY = Path(__file__).with_name("default_policy.yaml")


def load_policy(path: Path | None = None) -> ErasurePolicy:
    source = path or DEFAULT_POLICY
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
        return ErasurePolicy.model_validate(document)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"erasure policy {source}: {exc}") from exc
