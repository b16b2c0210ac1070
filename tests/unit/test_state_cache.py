"""The decoded-state cache of `schemas.aggregate`: by the identity of the value, within a budget."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from schemas.aggregate import (
    STATE_CACHE_BYTES,
    AggregateState,
    clear_state_cache,
    dump_state,
    load_state,
    set_state_cache_bytes,
)
from workers.settings import PipelineSettings

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _default_budget() -> Iterator[None]:
    clear_state_cache()
    yield
    set_state_cache_bytes(STATE_CACHE_BYTES)
    clear_state_cache()


def state(n: int) -> AggregateState:
    return AggregateState(created_at=T0, published=bool(n % 2), facts={}, cells={})


def test_the_value_written_is_read_without_decoding() -> None:
    original = state(1)
    data = dump_state(original)
    assert load_state(data) is original


def test_an_equal_value_that_is_another_object_is_decoded() -> None:
    original = state(1)
    data = dump_state(original)
    copy = bytes(bytearray(data))  # e.g. read back from the changelog after a restart
    assert copy == data
    assert copy is not data
    decoded = load_state(copy)
    assert decoded is not original
    assert decoded == original


def test_the_oldest_states_go_when_the_budget_is_full() -> None:
    values = [(s, dump_state(s)) for s in (state(n) for n in range(3))]
    size = len(values[0][1])
    set_state_cache_bytes(2 * size)  # keeps the two newest
    first, second, third = values
    assert load_state(first[1]) is not first[0]
    assert load_state(second[1]) is second[0]
    assert load_state(third[1]) is third[0]
    newest = state(4)
    newest_data = dump_state(newest)  # the least recently read one (second) goes
    assert load_state(newest_data) is newest
    assert load_state(second[1]) is not second[0]
    assert load_state(third[1]) is third[0]


def test_a_zero_budget_keeps_nothing_and_a_negative_one_is_refused() -> None:
    set_state_cache_bytes(0)
    original = state(1)
    data = dump_state(original)
    assert load_state(data) is not original
    assert load_state(data) == original
    with pytest.raises(ValueError, match="at least 0 bytes"):
        set_state_cache_bytes(-1)


def test_the_worker_setting_defaults_to_the_codec_default() -> None:
    assert PipelineSettings().state_cache_bytes == STATE_CACHE_BYTES
