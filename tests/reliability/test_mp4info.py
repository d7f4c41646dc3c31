"""Reading a delivered MP4's duration and size never crashes, however the file was cut or damaged.

The reader runs after a paid render has been downloaded: an exception there would fail a job
whose video is already on disk. A damaged file gives ``None`` for what cannot be read, never
an error and never a value read from the wrong place.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from kling_ai_30.mp4info import Mp4Info, read_mp4_info


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mvhd(version: int, timescale: int = 1000, duration: int = 5000) -> bytes:
    if version == 1:
        times = struct.pack(">QQIQ", 0, 0, timescale, duration)
    else:
        times = struct.pack(">IIII", 0, 0, timescale, duration)
    return box(b"mvhd", bytes([version, 0, 0, 0]) + times + b"\0" * 80)


def tkhd(version: int, width: int = 320, height: int = 180) -> bytes:
    offset = 88 if version == 1 else 76
    payload = bytes([version, 0, 0, 7]) + b"\0" * (offset - 4) + struct.pack(">II", width << 16, height << 16)
    return box(b"tkhd", payload)


def mp4(version: int) -> bytes:
    ftyp = box(b"ftyp", b"isom\0\0\2\0isomiso2mp41")
    trak = box(b"trak", tkhd(version))
    return ftyp + box(b"moov", mvhd(version) + trak) + box(b"mdat", b"\0" * 64)


WHOLE = Mp4Info(duration_s=5.0, width=320, height=180)


@pytest.mark.parametrize("version", [0, 1])
def test_a_whole_file_gives_its_duration_and_picture_size(tmp_path: Path, version: int) -> None:
    path = tmp_path / "v.mp4"
    path.write_bytes(mp4(version))
    assert read_mp4_info(path) == WHOLE


@pytest.mark.parametrize("version", [0, 1])
def test_a_file_cut_at_any_byte_gives_what_it_still_holds_and_never_raises(tmp_path: Path, version: int) -> None:
    data = mp4(version)
    path = tmp_path / "cut.mp4"
    for length in range(len(data)):
        path.write_bytes(data[:length])
        info = read_mp4_info(path)
        assert info.duration_s in (None, WHOLE.duration_s), length
        assert (info.width, info.height) in ((None, None), (WHOLE.width, WHOLE.height)), length


def test_a_64_bit_box_size_cut_short_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / "large.mp4"
    path.write_bytes(struct.pack(">I4s", 1, b"moov") + b"\0\0\0")
    assert read_mp4_info(path) == Mp4Info(None, None, None)


def test_a_box_too_small_for_its_fields_is_not_read_past_its_end(tmp_path: Path) -> None:
    # A tkhd whose declared size stops before the width field, followed by a box full of 0xff:
    # reading on would take the picture size from the next box.
    short_tkhd = box(b"tkhd", bytes([0, 0, 0, 7]) + b"\0" * 20)
    path = tmp_path / "short.mp4"
    path.write_bytes(box(b"moov", mvhd(0) + box(b"trak", short_tkhd + box(b"free", b"\xff" * 100))))
    assert read_mp4_info(path) == Mp4Info(duration_s=5.0, width=None, height=None)


def test_a_missing_file_gives_nothing(tmp_path: Path) -> None:
    assert read_mp4_info(tmp_path / "gone.mp4") == Mp4Info(None, None, None)
