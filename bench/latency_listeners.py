"""The listeners of bench/latency.py: one raw aiokafka consumer of lawful's topics and an
optional aiosfstream_ng subscriber of the org's CDC channel (the baselines)."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition  # type: ignore[import-untyped]
from aiosfstream_ng.client import Client
from aiosfstream_ng.replay import ReplayOption

from bench.emulator_cdc import Target, _Authenticator
from bench.latency_tracking import Tracker
from emulator.server import EmulatorServer

CDC_TOPIC = "lawful.sf-cdc.v1"
PERSON_TOPIC = "lawful.person-events.v1"
CHANGES_TOPIC = "lawful.permission-changes.v1"
CONSENT_CHANNEL = "/data/ContactPointTypeConsentChangeEvent"


async def start_consumer(bootstrap: str, partitions: int, fetch_wait_ms: int) -> AIOKafkaConsumer:
    """Assigned to every partition of the three topics, positioned at their current end."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="latest",
        fetch_max_wait_ms=fetch_wait_ms,
    )
    await consumer.start()
    assigned = [
        TopicPartition(topic, p)
        for topic in (CDC_TOPIC, PERSON_TOPIC, CHANGES_TOPIC)
        for p in range(partitions)
    ]
    consumer.assign(assigned)
    for tp in assigned:
        await consumer.position(tp)  # resolve "latest" now, before any change is made
    return consumer


async def consume(
    consumer: AIOKafkaConsumer,
    tracker: Tracker,
    stop: asyncio.Event,
    *,
    poll_interval_s: float = 0.1,
    arrival_times: bool = False,
) -> None:
    """Feed every message to the tracker, timed by its Kafka timestamp: the CreateTime its
    producer set when it sent it (the bridge's, the worker's), on this machine's clock.

    The instrument then costs little: it reads only every `poll_interval_s`. (Tansu's cost of a
    fetch grows with the batches stored in the partition; a second consumer fetching as soon as
    anything arrived added about 0.6 ms of Tansu CPU per change at 500/s.) With `arrival_times`
    a message is timed by the return of the fetch that brought it, and the consumer fetches
    continuously: the earlier ruler, which adds the fetch's own delay (p50 about 15 ms).
    """
    while not stop.is_set():
        batches = await consumer.getmany(timeout_ms=200, max_records=20000)
        arrived = time.monotonic()
        wall_minus_monotonic = time.time() - arrived
        for tp, records in batches.items():
            for record in records:
                at = arrived if arrival_times else record.timestamp / 1000 - wall_minus_monotonic
                value: dict[str, Any] = orjson.loads(record.value)
                if tp.topic == CDC_TOPIC:
                    tracker.cdc_event(value.get("record_id"), value.get("replay_id"), at)
                elif tp.topic == PERSON_TOPIC:  # one person message, or several (BATCH)
                    for message in value.get("messages", [value]):
                        tracker.person_event(message.get("source_replay_id"), at)
                else:
                    trigger = value.get("trigger") or {}
                    tracker.permission_change(trigger.get("replay_id"), at)
        if not arrival_times:
            await asyncio.sleep(poll_interval_s)


def cometd_target(server: EmulatorServer) -> Target:
    creds = server.credentials
    if creds is None:
        raise RuntimeError("the emulator started without credentials")
    form = {
        "grant_type": "password",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "username": creds.username,
        "password": creds.password + creds.security_token,
    }
    context = ssl.create_default_context(cafile=creds.ca_path)
    return Target(creds.instance_url, creds.token_url, form, context, server.hub)


async def subscribe_cometd(server: EmulatorServer) -> Client:
    """A plain aiosfstream_ng subscriber of the consent CDC channel (new events only)."""
    target = cometd_target(server)
    client = Client(_Authenticator(target), replay=ReplayOption.NEW_EVENTS)
    client.ssl = target.context  # aiocometd's SSL option; aiosfstream_ng doesn't forward it
    await client.open()
    await client.subscribe(CONSENT_CHANNEL)
    return client


async def listen_cometd(client: Client, received: dict[int, float], stop: asyncio.Event) -> None:
    """Receive instants by replay id until `stop`."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            message = await asyncio.wait_for(client.receive(), 0.5)
            received[int(message["data"]["event"]["replayId"])] = time.monotonic()
