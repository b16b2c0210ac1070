"""The persons and records agents ack their events themselves, once their outputs and state are
on the broker, so that the next batch is handled while the last one settles (consume.py).

Faust's `Stream.take_events` acks a batch's events as soon as the agent asks for the next batch
(`await self.ack(event)` for each, when the generator resumes): the offsets could then be
committed before the batch's outputs and state are on the broker. `defer_acks(stream)` turns
those acks into no-ops and returns the real one, which `consume_batches` calls for each event
after its round has settled. An event that is never acked is never committed: after a crash or
a rebalance it is simply processed again (Faust's `wait_empty` on revocation waits for them).

This relies on a private detail of faust-streaming 0.15.3: `take_events` acks through the
stream's `ack` attribute. `defer_acks` refuses any other `take_events` source (checked by
hash), and tests/component/test_pipeline_acks.py fails when it changes: re-check the method and
update `TAKE_EVENTS_SHA256` on every faust upgrade.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from typing import Any

from faust.streams import Stream

from workers.pipeline.consume import Ack

TAKE_EVENTS_SHA256 = "607d48aead118ba8ea868718a0df87de1c5fcecd10ec542c659b448796728e08"
"""sha256 of `inspect.getsource(Stream.take_events.__wrapped__)` in faust-streaming 0.15.3."""


class DeferredAcksMismatchError(RuntimeError):
    """The installed faust's `Stream.take_events` is not the one `defer_acks` was checked on."""


def take_events_source_sha256() -> str:
    method = Stream.take_events
    source = inspect.getsource(getattr(method, "__wrapped__", method))
    return hashlib.sha256(source.encode()).hexdigest()


async def _ignored(_event: Any) -> bool:
    return False


def defer_acks(stream: Any) -> Ack:
    """Make `stream`'s own acks no-ops; returns the real `Stream.ack` of `stream`."""
    if take_events_source_sha256() != TAKE_EVENTS_SHA256:
        raise DeferredAcksMismatchError(
            "faust.streams.Stream.take_events changed: check how it acks, then the hash"
        )
    stream.ack = _ignored
    return functools.partial(type(stream).ack, stream)
