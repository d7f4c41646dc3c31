"""In front of every route: the request log (bearer never kept) and the HTTP error and delay faults."""

from __future__ import annotations

import time

import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import Api

pytestmark = pytest.mark.anyio


async def test_requests_are_recorded_with_headers_but_never_the_bearer(api: Api) -> None:
    account = await api.account()
    await api.http.get("/api/credits/balance/simple", headers=account.headers)

    recorded = (await api.http.get("/_sim/requests", params={"path_prefix": "/api/credits"})).json()["requests"]

    assert len(recorded) == 1
    entry = recorded[0]
    assert entry["method"] == "GET"
    assert entry["authorization_present"] is True
    assert entry["headers"]["authorization"] == "Bearer <redacted>"
    assert entry["headers"]["x-skill-source"] == "kling-ai-30"
    assert entry["status"] == 200
    assert account.token not in str(recorded)


async def test_token_request_without_authorization_is_recorded_as_such(api: Api) -> None:
    await api.token("recorded")

    (entry,) = (await api.http.get("/_sim/requests", params={"path_prefix": "/api/auth"})).json()["requests"]

    assert entry["authorization_present"] is False
    assert entry["headers"]["x-client-id"] == "recorded"


async def test_an_injected_server_error_hits_the_next_requests_under_a_prefix(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.http_error("/api/credits", status=503, times=2)

    statuses = [
        (await api.http.get("/api/credits/balance/simple", headers=account.headers)).status_code for _ in range(3)
    ]
    other = await api.http.get(f"/api/state/nemo_agent/me/{account.session_id}/latest", headers=account.headers)

    assert statuses == [503, 503, 200]
    assert other.status_code == 200


async def test_a_delay_fault_slows_responses_under_a_prefix(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.delay("/api/credits", seconds=0.2, times=1)

    started = time.monotonic()
    await api.credits(account)
    slow = time.monotonic() - started
    started = time.monotonic()
    await api.credits(account)
    fast = time.monotonic() - started

    assert slow >= 0.2 > fast
