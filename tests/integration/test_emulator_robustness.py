"""Malformed requests get Salesforce error shapes (JSON lists, 4xx), never a 5xx."""

from __future__ import annotations

import itertools

import pytest

from tests.fixtures.emulator import EmulatorHandle

pytestmark = pytest.mark.integration

PATHS = (
    "",
    "sobjects",
    "sobjects/Individual",
    "sobjects/Individual/{id}",
    "sobjects/Individual/describe",
    "sobjects/Individual/deleted",
    "sobjects/Individual/Id/{id}",
    "sobjects/Lawful_LIA__c/Reference__c/abc",
    "sobjects/Lawful_Erasure_Request__e",
    "sobjects/Individual/{id}/extra/more",
    "query",
    "query/01gXYZ-100",
    "queryAll",
    "limits",
    "composite",
    "composite/sobjects",
    "composite/sobjects/Individual",
    "composite/sobjects/Individual/Id",
    "jobs/ingest",
    "jobs/ingest/7505g0000000001AAA",
    "consent/action/email",
    "consent/multiaction",
    "search",
    "nope",
)
BODIES = (
    None,
    "{",
    "[]",
    "{}",
    "null",
    '"text"',
    '{"records": 5}',
    '{"records": [1]}',
    '{"records": [{}]}',
    '{"LastName": [1]}',
    '{"compositeRequest": [{"url": 5}]}',
    '{"ids": 5, "fields": 3}',
    '{"operation": "upsert", "object": "Contact"}',
)
METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")


def test_no_request_shape_gets_a_server_error(emulator: EmulatorHandle) -> None:
    record_id = emulator.org.create("Individual", {"LastName": "Robust"})
    headers = {
        "Authorization": f"Bearer {emulator.access_token()}",
        "Content-Type": "application/json",
    }
    params = {"q": "SELECT Id FROM Individual WHERE", "ids": "abc,", "start": "x", "actions": "x"}
    failures = []
    with emulator.requests_session() as session:
        for path, method, body in itertools.product(PATHS, METHODS, BODIES):
            url = f"{emulator.instance_url}/services/data/v59.0/{path.format(id=record_id)}"
            response = session.request(
                method, url, headers=headers, data=body, params=params, timeout=10
            )
            if response.status_code >= 500:
                failures.append((method, path, body, response.status_code))
            elif response.status_code >= 400:
                payload = response.json()
                assert isinstance(payload, list), (method, path, body)
                assert payload[0]["errorCode"], (method, path, body)
    assert failures == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"grant_type=nope",
        b"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=a.b.c",
        b"grant_type=refresh_token&refresh_token=x",
    ],
)
def test_token_endpoint_errors_are_oauth_json(emulator: EmulatorHandle, body: bytes) -> None:
    with emulator.requests_session() as session:
        response = session.post(
            emulator.credentials.token_url,
            data=body,
            timeout=10,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"error", "error_description"}
