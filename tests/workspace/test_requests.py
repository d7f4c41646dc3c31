"""The requests a warm ``generate`` makes, against the local backend: each one is needed by its result.

Issue 16: the export that follows a reply read the state the reply had just read, and every export
asked for a new claim token for its task link (a claim token is good for 7 days).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend
from kling_ai_30.workspace.projects import ProjectRef
from kling_ai_30.workspace.workspace import Workspace

pytestmark = pytest.mark.anyio

RENDER = "/api/render/proxy/lambda"


@pytest.fixture
async def workspace(base_url: str) -> AsyncIterator[Workspace]:
    async with Workspace(load_settings({}, api_url=base_url, web_url=base_url)) as ws:
        yield ws


def kind(method: str, path: str) -> str:
    """A logged request without its ids."""
    if path.startswith("/api/state/"):
        return "GET state"
    if path.startswith(RENDER + "/"):
        return "GET render status"
    if path.startswith("/cdn/"):
        return "GET the MP4"
    return f"{method} {path}"


async def generate(workspace: Workspace, ref: ProjectRef, subject: str) -> str | None:
    """A ``generate`` whose reply asks for the export; the delivered video's task link."""
    outcome = await workspace.request(f"generate a 2 second video of {subject}", ref)
    result = await workspace.follow(outcome, 60, lambda job_id: job_id)
    assert result.status == "done" and result.export is not None, result.message
    return result.export.task_link


async def test_a_warm_generate_makes_only_the_requests_its_result_needs(
    workspace: Workspace, backend: LocalBackend
) -> None:
    ref = workspace.project_ref()
    first_link = await generate(workspace, ref, "a red fox")  # sets the project up; the first task link
    backend.store.clear_requests()

    link = await generate(workspace, ref, "a blue whale")

    kinds = [kind(request.method, request.path) for request in backend.store.requests()]
    made = [k for i, k in enumerate(kinds) if not (k == "GET render status" and kinds[i - 1] == k)]  # polls as one
    assert made == [
        "GET state",  # the timeline before the message: what it changed, even after a restart
        "GET /api/credits/balance/simple",  # the balance: can the message be paid for
        "POST /run_sse",
        "GET state",  # the raw clip, shown while the backend adds the finishing touches
        "GET state",  # what the reply left: its summary, and the draft the export renders
        f"POST {RENDER}",
        "GET render status",  # (as often as it takes)
        "GET the MP4",
        "GET /api/credits/balance/simple",  # what the message cost
    ]
    assert link == first_link  # the same claim token, still valid for days


class StateUnreadableAfterTheStream(httpx.AsyncBaseTransport):
    """Loopback to the local backend; once a chat stream has ended, the next ``failures`` state reads
    are answered 503 (the client retries a GET twice, so 3 make one read fail)."""

    def __init__(self, failures: int = 3) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._failures = failures
        self.failing = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/state/") and self.failing > 0:
            self.failing -= 1
            return httpx.Response(503, json={"detail": "unavailable"}, request=request)
        response = await self._inner.handle_async_request(request)
        if request.url.path != "/run_sse":
            return response
        return httpx.Response(
            response.status_code, headers=response.headers, stream=_OnClose(response, self._arm), request=request
        )

    def _arm(self) -> None:
        self.failing = self._failures

    async def aclose(self) -> None:
        await self._inner.aclose()


class _OnClose(httpx.AsyncByteStream):
    def __init__(self, response: httpx.Response, then: Any) -> None:
        self._response, self._then = response, then

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_raw():
            yield chunk

    async def aclose(self) -> None:
        await self._response.aclose()
        self._then()


async def quick(seconds: float) -> None:
    await anyio.sleep(min(seconds, 0.05))


async def test_when_the_reply_cannot_read_what_it_left_the_export_reads_the_state_itself(base_url: str) -> None:
    wire = StateUnreadableAfterTheStream()
    settings = load_settings({}, api_url=base_url, web_url=base_url)
    async with Workspace(settings, transport=wire, sleep=quick) as workspace:
        # A new project: the state from before the message has an empty timeline, nothing to export;
        # ``generate`` asserts that the export delivered the video the message made.
        await generate(workspace, workspace.project_ref(), "a snowy owl")
    assert wire.failing == 0  # the reply's read did fail
