"""Which person (Individual id) a Salesforce record belongs to, per object."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from schemas.records import LinkChange

Links = Mapping[str, Collection[str]]

# The lookup field that names the Individual, per object (salesforce/README.md, §6.3-6.6).
PERSON_LOOKUP: dict[str, str] = {
    "ContactPointTypeConsent": "PartyId",
    "ContactPointEmail": "ParentId",
    "ContactPointPhone": "ParentId",
    "ContactPointAddress": "ParentId",
    "Contact": "IndividualId",
    "Lead": "IndividualId",
    "Account": "PersonIndividualId",
}
# Objects whose id leads to a person for records without an Individual lookup.
LINKING = frozenset({"Contact", "Lead", "Account"})
CATALOGUE = frozenset({"DataUsePurpose", "Lawful_LIA__c", "DataUseLegalBasis"})
_ACCOUNT_PREFIX = "001"  # confirmed key prefix (salesforce.md §0.1); ParentId is polymorphic


def _text(fields: dict[str, Any], name: str) -> str | None:
    value = fields.get(name)
    return value if isinstance(value, str) and value else None


def _linked(links: Links | None, key: str | None) -> tuple[str, ...]:
    if key is None or links is None:
        return ()
    return tuple(sorted(links.get(key, ())))


def persons_of(
    entity: str, record_id: str, fields: dict[str, Any], links: Links | None
) -> tuple[str, ...]:
    """Every Individual the record describes (usually one; an Opportunity may have several)."""
    if entity == "Individual":
        return (record_id,)
    if entity == "OpportunityContactRole":
        return _linked(links, _text(fields, "ContactId"))
    if entity == "Opportunity":
        found = {*_linked(links, record_id), *_linked(links, _text(fields, "AccountId"))}
        return tuple(sorted(found))
    lookup = PERSON_LOOKUP.get(entity)
    if lookup is None and entity.endswith("__c"):
        lookup = "Individual__c"  # lawful's own objects
    if lookup is None:
        return ()
    target = _text(fields, lookup)
    if target is None:
        return ()
    if lookup == "ParentId" and target.startswith(_ACCOUNT_PREFIX):
        return _linked(links, target)
    return (target,)


def link_changes(
    entity: str,
    record_id: str,
    old: tuple[dict[str, Any], str | None] | None,
    new: tuple[dict[str, Any], str | None],
) -> tuple[LinkChange, ...]:
    """Links gained and lost by this change: (fields, individual) before and after."""
    before = _link(entity, record_id, *old) if old is not None else None
    after = _link(entity, record_id, *new)
    if before == after:
        return ()
    changes = []
    if before is not None:
        changes.append(LinkChange(key=before[0], individual_id=before[1], linked=False))
    if after is not None:
        changes.append(LinkChange(key=after[0], individual_id=after[1], linked=True))
    return tuple(changes)


def image_link(
    entity: str, record_id: str, fields: dict[str, Any], individual: str | None, *, deleted: bool
) -> tuple[str, str] | None:
    """The (key, Individual id) link a record image holds: what `link_changes` last added."""
    return None if deleted else _link(entity, record_id, fields, individual)


def _link(
    entity: str, record_id: str, fields: dict[str, Any], individual: str | None
) -> tuple[str, str] | None:
    if individual is None:
        return None
    if entity in LINKING:
        return (record_id, individual)
    if entity == "OpportunityContactRole":
        opportunity = _text(fields, "OpportunityId")
        return (opportunity, individual) if opportunity else None
    return None
