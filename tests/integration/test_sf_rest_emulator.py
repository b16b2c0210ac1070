"""Auth flows and the REST adapter against the real emulator (HTTPS on loopback)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import stamina
from prometheus_client import CollectorRegistry

from tests.fixtures.emulator import EmulatorHandle
from workers.salesforce.auth import fetch_token, requests_session
from workers.salesforce.credentials import SalesforceCredentials, load_credentials
from workers.salesforce.errors import (
    ApiBudgetExhaustedError,
    SalesforceAuthError,
)
from workers.salesforce.rest import SimpleSalesforceRest
from workers.salesforce.streaming_auth import streaming_authenticator
from workers.settings import SalesforceSettings

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


def settings_for(emulator: EmulatorHandle, **overrides: object) -> SalesforceSettings:
    return SalesforceSettings.model_validate(
        {"credentials_file": emulator.credentials_path, **overrides}
    )


@pytest.fixture
def rest(emulator: EmulatorHandle) -> Iterator[SimpleSalesforceRest]:
    adapter = SimpleSalesforceRest.from_settings(
        settings_for(emulator, auth_flow="jwt"), registry=CollectorRegistry()
    )
    yield adapter
    adapter.close()


def requests_total(rest: SimpleSalesforceRest, op: str, status: str) -> float:
    value = rest.metrics.registry.get_sample_value(
        "lawful_salesforce_requests_total", {"op": op, "status": status}
    )
    return value or 0.0


@pytest.mark.parametrize("flow", ["jwt", "password"])
async def test_both_auth_flows_get_tokens(emulator: EmulatorHandle, flow: str) -> None:
    credentials = load_credentials(settings_for(emulator, auth_flow=flow))
    assert credentials.ca_bundle == emulator.ca_path
    with requests_session(credentials) as session:
        token = fetch_token(credentials, session, now=datetime.now(UTC))
    assert token.instance_url == emulator.instance_url
    authenticator = streaming_authenticator(credentials)
    await authenticator.authenticate()  # aiohttp, trusting the emulator's CA
    assert authenticator.instance_url == emulator.instance_url
    assert authenticator.access_token
    assert authenticator.access_token != token.access_token.get_secret_value()


def test_wrong_secret_is_refused(emulator: EmulatorHandle) -> None:
    good = load_credentials(settings_for(emulator, auth_flow="password"))
    bad = SalesforceCredentials.model_validate(
        {**good.model_dump(), "password": "wrong", "client_secret": "wrong"}
    )
    with requests_session(bad) as session, pytest.raises(SalesforceAuthError, match="invalid"):
        fetch_token(bad, session, now=datetime.now(UTC))


async def test_collections_and_paged_query(
    emulator: EmulatorHandle, rest: SimpleSalesforceRest
) -> None:
    tag = uuid.uuid4().hex[:10]
    records = [{"LastName": f"Paged{tag}", "FirstName": f"N{i:03d}"} for i in range(205)]
    created = await rest.create("Contact", records)
    assert len(created) == 205
    assert all(r.success and r.id for r in created)
    ids = [str(r.id) for r in created]

    page_size = emulator.org.config.query_page_size
    emulator.org.config.query_page_size = 50
    try:
        soql = f"SELECT Id, FirstName FROM Contact WHERE LastName = 'Paged{tag}'"  # noqa: S608
        rows = await rest.query_all(soql)
    finally:
        emulator.org.config.query_page_size = page_size
    assert sorted(row["Id"] for row in rows) == sorted(ids)
    assert requests_total(rest, "query_more", "200") >= 4  # 205 rows in pages of 50

    updated = await rest.update("Contact", [{"Id": ids[0], "Email": f"{tag}@example.org"}])
    assert updated[0].success
    record = await rest.get("Contact", ids[0], ["Id", "Email"])
    assert record is not None
    assert record["Email"] == f"{tag}@example.org"
    assert (await rest.describe("Contact"))["name"] == "Contact"

    deleted = await rest.delete(ids)
    assert all(r.success for r in deleted)
    assert requests_total(rest, "delete", "200") == 2  # 205 ids -> chunks of 200 + 5
    assert await rest.get("Contact", ids[0]) is None
    gone = await rest.query_all(
        f"SELECT Id, IsDeleted FROM Contact WHERE LastName = 'Paged{tag}'",  # noqa: S608
        include_deleted=True,
    )
    assert len(gone) == 205
    assert all(row["IsDeleted"] for row in gone)
    assert rest.api_usage is not None
    assert rest.api_usage.total == emulator.org.api_usage.limit


async def test_revoked_session_relogs_in_once(
    emulator: EmulatorHandle, rest: SimpleSalesforceRest
) -> None:
    await rest.describe("Contact")
    emulator.org.revoke_tokens()
    rows = await rest.query_all("SELECT Id FROM Contact LIMIT 1")
    assert isinstance(rows, list)
    assert requests_total(rest, "query", "401") == 1
    assert requests_total(rest, "query", "200") == 1


async def test_server_errors_are_retried(
    emulator: EmulatorHandle, rest: SimpleSalesforceRest
) -> None:
    emulator.org.faults.error_burst(2, 503, non_json=True)
    try:
        assert (await rest.describe("Lead"))["name"] == "Lead"
    finally:
        emulator.org.faults.reset()
    assert requests_total(rest, "describe", "503") == 2


@pytest.fixture
def small_api_allowance(emulator: EmulatorHandle) -> Iterator[int]:
    """The org's daily allowance cut to 20 requests (restored afterwards)."""
    usage = emulator.org.api_usage
    limit = usage.limit
    usage.reset()
    usage.limit = 20
    try:
        yield usage.limit
    finally:
        usage.limit = limit
        usage.reset()


async def query_repeatedly(rest: SimpleSalesforceRest, times: int, sent: list[int]) -> None:
    for attempt in range(times):
        await rest.query_all("SELECT Id FROM Contact LIMIT 1")
        sent.append(attempt)


async def test_budget_share_refuses_before_the_org_limit(
    emulator: EmulatorHandle, small_api_allowance: int
) -> None:
    rest = SimpleSalesforceRest.from_settings(
        settings_for(emulator, api_budget_share=0.5), registry=CollectorRegistry()
    )
    try:
        sent: list[int] = []
        with pytest.raises(ApiBudgetExhaustedError) as refused:
            await query_repeatedly(rest, small_api_allowance, sent)
        assert refused.value.allowed == small_api_allowance // 2
        assert len(sent) == refused.value.allowed  # the share is used exactly, never exceeded
        assert emulator.org.api_usage.used() == refused.value.allowed
    finally:
        rest.close()


async def test_exhausted_org_limit_stops_after_one_refusal(
    emulator: EmulatorHandle, small_api_allowance: int
) -> None:
    rest = SimpleSalesforceRest.from_settings(
        settings_for(emulator, api_budget_share=1.0), registry=CollectorRegistry()
    )
    try:
        emulator.org.exhaust_api()
        # The first call learns from the 403 REQUEST_LIMIT_EXCEEDED's Sforce-Limit-Info that the
        # whole allowance is gone; the retry is refused locally instead of hammering the org.
        with pytest.raises(ApiBudgetExhaustedError) as refused:
            await rest.query_all("SELECT Id FROM Contact LIMIT 1")
        assert requests_total(rest, "query", "403") == 1
        assert refused.value.used == refused.value.total == small_api_allowance
    finally:
        rest.close()
