"""The /run_sse route: ADK request checks and answers, and the price reserved before the stream starts."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import GENERATE, Api

pytestmark = pytest.mark.anyio


async def test_credits_are_frozen_during_a_run_then_spent(api: Api) -> None:
    account = await api.account()
    during: list[dict[str, int]] = []

    async def on_frame(frame: str) -> None:
        if "functionCall" in frame and not during:
            during.append(await api.credits(account))

    await api.send(account, "generate a 30-second video of a city at night", on_frame=on_frame)

    assert during == [{"available": 40, "frozen": 60, "total": 100}]
    await anyio.sleep(0)  # settled before the response closed
    assert await api.credits(account) == {"available": 40, "frozen": 0, "total": 40}


async def test_a_generation_that_costs_more_than_the_balance_is_refused_before_streaming(api: Api) -> None:
    account = await api.account()
    await api.http.post("/_sim/faults", json={"set_credits": {"user_id": account.user_id, "available": 59}})

    stream = await api.send(account, "generate a 30-second video of a forest")

    assert stream.status == 200
    assert stream.json_body["code"] == 2001
    assert stream.json_body["data"] is None
    assert f"register?bind={account.user_id}" in stream.json_body["message"]
    assert (await api.state(account))["draft"] == {}
    assert await api.credits(account) == {"available": 59, "frozen": 0, "total": 59}


async def test_a_registered_user_without_credits_is_told_to_top_up(api: Api) -> None:
    made = (await api.http.post("/_sim/users", json={"credits": 0})).json()
    account = await api.account(token=made["token"])

    stream = await api.send(account, GENERATE)

    assert stream.json_body["code"] == 2001
    assert "Top up credits in your account" in stream.json_body["message"]


async def test_camel_case_request_keys_are_accepted(api: Api) -> None:
    account = await api.account()
    body = {
        "appName": "nemo_agent",
        "userId": account.user_id,
        "sessionId": account.session_id,
        "newMessage": {"parts": [{"text": "hello"}], "role": "user"},
        "streaming": False,
    }

    stream = await api.send(account, "", body=body)

    assert stream.status == 200 and stream.texts


@pytest.mark.parametrize(
    ("new_message", "loc"),
    [
        ({"parts": [{"text": "hi"}], "colour": "red"}, ["body", "new_message", "colour"]),
        ({"parts": [{"text": "hi", "bold": True}]}, ["body", "new_message", "parts", 0, "bold"]),
    ],
)
async def test_unknown_keys_inside_the_message_are_a_422(api: Api, new_message: dict[str, Any], loc: list[Any]) -> None:
    account = await api.account()
    body = {**api.run_body(account, ""), "new_message": new_message}

    stream = await api.send(account, "", body=body)

    assert stream.status == 422
    assert stream.json_body["detail"][0]["loc"] == loc
    assert stream.json_body["detail"][0]["type"] == "extra_forbidden"


async def test_a_missing_session_id_is_a_422(api: Api) -> None:
    account = await api.account()
    body = api.run_body(account, "hi")
    del body["session_id"]

    stream = await api.send(account, "", body=body)

    assert stream.status == 422


async def test_unknown_session_is_an_adk_404(api: Api) -> None:
    account = await api.account()
    body = {**api.run_body(account, "hi"), "session_id": "1234567890123456789"}

    stream = await api.send(account, "", body=body)

    assert stream.status == 404
    assert stream.json_body == {"detail": "Session not found: 1234567890123456789"}


async def test_another_users_session_is_not_found(api: Api) -> None:
    mine, theirs = await api.account(), await api.account()
    body = api.run_body(theirs, "hi")

    stream = await api.send(mine, "", body=body)

    assert stream.status == 404


async def test_a_lost_session_is_404_on_run_sse_and_1002_on_rest(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.lose_session(account.session_id)

    stream = await api.send(account, "hello")
    state = await api.http.get(f"/api/state/nemo_agent/me/{account.session_id}/latest", headers=account.headers)

    assert stream.status == 404
    assert (state.status_code, state.json()["code"]) == (404, 1002)


async def test_a_bad_token_on_run_sse_is_1001(api: Api) -> None:
    account = await api.account()
    account.token = "nmv_usr_nope"

    stream = await api.send(account, "hello")

    assert (stream.status, stream.json_body["code"]) == (401, 1001)
