"""Media intake: file types, safe names, size-capped hashing writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kling_ai_30.local.media import intake


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
    assert intake.file_type_for(name) == kind


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
    assert intake.safe_filename(raw) == safe


def test_the_hashing_writer_hashes_what_it_writes_and_deletes_an_oversized_file(tmp_path: Path) -> None:
    ok = intake.HashingWriter(tmp_path / "ok", limit=10)
    ok.write(b"12345")
    ok.write(b"678")
    digest = ok.close()
    big = intake.HashingWriter(tmp_path / "big", limit=4)
    big.write(b"12345")

    assert digest == hashlib.sha256(b"12345678").hexdigest()
    assert (tmp_path / "ok").read_bytes() == b"12345678"
    assert big.over_limit and not (tmp_path / "big").exists()
