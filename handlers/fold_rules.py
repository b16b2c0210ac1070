"""One function per person-event type: (state, event, policy) -> Step."""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from functools import lru_cache
from typing import Any

from handlers.consent import latest_at, record_order
from handlers.erasure import ERASE, all_categories, deadlines, decide_category
from handlers.step import Step, rejected
from schemas.codes import AuditType, Rejection
from schemas.enums import Basis, Category, Channel, ConsentStatus, ObjectionStatus
from schemas.events import (
    AlertEmitted,
    BaseEvent,
    BasisChangeRequested,
    CallAttempted,
    ChannelOptedOut,
    ConsentReconfirmed,
    ConsentRecordDeleted,
    ConsentRecorded,
    DncListed,
    DncRemoved,
    DoubleOptInConfirmed,
    EngagementRecorded,
    ErasureExecuted,
    ErasureExtensionNotice,
    ErasureIdentityReceived,
    ErasureIdentityRequested,
    ErasureRequested,
    InCallRefusal,
    LegalHoldReleased,
    LegalHoldSet,
    MarketingObjection,
    NoticeShown,
    PersonUpdated,
    ProcessingObjection,
    RestrictionLifted,
    RestrictionLiftNotified,
    RestrictionSet,
    SuppressionAdded,
    VitalInterestsInvoked,
)
from schemas.outputs import CellsAffected
from schemas.policy import Policy
from schemas.state import BasisChange, ErasureCase, Hold, PersonState, Restriction, consent_key

ALL = CellsAffected(None, None)


@lru_cache(maxsize=4096)
def _below(policy: Policy, purpose_id: str | None) -> frozenset[str] | None:
    """The purpose and every purpose under it in the hierarchy (None: every purpose)."""
    if purpose_id is None:
        return None
    return frozenset(p for p in policy.purposes if purpose_id in policy.lineage(p))


@lru_cache(maxsize=4096)
def _cells(policy: Policy, purpose_id: str | None, channel: Channel | None) -> CellsAffected:
    return CellsAffected(
        _below(policy, purpose_id), None if channel is None else frozenset({channel})
    )


_EVIDENCE = frozenset(
    {
        "capture_source",
        "capture_method",
        "notice_version",
        "actor",
        "agent_id",
        "parental_verification_ref",
        "evidence_ref",
        "double_opt_in_at",
        "explicit",
    }
)
_EVIDENCE_ORDER = tuple(name for name in ConsentRecorded.model_fields if name in _EVIDENCE)


def _evidence(e: ConsentRecorded) -> dict[str, Any]:
    """`e.model_dump(mode="json", include=_EVIDENCE, exclude_none=True)`, read directly when
    no instant is set (the common record: only strings, enums and a flag to convert)."""
    if e.double_opt_in_at is not None:
        return e.model_dump(mode="json", include=set(_EVIDENCE), exclude_none=True)
    values = e.__dict__
    evidence: dict[str, Any] = {}
    for name in _EVIDENCE_ORDER:
        value = values[name]
        if value is not None:
            evidence[name] = value.value if isinstance(value, Enum) else value
    return evidence


_CONSENT_AUDIT = {
    ConsentStatus.OPT_IN: AuditType.CONSENT_GIVEN,
    ConsentStatus.OPT_OUT: AuditType.CONSENT_WITHDRAWN,
}


def consent_recorded(state: PersonState, e: ConsentRecorded, policy: Policy) -> Step:
    key = consent_key(e.purpose_id, e.channel)
    history = list(state.consents.get(key, ()))
    before = latest_at(tuple(history), e.occurred_at)
    insort(history, e, key=record_order)
    audit_type = _CONSENT_AUDIT.get(e.status, AuditType.CONSENT_RECORDED)
    start, end = e.effective_from, e.effective_to
    audit = {
        "purpose_id": e.purpose_id,
        "channel": e.channel,
        "lawful_basis": Basis.CONSENT,
        "previous_state": {"status": before.status.value} if before else None,
        "new_state": {
            "status": e.status.value,
            "effective_from": None if start is None else start.isoformat(),
            "effective_to": None if end is None else end.isoformat(),
        },
        "evidence": _evidence(e),
    }
    # R3: the first record carrying a notice version is the purpose's notice on every channel.
    channel = None if e.notice_version and not _notice_known(state, e) else e.channel
    return Step(
        {"consents": {**state.consents, key: tuple(history)}},
        [(audit_type, audit)],
        cells=_cells(policy, e.purpose_id, channel),
    )


def _notice_known(state: PersonState, e: ConsentRecorded) -> bool:
    """A consent record of the same purpose already carried a notice version by then."""
    prefix = f"{e.purpose_id}|"
    return any(
        record.notice_version and record.occurred_at <= e.occurred_at
        for key, history in state.consents.items()
        if key.startswith(prefix)
        for record in history
    )


def consent_record_deleted(state: PersonState, e: ConsentRecordDeleted, policy: Policy) -> Step:
    """Art. 7(1): a deleted record no longer proves consent, so its grants are dropped; its
    withdrawals and other non-granting statuses stay (deleting one revives no older consent)."""
    consents = dict(state.consents)
    audits: list[tuple[AuditType, dict[str, Any]]] = []
    purposes: set[str] = set()
    channels: set[Channel] | None = set()
    for key, history in state.consents.items():
        removed = [r for r in history if _granted_by(r, e.record_id)]
        if not removed:
            continue
        kept = tuple(r for r in history if not _granted_by(r, e.record_id))
        if kept:
            consents[key] = kept
        else:
            del consents[key]  # no key: the cell decides as if never consented (alerts too)
        first = removed[0]
        audit = {
            "purpose_id": first.purpose_id,
            "channel": first.channel,
            "lawful_basis": Basis.CONSENT,
            "new_state": {"record_deleted": e.record_id, "removed": len(removed)},
        }
        audits.append((AuditType.CONSENT_RECORDED, audit))
        # R3: a removed notice version may have been the purpose's notice on every channel
        noticed = any(r.notice_version for r in removed)
        cells = _cells(policy, first.purpose_id, None if noticed else first.channel)
        purposes |= cells.purpose_ids if cells.purpose_ids is not None else set(policy.purposes)
        if channels is not None and cells.channels is not None:
            channels |= cells.channels
        else:
            channels = None
    if not audits:
        return Step()
    affected = CellsAffected(frozenset(purposes), None if channels is None else frozenset(channels))
    return Step({"consents": consents}, audits, cells=affected)


def _granted_by(record: ConsentRecorded, record_id: str) -> bool:
    source = record.source
    return (
        record.status is ConsentStatus.OPT_IN
        and source is not None
        and source.record_id == record_id
    )


def doi_confirmed(state: PersonState, e: DoubleOptInConfirmed, policy: Policy) -> Step:
    key = consent_key(e.purpose_id, e.channel)
    history = list(state.consents.get(key, ()))
    for index in range(len(history) - 1, -1, -1):
        record = history[index]
        if record.status is ConsentStatus.OPT_IN and record.occurred_at <= e.occurred_at:
            if record.double_opt_in_at is not None:
                break
            history[index] = record.model_copy(update={"double_opt_in_at": e.occurred_at})
            audit = {
                "purpose_id": e.purpose_id,
                "channel": e.channel,
                "new_state": {"double_opt_in_at": e.occurred_at.isoformat()},
            }
            return Step(
                {"consents": {**state.consents, key: tuple(history)}},
                [(AuditType.DOI_CONFIRMED, audit)],
                cells=_cells(policy, e.purpose_id, e.channel),
            )
    return rejected(Rejection.CONSENT_UNKNOWN, "no unconfirmed opt-in before this confirmation")


def reconfirmed(state: PersonState, e: ConsentReconfirmed, policy: Policy) -> Step:
    return Step(
        {"reconfirmations": (*state.reconfirmations, e)},
        [(AuditType.CONSENT_RECONFIRMED, {"purpose_id": e.purpose_id, "channel": e.channel})],
        cells=_cells(policy, e.purpose_id, e.channel),
    )


def engagement(state: PersonState, e: EngagementRecorded, policy: Policy) -> Step:
    qualifying = e.engagement in policy.rules.qualifying_engagement_events
    audit = {
        "purpose_id": e.purpose_id,
        "channel": e.channel,
        "new_state": {"engagement": e.engagement.value, "qualifying": qualifying},
    }
    engagements = list(state.engagements)
    insort(engagements, e, key=lambda x: (x.occurred_at, x.event_id))
    return Step(
        {"engagements": tuple(engagements)},
        [(AuditType.ENGAGEMENT_RECORDED, audit)],
        cells=_cells(policy, e.purpose_id, e.channel) if qualifying else None,
    )


def channel_opt_out(state: PersonState, e: ChannelOptedOut, policy: Policy) -> Step:
    audits: list[tuple[AuditType, dict[str, Any]]] = [
        (
            AuditType.CHANNEL_OPT_OUT,
            {
                "channel": e.channel,
                "purpose_id": e.purpose_id,
                "new_state": {"method": e.method.value},
            },
        ),
        (
            AuditType.SUPPRESSION_ADDED,
            {"channel": e.channel, "new_state": {"scope": e.channel.value}},
        ),
    ]
    return Step(
        {"channel_opt_outs": (*state.channel_opt_outs, e)},
        audits,
        cells=CellsAffected(None, frozenset({e.channel})),
    )


def dm_objection(state: PersonState, e: MarketingObjection, policy: Policy) -> Step:
    audits: list[tuple[AuditType, dict[str, Any]]] = [
        (
            AuditType.OBJECTION_RAISED,
            {"purpose_id": e.purpose_id, "new_state": {"article": "21(2)"}},
        ),
        (AuditType.SUPPRESSION_ADDED, {"new_state": {"scope": "DM_ALL"}}),
    ]
    return Step(
        {"dm_objections": (*state.dm_objections, e)},
        audits,
        cells=_cells(policy, e.purpose_id, None),
    )


def objection(state: PersonState, e: ProcessingObjection, policy: Policy) -> Step:
    if e.status is ObjectionStatus.REJECTED_COMPELLING_GROUNDS and not e.reference:
        return rejected(Rejection.OBJECTION_REF_MISSING, "compelling grounds need a reference")
    history = state.objections.get(e.objection_id, ())
    audit_type = (
        AuditType.OBJECTION_RAISED
        if e.status is ObjectionStatus.PENDING
        else AuditType.OBJECTION_RESOLVED
    )
    audit = {
        "purpose_id": e.purpose_id,
        "legal_ref": e.reference,
        "previous_state": {"status": history[-1].status.value} if history else None,
        "new_state": {"status": e.status.value, "article": "21(1)"},
    }
    return Step(
        {"objections": {**state.objections, e.objection_id: (*history, e)}},
        [(audit_type, audit)],
        cells=_cells(policy, e.purpose_id, None),
    )


def restriction_set(state: PersonState, e: RestrictionSet, policy: Policy) -> Step:
    audit = {
        "purpose_id": e.purpose_id,
        "new_state": {"scope": e.purpose_id or "PERSON", "ground": e.ground},
    }
    return Step(
        {"restrictions": {**state.restrictions, e.restriction_id: Restriction(e)}},
        [(AuditType.RESTRICTION_SET, audit)],
        cells=_cells(policy, e.purpose_id, None),
    )


def restriction_notified(state: PersonState, e: RestrictionLiftNotified, policy: Policy) -> Step:
    current = state.restrictions.get(e.restriction_id)
    if current is None:
        return rejected(Rejection.RESTRICTION_UNKNOWN, f"no restriction {e.restriction_id}")
    updated = replace(current, lift_notified_at=e.occurred_at)
    return Step(
        {"restrictions": {**state.restrictions, e.restriction_id: updated}},
        [(AuditType.RESTRICTION_LIFT_NOTIFIED, {"new_state": {"notified": True}})],
    )


def restriction_lifted(state: PersonState, e: RestrictionLifted, policy: Policy) -> Step:
    current = state.restrictions.get(e.restriction_id)
    if current is None:
        return rejected(Rejection.RESTRICTION_UNKNOWN, f"no restriction {e.restriction_id}")
    notified = current.lift_notified_at
    if notified is None or notified > e.occurred_at:
        return rejected(
            Rejection.RESTRICTION_LIFT_NOT_NOTIFIED,
            "Art. 18(3): the person must be told before the lift",
            AuditType.RESTRICTION_LIFT_REJECTED,
        )
    updated = replace(current, lifted_at=e.occurred_at)
    return Step(
        {"restrictions": {**state.restrictions, e.restriction_id: updated}},
        [(AuditType.RESTRICTION_LIFTED, {"new_state": {"lifted": True}})],
        cells=_cells(policy, current.set_event.purpose_id, None),
    )


def dnc(state: PersonState, e: DncListed | DncRemoved, policy: Policy) -> Step:
    listed = isinstance(e, DncListed)
    audit = {
        "channel": Channel.PHONE_LIVE,
        "new_state": {"register": e.dnc_register.value, "listed": listed},
    }
    return Step(
        {"dnc": (*state.dnc, e)},
        [(AuditType.DNC_STATUS_CHANGED, audit)],
        cells=CellsAffected(None, frozenset({Channel.PHONE_LIVE})),
    )


def call(state: PersonState, e: CallAttempted | InCallRefusal, policy: Policy) -> Step:
    refusal = isinstance(e, InCallRefusal)
    changes: dict[str, Any] = (
        {"refusals": (*state.refusals, e)}
        if isinstance(e, InCallRefusal)
        else {"calls": (*state.calls, e)}
    )
    audit = {
        "channel": Channel.PHONE_LIVE,
        "purpose_id": e.purpose_id,
        "new_state": {"in_call_refusal": refusal},
    }
    return Step(
        changes,
        [(AuditType.CALL_RECORDED, audit)],
        cells=CellsAffected(None, frozenset({Channel.PHONE_LIVE})),
    )


def notice(state: PersonState, e: NoticeShown, policy: Policy) -> Step:
    history = state.notices.get(e.purpose_id, ())
    audit = {
        "purpose_id": e.purpose_id,
        "new_state": {"notice_version": e.notice_version, "art14": e.art14},
    }
    return Step(
        {"notices": {**state.notices, e.purpose_id: (*history, e)}},
        [(AuditType.NOTICE_RECORDED, audit)],
        cells=_cells(policy, e.purpose_id, None),
    )


def basis_change(state: PersonState, e: BasisChangeRequested, policy: Policy) -> Step:
    purpose = policy.purpose(e.purpose_id)
    current = purpose.basis
    for change in state.basis_changes.get(e.purpose_id, ()):
        current = change.basis
    if purpose.category is Category.MARKETING and e.new_basis not in (
        Basis.CONSENT,
        Basis.LEGITIMATE_INTERESTS,
    ):
        return rejected(
            Rejection.BASIS_NOT_ALLOWED_FOR_MARKETING,
            e.new_basis.value,
            AuditType.BASIS_CHANGE_REJECTED,
        )
    lineage = policy.lineage(e.purpose_id)  # a withdrawal on a category covers its products
    withdrawn = any(
        r.status is ConsentStatus.OPT_OUT
        for key, history in state.consents.items()
        if key.partition("|")[0] in lineage
        for r in history
    )
    if current is Basis.CONSENT and withdrawn and not e.new_purpose_with_fresh_notice:
        return rejected(
            Rejection.BASIS_SWAP_REJECTED,
            "consent was withdrawn: the purpose cannot move to another basis",
            AuditType.BASIS_CHANGE_REJECTED,
        )
    changes = (*state.basis_changes.get(e.purpose_id, ()), BasisChange(e.occurred_at, e.new_basis))
    audit = {
        "purpose_id": e.purpose_id,
        "lawful_basis": e.new_basis,
        "previous_state": {"basis": current.value},
        "new_state": {"basis": e.new_basis.value},
    }
    return Step(
        {"basis_changes": {**state.basis_changes, e.purpose_id: changes}},
        [(AuditType.BASIS_SET, audit)],
        cells=_cells(policy, e.purpose_id, None),
    )


def vital(state: PersonState, e: VitalInterestsInvoked, policy: Policy) -> Step:
    times = (*state.vital_interests.get(e.purpose_id, ()), e.occurred_at)
    audit = {
        "purpose_id": e.purpose_id,
        "lawful_basis": Basis.VITAL_INTERESTS,
        "evidence": {"invoked_by": e.invoked_by},
        "legal_ref": e.reason_ref,
    }
    return Step(
        {"vital_interests": {**state.vital_interests, e.purpose_id: times}},
        [(AuditType.VITAL_INTERESTS_INVOKED, audit)],
        cells=_cells(policy, e.purpose_id, None),
    )


def _case_step(
    state: PersonState,
    case: ErasureCase,
    audit_type: AuditType,
    audit: dict[str, Any],
    cells: CellsAffected | None = None,
) -> Step:
    return Step(
        {"erasures": {**state.erasures, case.request_id: case}},
        [(audit_type, {"legal_ref": case.request_id, **audit})],
        cells=cells,
    )


def erasure_requested(state: PersonState, e: ErasureRequested, policy: Policy) -> Step:
    if e.request_id in state.erasures:
        return Step()
    case = ErasureCase(e.request_id, e.occurred_at)
    return _case_step(state, case, AuditType.ERASURE_REQUESTED, {})


def erasure_update(state: PersonState, e: BaseEvent, policy: Policy) -> Step:
    request_id: str = getattr(e, "request_id")  # noqa: B009 - every erasure event has one
    case = state.erasures.get(request_id)
    if case is None or state.person is None:
        return rejected(Rejection.ERASURE_REQUEST_UNKNOWN, f"no erasure request {request_id}")
    at = e.occurred_at
    if isinstance(e, ErasureIdentityRequested):
        updated = replace(case, identity_requested_at=at)
        return _case_step(state, updated, AuditType.ERASURE_IDENTITY_REQUESTED, {})
    if isinstance(e, ErasureIdentityReceived):
        updated = replace(case, identity_received_at=at)
        return _case_step(state, updated, AuditType.ERASURE_IDENTITY_RECEIVED, {})
    if isinstance(e, ErasureExtensionNotice):
        if case.extension_notice_at is not None:
            return rejected(
                Rejection.ERASURE_ALREADY_EXTENDED,
                "one extension per request",
                AuditType.ERASURE_EXTENSION_REJECTED,
            )
        candidate = replace(case, extension_notice_at=at, extension_reason=e.reason)
        start, due, extended, too_late = deadlines(candidate, policy, state.person)
        if too_late or (start is not None and not extended):  # clock paused: not too late
            return rejected(
                Rejection.EXTENSION_TOO_LATE,
                f"notice after the due date {due}",
                AuditType.ERASURE_EXTENSION_REJECTED,
            )
        return _case_step(
            state, candidate, AuditType.ERASURE_EXTENDED, {"new_state": {"due": str(due)}}
        )
    assert isinstance(e, ErasureExecuted)  # noqa: S101 - HANDLERS routes only erasure events
    erased_set, retained = e.erased_categories, e.retained_categories
    if not erased_set and not retained:
        decisions = [
            decide_category(state, policy, state.person, c, at)
            for c in all_categories(policy, state.person)
        ]
        erased_set = tuple(d.category for d in decisions if d.decision == ERASE)
        retained = tuple(d.category for d in decisions if d.decision != ERASE)
    updated = replace(
        case, executed_at=at, erased_categories=erased_set, retained_categories=retained
    )
    return _case_step(
        state,
        updated,
        AuditType.ERASURE_EXECUTED,
        {"new_state": {"erased": list(erased_set), "retained": list(retained)}},
        ALL,
    )


def hold_set(state: PersonState, e: LegalHoldSet, policy: Policy) -> Step:
    audit = {"legal_ref": e.claim_ref, "new_state": {"categories": list(e.categories)}}
    return Step(
        {"holds": {**state.holds, e.hold_id: Hold(e)}},
        [(AuditType.LEGAL_HOLD_SET, audit)],
        cells=ALL,
    )


def hold_released(state: PersonState, e: LegalHoldReleased, policy: Policy) -> Step:
    current = state.holds.get(e.hold_id)
    if current is None:
        return rejected(Rejection.HOLD_UNKNOWN, f"no legal hold {e.hold_id}")
    updated = Hold(current.set_event, e.occurred_at)
    return Step(
        {"holds": {**state.holds, e.hold_id: updated}},
        [(AuditType.LEGAL_HOLD_RELEASED, {"legal_ref": current.set_event.claim_ref})],
        cells=ALL,
    )


def suppression(state: PersonState, e: SuppressionAdded, policy: Policy) -> Step:
    audit = {"new_state": {"scope": e.scope.value, "reason": e.reason}}
    return Step(
        {"suppressions": (*state.suppressions, e)},
        [(AuditType.SUPPRESSION_ADDED, audit)],
        cells=ALL,
    )


def person_updated(state: PersonState, e: PersonUpdated, policy: Policy) -> Step:
    before = state.person.__dict__ if state.person else {}  # the field values, as models
    after = e.person.__dict__
    changed = sorted(k for k in after if before.get(k) != after[k])  # names only, never values
    return Step(
        {"person": e.person},
        [(AuditType.PERSON_UPDATED, {"new_state": {"changed": changed}})],
        cells=ALL,
    )


def alert_emitted(state: PersonState, e: AlertEmitted, policy: Policy) -> Step:
    return Step(
        {"emitted_alerts": state.emitted_alerts | {e.alert_key}},
        [(AuditType.ALERT_EMITTED, {"new_state": {"alert_key": e.alert_key}})],
    )


Handler = Callable[[PersonState, Any, Policy], Step]

HANDLERS: dict[type[BaseEvent], Handler] = {
    ConsentRecorded: consent_recorded,
    ConsentRecordDeleted: consent_record_deleted,
    DoubleOptInConfirmed: doi_confirmed,
    ConsentReconfirmed: reconfirmed,
    EngagementRecorded: engagement,
    ChannelOptedOut: channel_opt_out,
    MarketingObjection: dm_objection,
    ProcessingObjection: objection,
    RestrictionSet: restriction_set,
    RestrictionLiftNotified: restriction_notified,
    RestrictionLifted: restriction_lifted,
    DncListed: dnc,
    DncRemoved: dnc,
    CallAttempted: call,
    InCallRefusal: call,
    NoticeShown: notice,
    BasisChangeRequested: basis_change,
    VitalInterestsInvoked: vital,
    ErasureRequested: erasure_requested,
    ErasureIdentityRequested: erasure_update,
    ErasureIdentityReceived: erasure_update,
    ErasureExtensionNotice: erasure_update,
    ErasureExecuted: erasure_update,
    LegalHoldSet: hold_set,
    LegalHoldReleased: hold_released,
    SuppressionAdded: suppression,
    PersonUpdated: person_updated,
    AlertEmitted: alert_emitted,
}
