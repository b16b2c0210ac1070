"""Person messages travel as `PersonMessages` values: one Kafka message per partition and flush.

Every person message costs the broker a record and Faust a delivery (about 50 us of the worker's
event loop); a records batch produces about one per CDC event. `PersonBundles` keeps them per
partition of lawful.person-events.v1 until the batch's flush and hands them over as
`PersonMessages` values of at most `max_bytes` (a lone message goes as itself).
`expand_person_messages` turns such a value back into one `Origin` per person message, so that
the persons agent handles, counts and dead-letters each one as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from schemas.messages import PERSON_MESSAGES_PREFIX, encode_person_messages
from workers.pipeline.dlq import Origin

BUNDLE_MAX_BYTES = 64 * 1024
"""Person messages per Kafka message at most, in bytes (well inside a produced record batch)."""


class PersonBundles:
    """Encoded person messages kept per partition, in the order sent."""

    def __init__(self, max_bytes: int = BUNDLE_MAX_BYTES) -> None:
        self._max_bytes = max_bytes
        self._rows: dict[int, list[tuple[bytes, bytes]]] = {}

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def add(self, partition: int, key: bytes, value: bytes) -> None:
        rows = self._rows.get(partition)
        if rows is None:
            rows = self._rows[partition] = []
        rows.append((key, value))

    def drain(self) -> Iterator[tuple[int, bytes | None, bytes]]:
        """(partition, key, value) to produce, in order per partition; nothing is kept."""
        rows_by_partition, self._rows = self._rows, {}
        for partition, rows in rows_by_partition.items():
            for key, value in _chunks(rows, self._max_bytes):
                yield partition, key, value


def _chunks(
    rows: list[tuple[bytes, bytes]], max_bytes: int
) -> Iterator[tuple[bytes | None, bytes]]:
    chunk: list[tuple[bytes, bytes]] = []
    size = 0
    for row in rows:
        if chunk and size + len(row[1]) > max_bytes:
            yield _value(chunk)
            chunk, size = [], 0
        chunk.append(row)
        size += len(row[1]) + 1
    if chunk:
        yield _value(chunk)


def _value(chunk: list[tuple[bytes, bytes]]) -> tuple[bytes | None, bytes]:
    if len(chunk) == 1:
        return chunk[0]
    return None, encode_person_messages([value for _, value in chunk])


def expand_person_messages(origin: Origin) -> list[Origin]:
    """One origin per person message of a `PersonMessages` value (same topic, partition and
    offset; key the Individual id, value its JSON); any other value, or one that is not a
    list of JSON objects, as it is (the agent then finds it malformed)."""
    value = origin.value
    if not value or not value.startswith(PERSON_MESSAGES_PREFIX):
        return [origin]
    try:
        items = orjson.loads(value)["messages"]
        expanded = [
            Origin(
                origin.topic,
                origin.partition,
                origin.offset,
                str(item.get("individual_id", "")).encode(),
                orjson.dumps(item),
            )
            for item in items
        ]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        return [origin]
    return expanded or [origin]
