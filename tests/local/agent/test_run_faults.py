"""Faults during a run: dropped streams, mid-stream errors and trailing noise; the run completes regardless."""

from __future__ import annotations

import anyio
import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import GENERATE, Api, wait_until

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


async def test_heartbeat_interval_and_tool_time_are_adjustable_at_run_time(backend: LocalBackend, api: Api) -> None:
    backend.configure(generation_seconds=0.0, edit_seconds=0.0)
    account = await api.account()

    with anyio.fail_after(5):
        stream = await api.send(account, "generate a 1 second video of rain")

    assert stream.texts and await _finished(api, account)
