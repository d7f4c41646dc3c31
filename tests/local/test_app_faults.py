"""Fault injection: dropped streams, mid-stream errors, trailing noise, HTTP errors and delays, the JSON API."""

from __future__ import annotations

import time

import anyio
import pytest

from kling_ai_30.local import LocalBackend

from .conftest import GENERATE, Api, wait_until

pytestmark = pytest.mark.anyio


async def _finished(api: Api, account: object) -> bool:
    state = await api.state(account)  # type: ignore[arg-type]
    return [t["tt"] for t in state["draft"].get("t", [])] == [0, 1, 7]


@pytest.mark.parametrize("phase", ["before_first_event", "mid_tool_call", "after_text"])
async def test_a_dropped_stream_cuts_the_connection_but_the_work_completes(
    backend: LocalBackend, api: Api, phase: str
) -> None:
    account = await api.account()
    backend.faults.drop_stream(phase)  # type: ignore[arg-type]

    stream = await api.send(account, GENERATE)

    assert stream.cut
    assert "functionResponse" not in stream.raw
    if phase == "before_first_event":
        assert stream.events == []
    elif phase == "mid_tool_call":
        assert stream.calls == ["generate_video_with_seedance"]
    else:
        assert len(stream.texts) == 1 and stream.calls == []
    await wait_until(lambda: _finished(api, account))
    await wait_until(lambda: _settled(api, account, 90))


async def _settled(api: Api, account: object, available: int) -> bool:
    return await api.credits(account) == {"available": available, "frozen": 0, "total": available}  # type: ignore[arg-type]


async def test_a_cleanly_closed_stream_ends_early_and_the_work_still_completes(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.drop_stream("mid_tool_call", mode="close")

    stream = await api.send(account, GENERATE)

    assert not stream.cut
    assert stream.calls == ["generate_video_with_seedance"] and stream.results == []
    await wait_until(lambda: _finished(api, account))


async def test_a_client_that_hangs_up_does_not_stop_the_run(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    headers = {**account.headers, "Accept": "text/event-stream"}

    async with api.http.stream("POST", "/run_sse", json=api.run_body(account, GENERATE), headers=headers) as r:
        async for line in r.aiter_lines():
            if "functionCall" in line:
                break  # leave mid-generation

    await wait_until(lambda: _finished(api, account))
    await wait_until(lambda: _settled(api, account, 90))


async def test_a_mid_stream_error_ends_the_stream_and_gives_the_credits_back(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.stream_error("Model overloaded")

    stream = await api.send(account, GENERATE)

    assert not stream.cut
    assert stream.frames[-1] == 'data: {"error": "Model overloaded"}'
    assert stream.errors == ["Model overloaded"]
    assert stream.calls == ["generate_video_with_seedance"] and stream.results == []
    assert await api.credits(account) == {"available": 100, "frozen": 0, "total": 100}
    assert (await api.state(account))["draft"] == {}


async def test_trailing_temporary_issue_text_follows_a_normal_reply(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.trailing_issue()

    stream = await api.send(account, GENERATE)

    assert stream.texts[-1].startswith("I encountered a temporary issue")
    assert "ready" in stream.texts[-2] or "Export" in stream.texts[-2] or "timeline" in stream.texts[-2]
    assert await _finished(api, account)


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


async def test_faults_can_be_armed_over_http(api: Api) -> None:
    account = await api.account()

    armed = await api.http.post(
        "/_sim/faults",
        json={
            "http_error": {"path_prefix": "/api/credits", "status": 502, "times": 1},
            "silent_edits": {"silent": True, "times": 3},
            "drop_stream": {"phase": "mid_tool_call"},
            "generation_seconds": 0.05,
        },
    )

    snapshot = armed.json()["faults"]
    assert snapshot["http_error"] == [{"path_prefix": "/api/credits", "status": 502, "times": 1}]
    assert snapshot["silent_edits"] == {"silent": True, "times": 3}
    assert snapshot["drop_stream"] == [{"phase": "mid_tool_call", "mode": "abort", "times": 1}]
    assert (await api.http.get("/api/credits/balance/simple", headers=account.headers)).status_code == 502
    assert (await api.http.get("/_sim/config")).json()["config"]["generation_seconds"] == 0.05
    cleared = await api.http.post("/_sim/faults", json={"clear": True})
    assert cleared.json()["faults"]["silent_edits"] is None


async def test_expire_lose_and_credit_faults_work_over_http(api: Api) -> None:
    one, two = await api.account(), await api.account()

    await api.http.post("/_sim/faults", json={"lose_session": two.session_id})
    await api.http.post("/_sim/faults", json={"set_credits": {"user_id": one.user_id, "available": 3}})
    lost = await api.http.get(f"/api/state/nemo_agent/me/{two.session_id}/latest", headers=two.headers)
    balance = await api.credits(one)
    await api.http.post("/_sim/faults", json={"expire_tokens": True})
    expired = await api.http.get("/api/credits/balance/simple", headers=one.headers)

    assert lost.json()["code"] == 1002
    assert balance == {"available": 3, "frozen": 0, "total": 3}
    assert expired.json()["code"] == 1001


@pytest.mark.parametrize(
    "body",
    [
        {"no_such_fault": True},
        {"drop_stream": {"phase": "sometime"}},
        {"http_error": {"path_prefix": "/", "status": 404}},
    ],
)
async def test_malformed_fault_requests_are_refused(api: Api, body: dict[str, object]) -> None:
    r = await api.http.post("/_sim/faults", json=body)

    assert r.status_code == 422


async def test_config_can_be_changed_over_http_but_not_the_data_dir(api: Api) -> None:
    changed = await api.http.post("/_sim/config", json={"vocabulary": "typed", "render_poll_shape": "B"})
    refused = await api.http.post("/_sim/config", json={"data_dir": "/tmp/elsewhere"})
    unknown = await api.http.post("/_sim/config", json={"colour": "red"})

    assert changed.json()["config"]["vocabulary"] == "typed"
    assert refused.status_code == 422 and unknown.status_code == 422


async def test_registered_users_are_listed_with_their_balances(api: Api) -> None:
    made = (await api.http.post("/_sim/users", json={"credits": 12})).json()

    users = (await api.http.get("/_sim/users")).json()["users"]

    assert {"user_id": made["user_id"], "anonymous": False, "available": 12, "frozen": 0, "spent": 0} in users


async def test_heartbeat_interval_and_tool_time_are_adjustable_at_run_time(backend: LocalBackend, api: Api) -> None:
    backend.configure(generation_seconds=0.0, edit_seconds=0.0)
    account = await api.account()

    with anyio.fail_after(5):
        stream = await api.send(account, "generate a 1 second video of rain")

    assert stream.texts and await _finished(api, account)
