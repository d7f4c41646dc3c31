"""No secret leaks: everything the program emits in a full session is captured and searched for
every token the backend issued and for the user's own ``NEMO_TOKEN``.

Captured: every tool result (text, structured content, content blocks), every progress message,
every log record at DEBUG for every logger (httpx and httpcore included), exception strings and
tracebacks, the URLs the backend saw, the files written under the private home (except the token
cache, whose job is to hold the anonymous token), and the stderr of a real stdio server run with
``--verbose``.
"""

from __future__ import annotations

import json
import logging
import stat
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.config import load_settings
from kling_ai_30.errors import KlingError
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import load_identity

from .conftest import Progress, everything, photo, text_of
from .test_crash_safety import stdio_server

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video from lake.jpg with slow camera movement"


class Capture:
    """Everything one session emitted, as text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.progress = Progress()

    async def call(self, mcp: Client, tool: str, **arguments: Any) -> Any:
        result = await mcp.call_tool(tool, arguments, progress_callback=self.progress)
        self.parts.append(everything(result))
        return result

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "\n".join([*self.parts, self.progress.text])


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record as a handler would write it, traceback included."""
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(record.exc_text or "")
        lines.append(record.stack_info or "")
    return "\n".join(lines)


def files_under(home: Path, *, skip: tuple[Path, ...] = ()) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in home.rglob("*") if p.is_file() and p not in skip}


def assert_nowhere(tokens: list[str], text: str, files: dict[Path, bytes]) -> None:
    assert tokens and all(len(t) >= 16 for t in tokens)
    for token in tokens:
        assert token not in text, f"a token leaked into the output: …{text[max(0, text.find(token) - 80) :][:200]}"
        for path, data in files.items():
            assert token.encode() not in data, f"a token was written to {path}"


def debug_everything(caplog: pytest.LogCaptureFixture) -> None:
    # build_server quiets httpx to WARNING for the host's log; turn everything back up, as a user
    # debugging a problem would.
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "mcp", "kling_ai_30", "anyio"):
        logging.getLogger(name).setLevel(logging.DEBUG)


async def test_a_full_anonymous_session_never_emits_a_token_anywhere(
    connect: Callable[..., Any],
    backend: LocalBackend,
    private_home: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen = Capture()
    image = photo(tmp_path / "lake.jpg")
    caplog.set_level(logging.DEBUG)
    async with connect() as mcp:
        debug_everything(caplog)
        await seen.call(mcp, "credits")
        await seen.call(mcp, "upload", path=str(image))
        await seen.call(mcp, "generate", message=GENERATE, wait_seconds=60)
        backend.faults.expire_tokens()  # a second token, issued mid-session
        backend.faults.force_silent(True, times=1)
        await seen.call(mcp, "generate", message='add a title "Still Water"', wait_seconds=60)
        backend.faults.drop_stream("mid_tool_call")
        await seen.call(mcp, "generate", message="add some calm piano music", wait_seconds=60)
        backend.faults.fail_renders(times=1)
        await seen.call(mcp, "export", wait_seconds=60)
        backend.faults.stream_error("upstream said Bearer nmv_usr_notarealtoken1234 was odd")
        await seen.call(mcp, "generate", message="make it brighter", wait_seconds=60)
        backend.faults.block_export(times=1)
        await seen.call(mcp, "export", wait_seconds=60)
        backend.faults.set_credits(None, 0)
        failed = await seen.call(mcp, "generate", message="generate a 30-second video of rain", wait_seconds=60)
        started = await seen.call(mcp, "state")
        await seen.call(mcp, "job", job_id="gen_000000000000")
    assert failed.is_error and not started.is_error

    tokens = [t.token for t in backend.store.tokens()]
    assert len(tokens) == 2
    seen.add(logged(caplog))
    seen.add("\n".join(f"{r.method} {r.path}?{r.query}" for r in backend.store.requests()))  # URLs
    cache = private_home / ".config/kling-ai-30/tokens.json"
    assert_nowhere(tokens, seen.text(), files_under(private_home, skip=(cache,)))
    assert "nmv_usr_notarealtoken1234" not in seen.text()  # token-shaped text from the backend, too
    assert "❌" not in text_of(started)

    # The one place the token lives: a private file in a private folder.
    assert tokens[-1] in cache.read_text(encoding="utf-8")
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert stat.S_IMODE(cache.parent.stat().st_mode) == 0o700
    # The client id file holds the id and nothing else: the same one the backend was sent.
    client_id_file = private_home / ".config/nemovideo/client_id"
    content = client_id_file.read_text(encoding="utf-8")
    assert content == content.strip() + "\n" and str(uuid.UUID(content.strip())) == content.strip()
    sent = {r.headers["x-client-id"] for r in backend.store.requests() if r.path == "/api/auth/anonymous-token"}
    assert sent == {content.strip()}
    # Everything else the program keeps is private too.
    for path in (private_home / ".local/state/kling-ai-30").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


async def test_a_user_token_never_leaves_memory_even_when_it_is_rejected(
    connect: Callable[..., Any],
    backend: LocalBackend,
    base_url: str,
    private_home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = backend.add_user(credits=1000)
    seen = Capture()
    async with connect(NEMO_TOKEN=user.token) as mcp:
        debug_everything(caplog)
        await seen.call(mcp, "credits")
        await seen.call(mcp, "generate", message="generate a 5-second video of a harbour", wait_seconds=60)
        backend.faults.revoke_token(user.token)
        rejected = await seen.call(mcp, "state")
    assert rejected.is_error and "NEMO_TOKEN was rejected" in text_of(rejected)

    # The same token straight through the client: the exception, its repr and its traceback.
    settings = load_settings({"NEMO_TOKEN": user.token}, api_url=base_url)
    async with BackendClient(settings, load_identity()) as client:
        with pytest.raises(KlingError) as caught:
            await client.credits()
    seen.add(str(caught.value) + repr(caught.value) + "".join(traceback.format_exception(caught.value)))
    seen.add(repr(settings) + str(settings.model_dump()) + json.dumps(settings.model_dump(mode="json")))
    seen.add(logged(caplog))

    # Nothing on disk holds it, not even the token cache (a user token is never cached).
    assert_nowhere([user.token], seen.text(), files_under(private_home))
    assert not [r for r in backend.store.requests() if r.path == "/api/auth/anonymous-token"]


async def test_a_verbose_stdio_server_writes_no_token_to_stderr(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    user = backend.add_user(credits=1000)
    log = tmp_path / "server.stderr"
    seen = Capture()
    with open(log, "w") as errlog:
        async with stdio_server(private_home, base_url, errlog, "--verbose", NEMO_TOKEN=user.token) as client:
            await seen.call(client, "credits")
            await seen.call(client, "generate", message="generate a 5-second video of a meadow", wait_seconds=60)
            backend.faults.stream_error(f"echoing your Authorization: Bearer {user.token}")
            await seen.call(client, "generate", message="add a title", wait_seconds=60)
            backend.faults.revoke_token(user.token)
            await seen.call(client, "export", wait_seconds=60)
    stderr = log.read_text(encoding="utf-8")
    assert "INFO" in stderr  # verbose logging was on and reached stderr
    seen.add(stderr)
    assert_nowhere([user.token, *(t.token for t in backend.store.tokens())], seen.text(), files_under(private_home))
