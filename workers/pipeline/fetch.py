"""A 100 ms consumer fetch wait for Faust (broker.md §12.2, §12.6 item 1).

Faust hard-codes `fetch_max_wait_ms=1500` and a parked fetch for idle partitions then stalls the
busy ones. This relies on private internals, checked by tests/component/test_pipeline_fetch.py:
`faust.App._new_transport`, `AIOKafkaConsumerThread._create_worker_consumer` (Faust) and
`AIOKafkaConsumer._fetch_max_wait_ms` (aiokafka). Re-check them on every upgrade of either.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

PATCHED_INTERNALS: tuple[tuple[object, str], ...] = (
    (faust.App, "_new_transport"),
    (faust_aiokafka.AIOKafkaConsumerThread, "_create_worker_consumer"),
    (faust_aiokafka.Consumer, "_new_consumer_thread"),
)
"""(owner, attribute) pairs this module overrides; the guard test asserts they still exist."""

AIOKAFKA_FETCH_WAIT_ATTRIBUTE = "_fetch_max_wait_ms"
DEFAULT_FETCH_WAIT_MS = 100


class FastFetchConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Sets the aiokafka consumer's fetch wait before Faust starts it."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # AIOKafkaConsumer.start() reads this when it creates its Fetcher; Faust calls start()
        # right after this method returns.
        wait_ms = getattr(self.app, "fetch_max_wait_ms", DEFAULT_FETCH_WAIT_MS)
        setattr(consumer, AIOKAFKA_FETCH_WAIT_ATTRIBUTE, wait_ms)
        return consumer


class FastFetchConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> FastFetchConsumerThread:
        return FastFetchConsumerThread(self, loop=self.loop, beacon=self.beacon)


class FastFetchTransport(faust_aiokafka.Transport):
    Consumer = FastFetchConsumer


class FastFetchApp(faust.App):
    """`faust.App` whose consumer transport uses `fetch_max_wait_ms` (default 100 ms)."""

    def __init__(
        self, *args: Any, fetch_max_wait_ms: int = DEFAULT_FETCH_WAIT_MS, **kwargs: Any
    ) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> Any:  # the consumer transport; the producer is unchanged
        return FastFetchTransport(self.conf.broker_consumer, self)
