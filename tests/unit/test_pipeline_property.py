"""Property: the stream (CDC through the replica and the aggregate) ends where the org is.

Folding a random sequence of CDC events for one person's consent records (creates, updates,
irrelevant updates, DOI, deletes later undeleted, duplicates and stale redeliveries) through
`apply_salesforce_event` + `step_person` gives the same final cells as evaluating the final
record images directly (a backfill into a fresh aggregate).

Preconditions, which are the record semantics the mapping relies on: a change of a consent's
content is a new capture (a later CaptureDate), a record keeps its purpose and channel, and an
UNDELETE carries the restore's LastModifiedDate (a deletion drops the record's consent, so its
restore must be a new version to be recorded again).
SMS and post are left out: an OptOut there is also a channel opt-out (STOP, returned mail)
that outlives the record's later versions, which is history the final images cannot show.
History is legally meaningful, so one difference is expected and normalised: a cell refused
because an opt-in was later withdrawn reads CONSENT_WITHDRAWN on the stream and
CONSENT_NOT_OPT_IN from the final images alone (they no longer show the earlier opt-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers.aggregate import step_person, step_person_batch
from schemas.aggregate import AggregateState
from schemas.codes import Reason
from schemas.messages import PermissionCell, PersonMessage, SalesforceEvent
from schemas.policy import Policy
from tests.unit.builders import CAR, PET, policy
from tests.unit.test_pipeline_support import (
    PERSON,
    T0,
    Replica,
    cdc,
    consent_fields,
    individual_fields,
    iso,
    snapshot,
)

pytestmark = pytest.mark.unit

KEYS = [(PET, "EMAIL"), (PET, "SOCIAL_DM"), (CAR, "EMAIL")]
NOW = T0 + timedelta(hours=2000)
OPS = ("status", "effective_to", "doi", "irrelevant", "delete", "duplicate", "stale")


@dataclass
class World:
    replica: Replica = field(default_factory=Replica)
    sent: list[SalesforceEvent] = field(default_factory=list)
    state: AggregateState | None = None
    deleted: set[str] = field(default_factory=set)
    messages: list[PersonMessage] = field(default_factory=list)


def _record_id(n: int) -> str:
    return f"0ZY00000000000{n}AAA"


def _deliver(world: World, pol: Policy, event: SalesforceEvent) -> None:
    world.sent.append(event)
    update = world.replica.apply(event)
    for message in update.messages:
        world.messages.append(message)
        world.state, _ = step_person(world.state, message, now=NOW, policy=pol)


def _undelete(rid: str, fields: dict[str, Any], at: datetime) -> SalesforceEvent:
    """The restored record, stamped with the restore's LastModifiedDate (as the emulator does)."""
    restored = {**fields, "LastModifiedDate": iso(at)}
    return cdc("ContactPointTypeConsent", "UNDELETE", rid, restored, at=at)


def _operation(world: World, pol: Policy, step: int, op: tuple[int, int, str, bool]) -> None:
    record, key, kind, flag = op
    rid = _record_id(record)
    at = T0 + timedelta(hours=step + 1)
    image = world.replica.images.get(rid)
    if image is None:
        purpose, channel = KEYS[key]
        status = "OptIn" if flag else "OptOut"
        fields = consent_fields(purpose, channel=channel, status=status, captured=at)
        _deliver(world, pol, cdc("ContactPointTypeConsent", "CREATE", rid, fields, at=at))
        return
    if rid in world.deleted:
        world.deleted.discard(rid)
        _deliver(world, pol, _undelete(rid, image.fields, at))
        return
    changes: dict[str, Any]
    if kind == "status":
        status = "OptIn" if image.fields["PrivacyConsentStatus"] != "OptIn" else "OptOut"
        changes = {"PrivacyConsentStatus": status, "CaptureDate": iso(at)}
    elif kind == "effective_to":
        until = at + timedelta(hours=500 if flag else 1)
        changes = {"EffectiveTo": iso(until), "CaptureDate": iso(at)}
    elif kind == "doi":
        changes = {"DoubleConsentCaptureDate": iso(at), "CaptureDate": iso(at)}
    elif kind == "irrelevant":
        changes = {"Name": f"renamed {step}"}
    elif kind == "delete":
        world.deleted.add(rid)
        _deliver(world, pol, cdc("ContactPointTypeConsent", "DELETE", rid, at=at))
        return
    else:  # a redelivery: the same message again (duplicate) or an earlier one (stale)
        if world.sent:
            earlier = world.sent[-1] if kind == "duplicate" else world.sent[step % len(world.sent)]
            _deliver(world, pol, earlier)
        return
    _deliver(world, pol, cdc("ContactPointTypeConsent", "UPDATE", rid, changes, at=at))


def _normalised(cells: dict[str, PermissionCell]) -> dict[str, tuple[object, ...]]:
    out: dict[str, tuple[object, ...]] = {}
    for key, cell in cells.items():
        reason = (
            Reason.CONSENT_NOT_OPT_IN if cell.reason is Reason.CONSENT_WITHDRAWN else cell.reason
        )
        out[key] = (cell.permitted, reason, cell.rule, cell.valid_until, cell.secondary_reasons)
    return out


operations = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 2), st.sampled_from(OPS), st.booleans()),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops=operations)
def test_stream_and_final_images_agree(ops: list[tuple[int, int, str, bool]]) -> None:
    pol = policy()
    world = World()
    _deliver(world, pol, cdc("Individual", "CREATE", PERSON, individual_fields(), at=T0))
    for step, op in enumerate(ops):
        _operation(world, pol, step, op)
    for step, rid in enumerate(sorted(world.deleted)):  # the org ends with every record present
        image = world.replica.images[rid]
        at = T0 + timedelta(hours=len(ops) + step + 1)
        _deliver(world, pol, _undelete(rid, image.fields, at))

    direct = World()
    for rid, image in sorted(world.replica.images.items()):
        _deliver(direct, pol, snapshot(image.entity, rid, image.fields, at=T0))
    assert world.state is not None
    assert direct.state is not None
    assert _normalised(world.state.cells) == _normalised(direct.state.cells)
    # one batch: the same cells as a step per message (which recomputed only affected cells)
    batch, output = step_person_batch(None, world.messages, now=NOW, policy=pol)
    assert batch.cells == world.state.cells
    assert batch.person.consents == world.state.person.consents
    assert output.snapshot is not None
    assert len({(c.purpose_id, c.channel) for c in output.changes}) == len(output.changes)
