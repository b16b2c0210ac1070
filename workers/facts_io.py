"""Reading a facts document with errors a person can act on (one line, field and problem)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from schemas.errors import InvalidInputError
from schemas.facts import FactsDocument


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif parts and not item.isupper():
            parts.append(f".{item}")
        elif not parts:
            parts.append(str(item))
        # tagged-union branch names (e.g. CONSENT_RECORDED) add nothing a reader needs
    return "".join(parts) or "document"


def load_facts(path: Path) -> FactsDocument:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(str(path), exc.strerror or "cannot be read") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{path}:{exc.lineno}:{exc.colno}", f"malformed JSON: {exc.msg}"
        ) from None
    try:
        return FactsDocument.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        more = exc.error_count() - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise InvalidInputError(_location(first["loc"]), f"{first['msg']}{suffix}") from None
