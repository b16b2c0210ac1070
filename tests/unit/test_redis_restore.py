"""Reading the persons table to rebuild a lost wake-up schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from aiokafka.partitioner import DefaultPartitioner  # type: ignore[import-untyped]

from schemas.aggregate import AggregateState, dump_state
from schemas.fast_json import dump_json
from schemas.records import RecordImage
from workers.bridge.replay_recovery import newest_per_channel
from workers.pipeline.redis_restore import links_in, next_wakeup_of, partition_of, wakeups_in

pytestmark = pytest.mark.unit

WAKE = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("key", [b"0PK000000000001AAA", b"a", b"\xff" * 18])
def test_partition_is_the_default_partitioners(key: bytes) -> None:
    expected = DefaultPartitioner()(key, [0, 1, 2, 3], [0, 1, 2, 3])
    assert partition_of(key, 4) == expected


def test_next_wakeup_from_an_encoded_state() -> None:
    assert next_wakeup_of(dump_state(AggregateState(next_wakeup=WAKE))) == WAKE.timestamp()
    assert next_wakeup_of(dump_state(AggregateState())) is None


def test_only_the_wanted_partitions_with_a_wake_up() -> None:
    keys = [f"0PK{n:012d}AAA".encode() for n in range(40)]
    items = [(k, dump_state(AggregateState(next_wakeup=WAKE if n % 2 else None))) for n, k in
             enumerate(keys)]  # fmt: skip
    found = asyncio.run(wakeups_in(items, {1, 3}, 4))
    expected = [
        (partition_of(k, 4), k.decode(), WAKE.timestamp())
        for n, k in enumerate(keys)
        if n % 2 and partition_of(k, 4) in {1, 3}
    ]
    assert found == expected
    assert found


def test_changelog_markers_are_not_persons() -> None:
    items = [(b"\x00lawful-marker", b""), (b"0PK1", dump_state(AggregateState(next_wakeup=WAKE)))]
    found = asyncio.run(wakeups_in(items, {0, 1, 2, 3}, 4))
    assert [person for _, person, _ in found] == ["0PK1"]


def image(entity: str, record_id: str, fields: dict[str, str], person: str | None) -> bytes:
    return dump_json(
        RecordImage(entity=entity, record_id=record_id, fields=fields, individual_id=person)
    )


def test_links_of_the_wanted_partitions_from_record_images() -> None:
    contact = image("Contact", "003A", {"IndividualId": "0PK1"}, "0PK1")
    role = image("OpportunityContactRole", "00KA", {"OpportunityId": "006A"}, "0PK1")
    gone = dump_json(
        RecordImage(entity="Contact", record_id="003B", individual_id="0PK2", deleted=True)
    )
    email = image("ContactPointEmail", "9PEA", {"ParentId": "0PK1"}, "0PK1")  # links nothing
    items = [(b"003A", contact), (b"00KA", role), (b"003B", gone), (b"9PEA", email), (b"m", b"")]
    found = asyncio.run(links_in(items, {0, 1, 2, 3}, 4))
    assert found == [("003A", "0PK1"), ("006A", "0PK1")]
    others = {0, 1, 2, 3} - {partition_of(b"003A", 4)}
    assert ("003A", "0PK1") not in asyncio.run(links_in(items, others, 4))


def test_newest_replay_per_wanted_channel_skips_what_is_not_a_bridged_event() -> None:
    values = [
        b'{"channel": "/data/A", "replay_id": 5}',
        b'{"channel": "/data/A", "replay_id": 9}',
        b'{"channel": "/data/A", "replay_id": 7}',
        b'{"channel": "/data/A", "replay_id": null}',
        b'{"channel": "/data/B", "replay_id": 3}',
        b'{"channel": "/data/Other", "replay_id": 99}',
        b"not json",
        None,
    ]
    assert newest_per_channel(values, {"/data/A", "/data/B", "/data/C"}) == {
        "/data/A": 9,
        "/data/B": 3,
    }
