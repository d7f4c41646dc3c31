"""The studio view at work in a real browser: dropped photo → backend, live work, timeline, video.

Everything goes through the real boundaries (conftest): Chromium, the official AppBridge and MCP
client in a chat-like host page, the real ``serve --http`` process and the local backend process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from kling_ai_30.policy import STUDIO_CHUNK_BYTES

from ..media import make_image, probe
from .conftest import SIM_CONFIG, Chat, Sim, View, screenshot, screenshots_wanted

READY = "document.getElementById('status').dataset.state === 'ready'"
BLOB_REFUSED = "violates the following Content Security Policy directive: \"media-src 'self' data:\""
STUDIO_URI = "ui://kling-ai-30/studio.html"


def photo_png(tmp_path: Path) -> bytes:
    """A real photo-like PNG of ~530 KB: two of the studio's 384 KiB chunks."""
    data = make_image(tmp_path / "lake.png", "mountain lake at sunrise", (960, 540)).read_bytes()
    assert 384 * 1024 < len(data) <= 2 * 384 * 1024
    return data


def drop(view: View, name: str, data: bytes) -> None:
    """What the browser fires when a file is dropped on the drop zone (Playwright cannot drag one
    in from the desktop, so the test builds the same DragEvent, with a real File in its DataTransfer)."""
    view.frame.evaluate(
        """([name, b64]) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, { type: "image/png" }));
            const zone = document.getElementById("drop");
            zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: transfer, bubbles: true, cancelable: true }));
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
        }""",
        [name, base64.b64encode(data).decode()],
    )


def uploads_at_backend(sim: Sim) -> list[dict[str, Any]]:
    return [r for r in sim.requests("/api/upload-video/") if r["method"] == "POST"]


def click(view: View, action: str) -> None:
    view.frame.click(f'button[data-action="{action}"]')


def play(view: View) -> dict[str, Any]:
    """Play the loaded video (muted: autoplay needs no gesture then) and report how far it got."""
    played: dict[str, Any] = view.frame.evaluate(
        """async () => {
            const video = document.getElementById("player");
            video.muted = true;
            await video.play();
            const start = video.currentTime;
            await new Promise((resolve) => {
                const check = () => (video.currentTime > start + 0.3 ? resolve() : setTimeout(check, 50));
                check();
            });
            video.pause();
            return { t: video.currentTime, width: video.videoWidth, height: video.videoHeight };
        }"""
    )
    return played


def test_a_dropped_photo_reaches_the_backend_and_becomes_a_video_that_plays(
    chat_factory: Any, sim: Sim, tmp_path: Path
) -> None:
    chat: Chat = chat_factory()
    host = chat.host()
    assert host["protocol"] == "2025-11-25"  # the era Claude speaks today
    for tool in ("upload", "generate", "state", "export", "job"):
        assert host["tools"][tool] == {"ui": {"resourceUri": STUDIO_URI}, "ui/resourceUri": STUDIO_URI}
    assert host["tools"]["studio_upload"]["ui"]["visibility"] == ["app"]
    project = f"journey-{uuid.uuid4().hex[:8]}"  # its own project: the view passes it on in every call
    view = chat.turn("state", {"project": project}, say="I'd like a short video from a photo of mine.")
    view.wait(READY)
    view.wait("!document.getElementById('timeline').hidden")
    record = view.record()
    assert record["resourceMeta"] == {"ui": {"csp": {}, "permissions": {"clipboardWrite": {}}, "prefersBorder": True}}

    # The photo: dropped into the view, sent in two chunks through the app-only tool, uploaded.
    before = len(uploads_at_backend(sim))
    png = photo_png(tmp_path)
    drop(view, "lake.png", png)
    view.wait(
        "document.getElementById('upload').dataset.state !== 'sending' && "
        "document.getElementById('upload').dataset.state !== 'idle'"
    )
    assert view.frame.get_attribute("#upload", "data-state") == "done", view.text("#upload")
    assert "Uploaded lake.png (image 960×540)" in view.text("#upload")  # the backend decoded it whole
    assert len(uploads_at_backend(sim)) == before + 1
    record = view.record()
    assert record["calls"] == ["studio_upload", "studio_upload", "state"]
    assert record["results"]["studio_upload"]["files"][0]["hash"] == hashlib.sha256(png).hexdigest()

    # A paid step shows its estimate first, and sends nothing until it is confirmed.
    click(view, "preview")
    assert "about 100 credits" in view.text("#confirm")
    assert view.record()["calls"] == ["studio_upload", "studio_upload", "state"]
    click(view, "preview")
    view.wait("document.getElementById('job').dataset.status === 'running'")
    if screenshots_wanted():  # the picture for the README: the job past its first phase
        view.wait(
            "window.__studio.progressTexts.length >= 2 || document.getElementById('job').dataset.status !== 'running'"
        )
        screenshot(chat.page, "studio-working.png")
    view.wait("document.getElementById('job').dataset.status === 'done'", timeout_s=120)
    texts = view.probe()["progressTexts"]
    assert len(set(texts)) >= 2, texts  # the view followed the job through its phases
    view.wait("document.querySelector('#tracks li[data-kind=\"video\"]') !== null")
    assert "0–5 s" in view.text("#tracks")

    # Export: free, one click; the MP4 comes through the host in parts and plays inline.
    click(view, "export")
    view.wait(
        "document.getElementById('job').dataset.jobId.startsWith('exp_') && "
        "document.getElementById('job').dataset.status === 'done'",
        timeout_s=120,
    )
    export = view.record()["results"]["job"]["export"]
    view.wait(
        f"document.getElementById('video-box').dataset.renderId === {json.dumps(export['render_id'])} && "
        "document.getElementById('video-box').dataset.state === 'ready'"
    )
    mp4 = probe(Path(export["path"]))
    playback = view.probe()["playback"]
    assert playback["how"] == "blob" and playback["size"] == Path(export["path"]).stat().st_size
    assert abs(playback["duration"] - mp4.duration_s) < 0.1, (playback, mp4)
    played = play(view)
    assert played["t"] > 0.3 and (played["width"], played["height"]) == (mp4.width, mp4.height)
    record = view.record()
    assert record["reads"] >= 1 and "studio_video" not in record["calls"]  # resources/read, this host allows it
    assert set(record["projects"]) == {project}  # every call and read of the view named this project
    screenshot(chat.page, "studio-video.png")

    # The assistant hears what happened in the studio; no token ever crossed into the page.
    assert "Studio:" in record["modelContext"]["content"][0]["text"]
    wire = chat.wire()
    assert sim.token not in wire and "Bearer" not in wire
    assert chat.errors() == []


def test_a_strict_host_gets_a_video_of_several_parts_through_the_app_only_tool_and_a_data_url(
    chat_factory: Any, sim: Sim, tmp_path: Path
) -> None:
    """The spec's default CSP (no ``blob:`` media), and a host that does not relay resource reads.
    A photo of noise hardly compresses, so its video comes in several parts."""
    from PIL import Image

    noise = tmp_path / "noise.png"
    Image.frombytes("RGB", (640, 360), os.urandom(640 * 360 * 3)).save(noise)
    chat: Chat = chat_factory()
    project = f"strict-{uuid.uuid4().hex[:8]}"
    sim.configure(render_max_height=360)
    try:
        chat.turn("upload", {"path": str(noise), "project": project}).wait(
            "!document.getElementById('timeline').hidden"
        )
        preview = {"message": "Make a 5-second preview video from my photo", "wait_seconds": 60, "project": project}
        chat.turn("generate", preview).wait("document.getElementById('job').dataset.status === 'done'", timeout_s=120)
        view = chat.turn("export", {"wait_seconds": 60, "project": project}, policy="spec-default", resources=False)
        view.wait("['ready', 'error'].includes(document.getElementById('video-box').dataset.state)", timeout_s=120)
    finally:
        sim.configure(render_max_height=SIM_CONFIG["render_max_height"])
    assert view.frame.get_attribute("#video-box", "data-state") == "ready", view.text("#video-info")
    record, studio = view.record(), view.probe()
    export = record["result"]["export"]
    assert studio["playback"]["how"] == "data" and studio["playback"]["size"] == export["size_bytes"]
    assert abs(studio["playback"]["duration"] - probe(Path(export["path"])).duration_s) < 0.1
    assert {"directive": "media-src", "blocked": "blob"} in studio["cspViolations"]
    assert record["calls"].count("studio_video") == -(-export["size_bytes"] // STUDIO_CHUNK_BYTES) >= 2
    assert record["reads"] == 0 and set(record["projects"]) == {project}
    assert play(view)["t"] > 0.3
    assert [e for e in chat.errors() if BLOB_REFUSED not in e] == []


def test_a_file_that_is_not_what_its_name_says_is_refused_and_nothing_is_sent(chat_factory: Any, sim: Sim) -> None:
    chat: Chat = chat_factory()
    view = chat.turn("state", {"project": f"refused-{uuid.uuid4().hex[:8]}"})
    view.wait(READY)
    before = len(uploads_at_backend(sim))
    drop(view, "notes.png", b"these are my notes, not a picture")
    view.wait("document.getElementById('upload').dataset.state === 'error'")
    assert "'notes.png' does not contain PNG data" in view.text("#upload")
    assert len(uploads_at_backend(sim)) == before
    assert view.record()["calls"] == ["studio_upload"]


def test_the_view_takes_the_hosts_theme_and_fonts_and_fits_a_narrow_column(chat_factory: Any) -> None:
    chat: Chat = chat_factory(width=360, theme="light")
    view = chat.turn("state", {"project": f"theme-{uuid.uuid4().hex[:8]}"}, say="What's on my timeline?")
    view.wait(READY)
    background = "getComputedStyle(document.body).backgroundColor"
    assert view.frame.evaluate(f"() => {background}") == "rgb(251, 248, 241)"  # the host's variable
    assert "Georgia" in view.frame.evaluate("() => getComputedStyle(document.body).fontFamily")
    chat.page.evaluate("() => window.__hostApi.setTheme('dark')")
    view.wait(f"{background} === 'rgb(38, 38, 36)'")
    assert view.frame.evaluate("() => document.documentElement.style.colorScheme") == "dark"
    widths = view.frame.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], widths  # nothing sticks out sideways at 360 px
    screenshot(chat.page, "studio-narrow-dark.png")
    assert chat.errors() == []


@pytest.mark.parametrize("protocol", ["auto"])
def test_the_studio_works_on_the_2026_protocol_too(chat_factory: Any, protocol: str) -> None:
    chat: Chat = chat_factory(protocol=protocol)
    host = chat.host()
    assert host["protocol"] == "2026-07-28"
    assert host["serverCapabilities"]["extensions"]["io.modelcontextprotocol/ui"] == {}
    view = chat.turn("state", {"project": f"era-{uuid.uuid4().hex[:8]}"})
    view.wait(READY)
    view.wait("!document.getElementById('timeline').hidden")
    assert view.record()["result"]["summary"] == "Timeline is empty: nothing has been generated yet."
    assert chat.errors() == []
