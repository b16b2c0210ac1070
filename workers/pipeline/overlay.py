"""A batch's view of a Faust table: reads fall through, writes are kept until the batch's
outputs are durable, then applied in one go (one changelog write per key per batch)."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

_DELETED = object()

Changes = dict[str, object]
"""An overlay's changes by key (a value, or the deleted marker)."""


class TableOverlay(MutableMapping[str, bytes]):
    """str keys over a table keyed by the raw bytes of the key (same partitioner as the topic)."""

    def __init__(
        self,
        table: MutableMapping[Any, bytes],
        *,
        bytes_keys: bool = True,
        below: Changes | None = None,
    ) -> None:
        self._table = table
        self._bytes_keys = bytes_keys
        self._changes: Changes = {}
        self.below = below
        """Changes of an earlier overlay not yet in the table: read before the table."""

    def _key(self, key: str) -> Any:
        return key.encode() if self._bytes_keys else key

    def __getitem__(self, key: str) -> bytes:
        change = self._changes.get(key)
        if change is _DELETED:
            raise KeyError(key)
        if change is None and self.below is not None:
            change = self.below.get(key)
            if change is _DELETED:
                raise KeyError(key)
        if change is not None:
            return change  # type: ignore[return-value]
        return self._table[self._key(key)]

    def __setitem__(self, key: str, value: bytes) -> None:
        self._changes[key] = value

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._changes[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        raise TypeError("a table overlay is not iterable")

    def __len__(self) -> int:
        raise TypeError("a table overlay has no length")

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        change = self._changes.get(key)
        if change is None and self.below is not None:
            change = self.below.get(key)
        if change is not None:
            return change is not _DELETED
        return self._key(key) in self._table

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def pop(self, key: str, default: Any = None) -> Any:
        value = self.get(key, _DELETED)
        if value is _DELETED:
            return default
        self._changes[key] = _DELETED
        return value

    @property
    def pending(self) -> int:
        return len(self._changes)

    @property
    def changes(self) -> Changes:
        """The changes kept so far (until `take` or `apply`)."""
        return self._changes

    def take(self) -> list[tuple[Any, bytes | None]]:
        """The batch's changes as (table key, value; None: delete), then forget them (an
        overlay reading them as `below` keeps them)."""
        changes = [
            (self._key(key), None if change is _DELETED else change)
            for key, change in self._changes.items()
        ]
        self._changes = {}
        return changes  # type: ignore[return-value]

    def apply(self) -> None:
        """Write the batch's changes to the table (changelog writes), then forget them."""
        for key, value in self.take():
            if value is None:
                self._table.pop(key, None)
            else:
                self._table[key] = value
