"""Poison messages: classify the failure, produce a `DeadLetter`, count it, log it, go on."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import structlog
from pydantic import ValidationError

from schemas.errors import InvalidInputError
from schemas.messages import DeadLetter
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.ports import Send

log = structlog.get_logger("lawful.pipeline.dlq")

DLQ_TOPIC = "lawful.dlq.v1"


@dataclass(frozen=True)
class Origin:
    """Where a consumed message came from (topic as named on the broker)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def dlq_reason(exc: BaseException) -> str:
    """A bounded label for the metric: undecodable, schema, invalid_input, retries_exhausted..."""
    if isinstance(exc, orjson.JSONDecodeError | UnicodeDecodeError):
        return "undecodable"
    if isinstance(exc, ValidationError):
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            return "undecodable"
        return "schema"
    if isinstance(exc, InvalidInputError):
        return "invalid_input"
    if getattr(exc, "retriable", False):
        return "retries_exhausted"
    return "error"


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):  # field locations and messages, never the input values
        parts = [
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()[:10]
        ]
        return f"{exc.error_count()} validation error(s): " + "; ".join(parts)
    return str(exc)[:2000]


def _key_text(key: bytes | None) -> str | None:
    return None if key is None else key.decode("utf-8", errors="replace")


class DeadLetters:
    """Sends dead letters to `<prefix>lawful.dlq.v1` and keeps the counter and the log."""

    def __init__(self, send: Send, metrics: PipelineMetrics, *, topic: str = DLQ_TOPIC) -> None:
        self._send = send
        self._metrics = metrics
        self._topic = topic

    async def __call__(self, origin: Origin, exc: BaseException) -> DeadLetter:
        reason = dlq_reason(exc)
        letter = DeadLetter(
            topic=origin.topic,
            partition=origin.partition,
            offset=origin.offset,
            key=_key_text(origin.key),
            error_type=type(exc).__name__,
            error=_error_text(exc),
            failed_at=datetime.now(UTC),
            payload_base64=base64.b64encode(origin.value or b"").decode("ascii"),
        )
        await self._send(self._topic, letter.key, letter.model_dump_json().encode())
        self._metrics.dlq.labels(reason=reason).inc()
        log.warning(
            "dead_letter",
            topic=origin.topic,
            partition=origin.partition,
            offset=origin.offset,
            reason=reason,
            error_type=letter.error_type,
        )
        return letter
