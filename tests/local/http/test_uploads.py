"""Uploads: multipart (streamed to disk) and by URL, probing and limits (api notes §3.5-3.6)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import Api, mp4_bytes, png_bytes, wav_bytes

pytestmark = pytest.mark.anyio
FILE_KEYS = {"filename", "file_type", "cdn_url", "duration", "width", "height", "fps", "hash"}


async def test_an_uploaded_photo_is_described_and_added_to_video_infos(api: Api) -> None:
    account = await api.account()
    content = png_bytes(64, 48)

    r = await api.upload(account, ("mountain.png", content))

    assert r.status_code == 200
    data = r.json()["data"]
    assert data["session_state_applied"] is True
    (entry,) = data["files"]
    assert set(entry) == FILE_KEYS
    assert (entry["filename"], entry["file_type"], entry["width"], entry["height"]) == ("mountain.png", "image", 64, 48)
    assert entry["hash"] == hashlib.sha256(content).hexdigest()
    assert (await api.state(account))["video_infos"] == [entry]
    assert (await api.http.get(entry["cdn_url"])).content == content


async def test_several_files_in_one_request_are_probed_by_kind(api: Api) -> None:
    account = await api.account()

    r = await api.upload(account, ("clip.mp4", mp4_bytes(64, 48, frames=16, fps=8)), ("tune.wav", wav_bytes(0.5)))

    clip, tune = r.json()["data"]["files"]
    assert (clip["file_type"], clip["width"], clip["height"], clip["fps"]) == ("video", 64, 48, 8)
    assert clip["duration"] == pytest.approx(2.0, abs=0.2)
    assert (tune["file_type"], tune["width"], tune["fps"]) == ("audio", 0, 0)
    assert tune["duration"] == pytest.approx(0.5, abs=0.05)
    assert len((await api.state(account))["video_infos"]) == 2


async def test_an_unreadable_file_with_a_supported_extension_is_kept_with_zero_metadata(api: Api) -> None:
    account = await api.account()

    r = await api.upload(account, ("broken.mp4", b"not really a video"))

    (entry,) = r.json()["data"]["files"]
    assert (entry["file_type"], entry["duration"], entry["width"]) == ("video", 0.0, 0)


async def test_an_unsupported_extension_is_4001_and_nothing_is_kept(backend: LocalBackend, api: Api) -> None:
    account = await api.account()

    r = await api.upload(account, ("ok.png", png_bytes()), ("notes.txt", b"hello"))

    assert r.status_code == 400
    body = r.json()
    assert (body["code"], body["data"]) == (4001, None)
    assert "notes.txt" in body["message"] and "mp4" in body["message"]
    assert (await api.state(account))["video_infos"] == []
    assert not list((backend.cdn_root / "uploads").glob(f"{account.session_id}/*"))


async def test_a_file_over_the_limit_is_4002_and_no_part_is_left_on_disk(backend: LocalBackend, api: Api) -> None:
    backend.configure(max_upload_bytes=100_000)
    account = await api.account()

    r = await api.upload(account, ("big.mp4", os.urandom(150_000)))

    assert r.status_code == 413
    assert r.json()["code"] == 4002
    assert not list((backend.cdn_root / "uploads").glob(f"{account.session_id}/*"))
    assert not any((backend.data_dir / "incoming").iterdir())


async def test_a_200_mb_upload_is_streamed_to_disk_not_held_in_memory(
    api: Api, backend: LocalBackend, tmp_path: Path
) -> None:
    account = await api.account()
    big = tmp_path / "big.mp4"
    with big.open("wb") as f:
        f.truncate(200 * 1024 * 1024)  # sparse: costs nothing to make

    tracemalloc.start()
    try:
        with big.open("rb") as f:
            r = await api.http.post(
                f"/api/upload-video/nemo_agent/me/{account.session_id}",
                files={"files": ("big.mp4", f, "video/mp4")},
                headers=account.headers,
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert r.status_code == 200, r.text
    entry = r.json()["data"]["files"][0]
    stored = backend.resolve_media(entry["cdn_url"])
    assert stored is not None and stored.stat().st_size == 200 * 1024 * 1024
    assert peak < 32 * 1024 * 1024


async def test_upload_without_a_files_field_is_a_validation_error(api: Api) -> None:
    account = await api.account()

    r = await api.http.post(
        f"/api/upload-video/nemo_agent/me/{account.session_id}",
        files={"file": ("a.png", png_bytes())},
        headers=account.headers,
    )

    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "files"]


async def test_upload_to_an_unknown_session_is_1002(api: Api) -> None:
    account = await api.account()

    r = await api.http.post(
        "/api/upload-video/nemo_agent/me/1111111111111111111",
        files={"files": ("a.png", png_bytes())},
        headers=account.headers,
    )

    assert (r.status_code, r.json()["code"]) == (404, 1002)


async def test_a_url_to_this_servers_cdn_is_copied(api: Api) -> None:
    account = await api.account()
    original = (await api.upload(account, ("sea.png", png_bytes(80, 60)))).json()["data"]["files"][0]

    r = await api.upload_urls(account, original["cdn_url"])

    (copy,) = r.json()["data"]["files"]
    assert copy["cdn_url"] != original["cdn_url"]
    assert (copy["hash"], copy["width"], copy["file_type"]) == (original["hash"], 80, "image")


async def test_a_foreign_url_becomes_a_placeholder_typed_by_its_extension(api: Api) -> None:
    account = await api.account()

    r = await api.upload_urls(
        account,
        "https://example.com/photos/sunny_beach.jpg",
        "https://example.com/v/trip.mp4",
        "https://x.org/song.mp3",
    )

    image, video, audio = r.json()["data"]["files"]
    assert (image["filename"], image["file_type"]) == ("sunny_beach.jpg", "image")
    assert image["width"] > 0 and (await api.http.get(image["cdn_url"])).status_code == 200
    assert (video["file_type"], video["duration"], video["fps"]) == ("video", 10.0, 30.0)
    assert audio["file_type"] == "audio" and audio["duration"] > 0
    assert len((await api.state(account))["video_infos"]) == 3


async def test_a_url_with_an_unsupported_extension_is_4001(api: Api) -> None:
    account = await api.account()

    r = await api.upload_urls(account, "https://example.com/readme.pdf")

    assert (r.status_code, r.json()["code"]) == (400, 4001)
