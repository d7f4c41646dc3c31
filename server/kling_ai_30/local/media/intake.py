"""Media intake: what an upload may be, its safe name, and size-capped hashing writes to disk.

Uploads can be 200 MB, so a file is written in chunks while its SHA-256 is computed and its size
checked; nothing holds a whole file in memory (:mod:`~kling_ai_30.local.media.multipart` feeds it
from a request body, :func:`copy_file` from a file already on this server).
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import IO

from kling_ai_30 import policy


class UploadRejected(Exception):
    """An upload the backend refuses; `code` is the documented body code (4001 / 4002)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class MalformedUpload(Exception):
    """The request body is not usable multipart data (or has no `files` part)."""


def file_type_for(name: str) -> str | None:
    """`video`, `image` or `audio` from the file extension; None when unsupported."""
    ext = PurePosixPath(name).suffix.lower().lstrip(".")
    if ext in policy.VIDEO_EXTENSIONS:
        return "video"
    if ext in policy.IMAGE_EXTENSIONS:
        return "image"
    if ext in policy.AUDIO_EXTENSIONS:
        return "audio"
    return None


def unsupported_message(name: str) -> str:
    return f"Unsupported file type: {name!r}. Supported formats: {', '.join(policy.SUPPORTED_EXTENSIONS)}."


def too_large_message(name: str, limit: int) -> str:
    return f"File too large: {name!r} is over {limit // (1024 * 1024)} MB. Compress or trim it and try again."


_UNSAFE = re.compile(r"[^\w.\- ]+")


def safe_filename(name: str) -> str:
    """The base name of a client-supplied file name, with path tricks and odd characters removed."""
    base = PurePosixPath(name.replace("\\", "/")).name.strip()
    base = _UNSAFE.sub("_", base).strip(". ") or "file"
    return base[:120]


class HashingWriter:
    """Writes chunks to a file, hashing them and refusing to grow past `limit` bytes."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path = path
        self.limit = limit
        self.size = 0
        self.over_limit = False
        self._hash = hashlib.sha256()
        self._file: IO[bytes] | None = path.open("wb")

    def write(self, data: bytes) -> None:
        if self._file is None or self.over_limit:
            return
        self.size += len(data)
        if self.size > self.limit:
            self.over_limit = True
            self.abandon()
            return
        self._file.write(data)
        self._hash.update(data)

    def close(self) -> str:
        """Finish the file; returns the SHA-256 hex digest."""
        if self._file is not None:
            self._file.close()
            self._file = None
        return self._hash.hexdigest()

    def abandon(self) -> None:
        """Close and delete the partial file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)


def copy_file(source: Path, dest: Path, limit: int) -> tuple[int, str]:
    """Copy `source` to `dest` in chunks; returns (size, sha256) or raises UploadRejected 4002."""
    writer = HashingWriter(dest, limit)
    with source.open("rb") as src:
        while chunk := src.read(policy.UPLOAD_CHUNK_BYTES):
            writer.write(chunk)
            if writer.over_limit:
                raise UploadRejected(4002, too_large_message(source.name, limit))
    return writer.size, writer.close()


def move_into(source: Path, dest: Path) -> None:
    """Move a finished file to its final place (same file system in practice)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(dest))
