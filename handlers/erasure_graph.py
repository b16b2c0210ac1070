"""Pure erasure planning over a resolved record graph: mask, delete and retain actions, in order.

Input: the erasure policy, the person's records (ids + the fields masking needs), describe
metadata and the engine's per-category decisions. Output: an `ActionPlan` that holds ids and
placeholder values only (never the records' personal values), safe to persist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from handlers.erasure_masks import FieldMeta, mask_token, mask_values
from schemas.erasure_policy import Action, ErasurePolicy, ObjectPolicy
from schemas.outputs import CategoryDecision

ROOT = "Individual"
RecordGraph = Mapping[str, Iterable[Mapping[str, Any]]]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RecordRef(_Frozen):
    sobject: str
    record_id: str


class MaskOp(_Frozen):
    sobject: str
    record_id: str
    values: dict[str, Any] = Field(
        description="Placeholders only (erased+token@invalid.example...)"
    )


class RetainedRef(_Frozen):
    sobject: str
    record_id: str
    category: str
    ground: str | None = None
    legal_ref: str | None = None
    retain_until: datetime | None = None


class ActionPlan(_Frozen):
    """What the executor does, in order: masks, then deletes (children first); retained kept."""

    masks: tuple[MaskOp, ...] = ()
    deletes: tuple[RecordRef, ...] = ()
    retained: tuple[RetainedRef, ...] = ()
    masked_only: tuple[RecordRef, ...] = Field(
        default=(), description="Records kept with their personal fields masked"
    )

    @property
    def record_count(self) -> int:
        return len(self.deletes) + len(self.masked_only) + len(self.retained)


def depths(policy: ErasurePolicy) -> dict[str, int]:
    """Distance of each object from the Individual along its links (deletion goes deepest first)."""
    found: dict[str, int] = {ROOT: 0}
    pending = {name for name in policy.objects if name != ROOT}
    while pending:
        ready = {
            name
            for name in pending
            if all(t in found for link in policy.objects[name].links for t in link.to)
        }
        if not ready:
            raise ValueError(f"erasure policy links form a cycle: {sorted(pending)}")
        for name in ready:
            targets = [t for link in policy.objects[name].links for t in link.to]
            found[name] = 1 + max(found[t] for t in targets)
        pending -= ready
    return found


def rounds(policy: ErasurePolicy) -> list[list[str]]:
    """Objects grouped for one composite call of queries each; the root id is known up front,
    so the Individual is read with its direct children."""
    by_depth: dict[int, list[str]] = {}
    for name, depth in depths(policy).items():
        by_depth.setdefault(max(depth, 1), []).append(name)
    return [sorted(by_depth[d]) for d in sorted(by_depth)]


def exclusive_documents(links: Iterable[Mapping[str, Any]], graph_ids: set[str]) -> set[str]:
    """ContentDocument ids whose every link points at a record of the person's graph."""
    shared: set[str] = set()
    seen: set[str] = set()
    for link in links:
        document = str(link.get("ContentDocumentId"))
        seen.add(document)
        if str(link.get("LinkedEntityId")) not in graph_ids:
            shared.add(document)
    return seen - shared


def record_category(rule: ObjectPolicy, record: Mapping[str, Any]) -> str:
    """The record's data category: the first matching `category_when`, else the object's."""
    for when in rule.category_when:
        if str(record.get(when.field)) in when.values:
            return when.category
    return rule.category


def _retained(
    sobject: str, record_id: str, category: str, decision: CategoryDecision | None, kept: bool
) -> RetainedRef:
    if kept or decision is None:
        return RetainedRef(
            sobject=sobject,
            record_id=record_id,
            category=category,
            ground="Erasure policy: kept as an accountability or legal-claims record",
        )
    return RetainedRef(
        sobject=sobject,
        record_id=record_id,
        category=category,
        ground=decision.ground,
        legal_ref=decision.legal_ref,
        retain_until=decision.retain_until,
    )


def plan_actions(
    policy: ErasurePolicy,
    graph: RecordGraph,
    metas: Mapping[str, Mapping[str, FieldMeta]],
    decisions: Mapping[str, CategoryDecision],
    request_id: str,
) -> ActionPlan:
    """The ordered actions for the graph under the engine's ERASE/RETAIN decisions."""
    order = depths(policy)
    masks: list[MaskOp] = []
    deletes: list[tuple[int, RecordRef]] = []
    retained: list[RetainedRef] = []
    masked_only: list[RecordRef] = []
    for sobject in sorted(graph, key=lambda s: (order.get(s, 99), s)):
        rule = policy.objects.get(sobject)
        if rule is None:
            continue
        for record in graph[sobject]:
            record_id = str(record["Id"])
            category = record_category(rule, record)
            decision = decisions.get(category)
            erase = rule.action is not Action.RETAIN and (
                decision is None or decision.decision == "ERASE"
            )
            if not erase:
                retained.append(
                    _retained(sobject, record_id, category, decision, rule.action is Action.RETAIN)
                )
                continue
            ref = RecordRef(sobject=sobject, record_id=record_id)
            wants_mask = rule.action is Action.MASK or policy.mask_before_delete
            values = (
                mask_values(
                    rule.fields,
                    dict(record),
                    dict(metas.get(sobject, {})),
                    mask_token(request_id, record_id),
                )
                if wants_mask
                else {}
            )
            if values:
                masks.append(MaskOp(sobject=sobject, record_id=record_id, values=values))
            if rule.action is Action.DELETE:
                deletes.append((order.get(sobject, 99), ref))
            else:
                masked_only.append(ref)
    deletes.sort(key=lambda item: -item[0])  # stable: children before their parents
    return ActionPlan(
        masks=tuple(masks),
        deletes=tuple(ref for _, ref in deletes),
        retained=tuple(retained),
        masked_only=tuple(masked_only),
    )


def restricted_categories(plan: ActionPlan) -> tuple[str, ...]:
    """Categories of which some records are retained (restricted to storage and legal claims)."""
    return tuple(sorted({r.category for r in plan.retained}))
