"""`kling-ai-30 chat`: a whole scripted conversation, from a photo to a downloaded MP4.

Claude is played by a scripted Messages API (real streaming event shapes, tool_use blocks
included) behind an injected transport; the tools are the real MCP server against the local
backend.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kling_ai_30.cli.claude import NO_KEY, run_chat
from kling_ai_30.local import LocalBackend

from ..media import make_image, probe

pytestmark = pytest.mark.anyio


def sse(events: list[dict[str, Any]]) -> bytes:
    return b"".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n".encode() for e in events)


def message(blocks: list[dict[str, Any]], stop_reason: str) -> bytes:
    """A streamed Messages API answer holding ``blocks`` (text or tool_use)."""
    events: list[dict[str, Any]] = [
        {
            "type": "message_start",
            "message": {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-test",
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 1},
            },
        }
    ]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            events.append(
                {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}
            )
            events.extend(
                {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": word}}
                for word in re.findall(r"\S+\s*", block["text"])
            )
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            events.append({"type": "content_block_start", "index": index, "content_block": start})
            events.append(
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                }
            )
        events.append({"type": "content_block_stop", "index": index})
    events.append(
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": 9},
        }
    )
    events.append({"type": "message_stop"})
    return sse(events)


class ScriptedClaude:
    """Plays Claude: reads the conversation it is sent and answers the next step of the workflow."""

    def __init__(self, photo: Path) -> None:
        self.photo = photo
        self.requests: list[dict[str, Any]] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        assert body["stream"] is True
        last = body["messages"][-1]
        if isinstance(last["content"], str):
            blocks = [
                {"type": "text", "text": "I'll upload your photo first."},
                {"type": "tool_use", "id": "toolu_1", "name": "upload", "input": {"path": str(self.photo)}},
            ]
            return self._reply(blocks, "tool_use")
        result = last["content"][0]
        assert result["type"] == "tool_result" and not result.get("is_error"), result
        payload = _structured(result["content"])
        if result["tool_use_id"] == "toolu_1":
            ask = "generate a 5-second cinematic video from this image with slow camera movement"
            blocks = [
                {"type": "tool_use", "id": "toolu_2", "name": "generate", "input": {"message": ask, "wait_seconds": 0}}
            ]
            return self._reply(blocks, "tool_use")
        if payload.get("status") == "running":
            blocks = [
                {"type": "text", "text": "⏳ Still working..."},
                {
                    "type": "tool_use",
                    "id": "toolu_3",
                    "name": "job",
                    "input": {"job_id": payload["job_id"], "wait_seconds": 60},
                },
            ]
            return self._reply(blocks, "tool_use")
        path = payload["export"]["path"]
        return self._reply([{"type": "text", "text": f"Your video is ready: {path}"}], "end_turn")

    @staticmethod
    def _reply(blocks: list[dict[str, Any]], stop_reason: str) -> httpx2.Response:
        return httpx2.Response(200, headers={"content-type": "text/event-stream"}, content=message(blocks, stop_reason))


def _structured(text: str) -> dict[str, Any]:
    start = text.rfind("\n\n{")
    return json.loads(text[start + 2 :]) if start >= 0 else {}


def chat_args() -> argparse.Namespace:
    return argparse.Namespace(local=False, model="claude-test", json=False, quiet=True, project="default")


async def test_a_whole_conversation_from_a_photo_to_a_downloaded_mp4(
    backend: LocalBackend,
    base_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEMO_API_URL", base_url)
    monkeypatch.setenv("NEMO_WEB_URL", base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
    backend.configure(generation_seconds=0.3)
    claude = ScriptedClaude(make_image(tmp_path / "photo.jpg"))
    lines = iter(["make a video from this photo", None])

    async def read_line(prompt: str) -> str | None:
        return next(lines)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(claude)) as http:
        code = await run_chat(chat_args(), anthropic_http=http, read_line=read_line)

    assert code == 0
    out = capsys.readouterr()
    assert "I'll upload your photo first." in out.out  # Claude's text, streamed
    final = re.search(r"Your video is ready: (\S+\.mp4)", out.out)
    assert final is not None
    media = probe(Path(final.group(1)))
    assert media.video_codec == "h264"
    assert "⚙ upload" in out.err and "⚙ generate" in out.err and "⚙ job" in out.err
    first = claude.requests[0]
    assert {tool["name"] for tool in first["tools"]} == {
        "upload",
        "generate",
        "credits",
        "state",
        "export",
        "job",
        "history",
        "projects",
    }
    assert "Kling AI 30-Second Video" in first["system"] and "---" not in first["system"].split("\n", 1)[0]
    assert len(claude.requests) == 4
    assert "nmv_usr_" not in json.dumps(claude.requests)  # the backend token never reaches Claude


async def test_without_an_api_key_it_says_how_to_get_one_and_points_to_mcp(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await run_chat(chat_args())
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() == NO_KEY.strip()
    assert "ANTHROPIC_API_KEY" in err and "kling-ai-30 serve" in err


class FailingClaude:
    """The Messages API failing: overloaded, then refusing the key, then answering."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers = [
            httpx2.Response(529, headers={"x-should-retry": "false"}, json=api_error("overloaded_error", "Overloaded")),
            httpx2.Response(401, json=api_error("authentication_error", "invalid x-api-key")),
            ScriptedClaude._reply([{"type": "text", "text": "Hello again."}], "end_turn"),
        ]

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(json.loads(request.content))
        return self.answers.pop(0)


def api_error(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


async def test_api_errors_are_told_in_one_line_and_the_chat_goes_on(
    backend: LocalBackend,
    base_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("NEMO_API_URL", base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key")
    claude = FailingClaude()
    lines = iter(["hello", "hello?", "are you there?", None])

    async def read_line(prompt: str) -> str | None:
        return next(lines)

    async with httpx2.AsyncClient(transport=httpx2.MockTransport(claude)) as http:
        code = await run_chat(chat_args(), anthropic_http=http, read_line=read_line)

    assert code == 0
    out = capsys.readouterr()
    assert "overloaded right now (529): wait a minute" in out.err
    assert "refused the API key (401): check ANTHROPIC_API_KEY" in out.err
    assert "Traceback" not in out.err and "ExceptionGroup" not in out.err
    assert "Hello again." in out.out
    # The unanswered messages were taken back: the third request carries only the third message.
    assert [m["content"] for m in claude.requests[2]["messages"]] == ["are you there?"]
