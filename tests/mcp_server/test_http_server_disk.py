"""On a shared ``serve --http``, only the server's own user names files on the server's disk.

A real ``serve --http --tokens-file`` process: alice (a tokens-file person) cannot upload a server
file by path — directly or as a path in a ``generate`` message — nor choose where on the server an
MP4 is written; nothing reaches the backend and nothing is spent. Her videos go to her own folder,
and what she drops into the studio still arrives. The server's own user (one token) keeps paths.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from kling_ai_30.local import LocalBackend
from kling_ai_30.policy import STUDIO_CHUNK_BYTES

from ..http_server import http_client, served_http
from ..media import make_image
from ..reliability.conftest import credits_spent, messages_sent, render_submits, text_of
from .test_http_principals import data, generate, people
from .test_studio import UI, uploads_sent

pytestmark = pytest.mark.anyio

VIDEOS = Path(".local/share/kling-ai-30/videos")


async def test_a_shared_caller_cannot_upload_a_server_file_by_path_or_in_a_message(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    secret = private_home / "holiday.jpg"  # a real image the server's account can read
    make_image(secret, "a private photo", (320, 180))
    file, tokens = people(tmp_path, "alice")
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log") as served:
        async with http_client(served.url, tokens["alice"]) as alice:
            by_path = await alice.call_tool("upload", {"path": str(secret)})
            in_message = await alice.call_tool(
                "generate", {"message": f"make a 5-second video from {secret} with slow zoom", "wait_seconds": 30}
            )
            system_file = await alice.call_tool("upload", {"path": "/etc/hostname"})
    for refused in (by_path, in_message, system_file):
        assert refused.is_error
        assert "http(s) link" in text_of(refused) and "Nothing was sent" in text_of(refused)
    assert uploads_sent(backend) == 0 and messages_sent(backend) == 0 and credits_spent(backend) == 0


async def test_a_shared_caller_cannot_choose_a_server_folder_and_gets_videos_in_their_own(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "anywhere"
    file, tokens = people(tmp_path, "alice")
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log") as served:
        await generate(served.url, tokens["alice"], "generate a 2 second video of a red fox")
        renders = render_submits(backend)
        async with http_client(served.url, tokens["alice"]) as alice:
            chosen = await alice.call_tool("export", {"output_dir": str(elsewhere), "new_render": True})
    assert chosen.is_error and "Only the server's user can choose" in text_of(chosen)
    assert render_submits(backend) == renders and not elsewhere.exists()
    videos = list((private_home / VIDEOS).rglob("*.mp4"))
    assert videos and all(video.parent == private_home / VIDEOS / "alice" for video in videos)


async def test_what_a_shared_caller_drops_into_the_studio_still_arrives(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    photo = make_image(tmp_path / "lake.png", "mountain lake", (320, 180)).read_bytes()
    assert len(photo) <= STUDIO_CHUNK_BYTES
    dropped = {
        "upload_id": "c" * 32,
        "name": "lake.png",
        "total_bytes": len(photo),
        "offset": 0,
        "data": base64.b64encode(photo).decode(),
    }
    file, tokens = people(tmp_path, "alice")
    with served_http(private_home, base_url, "--tokens-file", str(file), log=tmp_path / "server.log") as served:
        async with http_client(served.url, tokens["alice"], extensions=[UI]) as alice:
            done = data(await alice.call_tool("studio_upload", dropped))
    assert done["done"] is True and len(done["files"]) == 1
    assert uploads_sent(backend) == 1


async def test_the_servers_own_user_still_uploads_by_path_and_chooses_the_folder(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    image = make_image(tmp_path / "beach.jpg", "a beach", (320, 180))
    token_file = tmp_path / "token"
    token_file.write_text("t" * 43 + "\n", encoding="ascii")
    token_file.chmod(0o600)
    folder = tmp_path / "exports"
    with served_http(private_home, base_url, "--token-file", str(token_file), log=tmp_path / "server.log") as served:
        async with http_client(served.url, "t" * 43) as me:
            uploaded = data(await me.call_tool("upload", {"path": str(image)}))
            made = data(await me.call_tool("generate", {"message": "make a 2-second video of it", "wait_seconds": 120}))
            exported = data(await me.call_tool("export", {"output_dir": str(folder), "wait_seconds": 120}))
    assert len(uploaded["files"]) == 1 and made["status"] == "done"
    assert Path(exported["export"]["path"]).parent == folder
