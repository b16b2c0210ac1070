"""R6: is consent active for (purpose, channel) at t — with the hierarchy and decay horizon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from handlers.calendar import add_months, age_on
from handlers.zones import local_date, person_zone
from schemas.codes import Reason
from schemas.config import by_jurisdiction
from schemas.enums import (
    INVALID_METHODS,
    Actor,
    AgeRuleScope,
    AgeUnknownPolicy,
    Category,
    Channel,
    ConsentStatus,
    Feb29Rule,
)
from schemas.events import ConsentRecorded
from schemas.policy import Policy
from schemas.purpose import Purpose
from schemas.state import PersonState, consent_key

# Tie-break at equal occurred_at: the least permissive status is the latest (Salesforce's rule).
_STATUS_RANK = {
    ConsentStatus.OPT_IN: 0,
    ConsentStatus.SEEN: 1,
    ConsentStatus.NOT_SEEN: 2,
    ConsentStatus.OPT_OUT: 3,
}


def record_order(record: ConsentRecorded) -> tuple[datetime, int, str]:
    """Chronological order of consent records; documented tie-break: status rank, event id."""
    return (record.occurred_at, _STATUS_RANK[record.status], record.event_id)


@dataclass(slots=True)  # not frozen: constructed in the hot path; never mutated
class ConsentResult:
    active: bool
    reason: Reason
    record: ConsentRecorded | None = None
    valid_until: datetime | None = None
    cause: str | None = None  # EFFECTIVE_TO | DECAY
    flags: tuple[Reason, ...] = ()


_NO_RECORD = ConsentResult(False, Reason.CONSENT_NOT_OPT_IN)


def latest_at(history: tuple[ConsentRecorded, ...], t: datetime) -> ConsentRecorded | None:
    for record in reversed(history):
        if record.occurred_at <= t:
            return record
    return None


@lru_cache(maxsize=4096)
def _withdrawal_keys(policy: Policy, purpose_id: str, channel: Channel | None) -> tuple[str, ...]:
    """Consent keys whose OPT_OUT withdraws (purpose, channel): channel-less, and ancestors."""
    keys = [consent_key(purpose_id, None)] if channel is not None else []
    for ancestor in policy.ancestors[purpose_id]:
        keys.append(consent_key(ancestor, channel))
        if channel is not None:
            keys.append(consent_key(ancestor, None))
    return tuple(keys)


def _withdrawn_later(
    state: PersonState,
    policy: Policy,
    purpose_id: str,
    channel: Channel | None,
    *,
    since: datetime,
    t: datetime,
) -> bool:
    """An OPT_OUT on the purpose (channel-less) or an ancestor, in [since, t]."""
    consents = state.consents
    for key in _withdrawal_keys(policy, purpose_id, channel):
        for record in consents.get(key, ()):
            if record.status is ConsentStatus.OPT_OUT and since <= record.occurred_at <= t:
                return True
    return False


def decay_months(purpose: Purpose, policy: Policy) -> int | None:
    if purpose.decay_months is not None:
        return purpose.decay_months
    if purpose.category is Category.MARKETING:
        return policy.rules.decay_months_marketing
    if purpose.cookie_like:
        return policy.rules.decay_months_cookie_like
    return policy.rules.decay_months_other


def decay_anchor(
    state: PersonState, policy: Policy, record: ConsentRecorded, t: datetime
) -> datetime:
    """Latest of DOI-or-capture, reconfirmation and qualifying engagement (never opens)."""
    anchor = record.double_opt_in_at or record.occurred_at
    lineage = policy.lineage(record.purpose_id)
    for reconfirmation in state.reconfirmations:
        at = reconfirmation.occurred_at
        if (
            anchor < at <= t
            and reconfirmation.purpose_id in lineage
            and reconfirmation.channel in (None, record.channel)
        ):
            anchor = at
    qualifying = policy.rules.qualifying_engagement_events
    for engagement in reversed(state.engagements):  # kept in occurred_at order by the fold
        at = engagement.occurred_at
        if at <= anchor:
            break
        if (
            at <= t
            and engagement.engagement in qualifying
            and (engagement.purpose_id is None or engagement.purpose_id in lineage)
            and engagement.channel in (None, record.channel)
        ):
            return at  # the latest match is the anchor
    return anchor


@lru_cache(maxsize=65536)
def age_at(birth: date, at: datetime, tz: ZoneInfo, rule: Feb29Rule) -> int:
    """Completed years at instant `at` in the person's time zone (cached: pure)."""
    return age_on(birth, local_date(at, tz), rule)


def _age_check(
    state: PersonState, policy: Policy, record: ConsentRecorded
) -> tuple[Reason | None, tuple[Reason, ...]]:
    rules = policy.rules
    person = state.person
    if person is None:
        return None, ()
    if (
        rules.apply_age_rule_to is AgeRuleScope.ISS_ONLY
        and not record.via_information_society_service
    ):
        return None, ()
    if person.birth_date is None:
        if rules.age_unknown_policy is AgeUnknownPolicy.BLOCK:
            return Reason.AGE_UNKNOWN, ()
        return None, (Reason.AGE_UNKNOWN,)
    threshold = by_jurisdiction(rules.digital_consent_age, person.jurisdiction, 16)
    tz = person_zone(person, rules)
    if age_at(person.birth_date, record.occurred_at, tz, rules.feb29_birthday_rule) >= threshold:
        return None, ()
    if record.actor is Actor.PARENT and record.parental_verification_ref:
        return None, ()
    return Reason.MINOR_WITHOUT_PARENTAL_CONSENT, ()


def consent_active(
    state: PersonState, policy: Policy, purpose: Purpose, channel: Channel | None, t: datetime
) -> ConsentResult:
    history = state.consents.get(consent_key(purpose.id, channel), ())
    if not history:
        return _NO_RECORD
    record = latest_at(history, t)
    if record is None or record.status is not ConsentStatus.OPT_IN:
        had_opt_in = any(r.status is ConsentStatus.OPT_IN and r.occurred_at <= t for r in history)
        withdrawn = record is not None and record.status is ConsentStatus.OPT_OUT and had_opt_in
        reason = Reason.CONSENT_WITHDRAWN if withdrawn else Reason.CONSENT_NOT_OPT_IN
        return ConsentResult(False, reason, record)
    if _withdrawn_later(state, policy, purpose.id, channel, since=record.occurred_at, t=t):
        return ConsentResult(False, Reason.CONSENT_WITHDRAWN, record)
    return _check_record(state, policy, purpose, record, t)


def _check_record(
    state: PersonState, policy: Policy, purpose: Purpose, record: ConsentRecorded, t: datetime
) -> ConsentResult:
    rules = policy.rules
    if not (record.capture_source and record.capture_method and record.notice_version):
        return ConsentResult(False, Reason.CONSENT_UNPROVABLE, record)
    if record.capture_method in INVALID_METHODS:
        return ConsentResult(False, Reason.CONSENT_INVALID_METHOD, record)
    if record.effective_from is not None and t < record.effective_from:
        return ConsentResult(False, Reason.CONSENT_NOT_YET_EFFECTIVE, record)
    if record.effective_to is not None and t >= record.effective_to:
        return ConsentResult(False, Reason.CONSENT_EXPIRED, record)
    person = state.person
    if person is not None and record.channel is not None:
        doi_channels = by_jurisdiction(
            rules.require_double_opt_in, person.jurisdiction, frozenset()
        )
        if record.channel in doi_channels and (
            record.double_opt_in_at is None or record.double_opt_in_at > t
        ):
            return ConsentResult(False, Reason.DOUBLE_OPT_IN_PENDING, record)
    age_reason, flags = _age_check(state, policy, record)
    if age_reason is not None:
        return ConsentResult(False, age_reason, record)
    valid_until, cause = record.effective_to, "EFFECTIVE_TO" if record.effective_to else None
    months = decay_months(purpose, policy)
    if months is not None:
        horizon = add_months(decay_anchor(state, policy, record, t), months)
        if t >= horizon:
            return ConsentResult(False, Reason.CONSENT_DECAYED, record, horizon, "DECAY", flags)
        if valid_until is None or horizon < valid_until:
            valid_until, cause = horizon, "DECAY"
    return ConsentResult(True, Reason.CONSENT_ACTIVE, record, valid_until, cause, flags)
