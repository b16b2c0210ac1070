"""Erasure intake, suppression list and tombstone log against fakeredis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import fakeredis
import orjson
import pytest
import redis.asyncio

from handlers.erasure_person import identifier_hashes
from schemas.codes import AlertType
from schemas.config import RulesConfig
from schemas.enums import SuppressionScope
from schemas.events import ErasureIdentityReceived, ErasureRequested, SuppressionAdded
from schemas.messages import AlertMessage, PersonMessage, SalesforceEvent, encode_person_messages
from schemas.policy import Policy
from workers.cli import main
from workers.erasure.executor import Executor, ExecutorConfig
from workers.erasure.intake import apply_message, request_id_of
from workers.erasure.policy import load_policy
from workers.erasure.service import handle_cdc, handle_person_message
from workers.erasure.status import get_request, list_requests
from workers.erasure.store import RequestStore
from workers.erasure.suppression import SuppressionList, check_created
from workers.erasure.tombstones import TombstoneLog

pytestmark = pytest.mark.component
KEY = b"s" * 32
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
async def client() -> AsyncIterator[redis.asyncio.Redis]:
    fake = fakeredis.FakeAsyncRedis()
    yield fake
    await fake.aclose()


def requested(request_id: str = "er-1") -> PersonMessage:
    event = ErasureRequested(event_id=f"e-{request_id}", occurred_at=NOW, request_id=request_id)
    return PersonMessage(individual_id="0PK000000000001", kind="EVENT", event=event)


def test_intake_creates_then_verifies_and_ignores_redelivery() -> None:
    created = apply_message(None, requested())
    assert created is not None
    assert request_id_of(requested()) == "er-1"
    assert created.state == "received"
    assert apply_message(created, requested()) is None
    identity = PersonMessage(
        individual_id="0PK000000000001",
        kind="EVENT",
        event=ErasureIdentityReceived(event_id="i", occurred_at=NOW, request_id="er-1"),
    )
    verified = apply_message(created, identity)
    assert verified is not None
    assert verified.verified_at == NOW


def cdc(entity: str, payload: dict[str, object]) -> SalesforceEvent:
    header = {"entityName": entity, "changeType": "CREATE", "recordIds": ["00Qnew"]}
    return SalesforceEvent(
        channel=f"/data/{entity}ChangeEvent",
        replay_id=7,
        record_id="00Qnew",
        entity=entity,
        change_type="CREATE",
        payload={"ChangeEventHeader": header, **payload},
        received_at=NOW,
    )


async def test_recreated_lead_with_the_same_email_is_suppressed(
    client: redis.asyncio.Redis,
) -> None:
    suppression = SuppressionList(client, "t:", KEY)
    graph = {"Contact": [{"Id": "003", "Email": " Ada@Example.org ", "Phone": "020 7946 0000"}]}
    await suppression.add(identifier_hashes(graph, "UK", KEY), SuppressionScope.DM_ALL)
    lead = cdc("Lead", {"Email": "ada@example.org", "IndividualId": "0PK000000000009"})
    message = await check_created(lead, suppression)
    assert message is not None
    assert message.individual_id == "0PK000000000009"
    assert isinstance(message.event, SuppressionAdded)
    assert message.event.scope is SuppressionScope.DM_ALL
    assert "ada" not in message.model_dump_json().lower()
    phone = cdc("Lead", {"Phone": "+442079460000", "IndividualId": "0PK000000000009"})
    assert await check_created(phone, suppression) is not None
    other = cdc("Lead", {"Email": "bob@example.org", "IndividualId": "0PK000000000009"})
    assert await check_created(other, suppression) is None


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, object]] = []

    async def send(self, topic: str, key: str, value: object) -> None:
        self.sent.append((topic, key, value))


async def test_lead_without_an_individual_still_raises_the_alert(
    client: redis.asyncio.Redis,
) -> None:
    suppression = SuppressionList(client, "t:", KEY)
    graph = {"Contact": [{"Id": "003", "Email": "ada@example.org"}]}
    await suppression.add(identifier_hashes(graph, "UK", KEY), SuppressionScope.DM_ALL)
    recorder = Recorder()
    bare = cdc("Lead", {"Email": "ADA@example.org"})  # a web form creates a Lead only
    match = await handle_cdc(bare.model_dump_json().encode(), suppression, recorder)
    assert match is not None
    assert match.individual_id is None
    assert await check_created(bare, suppression) is None  # no Individual: no engine event
    ((topic, key, alert),) = recorder.sent
    assert (topic, key) == ("lawful.alerts.v1", "00Qnew")
    assert isinstance(alert, AlertMessage)
    assert alert.type is AlertType.SUPPRESSION_MATCH
    linked = cdc("Lead", {"Email": "ada@example.org", "IndividualId": "0PK000000000009"})
    await handle_cdc(linked.model_dump_json().encode(), suppression, recorder)
    assert [t for t, _, _ in recorder.sent[1:]] == ["lawful.person-events.v1", "lawful.alerts.v1"]
    assert "ada" not in str([v for _, _, v in recorder.sent]).lower()


async def test_tombstone_log_is_idempotent_and_tampering_is_reported(
    client: redis.asyncio.Redis, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jsonl = tmp_path / "tombstones.jsonl"
    log = TombstoneLog(client, "t:", jsonl)
    for n in range(3):
        fields = {
            "request_id": f"er-{n}",
            "individual_id": "0PK000000000001",
            "received_at": NOW,
            "executed_at": NOW,
            "policy_version": "1",
            "objects": [],
            "categories": [],
            "identifier_hashes": [],
            "actor": "test",
            "service": "lawful-erasure",
        }
        first = await log.append(fields)
        again = await log.append(fields)
        assert first == again
    assert len(jsonl.read_text().splitlines()) == 3
    assert main(["tombstones", "verify", "--file", str(jsonl)]) == 0
    lines = jsonl.read_text().splitlines()
    tampered = orjson.loads(lines[1])
    tampered["policy_version"] = "2"
    lines[1] = orjson.dumps(tampered).decode()
    jsonl.write_text("\n".join(lines) + "\n")
    assert main(["tombstones", "verify", "--file", str(jsonl)]) == 1
    assert "entry 1 (request er-1)" in capsys.readouterr().err


class NoSalesforce:
    """Any Salesforce call fails the test: a request waiting for identity must not start."""

    calls = 0

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"Salesforce used before identity was verified: {name}")


async def test_request_waits_for_identity_when_required(client: redis.asyncio.Redis) -> None:
    executor = Executor(
        sf=NoSalesforce(),  # type: ignore[arg-type]
        store=RequestStore(client, "t:"),
        tombstones=TombstoneLog(client, "t:", None),
        suppression=SuppressionList(client, "t:", KEY),
        producer=None,  # type: ignore[arg-type]
        policy=load_policy(),
        engine=Policy(RulesConfig(), ()),
        config=ExecutorConfig(identity_required=True),
    )
    assert await handle_person_message(executor, requested().model_dump_json().encode()) == ["er-1"]
    waiting = await executor.store.get("er-1")
    assert waiting is not None
    assert waiting.state == "received"
    assert await handle_person_message(executor, b"not json") == []
    # several person messages in one value (the worker's PersonMessages): each one is handled
    bundle = encode_person_messages(
        [requested("er-2").model_dump_json().encode(), requested("er-3").model_dump_json().encode()]
    )
    assert await handle_person_message(executor, bundle) == ["er-2", "er-3"]
    assert await executor.store.get("er-3") is not None


async def test_list_requests_for_the_api(client: redis.asyncio.Redis) -> None:
    store = RequestStore(client, "t:")
    first = apply_message(None, requested("er-a"))
    second = apply_message(None, requested("er-b"))
    assert first is not None
    assert second is not None
    await store.put(first)
    await store.put(second.moved("blocked", "ApiBudgetExhaustedError: budget"))
    listed = await list_requests(client, "t:")
    assert {r["request_id"] for r in listed} == {"er-a", "er-b"}
    blocked = await list_requests(client, "t:", state="blocked")
    assert [r["reason"] for r in blocked] == ["ApiBudgetExhaustedError: budget"]
    one = await get_request(client, "er-a", "t:")
    assert one is not None
    assert one["state"] == "received"
    assert await get_request(client, "nope", "t:") is None
