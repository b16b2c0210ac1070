"""Inline message delivery for Faust's consumer (broker.md §12.6 item 6: ~2x Faust's ceiling).

Faust's `Consumer._drain_messages` wraps the delivery of every fetched message in
`wait_first(callback(message), suspend_flow.wait())`: two tasks and a wait per message. The copy
below first runs the delivery coroutine one step; a delivery that finishes without suspending
(the usual case: the message just goes into the stream buffer) costs nothing more, and only one
that suspends (full buffer, flow control, producer back-pressure) goes through the original
`wait_first`, with the same semantics. It needs a large `stream_buffer_maxsize` (§12.3).

This is a copy of a private method of faust-streaming 0.15.3. `apply()` refuses to patch any other
source (checked by hash), and tests/component/test_pipeline_delivery.py fails when the installed
method changes: re-copy it and update `ORIGINAL_SOURCE_SHA256` on every faust upgrade.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
from collections.abc import AsyncIterator, Coroutine, Generator
from typing import Any, cast

from faust.transport import consumer as faust_consumer
from mode import Service

ORIGINAL_DRAIN_MESSAGES = faust_consumer.Consumer._drain_messages
ORIGINAL_SOURCE_SHA256 = "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417"
"""sha256 of `inspect.getsource(Consumer._drain_messages)` in faust-streaming 0.15.3."""


def original_source_sha256() -> str:
    return hashlib.sha256(inspect.getsource(ORIGINAL_DRAIN_MESSAGES).encode()).hexdigest()


class _Resume:
    """Awaitable that continues a coroutine already advanced once with `send(None)`."""

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, Any], first: Any) -> None:
        self.coro, self.first = coro, first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self.coro, self.first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - CancelledError included, passed on
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


async def deliver(consumer: Any, message: Any) -> None:
    """`await wait_first(callback(message), suspend_flow.wait())`, inline when it can be."""
    coro = consumer.callback(message)
    try:
        first = coro.send(None)
    except StopIteration:
        return  # delivered without suspending
    await consumer.wait_first(_Resume(coro, first), consumer.suspend_flow.wait())


async def _drain_messages(self: Any, fetcher: Any) -> None:  # noqa: PLR0912, PLR0915 - a copy
    # faust-streaming 0.15.3 `Consumer._drain_messages`, delivery through `deliver`.
    getmany = self.getmany
    consumer_should_stop = cast(Service, self)._stopped.is_set
    fetcher_should_stop = cast(Service, fetcher)._stopped.is_set

    get_read_offset = self._read_offset.__getitem__
    set_read_offset = self._read_offset.__setitem__
    flag_consumer_fetching = faust_consumer.CONSUMER_FETCHING
    set_flag = self.diag.set_flag
    unset_flag = self.diag.unset_flag
    commit_every = self._commit_every
    acks_enabled_for = self.app.topics.acks_enabled_for

    yield_every = 100
    num_since_yield = 0
    sleep = asyncio.sleep

    try:
        while not (consumer_should_stop() or fetcher_should_stop()):
            set_flag(flag_consumer_fetching)
            ait = cast(AsyncIterator[Any], getmany(timeout=1.0))

            # Sleeping because sometimes getmany is called in a loop
            # never releasing to the event loop
            await self.sleep(0)
            if not self.should_stop:
                async for tp, message in ait:
                    num_since_yield += 1
                    if num_since_yield > yield_every:
                        await sleep(0)
                        num_since_yield = 0

                    offset = message.offset
                    r_offset = get_read_offset(tp)
                    if r_offset is None or offset >= r_offset:
                        gap = offset - (r_offset or 0)
                        # We have a gap in income messages
                        if gap > 1 and r_offset:
                            acks_enabled = acks_enabled_for(message.topic)
                            if acks_enabled:
                                await self._add_gap(tp, r_offset + 1, offset)
                        if commit_every is not None:  # noqa: SIM102 - as in faust
                            if self._n_acked >= commit_every:
                                self._n_acked = 0
                                await self.commit()
                        await deliver(self, message)
                        set_read_offset(tp, offset)
                    else:
                        self.log.dev(
                            "DROPPED MESSAGE ROFF %r: k=%r v=%r",
                            offset,
                            message.key,
                            message.value,
                        )
                unset_flag(flag_consumer_fetching)

    except self.consumer_stopped_errors:
        if self.transport.app.should_stop:
            # we're already stopping so ignore
            self.log.info("Broker stopped consumer, shutting down...")
            return
        raise
    except asyncio.CancelledError:
        if self.transport.app.should_stop:
            # we're already stopping so ignore
            self.log.info("Consumer shutting down for user cancel.")
            return
        raise
    except Exception as exc:
        self.log.exception("Drain messages raised: %r", exc)  # noqa: TRY401
        raise
    finally:
        unset_flag(flag_consumer_fetching)


class DeliveryPatchMismatchError(RuntimeError):
    """The installed faust's `_drain_messages` is not the one the patch was copied from."""


def apply() -> None:
    """Install the patched `_drain_messages` on Faust's base consumer (idempotent)."""
    if faust_consumer.Consumer._drain_messages is _drain_messages:
        return
    if original_source_sha256() != ORIGINAL_SOURCE_SHA256:
        raise DeliveryPatchMismatchError(
            "faust.transport.consumer.Consumer._drain_messages changed: re-copy the patch"
        )
    faust_consumer.Consumer._drain_messages = _drain_messages  # type: ignore[method-assign]
