"""SOQL tokens: keywords/identifiers, strings, numbers, date(time) literals, operators."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})(?![\dT])
    |(?P<number>[+-]?\d+(?:\.\d+)?)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<op><>|!=|<=|>=|=|<|>)
    |(?P<punct>[(),.])
    |(?P<word>[A-Za-z_][A-Za-z0-9_]*(?::\d+)?)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | number | date | datetime | op | punct | end
    text: str
    position: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


class LexError(ValueError):
    def __init__(self, position: int, text: str) -> None:
        super().__init__(f"unexpected token at {position}: {text[position : position + 20]!r}")
        self.position = position


def unescape(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise LexError(position, text)
        kind = match.lastgroup or ""
        if kind != "ws":
            value = match.group()
            if kind == "string":
                value = unescape(value)
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens
