"""The export workflow against the local backend, over a wire that can lose answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.config import load_settings
from kling_ai_30.conversation.turn import Conversation
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import load_identity
from kling_ai_30.workspace.export import ExportRun

from ..client.wire import LossyWire
from ..media import probe

pytestmark = pytest.mark.anyio

SUBMIT = "/api/render/proxy/lambda"


async def instant(seconds: float) -> None:
    """The export's polling waits, shortened (the local backend renders tiny clips in a blink)."""
    await anyio.sleep(min(seconds, 0.05))


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[tuple[BackendClient, LossyWire]]:
    wire = LossyWire()
    settings = load_settings({}, api_url=base_url, web_url=base_url)
    async with BackendClient(settings, load_identity(), transport=wire, sleep=instant) as backend_client:
        yield backend_client, wire


def submits(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == SUBMIT and r.method == "POST")


@pytest.mark.parametrize(
    "failure",
    [pytest.param(httpx.ReadTimeout, id="read-timeout"), pytest.param(502, id="gateway-502")],
)
async def test_a_submit_whose_answer_was_lost_is_followed_not_rendered_twice(
    backend: LocalBackend,
    client: tuple[BackendClient, LossyWire],
    tmp_path: Path,
    failure: type[httpx.ReadTimeout] | int,
) -> None:
    backend_client, wire = client
    session = await backend_client.create_session()
    await Conversation(backend_client, session).send("generate a 5-second video of fog")
    remembered: list[str] = []
    wire.lose_answer(SUBMIT, failure)
    run = ExportRun(
        client=backend_client,
        session=session,
        dest_dir=tmp_path,
        report=lambda phase, message, progress: None,
        remember_render=remembered.append,
        sleep=instant,
    )
    exported = await run.run()
    assert submits(backend) == 1
    assert remembered == [exported.render_id]
    assert probe(exported.path).video_codec == "h264"
