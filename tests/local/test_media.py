"""Media intake helpers: file types, safe names, size-capped hashing writes, probing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kling_ai_30.local import media

from .conftest import mp4_bytes, png_bytes, wav_bytes


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("a.MP4", "video"),
        ("b.webm", "video"),
        ("c.jpeg", "image"),
        ("d.gif", "image"),
        ("e.m4a", "audio"),
        ("f.txt", None),
        ("g", None),
    ],
)
def test_file_types_follow_the_documented_extensions(name: str, kind: str | None) -> None:
    assert media.file_type_for(name) == kind


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
        ("my photo (1).png", "my photo _1_.png"),
        ("..", "file"),
        ("山.jpg", "山.jpg"),
    ],
)
def test_client_file_names_lose_their_paths_and_odd_characters(raw: str, safe: str) -> None:
    assert media.safe_filename(raw) == safe


def test_the_hashing_writer_hashes_what_it_writes_and_deletes_an_oversized_file(tmp_path: Path) -> None:
    ok = media.HashingWriter(tmp_path / "ok", limit=10)
    ok.write(b"12345")
    ok.write(b"678")
    digest = ok.close()
    big = media.HashingWriter(tmp_path / "big", limit=4)
    big.write(b"12345")

    assert digest == hashlib.sha256(b"12345678").hexdigest()
    assert (tmp_path / "ok").read_bytes() == b"12345678"
    assert big.over_limit and not (tmp_path / "big").exists()


def test_probing_reads_images_video_and_audio_and_tolerates_garbage(tmp_path: Path) -> None:
    files = {
        "p.png": png_bytes(30, 20),
        "v.mp4": mp4_bytes(32, 24, frames=8, fps=8),
        "a.wav": wav_bytes(0.25),
        "x.mp4": b"junk",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)

    image = media.probe(tmp_path / "p.png", "image")
    video = media.probe(tmp_path / "v.mp4", "video")
    audio = media.probe(tmp_path / "a.wav", "audio")
    junk = media.probe(tmp_path / "x.mp4", "video")

    assert (image.kind, image.width, image.height) == ("image", 30, 20)
    assert (video.kind, video.width, video.height, video.fps) == ("video", 32, 24, 8.0)
    assert (audio.kind, audio.duration) == ("audio", 0.25)
    assert not junk.readable and junk.width == 0
