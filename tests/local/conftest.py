"""The local backend on a real loopback socket, and a small plain-httpx helper to talk to it.

Deliberately not the project's client: these tests pin the wire contract the client is written
against, so they must not share its code.
"""

from __future__ import annotations

import io
import json
import math
import ssl
import struct
import wave
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest

from kling_ai_30.local import LocalBackend

ATTRIBUTION = {"X-Skill-Source": "kling-ai-30", "X-Skill-Version": "0.1.0", "X-Skill-Platform": "unknown"}
HEARTBEAT_FRAMES = ("data: ", 'data: {"type":"heartbeat"}', ": keepalive")
GENERATE = "generate a 5-second video of a mountain lake"


_TLS = ssl.create_default_context()


@pytest.fixture
def instant(backend: LocalBackend) -> LocalBackend:
    """The backend with tools that take no time, for tests that only need their results."""
    backend.configure(generation_seconds=0.0, edit_seconds=0.0)
    return backend


@pytest.fixture
def base_url(backend: LocalBackend, _shared_backend: tuple[LocalBackend, str]) -> str:
    return _shared_backend[1]


@pytest.fixture
async def api(base_url: str) -> AsyncIterator[Api]:
    # One TLS context for every client: building one per test (certificate loading) costs ~50 ms.
    async with httpx.AsyncClient(base_url=base_url, timeout=20, verify=_TLS) as client:
        yield Api(client)


@dataclass
class Account:
    token: str
    user_id: str
    session_id: str
    task_id: str
    client_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **ATTRIBUTION}

    @property
    def auth_only(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Stream:
    """One /run_sse answer, kept raw and split into its parts."""

    status: int
    raw: str
    cut: bool = False  # the connection broke before the body was complete
    json_body: Any = None  # for non-stream answers
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def frames(self) -> list[str]:
        return [f for f in self.raw.split("\n\n") if f != ""] if self.raw else []

    @property
    def heartbeats(self) -> list[str]:
        return [f for f in self.frames if f in HEARTBEAT_FRAMES]

    @property
    def events(self) -> list[dict[str, Any]]:
        out = []
        for f in self.frames:
            if f in HEARTBEAT_FRAMES:
                continue
            assert f.startswith("data: "), f
            out.append(json.loads(f[len("data: ") :]))
        return out

    @property
    def parts(self) -> list[dict[str, Any]]:
        return [p for e in self.events if isinstance(e.get("content"), dict) for p in e["content"]["parts"]]

    @property
    def texts(self) -> list[str]:
        adk = [p["text"] for p in self.parts if "text" in p and not p.get("thought")]
        typed = [e["content"] for e in self.events if e.get("type") == "text"]
        return adk + typed

    @property
    def thoughts(self) -> list[str]:
        return [p["text"] for p in self.parts if p.get("thought")]

    @property
    def calls(self) -> list[str]:
        adk = [p["functionCall"]["name"] for p in self.parts if "functionCall" in p]
        return adk + [e["name"] for e in self.events if e.get("type") == "tool_call"]

    @property
    def results(self) -> list[str]:
        adk = [p["functionResponse"]["name"] for p in self.parts if "functionResponse" in p]
        return adk + [e["name"] for e in self.events if e.get("type") == "tool_result"]

    @property
    def errors(self) -> list[str]:
        return [e["error"] for e in self.events if "error" in e]


class Api:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._clients = 0

    def new_client_id(self) -> str:
        self._clients += 1
        return f"test-client-{self._clients}"

    async def token(self, client_id: str | None = None) -> dict[str, Any]:
        r = await self.http.post(
            "/api/auth/anonymous-token", headers={"X-Client-Id": client_id or self.new_client_id()}
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    async def account(self, language: str | None = None, token: str | None = None) -> Account:
        client_id = self.new_client_id()
        if token is None:
            issued = await self.token(client_id)
            token, user_id = issued["token"], issued["user_id"]
        else:
            user_id = ""
        body: dict[str, Any] = {"task_name": "project"}
        if language is not None:
            body["language"] = language
        r = await self.http.post(
            "/api/tasks/me/with-session/nemo_agent", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        return Account(token, data["user_id"] or user_id, data["session_id"], data["task_id"], client_id)

    def run_body(self, account: Account, text: str) -> dict[str, Any]:
        return {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": account.session_id,
            "new_message": {"parts": [{"text": text}], "role": "user"},
        }

    async def send(
        self,
        account: Account,
        text: str,
        *,
        body: dict[str, Any] | None = None,
        on_frame: Callable[[str], Awaitable[None]] | None = None,
    ) -> Stream:
        headers = {**account.headers, "Accept": "text/event-stream"}
        async with self.http.stream(
            "POST", "/run_sse", json=body or self.run_body(account, text), headers=headers
        ) as r:
            if not r.headers.get("content-type", "").startswith("text/event-stream"):
                await r.aread()
                return Stream(r.status_code, "", json_body=r.json(), headers=dict(r.headers))
            raw = ""
            cut = False
            delivered = 0
            try:
                async for chunk in r.aiter_text():
                    raw += chunk
                    if on_frame is not None:
                        complete = raw.split("\n\n")[:-1]
                        for frame in complete[delivered:]:
                            await on_frame(frame)
                        delivered = len(complete)
            except httpx.RemoteProtocolError:
                cut = True
            return Stream(r.status_code, raw, cut=cut, headers=dict(r.headers))

    async def state(self, account: Account) -> dict[str, Any]:
        r = await self.http.get(f"/api/state/nemo_agent/me/{account.session_id}/latest", headers=account.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]["state"]  # type: ignore[no-any-return]

    async def credits(self, account: Account) -> dict[str, int]:
        r = await self.http.get("/api/credits/balance/simple", headers=account.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    async def upload(self, account: Account, *files: tuple[str, bytes]) -> httpx.Response:
        return await self.http.post(
            f"/api/upload-video/nemo_agent/me/{account.session_id}",
            files=[("files", (name, content)) for name, content in files],
            headers=account.headers,
        )

    async def upload_urls(self, account: Account, *urls: str) -> httpx.Response:
        return await self.http.post(
            f"/api/upload-video/nemo_agent/me/{account.session_id}",
            json={"urls": list(urls), "source_type": "url"},
            headers=account.headers,
        )

    async def poll_render(self, account: Account, render_id: str, *, until: str = "completed") -> dict[str, Any]:
        with anyio.fail_after(30):
            while True:
                r = await self.http.get(f"/api/render/proxy/lambda/{render_id}", headers=account.headers)
                data = r.json()["data"]
                if data["status"] in (until, "failed", "completed"):
                    return data  # type: ignore[no-any-return]
                await anyio.sleep(0.05)


async def wait_until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    """Poll `predicate` until it holds; fails the test after `timeout` seconds."""
    with anyio.fail_after(timeout):
        while not await predicate():
            await anyio.sleep(0.02)


# --- tiny media files -----------------------------------------------------------------------


def png_bytes(width: int = 64, height: int = 48, color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float = 0.5, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        frames = int(seconds * rate)
        wav.writeframes(
            b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames))
        )
    return buffer.getvalue()


def mp4_bytes(width: int = 64, height: int = 48, frames: int = 16, fps: int = 8) -> bytes:
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            image = np.full((height, width, 3), (i * 10) % 255, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()
