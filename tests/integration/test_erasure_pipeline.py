"""`lawful erase run` end to end on Tansu + Redis + the emulator: a request on
lawful.person-events.v1 ends in a tombstone, Art. 19 notices and ERASURE_EXECUTED; a re-created
Lead with the same email is flagged by suppression within seconds; nothing personal is kept."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
import urllib.request
from pathlib import Path

import orjson
import pytest
import redis.asyncio

from schemas.messages import PersonMessage, SalesforceEvent
from schemas.tombstone import ErasureNotification, Tombstone
from tests.fixtures.emulator import EmulatorHandle
from tests.fixtures.kafka import create_lawful_topics, produce, read_values
from tests.integration.erasure_people import build_person
from workers.cli import main
from workers.erasure import cli_actions
from workers.settings import (
    ErasureSettings,
    KafkaSettings,
    RedisSettings,
    SalesforceSettings,
    Settings,
    WebSettings,
)

pytestmark = pytest.mark.integration
RECIPIENTS = ("reinsurer-7", "mailing-house")


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        body: bytes = response.read()
        return body.decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def settings_for(
    *,
    emulator: EmulatorHandle,
    bootstrap: str,
    prefix: str,
    redis_url: str,
    redis_prefix: str,
    data_dir: Path,
) -> Settings:
    return Settings(
        kafka=KafkaSettings(bootstrap=bootstrap, topic_prefix=prefix, partitions=4),
        redis=RedisSettings(url=redis_url, key_prefix=redis_prefix),
        salesforce=SalesforceSettings.model_validate(
            {"credentials_file": emulator.credentials_path, "auth_flow": "jwt"}
        ),
        erasure=ErasureSettings(recipients=RECIPIENTS),
        web=WebSettings(port=free_port()),
        tombstone_key="test-tombstone-key-0123456789abcdef",
        data_dir=data_dir,
    )


async def redis_dump(url: str, prefix: str) -> str:
    client = redis.asyncio.Redis.from_url(url)
    parts: list[str] = []
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            kind = str(await client.type(key))
            kind = kind[2:-1] if kind.startswith("b'") else kind
            if kind == "string":
                parts.append(str(await client.get(key)))
            elif kind == "list":
                parts.append(str(await client.lrange(key, 0, -1)))
            elif kind == "set":
                parts.append(str(await client.smembers(key)))
            elif kind == "hash":
                parts.append(str(await client.hgetall(key)))
            elif kind == "zset":
                parts.append(str(await client.zrange(key, 0, -1)))
    finally:
        await client.aclose()
    return "\n".join(parts)


async def test_request_to_tombstone_and_suppression(
    *,
    emulator: EmulatorHandle,
    kafka_bootstrap: str,
    topic_prefix: str,
    redis_url: str,
    redis_prefix: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await create_lawful_topics(kafka_bootstrap, topic_prefix)
    settings = settings_for(
        emulator=emulator,
        bootstrap=kafka_bootstrap,
        prefix=topic_prefix,
        redis_url=redis_url,
        redis_prefix=redis_prefix,
        data_dir=tmp_path,
    )
    sf = emulator.salesforce()
    try:
        person = build_person(sf)
    finally:
        sf.session.close()
    service = asyncio.create_task(cli_actions.run(settings))
    try:
        started = time.monotonic()
        request_id = await cli_actions.request(settings, person.individual_id, None, "test")
        tombstones = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.tombstones.v1",
            Tombstone,
            done=lambda v: any(t.request_id == request_id for t in v),
            within=60,
        )
        elapsed = time.monotonic() - started
        notices = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.erasure-notifications.v1",
            ErasureNotification,
            done=lambda v: len(v) >= len(RECIPIENTS),
        )
        events = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.person-events.v1",
            PersonMessage,
            done=lambda v: any(m.event and m.event.kind == "ERASURE_EXECUTED" for m in v),
        )
        (tomb,) = [t for t in tombstones if t.request_id == request_id]
        assert {n.recipient_id for n in notices} == set(RECIPIENTS)
        assert {r.recipient_id for r in tomb.recipients} == set(RECIPIENTS)
        assert tomb.identifier_hashes
        assert elapsed < 30
        # a system re-creates the person as a Lead: the bridge would put this CREATE on CDC
        lead = SalesforceEvent(
            channel="/data/LeadChangeEvent",
            replay_id=1,
            record_id="00Q5g000009zzzzAAA",
            entity="Lead",
            change_type="CREATE",
            payload={
                "ChangeEventHeader": {"entityName": "Lead", "changeType": "CREATE"},
                "Email": person.personal_values[0].upper(),
                "IndividualId": "0PK5g000009zzzzGAA",
            },
            received_at=tomb.executed_at,
        )
        flagged_from = time.monotonic()
        await produce(kafka_bootstrap, f"{topic_prefix}lawful.sf-cdc.v1", [lead])
        events = await read_values(
            kafka_bootstrap,
            f"{topic_prefix}lawful.person-events.v1",
            PersonMessage,
            done=lambda v: any(m.event and m.event.kind == "SUPPRESSION" for m in v),
            within=20,
        )
        assert time.monotonic() - flagged_from < 10
        (match,) = [m for m in events if m.event and m.event.kind == "SUPPRESSION"]
        assert match.individual_id == "0PK5g000009zzzzGAA"
        metrics_url = f"http://127.0.0.1:{settings.web.port}/metrics"
        metrics = await asyncio.to_thread(fetch, metrics_url)
        assert 'lawful_erasure_requests{state="done"} 1.0' in metrics
    finally:
        service.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await service
    # nothing personal in tombstones, Redis, the JSONL log, the topics or the logs
    jsonl = (tmp_path / "tombstones.jsonl").read_text()
    stored = await redis_dump(redis_url, redis_prefix)
    assert request_id in stored
    assert tomb.identifier_hashes[0] in stored  # the suppression set was scanned too
    topics = "\n".join(m.model_dump_json() for m in [*tombstones, *notices, *events])
    out, err = capfd.readouterr()
    for haystack in (jsonl, stored, topics, out, err, metrics):
        leaked = [v for v in person.personal_values if v.lower() in haystack.lower()]
        assert not leaked
    monkeypatch.setenv("LAWFUL_REDIS__URL", redis_url)
    monkeypatch.setenv("LAWFUL_REDIS__KEY_PREFIX", redis_prefix)
    assert await asyncio.to_thread(main, ["tombstones", "verify"]) == 0
    client = redis.asyncio.Redis.from_url(redis_url)
    try:  # tampering with the stored entry (fewer records claimed deleted) is detected
        key = f"{redis_prefix}tombstones"
        raw = await client.lindex(key, 0)
        assert raw is not None
        entry = orjson.loads(raw)
        entry["objects"][0]["deleted"] += 1
        await client.lset(key, 0, orjson.dumps(entry).decode())
    finally:
        await client.aclose()
    assert await asyncio.to_thread(main, ["tombstones", "verify"]) == 1
