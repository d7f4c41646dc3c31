"""The studio (MCP Apps) on the wire: what an Apps host and a plain client see, the dropped-file
upload in chunks with its checks, the exported video in parts, and the poster still.

Through ``mcp.Client`` in memory in both protocol eras, against the local backend."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.client.extension import advertise
from mcp.types import CallToolResult, ImageContent

from kling_ai_30.config import load_settings
from kling_ai_30.errors import InputError
from kling_ai_30.local import LocalBackend
from kling_ai_30.mcp_server.server import build_server
from kling_ai_30.mcp_server.studio.partial_uploads import PartialUploads
from kling_ai_30.mcp_server.studio.poster import poster_jpeg
from kling_ai_30.policy import STUDIO_CHUNK_BYTES, STUDIO_PARTIAL_UPLOAD_IDLE_S, STUDIO_PARTIAL_UPLOADS_MAX
from kling_ai_30.studio import view_html
from kling_ai_30.workspace.projects import ProjectRef

from ..media import make_image
from .conftest import Sleeps, text_of

pytestmark = pytest.mark.anyio

STUDIO_URI = "ui://kling-ai-30/studio.html"
BOUND = {"ui": {"resourceUri": STUDIO_URI}, "ui/resourceUri": STUDIO_URI}
UI = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
PREVIEW = {"message": "generate a 5-second video from the uploaded photo", "wait_seconds": 60}


@pytest.fixture
def open_client(base_url: str, sleeps: Sleeps, mode: str) -> Callable[..., Any]:
    """``async with open_client(apps=True)``: a fresh server and a client that does or does not render Apps."""

    @asynccontextmanager
    async def _open(*, apps: bool = True) -> AsyncIterator[Client]:
        server = build_server(load_settings({}, api_url=base_url, web_url=base_url), sleep=sleeps)
        async with Client(server, mode=mode, extensions=[UI] if apps else []) as client:  # type: ignore[arg-type]
            yield client

    return _open


@pytest.fixture
async def host(open_client: Callable[..., Any]) -> AsyncIterator[Client]:
    """A client as an Apps host is (Claude Desktop, claude.ai, VS Code…)."""
    async with open_client() as client:
        yield client


def photo(tmp_path: Path, name: str = "lake.png") -> bytes:
    """A real PNG of ~530 KB: two chunks."""
    data = make_image(tmp_path / name, "mountain lake at sunrise", (960, 540)).read_bytes()
    assert STUDIO_CHUNK_BYTES < len(data) <= 2 * STUDIO_CHUNK_BYTES
    return data


def chunk(upload_id: str, name: str, data: bytes, offset: int, total: int | None = None) -> dict[str, Any]:
    piece = data[offset : offset + STUDIO_CHUNK_BYTES]
    return {
        "upload_id": upload_id,
        "name": name,
        "total_bytes": len(data) if total is None else total,
        "offset": offset,
        "data": base64.b64encode(piece).decode(),
    }


def uploads_sent(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path.startswith("/api/upload-video/"))


def staging(home: Path) -> list[Path]:
    """Everything under the studio's partial-upload folders."""
    return sorted(p for p in (home / ".local/state/kling-ai-30").rglob("studio-uploads/**/*"))


# ------------------------------------------------------------------ what hosts see


async def test_the_video_tools_point_at_the_studio_and_an_apps_host_sees_its_two_app_only_tools(host: Client) -> None:
    tools = {tool.name: tool for tool in (await host.list_tools()).tools}
    for name in ("upload", "generate", "state", "export", "job"):
        assert tools[name].meta == BOUND, name
    assert tools["credits"].meta is None
    for name in ("studio_upload", "studio_video"):
        assert tools[name].meta == {"ui": {"resourceUri": STUDIO_URI, "visibility": ["app"]}}


async def test_every_ui_resource_a_tool_names_is_served_as_an_app_that_loads_nothing_from_anywhere(
    host: Client,
) -> None:
    uris = {(tool.meta or {}).get("ui", {}).get("resourceUri") for tool in (await host.list_tools()).tools} - {None}
    assert uris == {STUDIO_URI}
    (content,) = (await host.read_resource(STUDIO_URI)).contents
    assert content.mime_type == "text/html;profile=mcp-app"
    assert content.meta == {"ui": {"csp": {}, "permissions": {"clipboardWrite": {}}, "prefersBorder": True}}
    assert getattr(content, "text", None) == view_html()
    templates = [t.uri_template for t in (await host.list_resource_templates()).resource_templates]
    assert "kling://video/{render_id}/{part}{?project}" in templates


async def test_a_client_without_apps_sees_the_same_tools_and_text_as_before(
    open_client: Callable[..., Any], tmp_path: Path
) -> None:
    image = str(make_image(tmp_path / "lake.jpg"))
    seen: dict[bool, Any] = {}
    for apps in (True, False):
        async with open_client(apps=apps) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            await client.call_tool("credits", {})  # the first call of a server also says it is connected
            state = await client.call_tool("state", {})
            uploaded = await client.call_tool("upload", {"path": image})
            seen[apps] = (names, text_of(state), text_of(uploaded), uploaded.structured_content["files"][0]["hash"])
    assert {"upload", "generate", "credits", "state", "export", "job"} <= seen[False][0]
    assert not {name for name in seen[False][0] if name.startswith("studio_")}
    assert seen[True][0] == seen[False][0] | {"studio_upload", "studio_video"}
    assert seen[True][1:] == seen[False][1:]


# ------------------------------------------------------------------ the dropped file


async def test_a_dropped_photo_arrives_in_chunks_privately_and_is_uploaded_whole(
    host: Client, backend: LocalBackend, tmp_path: Path, private_home: Path
) -> None:
    data = photo(tmp_path)
    first = await host.call_tool("studio_upload", chunk("a" * 32, "lake.png", data, 0))
    assert not first.is_error, text_of(first)
    assert first.structured_content == {
        "message": f"Received {STUDIO_CHUNK_BYTES} of {len(data)} bytes of 'lake.png'.",
        "received_bytes": STUDIO_CHUNK_BYTES,
        "total_bytes": len(data),
        "done": False,
        "files": [],
    }
    (folder, partial) = staging(private_home)[-2:]
    assert partial.name == "lake.png" and partial.read_bytes() == data[:STUDIO_CHUNK_BYTES]
    assert stat.S_IMODE(partial.stat().st_mode) == 0o600 and stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert uploads_sent(backend) == 0  # nothing is sent before the file is whole

    last = await host.call_tool("studio_upload", chunk("a" * 32, "lake.png", data, STUDIO_CHUNK_BYTES))
    assert not last.is_error, text_of(last)
    done = last.structured_content
    assert done is not None and done["done"] is True and done["message"].endswith("Uploaded lake.png (image 960×540)")
    (file,) = done["files"]
    assert file["hash"] == hashlib.sha256(data).hexdigest()  # the backend got every byte, in order
    assert uploads_sent(backend) == 1
    assert [p for p in staging(private_home) if p.is_file()] == []  # the partial file is gone


@pytest.mark.parametrize(
    ("name", "content", "total", "says"),
    [
        pytest.param("notes.png", b"just some notes, not a picture", None, "does not contain PNG data", id="magic"),
        pytest.param("setup.exe", b"MZ\x90\x00", None, ".exe files are not supported", id="extension"),
        pytest.param(
            "huge.mp4", b"\x00\x00\x00\x18ftypmp42", 201 * 1024 * 1024, "the limit is 200 MB", id="declared-size"
        ),
        pytest.param("empty.png", b"", 0, "is empty", id="empty"),
        pytest.param(
            "small.png", b"\x89PNG\r\n\x1a\n" + b"x" * 100, 50, "more bytes than its declared size", id="overflow"
        ),
    ],
)
async def test_a_dropped_file_the_upload_tool_would_refuse_is_refused_at_its_first_chunk_and_nothing_is_kept(
    host: Client, backend: LocalBackend, private_home: Path, name: str, content: bytes, total: int | None, says: str
) -> None:
    result = await host.call_tool("studio_upload", chunk("b" * 32, name, content, 0, total))
    assert result.is_error and says in text_of(result), text_of(result)
    assert uploads_sent(backend) == 0
    assert [p for p in staging(private_home) if p.is_file()] == []


async def test_chunks_out_of_order_or_past_the_declared_size_drop_the_partial_file(
    host: Client, backend: LocalBackend, tmp_path: Path, private_home: Path
) -> None:
    data = photo(tmp_path)
    for bad in (
        chunk("c" * 32, "lake.png", data, STUDIO_CHUNK_BYTES + 1),  # a gap
        {**chunk("c" * 32, "lake.png", data, STUDIO_CHUNK_BYTES), "total_bytes": len(data) + 1},  # size changed
        {**chunk("c" * 32, "lake.png", data, STUDIO_CHUNK_BYTES), "data": "not base64!"},
    ):
        first = await host.call_tool("studio_upload", chunk("c" * 32, "lake.png", data, 0))
        assert not first.is_error
        refused = await host.call_tool("studio_upload", bad)
        assert refused.is_error and "drop the file into the studio again" in text_of(refused), text_of(refused)
        assert [p for p in staging(private_home) if p.is_file()] == []
        later = await host.call_tool("studio_upload", chunk("c" * 32, "lake.png", data, STUDIO_CHUNK_BYTES))
        assert later.is_error and "unknown here" in text_of(later)
    overflow = bytes(data[: STUDIO_CHUNK_BYTES + 10])
    await host.call_tool("studio_upload", chunk("d" * 32, "lake.png", overflow, 0, STUDIO_CHUNK_BYTES + 5))
    refused = await host.call_tool(
        "studio_upload", chunk("d" * 32, "lake.png", overflow, STUDIO_CHUNK_BYTES, STUDIO_CHUNK_BYTES + 5)
    )
    assert refused.is_error and "more bytes than its declared size" in text_of(refused)
    assert uploads_sent(backend) == 0
    assert [p for p in staging(private_home) if p.is_file()] == []


async def test_a_hostile_client_cannot_place_a_file_outside_the_studio_folder(
    host: Client, backend: LocalBackend, tmp_path: Path, private_home: Path
) -> None:
    for upload_id in ("../../../../tmp/x" + "a" * 16, "a" * 15, "a/" + "b" * 20, "a" * 65):
        refused = await host.call_tool("studio_upload", chunk(upload_id, "lake.png", b"\x89PNG\r\n\x1a\n", 0))
        assert refused.is_error and "upload_id" in text_of(refused)
    oversized = {**chunk("e" * 32, "lake.png", b"\x89PNG", 0), "data": "A" * (STUDIO_CHUNK_BYTES * 4 // 3 + 4)}
    assert (await host.call_tool("studio_upload", oversized)).is_error
    data = photo(tmp_path)
    name = "../../../../../../../../tmp/escape/.lake.png"
    await host.call_tool("studio_upload", chunk("f" * 32, name, data, 0))
    (partial,) = [p for p in staging(private_home) if p.is_file()]
    assert partial.name == "lake.png" and partial.parent.name == "f" * 32
    done = await host.call_tool("studio_upload", chunk("f" * 32, name, data, STUDIO_CHUNK_BYTES))
    assert not done.is_error, text_of(done)
    assert not Path("/tmp/escape").exists() and uploads_sent(backend) == 1


# ------------------------------------------------------------------ the exported video


async def export_a_video(client: Client, tmp_path: Path) -> dict[str, Any]:
    await client.call_tool("upload", {"path": str(make_image(tmp_path / "lake.jpg"))})
    await client.call_tool("generate", PREVIEW)
    exported = await client.call_tool("export", {"wait_seconds": 60})
    assert exported.structured_content is not None and exported.structured_content["status"] == "done"
    export: dict[str, Any] = exported.structured_content["export"]
    return export


async def test_an_exported_video_is_read_back_in_bounded_parts_by_resource_or_by_tool(
    host: Client, tmp_path: Path
) -> None:
    export = await export_a_video(host, tmp_path)
    with open(export["path"], "ab") as grown:  # a test render is one part; the reads must join three
        grown.write(os.urandom(2 * STUDIO_CHUNK_BYTES))
    mp4 = Path(export["path"]).read_bytes()
    parts = -(-len(mp4) // STUDIO_CHUNK_BYTES)
    assert parts == 3
    by_resource, by_tool = b"", b""
    for part in range(parts):
        (content,) = (await host.read_resource(f"kling://video/{export['render_id']}/{part}")).contents
        assert content.mime_type == "video/mp4"
        by_resource += base64.b64decode(content.blob)  # type: ignore[union-attr]
        piece = await host.call_tool("studio_video", {"render_id": export["render_id"], "part": part})
        assert piece.structured_content is not None and piece.structured_content["parts"] == parts
        assert piece.structured_content["size_bytes"] == len(mp4)
        by_tool += base64.b64decode(piece.structured_content["data"])
        assert "data" not in text_of(piece)
    assert by_resource == by_tool == mp4
    past = await host.call_tool("studio_video", {"render_id": export["render_id"], "part": parts})
    assert past.is_error and f"has {parts} parts" in text_of(past)


async def test_an_unknown_render_id_is_refused_with_the_same_words_by_resource_and_by_tool(host: Client) -> None:
    for render_id in ("render_1_abcdef", "x" * 129):
        with pytest.raises(MCPError, match="No exported video"):
            await host.read_resource(f"kling://video/{render_id}/0")
    with pytest.raises(MCPError, match="Unknown resource"):  # the SDK's template matching refuses a path
        await host.read_resource("kling://video/../../../etc/passwd/0")
    refused = await host.call_tool("studio_video", {"render_id": "render_1_abcdef", "part": 0})
    assert refused.is_error and "No exported video 'render_1_abcdef' in this project" in text_of(refused)


async def test_another_projects_video_answers_like_an_unknown_one(host: Client, tmp_path: Path) -> None:
    export = await export_a_video(host, tmp_path)
    mine = await host.call_tool("studio_video", {"render_id": export["render_id"], "part": 0})
    assert not mine.is_error
    theirs = await host.call_tool("studio_video", {"render_id": export["render_id"], "part": 0, "project": "other"})
    unknown = await host.call_tool("studio_video", {"render_id": "render_1_abcdef", "part": 0, "project": "other"})
    assert theirs.is_error
    assert text_of(theirs).replace(export["render_id"], "ID") == text_of(unknown).replace("render_1_abcdef", "ID")
    with pytest.raises(MCPError, match="No exported video"):
        await host.read_resource(f"kling://video/{export['render_id']}/0?project=other")
    (content,) = (await host.read_resource(f"kling://video/{export['render_id']}/0?project=default")).contents
    assert content.mime_type == "video/mp4"


# ------------------------------------------------------------------ the poster


def image_of(result: CallToolResult) -> ImageContent:
    (image,) = [block for block in result.content if isinstance(block, ImageContent)]
    return image


async def test_an_export_result_carries_a_small_poster_still_for_the_assistant(
    open_client: Callable[..., Any], tmp_path: Path
) -> None:
    from PIL import Image, ImageStat

    async with open_client(apps=False) as client:
        await export_a_video(client, tmp_path)
        state = await client.call_tool("state", {})
        exported = await client.call_tool("export", {"wait_seconds": 60})
    poster = image_of(exported)
    jpeg = base64.b64decode(poster.data)
    assert poster.mime_type == "image/jpeg" and len(jpeg) < 20_000
    with Image.open(io.BytesIO(jpeg)) as still:
        assert still.format == "JPEG" and max(still.size) <= 320
        assert sum(ImageStat.Stat(still).mean) / 3 > 30  # a picture, not the black first frame of a fade
    assert exported.content[0].type == "text" and exported.content[1].type == "resource_link"  # as before
    assert not [b for b in state.content if isinstance(b, ImageContent)]


def test_a_file_that_is_no_video_has_no_poster(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_bytes(b"\x00\x00\x00\x18ftypmp42 but nothing else")
    assert poster_jpeg(fake) is None
    assert poster_jpeg(tmp_path / "missing.mp4") is None


# ------------------------------------------------------------------ partial files over time


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def first_chunk(uploads: PartialUploads, project: str, upload_id: str) -> Path:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    ref = ProjectRef("local", project)
    partial = uploads.add_chunk(ref, upload_id, "photo.png", 1000, 0, base64.b64encode(png).decode())
    return partial.path


def test_a_new_drop_replaces_the_projects_unfinished_one_and_idle_ones_are_swept(tmp_path: Path) -> None:
    clock = Clock()
    uploads = PartialUploads(tmp_path / "studio-uploads", clock=clock)
    old = first_chunk(uploads, "default", "a" * 16)
    new = first_chunk(uploads, "default", "b" * 16)
    assert not old.exists() and new.exists()
    other = first_chunk(uploads, "other", "c" * 16)
    leftover = tmp_path / "studio-uploads" / "local" / "default" / ("z" * 16)  # a previous server's, long idle
    leftover.mkdir()
    os.utime(leftover, (clock.now - STUDIO_PARTIAL_UPLOAD_IDLE_S - 1,) * 2)
    clock.now += STUDIO_PARTIAL_UPLOAD_IDLE_S + 1
    uploads.sweep()
    assert not new.exists() and not other.exists() and not leftover.exists()


def test_a_server_keeps_a_bounded_number_of_unfinished_drops(tmp_path: Path) -> None:
    uploads = PartialUploads(tmp_path / "studio-uploads")
    for index in range(STUDIO_PARTIAL_UPLOADS_MAX):
        first_chunk(uploads, f"project-{index}", "a" * 16)
    with pytest.raises(InputError, match="too many dropped files at once"):
        first_chunk(uploads, "one-more", "a" * 16)
    assert not (tmp_path / "studio-uploads" / "local" / "one-more" / ("a" * 16) / "photo.png").exists()
