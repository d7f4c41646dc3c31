"""Paid work only on the user's word: the balance is checked against an estimate before anything is
sent, and a costly request is confirmed once where the client can ask (elicitation), on both eras."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from mcp import Client
from mcp.types import ElicitResult

from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend
from kling_ai_30.mcp_server.server import build_server

from .conftest import Sleeps, text_of

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of a fox in the snow"


def messages_sent(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == "/run_sse")


@pytest.fixture
def asking(base_url: str, sleeps: Sleeps, mode: str) -> Callable[..., Any]:
    """``async with asking(answer, credits=N, **env) as (client, asked)``: a registered user with N
    credits, and a client that answers every elicitation with ``answer``."""

    @asynccontextmanager
    async def _asking(answer: str, *, backend: LocalBackend, credits: int, **env: str) -> AsyncIterator[Any]:
        asked: list[str] = []

        async def on_elicit(context: object, params: Any) -> ElicitResult:
            asked.append(params.message)
            content = {"go_ahead": True} if answer == "accept" else None
            return ElicitResult(action=answer, content=content)  # type: ignore[arg-type]

        user = backend.add_user(credits=credits)
        settings = load_settings({"NEMO_TOKEN": user.token, **env}, api_url=base_url, web_url=base_url)
        server = build_server(settings, sleep=sleeps)
        async with Client(server, mode=mode, elicitation_callback=on_elicit) as client:  # type: ignore[arg-type]
            yield client, asked

    return _asking


async def test_a_request_using_more_than_half_the_balance_is_confirmed_once_and_a_no_sends_nothing(
    asking: Callable[..., Any], backend: LocalBackend
) -> None:
    async with asking("decline", backend=backend, credits=150) as (client, asked):
        result = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    assert not result.is_error and "Not sent" in text_of(result) and "Nothing was spent" in text_of(result)
    assert len(asked) == 1 and "about 100 credits" in asked[0] and "150 available" in asked[0]
    assert "published rates" in asked[0]  # the estimate says where it comes from
    assert messages_sent(backend) == 0


async def test_a_yes_sends_the_request_once(asking: Callable[..., Any], backend: LocalBackend) -> None:
    async with asking("accept", backend=backend, credits=150) as (client, asked):
        result = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    data = result.structured_content or {}
    assert data.get("status") == "done", text_of(result)
    assert len(asked) == 1 and messages_sent(backend) == 1


@pytest.mark.parametrize(
    ("credits", "env"),
    [
        pytest.param(10_000, {}, id="small-share-of-a-large-balance"),
        pytest.param(150, {"KLING_CONFIRM_SHARE": "off"}, id="turned-off"),
    ],
)
async def test_no_question_for_a_small_share_or_when_turned_off(
    asking: Callable[..., Any], backend: LocalBackend, credits: int, env: dict[str, str]
) -> None:
    async with asking("decline", backend=backend, credits=credits, **env) as (client, asked):
        result = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    assert (result.structured_content or {}).get("status") == "done", text_of(result)
    assert asked == [] and messages_sent(backend) == 1


async def test_free_requests_are_never_asked_about(asking: Callable[..., Any], backend: LocalBackend) -> None:
    async with asking("decline", backend=backend, credits=150) as (client, asked):
        result = await client.call_tool("generate", {"message": "how many credits do I have left?"})
    assert not result.is_error and "150 available" in text_of(result)
    assert asked == []


async def test_a_request_the_balance_cannot_cover_is_refused_unsent_without_asking(
    asking: Callable[..., Any], backend: LocalBackend
) -> None:
    async with asking("accept", backend=backend, credits=30) as (client, asked):
        result = await client.call_tool("generate", {"message": GENERATE, "wait_seconds": 60})
    told = text_of(result)
    assert result.is_error and "Not enough credits" in told and "about 100 credits" in told and "30 available" in told
    assert "Top up credits in your account" in told and "not sent" in told
    assert asked == [] and messages_sent(backend) == 0
