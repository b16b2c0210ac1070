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
INDEX_VERSION = "2"  # 2: permitted sets (cp:) and the ordered id index
NO_CHANNEL = "-"
NO_BASIS = "-"


class Keys:
    """Every key the projection writes, under `<redis key prefix>pj:`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.root = f"{prefix}pj:"

    def person(self, individual_id: str) -> str:
        return f"{self.root}p:{individual_id}"

    @property
    def everyone(self) -> str:
        return f"{self.root}all"

    @property
    def ordered(self) -> str:
        """Sorted set (score 0) of every person: the id order search pages walk (ZRANGE BYLEX)."""
        return f"{self.root}ids"

    @property
    def version(self) -> str:
        """The index layout the projection was built with (another one: rebuilt from Kafka)."""
        return f"{self.root}index-version"

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

    def permitted_set(self, scope: str, permitted: bool) -> str:
        """Persons with a permitted (or refused) cell in `scope`, whatever its reason and basis."""
        return f"{self.root}cp:{scope}|{int(permitted)}"

    def registry(self, scope: str) -> str:
        return f"{self.root}r:{scope}"

    def expiry(self, scope: str) -> str:
        return f"{self.root}e:{scope}"

    def result(self, digest: str) -> str:
        return f"{self.root}q:{digest}"

    def boundary(self, digest: str, offset: int) -> str:
        """The last id before `offset` of a walked search (where its next page resumes)."""
        return f"{self.root}q:{digest}:at:{offset}"

    def temporary(self, token: str) -> str:
        return f"{self.root}tmp:{token}"

    def state(self, individual_id: str) -> str:
        """The worker's `AggregateState` bytes (the API's explain trace re-runs the engine)."""
        return f"{self.prefix}state:{individual_id}"

    def state_meta(self, individual_id: str) -> str:
        """Hash: changelog partition and offset of the stored state, the person's lookup digests."""
        return f"{self.prefix}state-meta:{individual_id}"

    def lookup(self, digest: str) -> str:
        """Set of Individual ids with a contact point whose keyed hash is `digest`."""
        return f"{self.prefix}lookup:{digest}"

    @property
    def derived_patterns(self) -> tuple[str, ...]:
        """Every key a rebuild from Kafka clears: the projection, states and lookup index."""
        return (f"{self.root}*", f"{self.prefix}state:*", f"{self.prefix}state-meta:*",
                f"{self.prefix}lookup:*")  # fmt: skip


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
    entries = IndexEntries(sets={keys.everyone}, scores={keys.ordered: 0.0})
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
                sets.add(f"{root}cp:{scope}|{int(cell.permitted)}")
                registries.add((f"{root}r:{scope}", member))
                if until is not None:
                    key = f"{root}e:{scope}"
                    scores[key] = min(until, scores.get(key, until))
    return entries
