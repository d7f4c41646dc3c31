"""What the router decides, carried out through a real MCP client: free answers and questions send
nothing, approval around a request is never a message of its own, a file kept back stays here."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from kling_ai_30.local import LocalBackend

from .conftest import image, text_of

pytestmark = pytest.mark.anyio


def paid_requests(backend: LocalBackend) -> list[str]:
    return [r.path for r in backend.store.requests() if r.path == "/run_sse" or r.path.startswith("/api/upload")]


@pytest.mark.parametrize(
    "message",
    [
        "what does export cost?",
        "how do I export the video?",
        "is it safe to upload this?",
        "匯出要多少點數？",
        "looks great",
    ],
)
async def test_questions_about_an_action_and_bare_approval_are_answered_for_free(
    mcp: Client, backend: LocalBackend, message: str
) -> None:
    result = await mcp.call_tool("generate", {"message": message})
    assert not result.is_error and text_of(result).strip(), text_of(result)
    assert paid_requests(backend) == []


async def test_approval_around_a_request_is_not_sent_to_the_chat(mcp: Client, backend: LocalBackend) -> None:
    made = await mcp.call_tool("generate", {"message": "generate a 5-second video of a harbour", "wait_seconds": 60})
    assert (made.structured_content or {}).get("status") == "done"
    sent = len([p for p in paid_requests(backend) if p == "/run_sse"])
    result = await mcp.call_tool("generate", {"message": "就这样，导出吧", "wait_seconds": 60})
    data = result.structured_content or {}
    assert data.get("routed_to") == ["export"] and data.get("export") is not None, text_of(result)
    assert len([p for p in paid_requests(backend) if p == "/run_sse"]) == sent  # "就这样" was never a message


async def test_a_file_the_user_keeps_back_stays_on_the_machine(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    photo = image(tmp_path)
    result = await mcp.call_tool("generate", {"message": f"don't upload {photo}"})
    assert not result.is_error, text_of(result)
    assert paid_requests(backend) == []
