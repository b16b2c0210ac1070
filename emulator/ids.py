"""Salesforce record ids: 15/18-character forms, key prefixes and the checksum suffix."""

from __future__ import annotations

import re
import string

_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-5]{3})?$")
EMPTY_ID = "000000000000000AAA"


def checksum(id15: str) -> str:
    """The three-character case-insensitive suffix that turns a 15-char id into 18 chars."""
    out = []
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        out.append(_CHECKSUM_ALPHABET[bits])
    return "".join(out)


def to18(record_id: str) -> str:
    """Normalise a 15- or 18-character id to 18 characters; raises ValueError if malformed."""
    if not _ID_SHAPE.match(record_id):
        raise ValueError(f"malformed id {record_id}")
    id15 = record_id[:15]
    expected = id15 + checksum(id15)
    if len(record_id) == 18 and record_id.upper() != expected.upper():
        raise ValueError(f"malformed id {record_id}")
    return expected


def normalise(record_id: object) -> str | None:
    """The 18-character form of `record_id`, or None when it is not a well-formed id."""
    if not isinstance(record_id, str):
        return None
    try:
        return to18(record_id)
    except ValueError:
        return None


def encode_base62(number: int, width: int) -> str:
    """Fixed-width base-62 digits (0-9A-Za-z) of a non-negative number."""
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    if number:
        raise OverflowError("number too large for the id width")
    return "".join(reversed(digits))


def make_id(key_prefix: str, pod: str, counter: int) -> str:
    """Build an 18-character id: 3-char key prefix, 2-char pod, 1 reserved char, 9-char counter."""
    id15 = key_prefix + pod + "0" + encode_base62(counter, 9)
    return id15 + checksum(id15)


def _chunk_bits(chunk: str) -> int:
    return sum(1 << i for i, char in enumerate(chunk) if "A" <= char <= "Z")


class IdFactory:
    """Hands out unique, increasing ids per key prefix (fast path of `make_id`)."""

    def __init__(self, pod: str = "5g", start: int = 1) -> None:
        self.pod = pod
        self.counters: dict[str, int] = {}
        self._start = start
        self._tails = [_BASE62[a] + _BASE62[b] for a in range(62) for b in range(62)]
        self._tail_bits = [_chunk_bits(t) for t in self._tails]

    def new(self, key_prefix: str) -> str:
        counter = self.counters.get(key_prefix, self._start)
        self.counters[key_prefix] = counter + 1
        if counter >= 62**5:
            return make_id(key_prefix, self.pod, counter)
        # 9 counter digits: "0000" + 5 low digits; chunks: prefix+pod | "0"+"0000" | 5 low digits
        high, low = divmod(counter, 62 * 62)
        top, mid = divmod(high, 62 * 62)
        middle = self._tails[mid]
        tail = self._tails[low]
        head = key_prefix + self.pod
        last = _BASE62[top] + middle + tail
        bits = _chunk_bits(last[:1]) | self._tail_bits[mid] << 1 | self._tail_bits[low] << 3
        id15 = head + "00000" + last
        return id15 + _CHECKSUM_ALPHABET[_chunk_bits(head)] + "A" + _CHECKSUM_ALPHABET[bits]
