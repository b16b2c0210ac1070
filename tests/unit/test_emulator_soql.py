"""SOQL subset: parsing, errors, relative date ranges."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from emulator.soql import SoqlError, parse
from emulator.soql.dates import date_range
from emulator.soql.nodes import Compare, DateLiteral, Literal, Logic, Not

pytestmark = pytest.mark.unit


def test_full_query_parses_to_the_expected_tree() -> None:
    query = parse(
        "select Id, Account.Owner.Name from Contact where (Email like '%@x.org' or "
        "IndividualId != null) and not LastName in ('A', 'B\\'s') and CreatedDate >= "
        "LAST_N_DAYS:30 order by LastName desc nulls last, Id limit 10 offset 5"
    )
    assert query.fields == [("Id",), ("Account", "Owner", "Name")]
    assert query.object_name == "Contact"
    assert isinstance(query.where, Logic)
    assert query.where.op == "AND"
    either, negated, recent = query.where.items
    assert isinstance(either, Logic)
    assert either.op == "OR"
    assert isinstance(negated, Not)
    assert negated.item == Compare(
        ("LastName",), "IN", (Literal("A", "string"), Literal("B's", "string"))
    )
    assert recent == Compare(
        ("CreatedDate",), ">=", Literal(DateLiteral("LAST_N_DAYS", 30), "relative")
    )
    assert [(o.path, o.descending, o.nulls_go_first) for o in query.order_by] == [
        (("LastName",), True, False),
        (("Id",), False, True),
    ]
    assert (query.limit, query.offset) == (10, 5)


def test_count_and_literals() -> None:
    query = parse(
        "SELECT COUNT() FROM Individual WHERE HasOptedOutSolicit = TRUE AND BirthDate < "
        "2000-01-31 AND LastModifiedDate > 2024-07-16T13:29:10.000+0000 AND ChildrenCount > 2.5"
    )
    assert query.count_only
    assert isinstance(query.where, Logic)
    values = [c.value for c in query.where.items if isinstance(c, Compare)]
    assert values == [
        Literal(True, "boolean"),
        Literal("2000-01-31", "date"),
        Literal("2024-07-16T13:29:10.000+0000", "datetime"),
        Literal(2.5, "number"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT FROM Contact",
        "SELECT Id FROM",
        "SELECT Id FROM Contact WHERE",
        "SELECT Id FROM Contact WHERE Name = ",
        "SELECT Id FROM Contact LIMIT x",
        "SELECT Id, (SELECT Id FROM Contacts) FROM Account",
        "SELECT Id FROM Contact WHERE Id IN (SELECT ContactId FROM Case)",
        "SELECT Id FROM Contact WHERE Name = 'unterminated",
        "SELECT COUNT(), Id FROM Contact",
        "DELETE FROM Contact",
    ],
)
def test_unsupported_or_malformed_queries(text: str) -> None:
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.code == "MALFORMED_QUERY"


@pytest.mark.parametrize(
    ("literal", "start", "end"),
    [
        (DateLiteral("TODAY"), date(2026, 3, 1), date(2026, 3, 2)),
        (DateLiteral("YESTERDAY"), date(2026, 2, 28), date(2026, 3, 1)),
        (DateLiteral("LAST_N_DAYS", 7), date(2026, 2, 22), date(2026, 3, 2)),
        (DateLiteral("NEXT_N_DAYS", 2), date(2026, 3, 2), date(2026, 3, 4)),
        (DateLiteral("N_DAYS_AGO", 1), date(2026, 2, 28), date(2026, 3, 1)),
        (DateLiteral("LAST_MONTH"), date(2026, 2, 1), date(2026, 3, 1)),
        (DateLiteral("THIS_YEAR"), date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_relative_date_ranges(literal: DateLiteral, start: date, end: date) -> None:
    assert date_range(literal, datetime(2026, 3, 1, 15, 30, tzinfo=UTC)) == (start, end)
