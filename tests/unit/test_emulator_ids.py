"""Record ids: checksum suffix, normalisation and generated ids."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.ids import IdFactory, checksum, normalise, to18

pytestmark = pytest.mark.unit

ID15 = st.text(alphabet=string.ascii_letters + string.digits, min_size=15, max_size=15)


@pytest.mark.parametrize(
    ("id15", "id18"),
    [
        ("001D000000IqhSL", "001D000000IqhSLIAZ"),  # Salesforce documentation example
        ("0035g00000XyZ1a", "0035g00000XyZ1aAAF"),
        ("000000000000000", "000000000000000AAA"),
    ],
)
def test_known_checksums(id15: str, id18: str) -> None:
    assert to18(id15) == id18
    assert to18(id18) == id18
    assert to18(id18[:15] + id18[15:].lower()) == id18


@given(ID15)
def test_to18_keeps_the_15_characters_and_is_idempotent(id15: str) -> None:
    full = to18(id15)
    assert full[:15] == id15
    assert full[15:] == checksum(id15)
    assert to18(full) == full


@pytest.mark.parametrize(
    "bad", ["", "003", "003xx", "0035g00000XyZ1aAAB", "0035g00000XyZ1a!!!", "0035g00000XyZ1"]
)
def test_malformed_ids_are_rejected(bad: str) -> None:
    assert normalise(bad) is None
    with pytest.raises(ValueError, match="malformed id"):
        to18(bad)


def test_factory_ids_are_unique_valid_and_prefixed() -> None:
    factory = IdFactory()
    ids = [factory.new("0PK") for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(i.startswith("0PK") and to18(i) == i for i in ids)
    assert factory.new("003").startswith("003")
