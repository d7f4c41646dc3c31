"""Projects follow the person over authenticated HTTP, and belong to them (issue 13, items 4-6).

A real ``serve --http --tokens-file`` process with two people, alice and bob, called with
``mcp.Client`` in both protocol eras: a reconnect, a restart and a new MCP session keep alice's
timeline; an MCP session id means nothing on the stateless 2026-07-28 path; alice's job ids,
project names and videos are unknown to bob; and each person's credits are spent on the account
the deployment gave them.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import MCPError
from mcp.types import CallToolResult

from kling_ai_30.local import LocalBackend

from ..http_server import http_client, served_http
from ..reliability.conftest import messages_sent, text_of
from .tasks_client import TasksClient, get_task

pytestmark = pytest.mark.anyio

FOX = "generate a 2 second video of a red fox"
OWL = "generate a 2 second video of a snow owl"
SESSION_ID = "mcp-session-id"


def people(tmp_path: Path, *names: str, nemo: dict[str, str] | None = None) -> tuple[Path, dict[str, str]]:
    """A ``--tokens-file`` for ``names`` (a NEMO_TOKEN third column for those in ``nemo``), and their tokens."""
    tokens = {name: secrets.token_urlsafe(32) for name in names}
    path = tmp_path / "tokens"
    lines = [f"{name} {token} {(nemo or {}).get(name, '')}".rstrip() for name, token in tokens.items()]
    path.write_text("# who may call\n" + "\n".join(lines) + "\n", encoding="ascii")
    path.chmod(0o600)
    return path, tokens


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None
    return result.structured_content


async def generate(url: str, token: str, message: str, project: str | None = None) -> dict[str, Any]:
    arguments: dict[str, Any] = {"message": message, "wait_seconds": 120}
    if project is not None:
        arguments["project"] = project
    async with http_client(url, token) as client:
        done = data(await client.call_tool("generate", arguments))
    assert done["status"] == "done", done
    return done


async def test_a_persons_timeline_survives_a_reconnect_a_restart_and_a_new_session(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    file, tokens = people(tmp_path, "alice", "bob")
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "first.log") as served:
        made = await generate(served.url, tokens["alice"], FOX, project="wildlife")
        # A reconnect is a new MCP session; no project named: her last one.
        async with http_client(served.url, tokens["alice"]) as client:
            assert "fox" in data(await client.call_tool("state", {}))["summary"].lower()
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "second.log") as served:
        async with http_client(served.url, tokens["alice"], mode="auto") as client:
            assert client.protocol_version == "2026-07-28"  # stateless: no session at all
            assert "fox" in data(await client.call_tool("state", {}))["summary"].lower()
            projects = data(await client.call_tool("projects", {}))
            history = data(await client.call_tool("history", {}))
    assert projects["current"] == "wildlife" and [p["name"] for p in projects["projects"]] == ["wildlife"]
    assert [entry["job_id"] for entry in history["entries"]] == [made["job_id"]]
    assert messages_sent(backend) == 1


async def test_another_persons_job_ids_projects_and_videos_answer_like_unknown_ones(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    file, tokens = people(tmp_path, "alice", "bob")
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log") as served:
        made = await generate(served.url, tokens["alice"], FOX, project="wildlife")
        video = made["export"]["path"]
        assert Path(video).is_file()
        unknown = "gen_" + secrets.token_hex(6)
        async with http_client(served.url, tokens["bob"], mode="auto") as bob:
            theirs = await bob.call_tool("job", {"job_id": made["job_id"]})
            nobodys = await bob.call_tool("job", {"job_id": unknown})
            projects = data(await bob.call_tool("projects", {}))
            history = data(await bob.call_tool("history", {}))
            # Naming her project gives him a project of his own by that name: empty.
            state = data(await bob.call_tool("state", {"project": "wildlife"}))
        async with http_client(served.url, tokens["alice"]) as alice:
            hers = data(await alice.call_tool("history", {}))
    assert theirs.is_error and nobodys.is_error
    assert text_of(theirs).replace(made["job_id"], unknown) == text_of(nobodys)
    assert projects["projects"] == [] and history["entries"] == []
    assert "fox" not in state["summary"].lower()
    everything_bob_saw = text_of(theirs) + str(projects) + str(history) + str(state)
    assert video not in everything_bob_saw and made["job_id"] not in everything_bob_saw.replace(
        f"No job {made['job_id']!r}", ""
    )
    assert hers["entries"][0]["job_id"] == made["job_id"] and video in str(hers)


async def test_a_session_id_taken_from_another_person_gets_nothing_of_theirs(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    file, tokens = people(tmp_path, "alice", "bob")
    seen: list[str] = []

    def keep_session_id(response: httpx2.Response) -> None:
        if SESSION_ID in response.headers:
            seen.append(response.headers[SESSION_ID])

    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log") as served:
        async with http_client(served.url, tokens["alice"], on_response=keep_session_id) as alice:
            done = data(await alice.call_tool("generate", {"message": FOX, "wait_seconds": 120}))
            assert done["status"] == "done"
            session = seen[0]
            # Her live 2025-11-25 session, presented with his token: the SDK answers as for no session.
            probe = httpx.post(
                served.url,
                json={"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}},
                headers={
                    "Authorization": f"Bearer {tokens['bob']}",
                    "Mcp-Session-Id": session,
                    "Mcp-Protocol-Version": "2025-11-25",
                    "Accept": "application/json, text/event-stream",
                },
                timeout=10,
            )
            assert probe.status_code == 404
            # The stateless path ignores session ids: he gets his own (empty) work, whatever he presents.
            async with http_client(served.url, tokens["bob"], mode="auto", headers={"Mcp-Session-Id": session}) as bob:
                assert bob.protocol_version == "2026-07-28"
                state = data(await bob.call_tool("state", {}))
                history = data(await bob.call_tool("history", {}))
            assert "fox" not in state["summary"].lower() and history["entries"] == []
        # And she needs no session id to find hers.
        async with http_client(served.url, tokens["alice"], mode="auto") as alice:
            assert "fox" in data(await alice.call_tool("state", {}))["summary"].lower()


async def test_another_persons_task_answers_like_an_unknown_one(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    file, tokens = people(tmp_path, "alice", "bob")
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log") as served:
        tasks = TasksClient()
        async with http_client(served.url, tokens["alice"], mode="auto", extensions=[tasks]) as alice:
            done = data(await alice.call_tool("generate", {"message": FOX}))
            task_id = tasks.handles[0].task_id
            assert (await get_task(alice, task_id)).status == "completed" and done["status"] == "done"
        unknown = f"gen_{secrets.token_hex(6)}.{secrets.token_urlsafe(24)}"
        async with http_client(served.url, tokens["bob"], mode="auto", extensions=[TasksClient()]) as bob:
            with pytest.raises(MCPError) as theirs:
                await get_task(bob, task_id)
            with pytest.raises(MCPError) as nobodys:
                await get_task(bob, unknown)
    assert theirs.value.error.code == nobodys.value.error.code
    assert theirs.value.error.message == nobodys.value.error.message


async def test_each_person_spends_the_account_the_deployment_gave_them(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    owner, own = backend.add_user(credits=10_000), backend.add_user(credits=10_000)
    file, tokens = people(tmp_path, "alice", "bob", nemo={"alice": own.token})
    with served_http(
        private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log", NEMO_TOKEN=owner.token
    ) as served:
        assert "own NEMO_TOKEN: alice; everyone else: this server's account, credits pooled" in served.stdout
        await generate(served.url, tokens["alice"], FOX)
        spent = {user.user_id: user.spent for user in backend.store.users()}
        assert spent[own.user_id] > 0 and spent[owner.user_id] == 0  # hers, not the server's
        await generate(served.url, tokens["bob"], FOX)
        spent_now = {user.user_id: user.spent for user in backend.store.users()}
        assert spent_now[own.user_id] == spent[own.user_id] and spent_now[owner.user_id] == spent[own.user_id]
        assert own.token not in served.stdout + served.log_text()


async def test_separate_accounts_give_each_person_an_anonymous_account_of_their_own(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    file, tokens = people(tmp_path, "alice", "bob")
    args = ("--tokens-file", str(file), "--accounts", "separate")
    with served_http(private_home, base_url, *args, log=tmp_path / "server.log") as served:
        assert "everyone else: a free anonymous account of their own" in served.stdout
        for name in ("alice", "bob"):
            async with http_client(served.url, tokens[name]) as client:
                assert data(await client.call_tool("credits", {}))["available"] == 100
        async with http_client(served.url, tokens["alice"]) as client:
            await client.call_tool("generate", {"message": OWL, "wait_seconds": 120})
            alice_left = data(await client.call_tool("credits", {}))["available"]
        async with http_client(served.url, tokens["bob"]) as client:
            bob_left = data(await client.call_tool("credits", {}))["available"]
    assert alice_left < 100 and bob_left == 100  # her generation came out of her account only
    config = private_home / ".config/kling-ai-30/principals"
    ids = {name: (config / name / "client_id").read_text().strip() for name in ("alice", "bob")}
    users = [user for user in backend.store.users() if user.anonymous]
    assert sorted(user.client_id or "" for user in users) == sorted(ids.values())
    assert re.fullmatch(r"[0-9a-f-]{36}", ids["alice"]) and ids["alice"] != ids["bob"]
    assert not (private_home / ".config/nemovideo/client_id").exists()  # the server's own was never needed
