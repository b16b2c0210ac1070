"""R17: alerts due in a window [start, end), each keyed so it is emitted at most once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

from handlers.calendar import add_months, nth_birthday
from handlers.consent import consent_active, latest_at
from handlers.erasure import deadlines
from handlers.evaluate import channels_for, evaluate
from handlers.zones import person_zone, zone
from schemas.codes import AlertType, Reason
from schemas.config import by_jurisdiction
from schemas.enums import Actor, Basis, ConsentStatus
from schemas.outputs import Alert
from schemas.person import Person
from schemas.policy import Policy
from schemas.state import PersonState, consent_key

_BLOCKING = frozenset(
    {
        Reason.ERASED,
        Reason.RESTRICTED,
        Reason.DM_OBJECTION,
        Reason.SUPPRESSED,
        Reason.CHANNEL_OPT_OUT,
    }
)


def _expiry_alerts(
    state: PersonState, policy: Policy, person: Person, start: datetime, end: datetime
) -> Iterator[Alert]:
    for purpose_id, purpose in policy.purposes.items():
        for channel in (*channels_for(policy, purpose_id), None):  # None: purpose-level consent
            if consent_key(purpose_id, channel) not in state.consents:
                continue
            probe = max(start, min(end, start))
            result = consent_active(state, policy, purpose, channel, probe)
            horizon = result.valid_until
            if not result.active or horizon is None:
                continue
            leads = sorted(policy.rules.alert_lead_days, reverse=True)
            candidates = [(horizon - timedelta(days=d), d) for d in leads]
            candidates.append((horizon, 0))
            for due, lead in candidates:
                if not (start <= due < end) and not (due < start < horizon and lead):
                    continue
                at = max(due, start) if lead else horizon - timedelta(microseconds=1)
                later = (
                    consent_active(state, policy, purpose, channel, at) if at > probe else result
                )
                if later.valid_until != horizon:
                    continue  # the anchor moved (engagement, reconfirmation): a new horizon
                decision = evaluate(state, policy, purpose_id, channel, at)
                if not decision.permitted and decision.reason in _BLOCKING:
                    continue
                if lead and not decision.permitted:
                    continue
                kind = AlertType.CONSENT_EXPIRING if lead else AlertType.CONSENT_EXPIRED
                key = f"{kind}:{person.individual_id}:{purpose_id}:{channel}:{horizon.isoformat()}"
                key += f":{lead}" if lead else ""
                yield Alert(
                    alert_key=key,
                    type=kind,
                    individual_id=person.individual_id,
                    due_at=due,
                    purpose_id=purpose_id,
                    channel=channel,
                    horizon=horizon,
                    cause=result.cause,
                    lead_days=lead or None,
                )


def _reconfirmation_alerts(
    state: PersonState, policy: Policy, person: Person, start: datetime, end: datetime
) -> Iterator[Alert]:
    if person.birth_date is None:
        return
    threshold = by_jurisdiction(policy.rules.digital_consent_age, person.jurisdiction, 16)
    birthday = nth_birthday(person.birth_date, threshold, policy.rules.feb29_birthday_rule)
    due = datetime.combine(birthday, time(), person_zone(person, policy.rules))
    if not start <= due < end:
        return
    for key, history in state.consents.items():
        latest = latest_at(history, due)  # a parental consent still in force (not withdrawn)
        if latest and latest.actor is Actor.PARENT and latest.status is ConsentStatus.OPT_IN:
            purpose_id, _, channel = key.partition("|")
            yield Alert(
                alert_key=f"RECONFIRMATION_DUE:{person.individual_id}:{key}",
                type=AlertType.RECONFIRMATION_DUE,
                individual_id=person.individual_id,
                due_at=due,
                purpose_id=purpose_id,
                channel=channel or None,
            )


def _erasure_alerts(
    state: PersonState, policy: Policy, person: Person, start: datetime, end: datetime
) -> Iterator[Alert]:
    jurisdiction = policy.rules.controller_jurisdiction or person.jurisdiction
    tz = zone(by_jurisdiction(policy.rules.timezones, jurisdiction, "UTC"))
    for case in state.erasures.values():
        _, due, _, _ = deadlines(case, policy, person)
        if due is None:
            continue
        warn = datetime.combine(due - timedelta(days=policy.rules.erasure_alert_days), time(), tz)
        overdue = datetime.combine(due + timedelta(days=1), time(), tz)
        for kind, at in ((AlertType.ERASURE_DEADLINE, warn), (AlertType.ERASURE_OVERDUE, overdue)):
            done = case.executed_at is not None and case.executed_at <= max(at, start)
            # DEADLINE: due - erasure_alert_days <= today, until the request becomes overdue
            current = kind is AlertType.ERASURE_OVERDUE or start < overdue
            if not done and at < end and current:
                yield Alert(
                    alert_key=f"{kind}:{person.individual_id}:{case.request_id}",
                    type=kind,
                    individual_id=person.individual_id,
                    due_at=at,
                    request_id=case.request_id,
                )


def _optional_alerts(
    state: PersonState, policy: Policy, person: Person, start: datetime, end: datetime
) -> Iterator[Alert]:
    enabled = policy.rules.optional_alerts
    lead = timedelta(days=policy.rules.optional_alert_lead_days)
    if "CONTRACT_ENDING" in enabled:
        for contract in person.contracts:
            if contract.end is not None and start <= contract.end - lead < end:
                yield Alert(
                    alert_key=f"CONTRACT_ENDING:{person.individual_id}:{contract.id}",
                    type=AlertType.CONTRACT_ENDING,
                    individual_id=person.individual_id,
                    due_at=contract.end - lead,
                    horizon=contract.end,
                )
    if "LIA_REVIEW_DUE" in enabled:
        months = policy.rules.lia_review_months
        for purpose in policy.purposes.values():
            review = purpose.lia_review_date
            if months is not None and purpose.lia_date is not None:  # as R7 computes it
                computed = add_months(purpose.lia_date, months)
                review = computed if review is None else min(review, computed)
            if (
                purpose.basis is Basis.LEGITIMATE_INTERESTS
                and review
                and start <= review - lead < end
            ):
                yield Alert(
                    alert_key=f"LIA_REVIEW_DUE:{person.individual_id}:{purpose.id}",
                    type=AlertType.LIA_REVIEW_DUE,
                    individual_id=person.individual_id,
                    due_at=review - lead,
                    purpose_id=purpose.id,
                    horizon=review,
                )
    if "SOFT_OPT_IN_ENDING" in enabled:
        for purpose_id in policy.purposes:
            for channel in channels_for(policy, purpose_id):
                decision = evaluate(state, policy, purpose_id, channel, start)
                until = decision.valid_until
                if decision.reason is Reason.SOFT_OPT_IN and until and start <= until - lead < end:
                    yield Alert(
                        alert_key=f"SOFT_OPT_IN_ENDING:{person.individual_id}:{purpose_id}:{channel}:{until.isoformat()}",
                        type=AlertType.SOFT_OPT_IN_ENDING,
                        individual_id=person.individual_id,
                        due_at=until - lead,
                        purpose_id=purpose_id,
                        channel=channel,
                        horizon=until,
                    )


def alerts_due(state: PersonState, policy: Policy, start: datetime, end: datetime) -> list[Alert]:
    """Alerts due in [start, end) not already emitted (state.emitted_alerts), by due time."""
    person = state.person
    if person is None or end <= start:
        return []
    found: dict[str, Alert] = {}
    for source in (_expiry_alerts, _reconfirmation_alerts, _erasure_alerts, _optional_alerts):
        for alert in source(state, policy, person, start, end):
            if alert.alert_key not in state.emitted_alerts:
                found.setdefault(alert.alert_key, alert)
    return sorted(found.values(), key=lambda a: (a.due_at, a.alert_key))
