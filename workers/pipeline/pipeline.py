"""The assembled worker: Faust app, topics, tables, agents, scheduler timer, catalogue, health."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import redis.asyncio
import structlog

from workers.pipeline.acks import defer_acks
from workers.pipeline.app import PipelineTopics, build_faust_app
from workers.pipeline.bundles import PersonBundles, expand_person_messages
from workers.pipeline.consume import BatchHandler, Expand, Handler, consume_batches
from workers.pipeline.dlq import DeadLetters
from workers.pipeline.health import readiness, register_health_pages
from workers.pipeline.links import LinkStore
from workers.pipeline.metrics import PipelineMetrics
from workers.pipeline.outbox import Outbox
from workers.pipeline.persons import PersonsProcessor
from workers.pipeline.ports import EngineBinding, RecordReader
from workers.pipeline.purposes import PurposeCatalogue, load_rules
from workers.pipeline.records import CDC_TOPIC, PERSON_EVENTS_TOPIC, RecordsProcessor
from workers.pipeline.redis_restore import RedisRestore
from workers.pipeline.scheduler import WakeupSchedule, send_due_ticks
from workers.redis_client import redis_client
from workers.settings import Settings

log = structlog.get_logger("lawful.pipeline")

PLATFORM_EVENTS_TOPIC = "lawful.sf-events.v1"
MARKER_KEY = b"\x00lawful-marker"  # never a record or Individual id


class Pipeline:
    """Everything `lawful worker` runs; `app` is the Faust app to hand to a Faust worker."""

    def __init__(
        self,
        settings: Settings,
        engine: EngineBinding,
        *,
        redis: redis.asyncio.Redis | None = None,
        reader: RecordReader | None = None,
        metrics: PipelineMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics or PipelineMetrics()
        self.redis = redis if redis is not None else redis_client(settings)
        self.reader = reader
        self.app = build_faust_app(settings)
        self.prefix = settings.kafka.topic_prefix
        self.topics = PipelineTopics.declare(self.app, self.prefix)
        self.topic_names = {name: topic.get_topic_name() for name, topic in self.topics.items()}
        self.outbox = Outbox(
            lambda: self.app.producer,
            # getattr: Faust types the setting as a method of Settings, which mypy rejects
            default_partitioner=getattr(self.app.conf, "producer_partitioner", None) is None,
        )
        self._sent = {name: self.metrics.events_out.labels(topic=name) for name in self.topic_names}
        self._unsent_counts: dict[str, int] = dict.fromkeys(self.topic_names, 0)
        self.bundles = PersonBundles()
        self.records_table = self._table("records")
        self.persons_table = self._table("persons")
        key_prefix = settings.redis.key_prefix
        self.schedule = WakeupSchedule(self.redis, key_prefix)
        self.catalogue = PurposeCatalogue(
            self.redis,
            key_prefix,
            load_rules(settings.engine_config_file),
            engine.purpose_from_fields,
        )
        self.dead_letters = DeadLetters(self.send, self.metrics)
        self.records = RecordsProcessor(
            engine.apply_record,
            self.send,
            reader=reader,
            on_catalogue=self.catalogue.apply,
            on_resync=lambda order: self.metrics.resyncs.labels(reason=order.reason).inc(),
        )
        self.persons = PersonsProcessor(
            engine.step_person,
            self.send,
            lambda: self.catalogue.policy,
            self.schedule,
            on_alert=self.metrics.alerts.inc,
        )
        self.restore = RedisRestore(
            self.schedule,
            LinkStore(self.redis, key_prefix),  # the records engine's links
            persons=self.persons_table,
            records=self.records_table,
            partitions=settings.kafka.partitions,
        )
        self.metrics.lag.highwaters = self.highwaters
        self._ready = asyncio.Event()
        self._platform_images: dict[str, bytes] = {}  # platform events keep no image
        self._register()

    def _table(self, name: str) -> Any:
        # bytes keys and values use the "raw" codec in the changelog and in recovery, and the
        # partitioner then puts each key where the source topic has it (use_partitioner: the
        # writes happen after a whole batch, outside the iteration of one event).
        return self.app.Table(
            name,
            key_type=bytes,
            value_type=bytes,
            partitions=self.settings.kafka.partitions,
            use_partitioner=True,
        )

    def highwaters(self) -> dict[tuple[str, int], int]:
        """The consumer's high watermarks of its assigned partitions (known ones only)."""
        consumer = self.app.consumer
        ends: dict[tuple[str, int], int] = {}
        for tp in consumer.assignment():
            end: int | None = consumer.highwater(tp)  # aiokafka: None before the first fetch
            if end is not None:
                ends[(tp.topic, tp.partition)] = end
        return ends

    async def send(self, topic: str, key: str | None, value: bytes) -> None:
        """Produce `value` to lawful's `topic` (name without prefix), keyed by `key`."""
        # Kept in the outbox: the batch's `flush` waits until every kept message is on the broker.
        # Person messages wait in `bundles` until the flush (one Kafka message per partition).
        raw_key = key.encode() if key is not None else None
        name = self.topic_names[topic]
        if topic == PERSON_EVENTS_TOPIC and raw_key is not None:
            self.bundles.add(await self.outbox.partition_for(name, raw_key), raw_key, value)
        else:
            await self.outbox.send(name, raw_key, value)
        self._unsent_counts[topic] += 1  # into the metric at the flush (one lock per topic)

    async def flush(self) -> None:
        """Wake-up schedule writes, then every kept or buffered message, on their servers."""
        await self.schedule.flush()
        await self.flush_outputs()

    async def flush_outputs(self) -> None:
        """Every kept output and every buffered message (changelogs, markers) on the broker."""
        for topic, count in self._unsent_counts.items():  # counted as handed to the producer
            if count:
                self._sent[topic].inc(count)
                self._unsent_counts[topic] = 0
        if len(self.bundles):
            name = self.topic_names[PERSON_EVENTS_TOPIC]
            for partition, key, value in self.bundles.drain():
                self.outbox.send_to(name, partition, key, value)
        await self.outbox.flush()
        await self.app.producer.flush()

    def _register(self) -> None:
        app = self.app

        async def records(stream: Any) -> None:
            await self.consume(
                stream, CDC_TOPIC, "records", self.records.handle, self.records_table
            )

        async def persons(stream: Any) -> None:
            await self.consume(
                stream,
                PERSON_EVENTS_TOPIC,
                "persons",
                self.persons.handle,
                self.persons_table,
                batch_handler=self.persons.handle_batch,
                expand=expand_person_messages,
            )

        async def platform(stream: Any) -> None:
            await self.consume(
                stream,
                PLATFORM_EVENTS_TOPIC,
                "platform",
                self.records.handle,
                self._platform_images,
            )

        app.agent(self.topics[CDC_TOPIC], name="records")(records)
        app.agent(self.topics[PERSON_EVENTS_TOPIC], name="persons")(persons)
        app.agent(self.topics[PLATFORM_EVENTS_TOPIC], name="platform-events")(platform)
        app.timer(self.settings.pipeline.scheduler_interval, name="wakeups")(self.wake_up)
        app.task(self.start_up)
        register_health_pages(app, self.metrics.registry, started=self._ready.is_set)

    async def start_up(self) -> None:
        """Load the purpose catalogue (SOQL if Salesforce is configured, else the Redis cache)."""
        try:
            if self.reader is not None:
                count = await self.catalogue.load_from_salesforce(self.reader)
                log.info("catalogue_from_salesforce", purposes=count)
            else:
                await self.catalogue.refresh()
        except Exception as exc:  # noqa: BLE001 - keep running on the cached catalogue
            log.warning("catalogue_load_failed", error_type=type(exc).__name__)
            await self.catalogue.refresh()
        self._ready.set()

    async def wake_up(self) -> None:
        """Timer: catalogue refresh; what Redis lost restored; TICKs for due persons of our
        person-events partitions. Each step fails on its own and is retried at the next tick."""
        if not self._ready.is_set():
            return
        partitions = self._assigned(PERSON_EVENTS_TOPIC)
        try:
            await self.catalogue.refresh()
        except Exception as exc:  # noqa: BLE001 - the cached catalogue stays in use
            log.warning("catalogue_refresh_failed", error_type=type(exc).__name__)
        try:
            if readiness(self.app, self._ready.is_set)[0]:  # the tables are fully recovered
                await self.restore.run(partitions, self._assigned(CDC_TOPIC))
        except Exception as exc:  # noqa: BLE001 - TICKs for the rest still go out
            log.warning("redis_restore_failed", error_type=type(exc).__name__)
        try:
            sent = await send_due_ticks(
                self.schedule,
                partitions,
                self.send,
                PERSON_EVENTS_TOPIC,
                flush=self.flush_outputs,
            )
            self.metrics.ticks.inc(sent)
        except Exception as exc:  # noqa: BLE001 - a failed scan is retried at the next tick
            log.warning("wakeup_scan_failed", error_type=type(exc).__name__)

    def _assigned(self, topic: str) -> list[int]:
        """Our partitions of lawful's `topic` (name without prefix)."""
        name = f"{self.prefix}{topic}"
        return sorted(tp.partition for tp in self.app.consumer.assignment() if tp.topic == name)

    async def consume(
        self,
        stream: Any,
        topic: str,
        agent: str,
        handler: Handler,
        table: Any,
        *,
        batch_handler: BatchHandler | None = None,
        expand: Expand | None = None,
    ) -> None:
        """Run `handler` on every event once the catalogue is loaded (see `consume_batches`)."""
        await self._ready.wait()
        pipeline = self.settings.pipeline
        direct = self._direct_store(table)
        await consume_batches(
            stream.take_events(pipeline.batch_max, within=pipeline.batch_within),
            handler,
            table,
            topic=topic,
            agent=agent,
            dead_letters=self.dead_letters,
            metrics=self.metrics,
            attempts=pipeline.retry_attempts,
            wait_max=pipeline.retry_wait_max,
            flush=self.flush,
            mark=functools.partial(self.mark, table),
            bytes_keys=table is not self._platform_images,
            store=functools.partial(self.store, table) if direct else None,
            batch_handler=batch_handler,
            expand=expand,
            round_max=pipeline.batch_max,
            ack=defer_acks(stream) if direct else None,
        )

    def _direct_store(self, table: Any) -> bool:
        """Faust memory-store tables with raw codecs (any other table keeps its own API)."""
        return (
            table is not self._platform_images
            and str(self.app.conf.store).startswith("memory:")
            and table.key_serializer == "raw"
            and table.value_serializer == "raw"
        )

    async def store(self, table: Any, changes: list[tuple[Any, bytes | None]]) -> None:
        """A batch's table writes as Faust makes them (the local store, and one raw changelog
        record per key on the key's partition), with the changelog records in the outbox
        rather than Faust's one-by-one producer buffer."""
        data = table.data
        changelog = table.changelog_topic.get_topic_name()
        for key, value in changes:
            if value is not None:
                data[key] = value
            elif key in data:
                del data[key]
            else:
                continue
            await self.outbox.send(changelog, key, value)

    async def mark(self, table: Any, partitions: set[int]) -> None:
        """A one-record changelog batch per partition behind the batch's state writes.

        A table written by `store` keeps its markers in the outbox, each as a record batch of
        its own behind the partition's state writes: the caller's next flush sends and waits
        for all of them. Any other table writes through Faust's producer buffer, which could
        put a marker into the batch of the writes before it: those writes are flushed first,
        then the markers go through the buffer (`send_soon`) and are awaited. Faust's own
        `producer.flush()` alone is not enough there: its buffer flush gives up after 0.1 s
        without progress, and `topic.send` would overtake the buffer.
        """
        changelog = getattr(table, "changelog_topic", None)
        if changelog is None:
            return
        if self._direct_store(table):
            name = changelog.get_topic_name()
            for partition in sorted(partitions):
                self.outbox.send_alone(name, partition, MARKER_KEY, b"")
            return
        await self.flush()
        markers = [
            changelog.send_soon(key=MARKER_KEY, value=b"", partition=partition)
            for partition in sorted(partitions)
        ]
        await asyncio.gather(*markers)
        await self.app.producer.flush()
