"""Property: WHERE evaluation agrees with a small Python model of SOQL semantics."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.org import Org
from emulator.soql.run import run_query

pytestmark = pytest.mark.unit

NAMES = ("alpha", "Alpha", "beta", "gamma", "delta")
TITLES = ("CEO", "cto", "Engineer", None)
DATES = ("1980-05-01", "1990-01-15", "2000-12-31", None)
Row = dict[str, Any]
Oracle = Callable[[Row], bool]


def _build_org() -> tuple[Org, str, list[Row]]:
    org = Org()
    rng = random.Random(5)  # noqa: S311 - fixed test data
    tag = "oracle"
    rows = []
    for _ in range(40):
        values = {
            "LastName": rng.choice(NAMES),
            "Title": rng.choice(TITLES),
            "DoNotCall": rng.random() < 0.5,
            "Birthdate": rng.choice(DATES),
            "LeadSource": tag,
        }
        record_id = org.create("Contact", {k: v for k, v in values.items() if v is not None})
        rows.append({**values, "Id": record_id})
    return org, tag, rows


ORG, TAG, ROWS = _build_org()


def _text_eq(a: str | None, b: str) -> bool:
    return a is not None and a.casefold() == b.casefold()


def _leaf() -> st.SearchStrategy[tuple[str, Oracle]]:
    name = st.sampled_from(NAMES)
    title = st.sampled_from([t for t in TITLES if t])
    day = st.sampled_from([d for d in DATES if d])
    return st.one_of(
        name.map(lambda n: (f"LastName = '{n}'", lambda r: _text_eq(r["LastName"], n))),
        title.map(lambda t: (f"Title != '{t}'", lambda r: not _text_eq(r["Title"], t))),
        st.just(("Title = null", lambda r: r["Title"] is None)),
        st.just(("Title != null", lambda r: r["Title"] is not None)),
        st.booleans().map(
            lambda b: (f"DoNotCall = {str(b).upper()}", lambda r: r["DoNotCall"] is b)
        ),
        day.map(
            lambda d: (
                f"Birthdate < {d}",
                lambda r: r["Birthdate"] is not None and r["Birthdate"] < d,
            )
        ),
        day.map(
            lambda d: (
                f"Birthdate >= {d}",
                lambda r: r["Birthdate"] is not None and r["Birthdate"] >= d,
            )
        ),
        st.lists(name, min_size=1, max_size=3).map(
            lambda ns: (
                f"LastName IN ({', '.join(repr(n) for n in ns)})",
                lambda r: any(_text_eq(r["LastName"], n) for n in ns),
            )
        ),
        st.sampled_from(("a%", "%ta", "_eta")).map(
            lambda p: (f"LastName LIKE '{p}'", lambda r: _like(r["LastName"], p))
        ),
    )


def _like(value: str, pattern: str) -> bool:
    if pattern.endswith("%"):
        return value.casefold().startswith(pattern[:-1].casefold())
    if pattern.startswith("%"):
        return value.casefold().endswith(pattern[1:].casefold())
    return len(value) == len(pattern) and value.casefold()[1:] == pattern[1:].casefold()


def _combine(
    children: st.SearchStrategy[tuple[str, Oracle]],
) -> st.SearchStrategy[tuple[str, Oracle]]:
    def both(op: str, a: tuple[str, Oracle], b: tuple[str, Oracle]) -> tuple[str, Oracle]:
        if op == "AND":
            return f"({a[0]} AND {b[0]})", lambda r: a[1](r) and b[1](r)
        return f"({a[0]} OR {b[0]})", lambda r: a[1](r) or b[1](r)

    negated = children.map(lambda c: (f"(NOT {c[0]})", lambda r: not c[1](r)))
    pairs = st.tuples(st.sampled_from(("AND", "OR")), children, children)
    return st.one_of(negated, pairs.map(lambda t: both(*t)))


CONDITIONS = st.recursive(_leaf(), _combine, max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(CONDITIONS)
def test_where_matches_the_model(condition: tuple[str, Oracle]) -> None:
    text, oracle = condition
    soql = f"SELECT Id FROM Contact WHERE LeadSource = '{TAG}' AND ({text})"  # noqa: S608
    result = run_query(ORG.store, soql, "59.0", datetime.now(UTC))
    assert {r["Id"] for r in result.rows} == {r["Id"] for r in ROWS if oracle(r)}
