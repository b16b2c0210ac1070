"""REST adapter against `responses`: paging, re-login, limits, retries, chunking, metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
import stamina
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from workers.salesforce.credentials import SalesforceCredentials
from workers.salesforce.errors import (
    ApiBudgetExhaustedError,
    ApiLimitExceededError,
    SalesforceRequestError,
    SalesforceUnavailableError,
)
from workers.salesforce.rest import SalesforceRest, SimpleSalesforceRest
from workers.settings import SalesforceSettings

pytestmark = pytest.mark.component

LOGIN = "https://login.example.test"
TOKEN_URL = f"{LOGIN}/services/oauth2/token"
INSTANCE = "https://acme.example.test"
BASE = f"{INSTANCE}/services/data/v62.0"


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    with stamina.set_testing(True, attempts=3):
        yield


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.post(
            TOKEN_URL,
            json={"access_token": "00D!tok", "instance_url": INSTANCE, "token_type": "Bearer"},
        )
        yield rsps


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


def test_adapter_satisfies_the_protocol(registry: CollectorRegistry) -> None:
    rest: SalesforceRest = make_rest(registry)  # mypy checks the structural match
    assert isinstance(rest, SimpleSalesforceRest)
    rest.close()


def make_rest(registry: CollectorRegistry, share: float = 0.5) -> SimpleSalesforceRest:
    credentials = SalesforceCredentials(
        flow="password",
        login_url=LOGIN,
        client_id="key",
        username="worker@acme.example",
        client_secret=SecretStr("s"),
        password=SecretStr("p"),
    )
    settings = SalesforceSettings(api_budget_share=share, max_concurrency=2)
    return SimpleSalesforceRest.from_settings(settings, credentials, registry=registry)


def limit(used: int, total: int = 1000) -> dict[str, str]:
    return {"Sforce-Limit-Info": f"api-usage={used}/{total}"}


def token_calls(mocked: responses.RequestsMock) -> int:
    return sum(1 for call in mocked.calls if call.request.url == TOKEN_URL)


def sample(registry: CollectorRegistry, op: str, status: str) -> float:
    value = registry.get_sample_value(
        "lawful_salesforce_requests_total", {"op": op, "status": status}
    )
    return value or 0.0


async def test_query_follows_next_records_url(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    mocked.get(
        f"{BASE}/query/",
        json={
            "totalSize": 3,
            "done": False,
            "nextRecordsUrl": "/services/data/v62.0/query/01gXX-2",
            "records": [{"Id": "a"}, {"Id": "b"}],
        },
        headers=limit(10),
    )
    mocked.get(
        f"{BASE}/query/01gXX-2",
        json={"totalSize": 3, "done": True, "records": [{"Id": "c"}]},
        headers=limit(11),
    )
    rest = make_rest(registry)
    records = await rest.query_all("SELECT Id FROM Contact")
    assert [r["Id"] for r in records] == ["a", "b", "c"]
    query_call = next(c for c in mocked.calls if "/query/?" in str(c.request.url))
    assert parse_qs(urlparse(str(query_call.request.url)).query)["q"] == ["SELECT Id FROM Contact"]
    assert query_call.request.headers["Sforce-Call-Options"] == "client=lawful"
    assert rest.api_usage is not None
    assert rest.api_usage.used == 11
    assert registry.get_sample_value("lawful_salesforce_api_usage_ratio") == pytest.approx(0.011)
    assert sample(registry, "query", "200") == 1
    assert sample(registry, "query_more", "200") == 1
    rest.close()


async def test_query_all_deleted_uses_query_all_endpoint(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    mocked.get(
        f"{BASE}/queryAll/", json={"done": True, "records": [{"Id": "x", "IsDeleted": True}]}
    )
    rest = make_rest(registry)
    records = await rest.query_all("SELECT Id FROM Contact", include_deleted=True)
    assert records == [{"Id": "x", "IsDeleted": True}]
    rest.close()


async def test_expired_session_relogs_in_once(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    expired = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    mocked.get(f"{BASE}/sobjects/Contact/003A", status=401, json=expired)
    mocked.get(f"{BASE}/sobjects/Contact/003A", json={"Id": "003A", "Email": "m@example.org"})
    rest = make_rest(registry)
    record = await rest.get("Contact", "003A")
    assert record is not None
    assert record["Email"] == "m@example.org"
    assert token_calls(mocked) == 2
    assert sample(registry, "get", "401") == 1
    rest.close()


async def test_get_missing_record_is_none(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    missing = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
    mocked.get(f"{BASE}/sobjects/Contact/003Z", status=404, json=missing)
    rest = make_rest(registry)
    assert await rest.get("Contact", "003Z") is None
    rest.close()


async def test_budget_refuses_before_exceeding_share(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    mocked.get(f"{BASE}/sobjects/Contact/describe", json={"name": "Contact"}, headers=limit(499))
    mocked.get(f"{BASE}/sobjects/Lead/describe", json={"name": "Lead"}, headers=limit(500))
    rest = make_rest(registry, share=0.5)
    assert (await rest.describe("Contact"))["name"] == "Contact"
    assert (await rest.describe("Lead"))["name"] == "Lead"  # the 500th request: still allowed
    assert (await rest.describe("Contact"))["name"] == "Contact"  # cached: no request
    sent = len(mocked.calls)
    with pytest.raises(ApiBudgetExhaustedError, match="500 of 1000") as refused:
        await rest.describe("Individual")
    assert not refused.value.retriable
    assert len(mocked.calls) == sent  # refused without sending anything
    rest.close()


async def test_server_errors_are_retried(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    mocked.get(f"{BASE}/sobjects/Contact/describe", status=503, body="busy")
    mocked.get(f"{BASE}/sobjects/Contact/describe", status=500, json=[{"errorCode": "UNKNOWN"}])
    mocked.get(f"{BASE}/sobjects/Contact/describe", json={"name": "Contact"})
    rest = make_rest(registry)
    assert (await rest.describe("Contact"))["name"] == "Contact"
    assert sample(registry, "describe", "503") == 1
    assert sample(registry, "describe", "500") == 1
    rest.close()


async def test_request_limit_exceeded_retries_then_gives_up(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    mocked.get(f"{BASE}/sobjects/Lead/describe", status=403, json=body)
    rest = make_rest(registry, share=1.0)
    with pytest.raises(ApiLimitExceededError) as exc_info:
        await rest.describe("Lead")
    assert exc_info.value.retriable
    assert sample(registry, "describe", "403") == 3  # stamina testing mode: 3 attempts
    rest.close()


async def test_client_errors_are_not_retried(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    body = [{"message": "unexpected token: FROMM", "errorCode": "MALFORMED_QUERY"}]
    mocked.get(f"{BASE}/query/", status=400, json=body)
    rest = make_rest(registry)
    with pytest.raises(SalesforceRequestError, match="MALFORMED_QUERY"):
        await rest.query_all("SELECT Id FROMM Contact")
    assert sample(registry, "query", "400") == 1
    rest.close()


async def test_network_failure_is_transient(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    rest = make_rest(registry)  # no mock registered for describe: responses raises ConnectionError
    with pytest.raises(SalesforceUnavailableError):
        await rest.describe("Contact")
    assert sample(registry, "describe", "error") == 3
    rest.close()


def _collection_reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    records = json.loads(request.body or b"{}")["records"]
    assert all(r["attributes"] == {"type": "Contact"} for r in records)
    results = [{"id": f"003{i:015d}", "success": True, "errors": []} for i in range(len(records))]
    return 200, {}, json.dumps(results)


async def test_create_is_chunked_by_200(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    mocked.add_callback(responses.POST, f"{BASE}/composite/sobjects", callback=_collection_reply)
    rest = make_rest(registry)
    records = [{"LastName": f"L{i}"} for i in range(450)]
    results = await rest.create("Contact", records)
    assert len(results) == 450
    assert all(r.success for r in results)
    posts = [
        c for c in mocked.calls if c.request.method == "POST" and "composite" in str(c.request.url)
    ]
    sizes = [len(json.loads(c.request.body or b"{}")["records"]) for c in posts]
    assert sizes == [200, 200, 50]
    first_chunk = json.loads(posts[0].request.body or b"{}")
    assert first_chunk["allOrNone"] is False
    assert first_chunk["records"][0]["LastName"] == "L0"
    rest.close()


async def test_delete_chunks_ids_and_reports_item_errors(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        ids = parse_qs(urlparse(str(request.url)).query)["ids"][0].split(",")
        items = [
            {"id": i, "success": True, "errors": []}
            if not i.endswith("bad")
            else {"success": False, "errors": [{"statusCode": "MALFORMED_ID", "message": "bad"}]}
            for i in ids
        ]
        return 200, {}, json.dumps(items)

    mocked.add_callback(responses.DELETE, f"{BASE}/composite/sobjects", callback=reply)
    rest = make_rest(registry)
    ids = [f"003{i:012d}ok" for i in range(201)] + ["003bad"]
    results = await rest.delete(ids)
    assert len(results) == 202
    assert [r.success for r in results].count(False) == 1
    assert results[-1].errors[0].status_code == "MALFORMED_ID"
    assert sample(registry, "delete", "200") == 2
    rest.close()


async def test_update_requires_ids(
    mocked: responses.RequestsMock, registry: CollectorRegistry
) -> None:
    rest = make_rest(registry)
    with pytest.raises(SalesforceRequestError, match="Id"):
        await rest.update("Contact", [{"Email": "x@example.org"}])
    rest.close()
