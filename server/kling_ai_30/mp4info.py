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
    """Duration from ``mvhd``, size from the first ``tkhd`` with a picture; Nones when unreadable."""
    info: dict[str, float | int | None] = {"duration": None, "width": None, "height": None}
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            _walk(handle, 0, size, info, depth=0)
    except (OSError, struct.error, ValueError):
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
            box_size = struct.unpack(">Q", handle.read(8))[0]
            header_len = 16
        elif box_size == 0:
            box_size = end - position
        if box_size < header_len:
            return
        body = position + header_len
        if kind in _CONTAINERS:
            _walk(handle, body, position + box_size, info, depth + 1)
        elif kind == b"mvhd" and info["duration"] is None:
            handle.seek(body)
            version = handle.read(1)[0]
            handle.read(3)
            if version == 1:
                _, _, timescale, duration = struct.unpack(">QQIQ", handle.read(28))
            else:
                _, _, timescale, duration = struct.unpack(">IIII", handle.read(16))
            info["duration"] = duration / timescale if timescale else None
        elif kind == b"tkhd" and not info["width"]:
            handle.seek(body)
            version = handle.read(1)[0]
            handle.seek(body + (88 if version == 1 else 76))
            width, height = struct.unpack(">II", handle.read(8))
            if width and height:
                info["width"], info["height"] = width >> 16, height >> 16
        position += box_size
