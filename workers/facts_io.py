"""Reading a facts document with errors a person can act on (one line, field and problem)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

from pydantic import ValidationError

from schemas.errors import InvalidInputError
from schemas.events import PersonEvent
from schemas.facts import FactsDocument

# The `kind` tags of the event union: pydantic puts them in error locations (events.3.NOTICE.x),
# where they add nothing a reader needs.
_EVENT_KINDS = frozenset(
    member.model_fields["kind"].default for member in get_args(get_args(PersonEvent)[0])
)


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for index, item in enumerate(loc):
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif index > 0 and isinstance(loc[index - 1], int) and item in _EVENT_KINDS:
            continue
        elif parts:
            parts.append(f".{item}")
        else:
            parts.append(item)
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
