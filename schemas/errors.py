"""The project's single error root. Retry code asks `exc.retriable`, never a list of types."""

from typing import ClassVar


class LawfulError(Exception):
    """Root of every error `lawful` raises on purpose."""

    retriable: ClassVar[bool] = False


class InvalidInputError(LawfulError):
    """A document, event or request failed validation; `field` names where."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


class ConfigError(LawfulError):
    """Configuration is missing or inconsistent."""


class TransientError(LawfulError):
    """A dependency failed in a way that may succeed on retry (5xx, timeouts, limits)."""

    retriable: ClassVar[bool] = True
