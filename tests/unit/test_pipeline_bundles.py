"""Person messages bundled per partition (PersonBundles) and expanded again for the agent."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.messages import (
    PERSON_MESSAGES_PREFIX,
    PersonMessage,
    encode_person_messages,
    person_messages,
)
from workers.pipeline.bundles import PersonBundles, expand_person_messages
from workers.pipeline.dlq import Origin

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def tick(person: str) -> bytes:
    return PersonMessage(individual_id=person, kind="TICK", tick_at=NOW).model_dump_json().encode()


def origin(value: bytes, offset: int = 7) -> Origin:
    return Origin("p.lawful.person-events.v1", 3, offset, None, value)


def test_a_bundle_expands_to_its_messages_at_the_bundle_offset() -> None:
    values = [tick("0PKa"), tick("0PKb"), tick("0PKa")]
    expanded = expand_person_messages(origin(encode_person_messages(values)))
    assert [o.value for o in expanded] == values  # the same bytes, in order
    assert [o.key for o in expanded] == [b"0PKa", b"0PKb", b"0PKa"]
    assert {(o.topic, o.partition, o.offset) for o in expanded} == {
        ("p.lawful.person-events.v1", 3, 7)
    }


@pytest.mark.parametrize(
    "value",
    [
        tick("0PKa"),  # one person message: as it is
        b"{not json",
        PERSON_MESSAGES_PREFIX + b"]}",  # no messages
        PERSON_MESSAGES_PREFIX + b"1,2]}",  # not objects
        PERSON_MESSAGES_PREFIX + b"{]}",  # truncated
        b"",
    ],
)
def test_anything_else_stays_one_origin(value: bytes) -> None:
    assert expand_person_messages(origin(value)) == [origin(value)]


def test_person_messages_reads_both_forms_and_refuses_an_empty_bundle() -> None:
    one = person_messages(tick("0PKa"))
    assert [m.individual_id for m in one] == ["0PKa"]
    both = person_messages(encode_person_messages([tick("0PKa"), tick("0PKb")]))
    assert [m.individual_id for m in both] == ["0PKa", "0PKb"]
    with pytest.raises(ValidationError):
        person_messages(PERSON_MESSAGES_PREFIX + b"]}")


def test_bundles_keep_order_per_partition_and_a_lone_message_goes_as_itself() -> None:
    bundles = PersonBundles()
    bundles.add(1, b"0PKa", tick("0PKa"))
    bundles.add(2, b"0PKc", tick("0PKc"))
    bundles.add(1, b"0PKb", tick("0PKb"))
    assert len(bundles) == 3
    out = list(bundles.drain())
    assert len(bundles) == 0
    assert out == [
        (1, None, encode_person_messages([tick("0PKa"), tick("0PKb")])),
        (2, b"0PKc", tick("0PKc")),
    ]
    assert list(bundles.drain()) == []


@given(
    people=st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["0PKa", "0PKbb", "0PKccc"])), max_size=60
    ),
    max_bytes=st.integers(1, 2000),
)
def test_bundles_round_trip_within_the_size_limit(
    people: list[tuple[int, str]], max_bytes: int
) -> None:
    bundles = PersonBundles(max_bytes=max_bytes)
    for partition, person in people:
        bundles.add(partition, person.encode(), tick(person))
    received: dict[int, list[bytes]] = {}
    for partition, _key, value in bundles.drain():
        messages = expand_person_messages(origin(value))
        if len(messages) > 1:  # only a lone message may exceed the limit
            assert len(value) <= len(PERSON_MESSAGES_PREFIX) + max_bytes + 2
        received.setdefault(partition, []).extend(m.value or b"" for m in messages)
    expected: dict[int, list[bytes]] = {}
    for partition, person in people:
        expected.setdefault(partition, []).append(tick(person))
    assert received == expected
    for values in received.values():
        assert all(orjson.loads(v)["kind"] == "TICK" for v in values)
