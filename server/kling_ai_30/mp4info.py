"""Read an MP4's duration and picture size from its boxes, without decoding (no PyAV needed)."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


@dataclass(frozen=True)
class Mp4Info:
    duration_s: float | None
    width: int | None
    height: int | None


def read_mp4_info(path: Path) -> Mp4Info:
    """Duration from ``mvhd``, size from the first ``tkhd`` with a picture; Nones when unreadable
    (what was read before a truncated or damaged box is kept)."""
    info: dict[str, float | int | None] = {"duration": None, "width": None, "height": None}
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            _walk(handle, 0, size, info, depth=0)
    except (OSError, ValueError, struct.error):  # _Truncated is a ValueError
        pass
    duration = info["duration"]
    width, height = info["width"], info["height"]
    return Mp4Info(
        duration_s=float(duration) if duration is not None else None,
        width=int(width) if width else None,
        height=int(height) if height else None,
    )


def _walk(handle: BinaryIO, start: int, end: int, info: dict[str, float | int | None], depth: int) -> None:
    position = start
    while position + 8 <= end and depth < 8:
        handle.seek(position)
        header = handle.read(8)
        if len(header) < 8:
            return
        box_size, kind = struct.unpack(">I4s", header)
        header_len = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", _read(handle, 8, end))[0]
            header_len = 16
        elif box_size == 0:
            box_size = end - position
        if box_size < header_len:
            return
        body, box_end = position + header_len, min(position + box_size, end)
        if kind in _CONTAINERS:
            _walk(handle, body, box_end, info, depth + 1)
        elif kind == b"mvhd" and info["duration"] is None:
            handle.seek(body)
            version = _read(handle, 4, box_end)[0]  # version, then 3 bytes of flags
            if version == 1:
                _, _, timescale, duration = struct.unpack(">QQIQ", _read(handle, 28, box_end))
            else:
                _, _, timescale, duration = struct.unpack(">IIII", _read(handle, 16, box_end))
            info["duration"] = duration / timescale if timescale else None
        elif kind == b"tkhd" and not info["width"]:
            handle.seek(body)
            version = _read(handle, 1, box_end)[0]
            handle.seek(body + (88 if version == 1 else 76))
            width, height = struct.unpack(">II", _read(handle, 8, box_end))
            if width and height:
                info["width"], info["height"] = width >> 16, height >> 16
        position += box_size


class _Truncated(ValueError):
    """The file, or the box being read, ended before the field did."""


def _read(handle: BinaryIO, size: int, limit: int) -> bytes:
    """Exactly ``size`` bytes that end by ``limit`` (the box's end), else ``_Truncated``: a short read
    must never reach an index or ``unpack``, nor a field be read from the next box."""
    if handle.tell() + size > limit:
        raise _Truncated(f"a {size}-byte field runs past the end of its box")
    data = handle.read(size)
    if len(data) != size:
        raise _Truncated(f"wanted {size} bytes, got {len(data)}")
    return data
