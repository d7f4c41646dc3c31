"""The folder a video is delivered to: a copy into it is whole or absent, never over another file."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest

from kling_ai_30.workspace.output_folder import copy_into


@pytest.fixture
def video(tmp_path: Path) -> Path:
    source = tmp_path / "made" / "lake.mp4"
    source.parent.mkdir()
    source.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64)
    return source


def test_a_copy_that_fails_half_way_leaves_no_part_of_it_in_the_folder(video: Path, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()

    def disk_full_half_way(source: Path, target: Path) -> None:
        target.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        copy_into(folder, video, copy=disk_full_half_way)
    assert list(folder.iterdir()) == []
    assert copy_into(folder, video).read_bytes() == video.read_bytes()  # the next try delivers it whole


def test_a_copy_never_replaces_a_file_and_numbers_itself_beside_it(video: Path, tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "lake.mp4").write_bytes(b"someone else's")
    copies = [copy_into(folder, video, copy=shutil.copy2) for _ in range(2)]
    assert [p.name for p in copies] == ["lake (2).mp4", "lake (3).mp4"]
    assert (folder / "lake.mp4").read_bytes() == b"someone else's"
    assert all(p.read_bytes() == video.read_bytes() for p in copies) and len(list(folder.iterdir())) == 3


def test_a_video_already_in_the_folder_is_not_copied(video: Path) -> None:
    assert copy_into(video.parent, video) == video and len(list(video.parent.iterdir())) == 1
