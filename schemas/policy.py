"""The organisation's policy: rules configuration plus the purpose catalogue (with hierarchy)."""

from __future__ import annotations

from collections.abc import Iterable

from schemas.config import RulesConfig
from schemas.errors import InvalidInputError
from schemas.purpose import Purpose


class Policy:
    """Immutable after construction; precomputes each purpose's ancestor chain."""

    __slots__ = ("_lineage", "ancestors", "purposes", "rules")

    def __init__(self, rules: RulesConfig, purposes: Iterable[Purpose]) -> None:
        self.rules = rules
        self.purposes: dict[str, Purpose] = {}
        for index, purpose in enumerate(purposes):
            if purpose.id in self.purposes:
                raise InvalidInputError(f"purposes[{index}].id", f"duplicate id {purpose.id!r}")
            self.purposes[purpose.id] = purpose
        self.ancestors: dict[str, tuple[str, ...]] = {
            pid: self._chain(pid) for pid in self.purposes
        }
        self._lineage = {pid: (pid, *chain) for pid, chain in self.ancestors.items()}

    def _chain(self, purpose_id: str) -> tuple[str, ...]:
        """Parents of a purpose, nearest first."""
        chain: list[str] = []
        parent = self.purposes[purpose_id].parent_id
        while parent is not None:
            if parent not in self.purposes:
                raise InvalidInputError(
                    f"purposes[{purpose_id}].parent_id", f"unknown purpose {parent!r}"
                )
            if parent == purpose_id or parent in chain:
                raise InvalidInputError(f"purposes[{purpose_id}].parent_id", "cycle in hierarchy")
            chain.append(parent)
            parent = self.purposes[parent].parent_id
        return tuple(chain)

    def lineage(self, purpose_id: str) -> tuple[str, ...]:
        """The purpose itself followed by its ancestors."""
        return self._lineage[purpose_id]

    def purpose(self, purpose_id: str) -> Purpose:
        try:
            return self.purposes[purpose_id]
        except KeyError:
            raise InvalidInputError("purpose_id", f"unknown purpose {purpose_id!r}") from None
