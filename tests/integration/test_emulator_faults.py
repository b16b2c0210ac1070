"""Fault injection, the daily API allowance and persistence, each on a private emulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from emulator.config import OrgConfig
from emulator.server import EmulatorServer
from tests.fixtures.emulator import EmulatorHandle, error_items, sobject

pytestmark = pytest.mark.integration


def _handle(server: EmulatorServer) -> EmulatorHandle:
    assert server.credentials is not None
    assert server.credentials_path is not None
    return EmulatorHandle(
        server=server,
        instance_url=server.instance_url,
        ca_path=server.ca_path,
        credentials=server.credentials,
        credentials_path=server.credentials_path,
        org=server.org,
        hub=server.hub,
    )


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    server = EmulatorServer(state_dir=tmp_path_factory.mktemp("faults"))
    server.start_in_thread()
    try:
        yield _handle(server)
    finally:
        server.stop()


@pytest.fixture
def sf(private: EmulatorHandle) -> Iterator[Salesforce]:
    client = private.salesforce()
    yield client
    client.session.close()
    private.org.reset_faults()


def _admin(handle: EmulatorHandle, method: str, body: dict[str, object] | None = None) -> None:
    with handle.requests_session() as session:
        response = session.request(
            method, f"{handle.instance_url}/_emulator/faults", json=body, timeout=10
        )
    response.raise_for_status()


def test_error_burst_then_recovery(sf: Salesforce, private: EmulatorHandle) -> None:
    _admin(private, "POST", {"error_burst": {"count": 2, "status": 503}})
    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query("SELECT Id FROM User")
        assert caught.value.status == 503
    assert sf.query("SELECT COUNT() FROM User")["totalSize"] == 1


def test_latency_is_added(sf: Salesforce, private: EmulatorHandle) -> None:
    _admin(private, "POST", {"latency_ms": 250})
    started = time.perf_counter()
    sf.query("SELECT COUNT() FROM User")
    assert time.perf_counter() - started >= 0.25
    _admin(private, "DELETE")
    assert private.org.faults.latency_s == 0


def test_revoked_tokens_get_401(sf: Salesforce, private: EmulatorHandle) -> None:
    _admin(private, "POST", {"revoke_tokens": True})
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT COUNT() FROM User")
    assert error_items(caught.value)[0]["errorCode"] == "INVALID_SESSION_ID"


def test_exhausted_allowance_answers_403(sf: Salesforce, private: EmulatorHandle) -> None:
    before = private.org.api_usage.used()
    sf.query("SELECT COUNT() FROM User")
    assert sf.api_usage["api-usage"].used == before + 1
    _admin(private, "POST", {"exhaust_api": True})
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sobject(sf, "Individual").create({"LastName": "Blocked"})
    assert caught.value.status == 403
    assert error_items(caught.value) == [
        {
            "message": "TotalRequests Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
            "fields": [],
        }
    ]
    assert private.org.count("Individual") == 0


def test_persistence_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "org.json"
    first = EmulatorServer(OrgConfig(data_path=data), state_dir=tmp_path / "a")
    first.start_in_thread()
    try:
        sf = _handle(first).salesforce()
        with sf.session:
            kept = sobject(sf, "Individual").create({"LastName": "Persisted"})["id"]
            gone = sobject(sf, "Individual").create({"LastName": "Deleted"})["id"]
            sobject(sf, "Individual").delete(gone)
    finally:
        first.stop()
    assert data.exists()
    second = EmulatorServer(OrgConfig(data_path=data), state_dir=tmp_path / "b")
    second.start_in_thread()
    try:
        sf = _handle(second).salesforce()
        with sf.session:
            assert sobject(sf, "Individual").get(kept)["Name"] == "Persisted"
            fresh = sobject(sf, "Individual").create({"LastName": "After restart"})["id"]
            assert fresh not in (kept, gone)
            rows = sf.query_all("SELECT Id FROM Individual", include_deleted=True)["records"]
            assert {r["Id"] for r in rows} == {kept, gone, fresh}
    finally:
        second.stop()


def test_versions_list_needs_no_token(private: EmulatorHandle) -> None:
    with private.requests_session() as session:
        response = session.get(f"{private.instance_url}/services/data/", timeout=10)
    assert response.status_code == 200
    assert {"label", "url", "version"} <= set(response.json()[-1])
    assert isinstance(response, requests.Response)


def test_autosave_writes_changes_while_running(tmp_path: Path) -> None:
    from emulator.org import Org  # noqa: PLC0415
    from emulator.persistence import load  # noqa: PLC0415

    data = tmp_path / "org.json"
    server = EmulatorServer(OrgConfig(data_path=data, autosave_s=0.2), state_dir=tmp_path / "s")
    server.start_in_thread()
    try:
        record_id = server.org.create("Individual", {"LastName": "Autosaved"})
        deadline = time.monotonic() + 10
        while not data.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        copy = Org()
        load(copy, data)
        assert copy.get("Individual", record_id) is not None
    finally:
        server.stop()
