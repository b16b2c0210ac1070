"""Planning and tombstone building for one request (the executor's non-Salesforce-write steps)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from handlers.erasure_graph import ActionPlan, plan_actions
from handlers.erasure_person import (
    category_decisions,
    due_date,
    identifier_hashes,
    jurisdiction_of,
    person_state,
)
from schemas.erasure_policy import ErasurePolicy
from schemas.errors import LawfulError
from schemas.policy import Policy
from schemas.tombstone import CategoryOutcome, ObjectOutcome
from workers.erasure.facts import derived_person
from workers.erasure.graph import GraphResolver
from workers.erasure.record_events import record_events
from workers.erasure.store import ErasureRequest


class IndividualNotFoundError(LawfulError):
    """The Individual does not exist (anymore): nothing can be planned."""


async def plan_request(
    request: ErasureRequest,
    *,
    resolver: GraphResolver,
    policy: ErasurePolicy,
    engine: Policy,
    recipients: tuple[str, ...],
    hash_key: bytes | None,
    bulk_threshold: int,
) -> ErasureRequest:
    """Resolve the graph, ask the engine per category and keep ids, decisions and hashes."""
    now = datetime.now(UTC)
    graph = await resolver.resolve(request.individual_id)
    individuals = graph.get("Individual", [])
    if not individuals:
        raise IndividualNotFoundError(f"Individual {request.individual_id} not found")
    state = person_state(
        request.individual_id,
        graph,
        request_id=request.request_id,
        received_at=request.received_at,
        verified_at=request.verified_at,
        extension_notified_at=request.extension_notified_at,
        recipients=recipients,
        policy=engine,
        now=now,
        derived=derived_person(request.individual_id, graph),
        record_events=record_events(request.individual_id, graph, engine),
    )
    decisions = category_decisions(state, engine, policy.categories(), now)
    plan = plan_actions(policy, graph, resolver.metas, decisions, request.request_id)
    hashes = identifier_hashes(graph, jurisdiction_of(individuals[0]), hash_key) if hash_key else ()
    categories = tuple(
        CategoryOutcome(
            category=c.category,
            decision="ERASED" if c.decision == "ERASE" else "RETAINED",
            ground=c.ground,
            legal_ref=c.legal_ref,
            retain_until=c.retain_until,
        )
        for c in decisions.values()
    )
    return request.model_copy(
        update={
            "plan": plan,
            "categories": categories,
            "identifier_hashes": hashes,
            "due": due_date(state, engine, request.request_id),
            "policy_version": policy.version,
            "bulk": len(plan.deletes) > bulk_threshold,
        }
    )


def object_outcomes(plan: ActionPlan) -> tuple[ObjectOutcome, ...]:
    ids: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ref in plan.deletes:
        ids[ref.sobject]["deleted"].append(ref.record_id)
    for ref in plan.masked_only:
        ids[ref.sobject]["masked"].append(ref.record_id)
    for kept in plan.retained:
        ids[kept.sobject]["retained"].append(kept.record_id)
    return tuple(
        ObjectOutcome(
            sobject=sobject,
            deleted_ids=tuple(groups["deleted"]),
            masked_ids=tuple(groups["masked"]),
            retained_ids=tuple(groups["retained"]),
            deleted=len(groups["deleted"]),
            masked=len(groups["masked"]),
            retained=len(groups["retained"]),
        )
        for sobject, groups in sorted(ids.items())
    )


def erased_and_retained(request: ErasureRequest) -> tuple[tuple[str, ...], tuple[str, ...]]:
    erased = tuple(c.category for c in request.categories if c.decision == "ERASED")
    retained = {c.category for c in request.categories if c.decision == "RETAINED"}
    if request.plan is not None:
        retained.update(r.category for r in request.plan.retained)
    return erased, tuple(sorted(retained))


def tombstone_fields(request: ErasureRequest, service: str) -> dict[str, Any]:
    if request.plan is None or request.executed_at is None:
        raise ValueError("a tombstone needs an executed plan")
    return {
        "request_id": request.request_id,
        "individual_id": request.individual_id,
        "received_at": request.received_at,
        "verified_at": request.verified_at,
        "due": request.due,
        "extension_notified_at": request.extension_notified_at,
        "executed_at": request.executed_at,
        "policy_version": request.policy_version or "unknown",
        "objects": object_outcomes(request.plan),
        "categories": request.categories,
        "identifier_hashes": request.identifier_hashes,
        "suppression_scope": "DM_ALL" if request.identifier_hashes else None,
        "recipients": request.notified,
        "actor": request.actor,
        "service": service,
    }
