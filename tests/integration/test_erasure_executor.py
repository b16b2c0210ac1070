"""The erasure executor against the real emulator and Redis (Kafka replaced by a recorder)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio
import stamina
from prometheus_client import CollectorRegistry, generate_latest
from pydantic import BaseModel
from simple_salesforce.api import Salesforce

from handlers.tombstone_chain import first_break
from schemas.config import RulesConfig
from schemas.policy import Policy
from tests.fixtures.emulator import EmulatorHandle
from tests.integration.erasure_people import BuiltPerson, build_person
from workers.erasure import cli_actions
from workers.erasure.cooldown import RESUMED, retry_blocked
from workers.erasure.executor import Executor, ExecutorConfig
from workers.erasure.policy import load_policy
from workers.erasure.sf import ErasureSalesforce
from workers.erasure.store import ErasureRequest, RequestStore
from workers.erasure.suppression import SuppressionList
from workers.erasure.tombstones import TombstoneLog, read_jsonl
from workers.salesforce.errors import SalesforceRequestError
from workers.salesforce.rest import SimpleSalesforceRest
from workers.settings import RedisSettings, SalesforceSettings, Settings

pytestmark = pytest.mark.integration
KEY = b"k" * 32
RECIPIENTS = ("broker-1", "mailing-house")


class CrashError(Exception):
    """Simulated process death at a persisted step."""


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, BaseModel]] = []

    async def send(self, topic: str, key: str, value: BaseModel) -> None:
        self.sent.append((topic, key, value))

    def on(self, topic: str) -> list[BaseModel]:
        return [v for t, _, v in self.sent if t == topic]


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


@pytest.fixture
def sf(emulator: EmulatorHandle) -> Iterator[Salesforce]:
    client = emulator.salesforce()
    yield client
    client.session.close()


@pytest.fixture
async def rest(emulator: EmulatorHandle) -> AsyncIterator[SimpleSalesforceRest]:
    settings = SalesforceSettings.model_validate(
        {"credentials_file": emulator.credentials_path, "auth_flow": "jwt"}
    )
    adapter = SimpleSalesforceRest.from_settings(settings, registry=CollectorRegistry())
    yield adapter
    adapter.close()


@dataclass
class Env:
    rest: SimpleSalesforceRest
    redis: redis.asyncio.Redis
    prefix: str
    tmp: Path


@pytest.fixture
def env(
    rest: SimpleSalesforceRest, redis_client: redis.asyncio.Redis, redis_prefix: str, tmp_path: Path
) -> Env:
    return Env(rest, redis_client, redis_prefix, tmp_path)


def executor(
    env: Env,
    recorder: Recorder,
    *,
    purge: bool = False,
    bulk_threshold: int = 1000,
    blocked_retry_after: float | None = None,
) -> Executor:
    return Executor(
        sf=ErasureSalesforce(env.rest),
        store=RequestStore(env.redis, env.prefix),
        tombstones=TombstoneLog(env.redis, env.prefix, env.tmp / "tombstones.jsonl"),
        suppression=SuppressionList(env.redis, env.prefix, KEY),
        producer=recorder,
        policy=load_policy(),
        engine=Policy(RulesConfig(), ()),
        config=ExecutorConfig(
            recipients=RECIPIENTS,
            hash_key=KEY,
            max_attempts=3,
            retry_wait_max=0.05,
            purge_recycle_bin=purge,
            bulk_threshold=bulk_threshold,
            blocked_retry_after=blocked_retry_after,
        ),
    )


async def request(store: RequestStore, person: BuiltPerson, request_id: str) -> None:
    await store.put(
        ErasureRequest(
            request_id=request_id,
            individual_id=person.individual_id,
            received_at=datetime.now(UTC),
            actor="test",
        )
    )


# Filterable fields that held the person's values (long text areas cannot be filtered in SOQL).
SEARCHED = {
    "Individual": ("FirstName", "LastName"),
    "Contact": ("FirstName", "LastName", "Email", "Phone", "MailingCity"),
    "Lead": ("LastName", "Email", "Company"),
    "ContactPointEmail": ("EmailAddress",),
    "ContactPointPhone": ("TelephoneNumber",),
    "Case": ("Subject", "SuppliedEmail"),
    "EmailMessage": ("FromAddress", "Subject"),
    "Task": ("Subject",),
    "Event": ("Subject",),
    "ContentDocument": ("Title",),
    "ContentVersion": ("Title", "PathOnClient"),
}


def soql_finds(sf: Salesforce, values: list[str]) -> list[tuple[str, str]]:
    """(sobject, value) for every SOQL queryAll (recycle bin included) that finds a value."""
    found = []
    for value in values:
        for sobject, fields in SEARCHED.items():
            where = " OR ".join(f"{f} LIKE '%{value}%'" for f in fields)
            soql = f"SELECT Id FROM {sobject} WHERE {where}"  # noqa: S608 - test values
            if sf.query_all(soql, include_deleted=True)["totalSize"]:
                found.append((sobject, value))
    return found


def org_dump(emulator: EmulatorHandle) -> str:
    tables = emulator.org.store.tables
    return json.dumps({k: list(v.values()) for k, v in tables.items()}, default=str)


def live(emulator: EmulatorHandle, sobject: str, record_id: str) -> bool:
    record = emulator.org.store.tables.get(sobject, {}).get(record_id)
    return record is not None and not record.get("IsDeleted")


async def test_person_with_fifty_records_is_erased(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    person = build_person(sf)
    assert person.count >= 50
    assert len(soql_finds(sf, person.personal_values)) >= len(person.personal_values)  # before
    recorder = Recorder()
    ex = executor(env, recorder, purge=True)
    await request(ex.store, person, "er-full")
    done = await ex.run("er-full")
    assert done is not None
    assert done.state == "done", done.reason
    dump = org_dump(emulator)
    leaked = [v for v in person.personal_values if v in dump]
    assert not where_leaked(emulator, leaked), (
        done.plan and [m for m in done.plan.masks if m.sobject.startswith("Content")],
        person.ids["ContentVersion"],
    )
    assert not leaked
    soql = f"SELECT Id FROM Contact WHERE Email = '{person.personal_values[0]}'"  # noqa: S608
    assert sf.query_all(soql, include_deleted=True)["totalSize"] == 0
    assert not soql_finds(sf, person.personal_values)
    assert done.plan is not None
    assert done.plan.retained == ()  # no hold, contract or proof: nothing is kept
    assert live(emulator, "Individual", person.individual_id)  # masked, kept as the anchor
    assert live(emulator, "ContentDocument", person.shared_document)  # shared file kept
    for sobject in ("Contact", "Lead", "Case", "Task", "EmailMessage", "CampaignMember"):
        assert not any(live(emulator, sobject, i) for i in person.ids[sobject]), sobject
    assert len(recorder.on("lawful.erasure-notifications.v1")) == len(RECIPIENTS)
    (tomb,) = recorder.on("lawful.tombstones.v1")
    text = tomb.model_dump_json()
    assert not [v for v in person.personal_values if v in text]
    assert first_break(read_jsonl(env.tmp / "tombstones.jsonl")) is None
    assert done.api_calls <= 5 + 3 * 20  # purge costs 3 calls per object type
    contacts = emulator.org.store.tables["Contact"]
    assert not [i for i in person.ids["Contact"] if i in contacts]  # purged from the bin
    metrics = generate_latest(ex.metrics.registry).decode()
    assert "lawful_erasure_records_total" in metrics
    assert not [v for v in person.personal_values if v in metrics]


async def test_legal_hold_keeps_the_held_category(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    person = build_person(sf, hold_categories="CUSTOMER_SERVICE")
    recorder = Recorder()
    ex = executor(env, recorder)
    await request(ex.store, person, "er-hold")
    done = await ex.run("er-hold")
    assert done is not None
    assert done.state == "done", done.reason
    assert all(live(emulator, "Case", i) for i in person.ids["Case"])
    assert not any(live(emulator, "Task", i) for i in person.ids["Task"])
    kept = {c.category: c for c in done.categories if c.decision == "RETAINED"}
    assert kept["CUSTOMER_SERVICE"].ground == "Art. 17(3)(e) legal claims"
    assert kept["CUSTOMER_SERVICE"].legal_ref == "CLAIM-42"
    assert done.plan is not None
    retained = {(r.sobject, r.record_id) for r in done.plan.retained}
    expected = {("Case", i) for i in person.ids["Case"]}
    expected |= {("Lawful_Legal_Hold__c", i) for i in person.ids["Lawful_Legal_Hold__c"]}
    assert retained == expected  # exactly what the hold and the policy keep
    assert done.api_calls <= 7  # 2 describes (cached later), 4 reads, 1 mask + delete


async def test_contract_in_force_retains_the_contract_category(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    """The engine sees the person's contracts (won Opportunities through a contact role): under
    FR law contract data is kept until 5 years after the contract ends (gdpr-rules §4.4)."""
    person = build_person(sf, jurisdiction="FR", contract_in_force=True)
    ex = executor(env, Recorder())
    await request(ex.store, person, "er-contract")
    done = await ex.run("er-contract")
    assert done is not None
    assert done.state == "done", done.reason
    kept = {c.category: c for c in done.categories if c.decision == "RETAINED"}
    assert kept["CONTRACT_DATA"].ground == "Art. 17(3)(b) legal obligation"
    assert kept["CONTRACT_DATA"].retain_until is None  # the contract has not ended
    assert done.plan is not None
    assert {(r.sobject, r.record_id) for r in done.plan.retained} == {
        ("OpportunityContactRole", i) for i in person.ids["OpportunityContactRole"]
    }
    assert all(
        live(emulator, "OpportunityContactRole", i) for i in person.ids["OpportunityContactRole"]
    )
    assert not any(live(emulator, "Task", i) for i in person.ids["Task"])
    assert live(emulator, "Opportunity", person.deal)  # read for the contract, never erased


async def test_without_a_contract_the_contract_category_is_erased(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    person = build_person(sf, jurisdiction="FR")
    ex = executor(env, Recorder())
    await request(ex.store, person, "er-no-contract")
    done = await ex.run("er-no-contract")
    assert done is not None
    assert done.state == "done", done.reason
    erased = {c.category for c in done.categories if c.decision == "ERASED"}
    assert "CONTRACT_DATA" in erased
    assert not any(
        live(emulator, "OpportunityContactRole", i) for i in person.ids["OpportunityContactRole"]
    )


async def test_crash_at_every_step_resumes_to_the_same_end(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    crash_point = 0
    while True:
        person = build_person(sf)
        recorder = Recorder()
        request_id = f"er-crash-{crash_point}"
        seen = 0

        def hook(point: str, limit: int = crash_point + 1) -> None:
            nonlocal seen
            seen += 1
            if seen == limit:
                raise CrashError(point)

        first = executor(env, recorder)
        first.hook = hook
        await request(first.store, person, request_id)
        crashed = True
        try:
            await first.run(request_id)
            crashed = False
        except CrashError:
            pass
        second = executor(env, recorder)
        done = await second.run(request_id)
        assert done is not None
        assert done.state == "done", (crash_point, done.reason)
        assert not [v for v in person.personal_values if v in org_dump(emulator)]
        notices = [
            n
            for n in recorder.on("lawful.erasure-notifications.v1")
            if getattr(n, "request_id", None) == request_id
        ]
        assert len(notices) == len(RECIPIENTS), crash_point
        tombs = [
            t
            for t in recorder.on("lawful.tombstones.v1")
            if getattr(t, "request_id", None) == request_id
        ]
        assert len(tombs) == 1, crash_point
        if not crashed:
            break
        crash_point += 1
    log = TombstoneLog(env.redis, env.prefix, None)
    entries = await log.entries()
    assert len(entries) == crash_point + 1
    assert first_break(entries) is None
    assert crash_point >= 8  # every transition and chunk was a crash point


def where_leaked(emulator: EmulatorHandle, values: list[str]) -> list[tuple[str, str, str]]:
    found = []
    for sobject, table in emulator.org.store.tables.items():
        for record_id, record in table.items():
            for name, value in record.items():
                if any(v in str(value) for v in values):
                    found.append((sobject, record_id, name))
    return found


def org_outcome(emulator: EmulatorHandle, person: BuiltPerson) -> dict[str, list[str]]:
    """Per object, what became of each of the person's records (in creation order)."""
    outcome: dict[str, list[str]] = {}
    for sobject, ids in sorted(person.ids.items()):
        table = emulator.org.store.tables.get(sobject, {})
        states = []
        for record_id in ids:
            record = table.get(record_id)
            if record is None:
                states.append("purged")
            elif record.get("IsDeleted"):
                states.append("in recycle bin")
            else:
                states.append("masked" if not where_leaked_in(record, person) else "live")
        outcome[sobject] = states
    return outcome


def where_leaked_in(record: dict[str, object], person: BuiltPerson) -> list[str]:
    return [n for n, v in record.items() if any(p in str(v) for p in person.personal_values)]


async def wait_for_state(store: RequestStore, request_id: str, state: str, within: float) -> None:
    async with asyncio.timeout(within):
        while True:
            current = await store.get(request_id)
            if current is not None and current.state == state:
                return
            await asyncio.sleep(0.05)


async def test_emulator_faults_delay_but_never_corrupt(
    emulator: EmulatorHandle, sf: Salesforce, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Token expiry, a 5xx burst and REQUEST_LIMIT_EXCEEDED mid-erasure: the request is blocked
    (reason, alert) until the cool-down set through the environment ends, then finishes on its
    own (`lawful erase run`'s scan, no operator) with the same org state as a fault-free run."""
    monkeypatch.setenv("LAWFUL_ERASURE__BLOCKED_RETRY_AFTER", "1.5")
    cooldown = Settings().erasure.blocked_retry_after
    assert cooldown == 1.5
    clean_person, person = build_person(sf), build_person(sf)
    clean = executor(env, Recorder(), purge=True)
    await request(clean.store, clean_person, "er-fault-free")
    clean_done = await clean.run("er-fault-free")
    assert clean_done is not None
    assert clean_done.state == "done", clean_done.reason

    recorder = Recorder()
    ex = executor(env, recorder, purge=True, blocked_retry_after=cooldown)
    blocked_at: list[float] = []

    def faults(point: str) -> None:
        if point == "planned":
            emulator.org.revoke_tokens()  # token expiry: one re-login
        elif point == "masking":
            emulator.org.faults.error_burst(5, 503)  # more than the adapter's own retries
        elif point == "deleting":
            emulator.org.exhaust_api()  # REQUEST_LIMIT_EXCEEDED mid-erasure (before the purge)
        elif point == "blocked":
            blocked_at.append(time.monotonic())
            emulator.org.api_usage.reset()  # the org's rolling 24 h window frees up meanwhile

    ex.hook = faults
    await request(ex.store, person, "er-faults")
    stop = asyncio.Event()
    scanner = asyncio.create_task(retry_blocked(ex, stop))  # what `lawful erase run` runs
    try:
        blocked = await ex.run("er-faults")
        assert blocked is not None
        assert blocked.state == "blocked"
        assert blocked.reason is not None
        assert "REQUEST_LIMIT_EXCEEDED" in blocked.reason or "budget" in blocked.reason.lower()
        assert "automatic retry at" in blocked.reason
        assert blocked.retry_at is not None
        assert await ex.store.due_retries(blocked.retry_at.timestamp()) == ["er-faults"]
        assert [a for a in recorder.on("lawful.alerts.v1") if "BLOCKED" in a.model_dump_json()]
        await wait_for_state(ex.store, "er-faults", "done", within=30)
    finally:
        stop.set()
        await scanner
        emulator.org.reset_faults()
    done = await ex.store.get("er-faults")
    assert done is not None
    assert done.state == "done", done.reason
    states = [t.state for t in done.history]
    assert states.index("masking") < states.index("blocked")
    (resumed,) = [t for t in done.history if t.reason == RESUMED]
    assert states[states.index("blocked") + 1] == resumed.state == "purging"
    blocked_step = done.history[states.index("blocked")]
    assert (resumed.at - blocked_step.at).total_seconds() >= cooldown  # delayed, not skipped
    assert blocked_at  # the hook saw the block
    assert done.retry_at is None
    assert await ex.store.due_retries(time.time() + 3600) == []
    # never corrupt: the same end as the fault-free run, nothing personal, one tombstone
    assert org_outcome(emulator, person) == org_outcome(emulator, clean_person)
    assert not where_leaked(emulator, person.personal_values)
    for sobject in ("Contact", "Lead", "Task", "ContactPointEmail"):
        assert not any(live(emulator, sobject, i) for i in person.ids[sobject]), sobject
    assert len(recorder.on("lawful.tombstones.v1")) == 1
    notices = recorder.on("lawful.erasure-notifications.v1")
    assert sorted(getattr(n, "recipient_id", "") for n in notices) == sorted(RECIPIENTS)
    assert done.plan is not None
    assert clean_done.plan is not None
    assert len(done.plan.deletes) == len(clean_done.plan.deletes)
    assert len(done.plan.masks) == len(clean_done.plan.masks)


async def test_non_retriable_block_waits_for_an_operator(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    """A refusal that time cannot fix (missing permission) stays blocked: no retry time, no
    automatic resume however long the scan runs."""
    person = build_person(sf)
    recorder = Recorder()
    ex = executor(env, recorder, blocked_retry_after=0.1)

    async def refused(*args: object) -> object:
        raise SalesforceRequestError(403, "INSUFFICIENT_ACCESS", "no delete permission")

    ex.sf.mask_then_delete = refused  # type: ignore[method-assign,assignment]
    await request(ex.store, person, "er-refused")
    blocked = await ex.run("er-refused")
    assert blocked is not None
    assert blocked.state == "blocked"
    assert blocked.retry_at is None
    assert "INSUFFICIENT_ACCESS" in (blocked.reason or "")
    stop = asyncio.Event()
    scanner = asyncio.create_task(retry_blocked(ex, stop))
    await asyncio.sleep(1.0)
    stop.set()
    await scanner
    still = await ex.store.get("er-refused")
    assert still is not None
    assert still.state == "blocked"
    assert [t.state for t in still.history].count("blocked") == 1
    assert await ex.store.due_retries(time.time() + 3600) == []
    assert all(live(emulator, "Contact", i) for i in person.ids["Contact"])


async def test_large_graphs_use_bulk_hard_delete(
    emulator: EmulatorHandle, sf: Salesforce, env: Env
) -> None:
    person = build_person(sf)
    recorder = Recorder()
    ex = executor(env, recorder, bulk_threshold=10)
    await request(ex.store, person, "er-bulk")
    done = await ex.run("er-bulk")
    assert done is not None
    assert done.state == "done", done.reason
    assert done.bulk
    for sobject in ("Contact", "Task", "Lawful_Engagement_Event__c"):  # gone, not in the bin
        table = emulator.org.store.tables.get(sobject, {})
        assert not [i for i in person.ids[sobject] if i in table], sobject
    assert not where_leaked(emulator, person.personal_values)


async def test_plan_is_a_dry_run(
    emulator: EmulatorHandle, sf: Salesforce, env: Env, redis_url: str
) -> None:
    person = build_person(sf)
    before = org_dump(emulator)
    settings = Settings(
        salesforce=SalesforceSettings.model_validate(
            {"credentials_file": emulator.credentials_path, "auth_flow": "jwt"}
        ),
        redis=RedisSettings(url=redis_url, key_prefix=env.prefix),
        data_dir=env.tmp,
    )
    lines = await cli_actions.plan(settings, person.individual_id)
    assert org_dump(emulator) == before
    text = "\n".join(lines)
    assert all(f"delete Contact {i}" in text for i in person.ids["Contact"])
    assert not [v for v in person.personal_values if v in text]
    assert await RequestStore(env.redis, env.prefix).ids() == []
