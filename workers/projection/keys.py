"""Redis key names of the projection and the index entries one snapshot produces.

Cell indexes are scoped by (purpose term, channel term): the purpose term is the purpose id, its
category, parent or product family, or `*`; the channel term is the channel, `-` (purpose-level
cell) or `*`. Within a scope, one set per (permitted, reason, basis) tuple keeps a query's cell
filters correlated to the same cell; a registry set per scope lists the tuples in use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.messages import PermissionCell, PermissionsSnapshot, PurposeInfo

ANY = "*"
NO_CHANNEL = "-"
NO_BASIS = "-"


class Keys:
    """Every key the projection writes, under `<redis key prefix>pj:`."""

    def __init__(self, prefix: str) -> None:
        self.root = f"{prefix}pj:"

    def person(self, individual_id: str) -> str:
        return f"{self.root}p:{individual_id}"

    @property
    def everyone(self) -> str:
        return f"{self.root}all"

    @property
    def marker(self) -> str:
        """Present while the projection is complete up to the stored offsets."""
        return f"{self.root}marker"

    @property
    def offsets(self) -> str:
        """Hash `topic:partition` -> next offset to consume."""
        return f"{self.root}offsets"

    @property
    def alerts(self) -> str:
        return f"{self.root}alerts"

    @property
    def alert_offsets(self) -> str:
        return f"{self.root}alert-offsets"

    def attribute(self, name: str, value: str) -> str:
        return f"{self.root}a:{name}:{value}"

    def scope(self, purpose_term: str, channel_term: str) -> str:
        return f"{purpose_term}|{channel_term}"

    def cell_set(self, scope: str, cell_tuple: str) -> str:
        return f"{self.root}c:{scope}|{cell_tuple}"

    def registry(self, scope: str) -> str:
        return f"{self.root}r:{scope}"

    def expiry(self, scope: str) -> str:
        return f"{self.root}e:{scope}"

    def result(self, digest: str) -> str:
        return f"{self.root}q:{digest}"

    def temporary(self, token: str) -> str:
        return f"{self.root}tmp:{token}"


def cell_tuple(permitted: bool, reason: str, basis: str | None) -> str:
    """`1|CONSENT_ACTIVE|CONSENT`: what a cell set of one scope holds."""
    return f"{int(permitted)}|{reason}|{basis or NO_BASIS}"


@dataclass
class IndexEntries:
    """The sets and sorted sets (key -> score) one person belongs to, and registry members."""

    sets: set[str] = field(default_factory=set)
    scores: dict[str, float] = field(default_factory=dict)
    registries: set[tuple[str, str]] = field(default_factory=set)


def purpose_terms(purpose_id: str, info: PurposeInfo | None) -> set[str]:
    """The purpose itself, its category, parent and product family, and `*`."""
    terms = {purpose_id, ANY}
    if info is not None:
        terms |= {t for t in (info.category, info.parent_id, info.product_family) if t}
    return terms


def channel_terms(cell: PermissionCell) -> set[str]:
    return {cell.channel.value if cell.channel is not None else NO_CHANNEL, ANY}


def index_entries(keys: Keys, snapshot: PermissionsSnapshot) -> IndexEntries:
    """Every index entry of `snapshot` (the person's id is the member of each)."""
    entries = IndexEntries(sets={keys.everyone})
    for name, value in (
        ("brand", snapshot.brand),
        ("org", snapshot.org_id),
        ("jurisdiction", snapshot.jurisdiction),
    ):
        if value:
            entries.sets.add(keys.attribute(name, value))
    purposes = {info.purpose_id: info for info in snapshot.purposes}
    root = keys.root
    sets, registries, scores = entries.sets, entries.registries, entries.scores
    for cell in snapshot.cells:  # hot path (bench/search.py): keys built inline
        basis = cell.effective_basis.value if cell.effective_basis is not None else None
        member = cell_tuple(cell.permitted, cell.reason.value, basis)
        until = cell.valid_until.timestamp() if cell.valid_until is not None else None
        channels = channel_terms(cell)
        for p_term in purpose_terms(cell.purpose_id, purposes.get(cell.purpose_id)):
            for c_term in channels:
                scope = f"{p_term}|{c_term}"
                sets.add(f"{root}c:{scope}|{member}")
                registries.add((f"{root}r:{scope}", member))
                if until is not None:
                    key = f"{root}e:{scope}"
                    scores[key] = min(until, scores.get(key, until))
    return entries
