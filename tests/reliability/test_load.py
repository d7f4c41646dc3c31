"""Load: one real ``kling-ai-30 serve --http --tokens-file`` process, 40 people calling at once.

Each person has their own bearer token (their own principal: projects, jobs, videos) and their own
NemoVideo account (a ``NEMO_TOKEN`` third column), and calls through their own MCP session — half in
the 2025-11-25 era (a session), half in the stateless 2026-07-28 one. This is the correctness half
of the load row, in CI: every concurrent call succeeds, nobody sees another's work, every message
reaches the backend once, and every account pays for its own generation and nothing else. The
figures (wall time against the same calls one at a time, server RSS over 500 calls) come from
``bench/bench_load.py``.
"""

from __future__ import annotations

import secrets
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.types import CallToolResult

from kling_ai_30.local import LocalBackend

from ..http_server import http_client, served_http
from .conftest import messages_sent, text_of

pytestmark = pytest.mark.anyio

# 40 subjects, none inside another, so a timeline that names one names nobody else's.
SUBJECTS = tuple(
    f"{colour} {animal}"
    for colour in ("red", "blue", "green", "amber", "violet", "silver", "golden", "ivory")
    for animal in ("fox", "whale", "owl", "camel", "turtle")
)
OTHER_CALLS = 40
OTHER_TOOLS = ("credits", "upload", "state", "history")
# Shared-server callers upload by link (a path would name a file on the server's disk); the local
# backend makes a stand-in picture for it without the network.
PHOTO_URL = "https://example.com/photos/harbour.jpg"


def plan() -> list[tuple[int, str, dict[str, Any]]]:
    """One generate per person, each of their own subject; credits, upload, state and history spread over them."""
    calls = [
        (p, "generate", {"message": f"generate a 2 second video of a {subject}", "wait_seconds": 120})
        for p, subject in enumerate(SUBJECTS)
    ]
    arguments: dict[str, dict[str, Any]] = {"credits": {}, "state": {}, "history": {}, "upload": {"url": PHOTO_URL}}
    for index in range(OTHER_CALLS):
        tool = OTHER_TOOLS[index % len(OTHER_TOOLS)]
        calls.append(((index * 7) % len(SUBJECTS), tool, arguments[tool]))
    return calls


async def test_eighty_concurrent_calls_from_forty_people_over_authenticated_http_all_succeed_and_never_cross(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    accounts = [backend.add_user(credits=1_000) for _ in SUBJECTS]
    tokens = [secrets.token_urlsafe(32) for _ in SUBJECTS]
    people = tmp_path / "tokens"
    people.write_text(
        "".join(f"person{p:02d} {tokens[p]} {accounts[p].token}\n" for p in range(len(SUBJECTS))), encoding="ascii"
    )
    people.chmod(0o600)
    calls = plan()
    results: list[tuple[int, str, CallToolResult]] = []
    with served_http(private_home, base_url, "--tokens-file", str(people), log=tmp_path / "server.log") as served:
        async with AsyncExitStack() as stack:
            clients: list[Client] = [
                await stack.enter_async_context(http_client(served.url, token, mode="legacy" if p % 2 else "auto"))
                for p, token in enumerate(tokens)
            ]

            async def one(person: int, tool: str, arguments: dict[str, Any]) -> None:
                results.append((person, tool, await clients[person].call_tool(tool, arguments)))

            with anyio.fail_after(240):
                async with anyio.create_task_group() as group:
                    for call in calls:
                        group.start_soon(one, *call)
            after = [await client.call_tool("state", {}) for client in clients]
            histories = [await client.call_tool("history", {}) for client in clients]

    assert len(results) == len(calls)
    failed = [(p, tool, text_of(r)[:200]) for p, tool, r in results if r.is_error]
    assert not failed
    done = {p: r.structured_content or {} for p, tool, r in results if tool == "generate"}
    assert {p: d.get("status") for p, d in done.items()} == dict.fromkeys(range(len(SUBJECTS)), "done")
    for person, subject in enumerate(SUBJECTS):
        others = [other for other in SUBJECTS if other != subject]
        for seen in (str(done[person].get("timeline", "")), str((after[person].structured_content or {})["summary"])):
            assert subject in seen.lower() and not [o for o in others if o in seen.lower()], (person, seen)
        entries = (histories[person].structured_content or {})["entries"]
        assert [e["job_id"] for e in entries if e["kind"] == "generate" and "video of" in e["asked"]] == [
            done[person]["job_id"]
        ]
    # Each message reached the backend once, and each person's account paid for their generation only.
    assert messages_sent(backend) == len(SUBJECTS)
    spent = {user.user_id: user.spent + user.frozen for user in backend.store.users()}
    paid = [spent[account.user_id] for account in accounts]
    assert paid[0] > 0 and paid == [paid[0]] * len(SUBJECTS)
