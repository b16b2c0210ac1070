"""Hash chain of tombstones: BLAKE2b-256 over canonical JSON of the entry without its hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from schemas.tombstone import Tombstone

GENESIS = "0" * 64


def canonical(fields: dict[str, Any]) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same bytes for the same entry everywhere."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(fields: dict[str, Any]) -> str:
    """The hash of an entry's JSON fields (`hash` itself excluded)."""
    body = {k: v for k, v in fields.items() if k != "hash"}
    return hashlib.blake2b(canonical(body), digest_size=32).hexdigest()


def seal(fields: dict[str, Any]) -> Tombstone:
    """A tombstone from its fields (with `prev_hash` and `sequence` set); computes `hash`."""
    draft = Tombstone.model_validate({**fields, "hash": GENESIS})
    body = draft.model_dump(mode="json")
    return draft.model_copy(update={"hash": entry_hash(body)})


def first_break(entries: Iterable[dict[str, Any]]) -> tuple[int, str] | None:
    """(position, problem) of the first entry that breaks the chain, or None when intact."""
    previous = GENESIS
    for position, entry in enumerate(entries):
        if entry.get("sequence") != position:
            return position, f"sequence {entry.get('sequence')!r}, expected {position}"
        if entry.get("prev_hash") != previous:
            return position, "prev_hash does not match the previous entry's hash"
        if entry_hash(entry) != entry.get("hash"):
            return position, "hash does not match the entry's content (modified)"
        previous = str(entry["hash"])
    return None
