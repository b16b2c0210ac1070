"""Recursive-descent parser for lawful's SOQL subset; errors read like MALFORMED_QUERY."""

from __future__ import annotations

from emulator.soql.lexer import LexError, Token, tokenize
from emulator.soql.nodes import (
    Compare,
    Condition,
    DateLiteral,
    Literal,
    Logic,
    Not,
    OrderItem,
    Query,
)

RELATIVE_DATES = frozenset(
    {
        "TODAY",
        "YESTERDAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
    }
)
RELATIVE_N = frozenset(
    {"LAST_N_DAYS", "NEXT_N_DAYS", "N_DAYS_AGO", "LAST_N_MONTHS", "NEXT_N_MONTHS", "N_MONTHS_AGO"}
)
COMPARISONS = frozenset({"=", "!=", "<>", "<", "<=", ">", ">="})


class SoqlError(ValueError):
    """A query Salesforce would reject; `code` is MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE."""

    def __init__(self, message: str, code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.code = code


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        try:
            self.tokens = tokenize(text)
        except LexError as exc:
            raise SoqlError(f"unexpected token: {text[exc.position : exc.position + 20]}") from None
        self.index = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str) -> SoqlError:
        found = self.token.text or "end of query"
        return SoqlError(
            f"\n{self.text}\n^\nERROR at Row:1:Column:{self.token.position + 1}"
            f"\nunexpected token: '{found}' (expected {expected})"
        )

    def expect_word(self, *words: str) -> Token:
        if not self.token.is_word(*words):
            raise self.fail(" or ".join(words))
        return self.advance()

    def expect_punct(self, char: str) -> None:
        if self.token.kind != "punct" or self.token.text != char:
            raise self.fail(f"'{char}'")
        self.advance()

    def accept_punct(self, char: str) -> bool:
        if self.token.kind == "punct" and self.token.text == char:
            self.advance()
            return True
        return False

    # --- grammar -------------------------------------------------------------------------------
    def query(self) -> Query:
        query = Query()
        self.expect_word("SELECT")
        self.select_list(query)
        self.expect_word("FROM")
        query.object_name = self.identifier()
        if self.token.is_word("WHERE"):
            self.advance()
            query.where = self.or_expr()
        if self.token.is_word("WITH"):
            self.advance()
            self.expect_word("SECURITY_ENFORCED", "USER_MODE", "SYSTEM_MODE")
        if self.token.is_word("ORDER"):
            self.advance()
            self.expect_word("BY")
            query.order_by = self.order_list()
        if self.token.is_word("LIMIT"):
            self.advance()
            query.limit = self.integer()
        if self.token.is_word("OFFSET"):
            self.advance()
            query.offset = self.integer()
        if self.token.is_word("FOR"):
            self.advance()
            self.expect_word("VIEW", "REFERENCE", "UPDATE")
        if self.token.kind != "end":
            raise self.fail("end of query")
        unbounded = {"ALL", "CUSTOM"} & set(query.field_groups)
        if unbounded and (query.limit is None or query.limit > 200):
            raise SoqlError("The SOQL FIELDS function must have a LIMIT of at most 200")
        return query

    def integer(self) -> int:
        if self.token.kind != "number" or not self.token.text.isdigit():
            raise self.fail("an integer")
        return int(self.advance().text)

    def identifier(self) -> str:
        if self.token.kind != "word":
            raise self.fail("an identifier")
        return self.advance().text

    def path(self) -> tuple[str, ...]:
        parts = [self.identifier()]
        while self.accept_punct("."):
            parts.append(self.identifier())
        return tuple(parts)

    def select_list(self, query: Query) -> None:
        while True:
            if self.token.is_word("COUNT") and self.tokens[self.index + 1].text == "(":
                self.advance()
                self.expect_punct("(")
                if self.token.kind == "word":
                    raise SoqlError("COUNT(field) aggregates are not supported by the emulator")
                self.expect_punct(")")
                query.count_only = True
            elif self.token.is_word("FIELDS") and self.tokens[self.index + 1].text == "(":
                self.advance()
                self.expect_punct("(")
                group = self.expect_word("ALL", "STANDARD", "CUSTOM").text.upper()
                self.expect_punct(")")
                query.field_groups.append(group)
            elif self.token.kind == "punct" and self.token.text == "(":
                raise SoqlError("child relationship subqueries are not supported by the emulator")
            else:
                query.fields.append(self.path())
            if not self.accept_punct(","):
                break
        if query.count_only and (query.fields or query.field_groups):
            raise SoqlError("COUNT() cannot be combined with other fields")

    def order_list(self) -> list[OrderItem]:
        items = []
        while True:
            path = self.path()
            descending = False
            nulls_first: bool | None = None
            if self.token.is_word("ASC", "DESC"):
                descending = self.advance().text.upper() == "DESC"
            if self.token.is_word("NULLS"):
                self.advance()
                nulls_first = self.expect_word("FIRST", "LAST").text.upper() == "FIRST"
            items.append(OrderItem(path, descending, nulls_first))
            if not self.accept_punct(","):
                return items

    def or_expr(self) -> Condition:
        items = [self.and_expr()]
        while self.token.is_word("OR"):
            self.advance()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Logic("OR", tuple(items))

    def and_expr(self) -> Condition:
        items = [self.not_expr()]
        while self.token.is_word("AND"):
            self.advance()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else Logic("AND", tuple(items))

    def not_expr(self) -> Condition:
        if self.token.is_word("NOT"):
            self.advance()
            return Not(self.not_expr())
        if self.accept_punct("("):
            condition = self.or_expr()
            self.expect_punct(")")
            return condition
        return self.comparison()

    def comparison(self) -> Condition:
        path = self.path()
        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.advance()
            op = "!=" if token.text == "<>" else token.text
            return Compare(path, op, self.literal())
        if token.is_word("LIKE"):
            self.advance()
            return Compare(path, "LIKE", self.literal())
        negated = False
        if token.is_word("NOT"):
            self.advance()
            negated = True
        if self.token.is_word("IN", "INCLUDES", "EXCLUDES"):
            op = self.advance().text.upper()
            return Compare(path, f"NOT {op}" if negated else op, self.literal_list())
        raise self.fail("a comparison operator")

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect_punct("(")
        if self.token.is_word("SELECT"):
            raise SoqlError("semi-join subqueries are not supported by the emulator")
        values = [self.literal()]
        while self.accept_punct(","):
            values.append(self.literal())
        self.expect_punct(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.advance()
        if token.kind == "string":
            return Literal(token.text, "string")
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return Literal(number, "number")
        if token.kind in ("date", "datetime"):
            return Literal(token.text, token.kind)
        if token.kind == "word":
            upper = token.text.upper()
            if upper in ("TRUE", "FALSE"):
                return Literal(upper == "TRUE", "boolean")
            if upper == "NULL":
                return Literal(None, "null")
            name, _, n = upper.partition(":")
            if name in RELATIVE_DATES and not n:
                return Literal(DateLiteral(name), "relative")
            if name in RELATIVE_N and n:
                return Literal(DateLiteral(name, int(n)), "relative")
        self.index -= 1
        raise self.fail("a literal value")


def parse(text: str) -> Query:
    """Parse `text`; raises SoqlError with Salesforce-like messages."""
    return _Parser(text).query()
