"""Person states from the `persons` changelog into Redis (fakeredis): state keys, the lookup index
kept current from keyed hashes, deletes, markers, replays and older records."""

from __future__ import annotations

from collections.abc import AsyncIterator

import fakeredis
import pytest
import redis.asyncio

from schemas.aggregate import AggregateState, dump_state
from schemas.enums import ContactPointKind
from schemas.person import ContactPoint, Person
from schemas.state import PersonState
from workers.api.records import find_contact
from workers.projection.keys import Keys
from workers.projection.states import MARKER_KEY, StateRecord, state_record, write_states

pytestmark = pytest.mark.component

SECRET = b"lookup-secret-for-the-states-test"
OLD_EMAIL, NEW_EMAIL, PHONE = "Old.Address@example.org", "new@example.org", "0170 1234567"


def state(individual_id: str, *contacts: tuple[ContactPointKind, str]) -> bytes:
    points = tuple(
        ContactPoint(id=f"cp{n}", kind=kind, value=value)
        for n, (kind, value) in enumerate(contacts)
    )
    person = Person(individual_id=individual_id, jurisdiction="DE", contact_points=points)
    return dump_state(AggregateState(person=PersonState(person=person)))


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    fake = fakeredis.FakeAsyncRedis()
    try:
        yield fake
    finally:
        await fake.aclose()


async def found(client: redis.asyncio.Redis, kind: ContactPointKind, value: str) -> list[str]:
    return await find_contact(client, "t:", key=SECRET, kind=kind, value=value, jurisdiction="DE")


def record(individual_id: str, value: bytes | None, offset: int, partition: int = 0) -> StateRecord:
    found = state_record(individual_id.encode(), value, partition, offset)
    assert found is not None
    return found


async def test_states_and_lookup_index_follow_the_changelog(client: redis.asyncio.Redis) -> None:
    keys = Keys("t:")
    first = state("IND-1", (ContactPointKind.EMAIL, OLD_EMAIL), (ContactPointKind.PHONE, PHONE))
    result = await write_states(
        client, keys, [record("IND-1", first, 0)], SECRET, offsets={"cl:0": 1}
    )
    assert (result.written, result.stale) == (1, 0)
    assert await client.get(keys.state("IND-1")) == first
    assert await client.hget(keys.offsets, "cl:0") == b"1"
    assert await found(client, ContactPointKind.EMAIL, OLD_EMAIL.upper()) == ["IND-1"]
    assert await found(client, ContactPointKind.PHONE, "+491701234567") == ["IND-1"]

    changed = state("IND-1", (ContactPointKind.EMAIL, NEW_EMAIL))
    await write_states(client, keys, [record("IND-1", changed, 5)], SECRET)
    assert await found(client, ContactPointKind.EMAIL, OLD_EMAIL) == []
    assert await found(client, ContactPointKind.PHONE, PHONE) == []
    assert await found(client, ContactPointKind.EMAIL, NEW_EMAIL) == ["IND-1"]

    replayed = await write_states(client, keys, [record("IND-1", first, 0)], SECRET)
    assert (replayed.written, replayed.stale) == (0, 1)  # an older record never wins
    assert await client.get(keys.state("IND-1")) == changed
    assert await found(client, ContactPointKind.EMAIL, OLD_EMAIL) == []

    await write_states(client, keys, [record("IND-1", None, 9)], SECRET)
    assert await client.get(keys.state("IND-1")) is None
    assert await found(client, ContactPointKind.EMAIL, NEW_EMAIL) == []


async def test_no_value_in_clear_markers_skipped_latest_of_a_batch_wins(
    client: redis.asyncio.Redis,
) -> None:
    keys = Keys("t:")
    assert state_record(MARKER_KEY, b"", 0, 3) is None
    assert state_record(None, b"x", 0, 4) is None
    older = state("IND-2", (ContactPointKind.EMAIL, OLD_EMAIL))
    newer = state("IND-2", (ContactPointKind.EMAIL, NEW_EMAIL))
    batch = [record("IND-2", older, 1), record("IND-2", newer, 2), record("IND-3", b"{bad", 3)]
    result = await write_states(client, keys, batch, SECRET)
    assert (result.written, result.invalid) == (1, 1)
    assert await found(client, ContactPointKind.EMAIL, NEW_EMAIL) == ["IND-2"]
    assert await found(client, ContactPointKind.EMAIL, OLD_EMAIL) == []
    stored = [key async for key in client.scan_iter(match="*")]
    for key in stored:
        dumped = repr(await client.dump(key)).lower()
        if key != keys.state("IND-2").encode():
            assert "example.org" not in dumped
            assert "example.org" not in key.decode().lower()


async def test_without_a_secret_states_are_stored_and_nothing_is_indexed(
    client: redis.asyncio.Redis,
) -> None:
    keys = Keys("t:")
    value = state("IND-4", (ContactPointKind.EMAIL, OLD_EMAIL))
    await write_states(client, keys, [record("IND-4", value, 0)], None)
    assert await client.get(keys.state("IND-4")) == value
    assert [k async for k in client.scan_iter(match="t:lookup:*")] == []
