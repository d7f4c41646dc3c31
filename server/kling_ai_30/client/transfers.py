"""Moving file bytes without holding them in memory: uploads streamed from disk, downloads to disk.

An upload body is read while httpx sends it, from the descriptor its checks were made on (see
``uploads.open_upload``), counting the bytes for progress.
A download goes to a temporary file in the output folder, is checked (the length it announced,
the MP4 signature) and then placed under its final name atomically, never over an existing file:
a crash or a bad answer leaves the folder as it was.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import APIError, BackendUnavailableError, InputError, OutputFolderError
from ..policy import DOWNLOAD_CHUNK_BYTES
from ..progress import ByteCounts
from ..storage import place_without_overwrite
from .envelope import ErrorContext, unwrap
from .uploads import OpenedFile

MultipartFiles = list[tuple[str, tuple[str, Any, str]]]
"""httpx's ``files=``: (field, (file name, reader, content type)) per file."""

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# ------------------------------------------------------------------------------------ upload


def multipart_files(opened: Sequence[OpenedFile], on_progress: ByteCounts | None) -> MultipartFiles:
    """The multipart field ``files`` for ``opened``, each read from its checked descriptor as it is sent.

    Built again for every attempt (a renewed token, a new session): progress restarts with it.
    """
    counter = _ByteCounter(sum(f.checked.size for f in opened), on_progress)
    return [("files", (f.checked.path.name, _CountingReader(f, counter), f.checked.mime_type)) for f in opened]


class _ByteCounter:
    def __init__(self, total: int, callback: ByteCounts | None) -> None:
        self.total = total
        self.done = 0
        self.callback = callback

    def add(self, n: int) -> None:
        self.done += n
        if self.callback is not None:
            self.callback(min(self.done, self.total), self.total)


class _CountingReader:
    """A file for httpx's multipart encoder: the checked descriptor read at its own offset, counting the bytes.

    It reads with ``pread``, so a repeat of the request (a renewed token) starts again from byte 0
    of the same file, and it stops at the checked size: a file that grew is not sent past what was
    checked (the 200 MB limit holds), and one that shrank is refused rather than sent cut short.
    It has no ``fileno`` on purpose: httpx then learns the size from ``seek``/``tell``, which answer
    with the checked size.
    """

    def __init__(self, opened: OpenedFile, counter: _ByteCounter) -> None:
        self._fd = opened.fd
        self._size = opened.checked.size
        self._path = opened.checked.path
        self._counter = counter
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        left = self._size - self._position
        wanted = left if size < 0 else min(size, left)
        if wanted <= 0:
            return b""
        chunk = os.pread(self._fd, wanted, self._position)
        if not chunk:
            raise InputError(f"{self._path} got shorter while it was being uploaded: upload it again once it is saved.")
        self._position += len(chunk)
        self._counter.add(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position, os.SEEK_END: self._size}[whence]
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position


# ---------------------------------------------------------------------------------- download


async def stream_to_file(
    http: httpx.AsyncClient,
    url: str,
    headers: Mapping[str, str],
    dest_dir: Path,
    filename: str,
    *,
    context: ErrorContext,
    on_progress: ByteCounts | None = None,
) -> Path:
    """Stream ``url`` into ``dest_dir``: temp file, size and MP4 checks, atomic rename, never overwrite.

    An error answer is raised as the matching ``KlingError`` (``context`` words it), so a rejected
    token can be renewed by the caller and the download tried again.
    """
    dest = dest_dir.expanduser().resolve()
    name = safe_filename(filename)
    tmp = dest / f".{name}.{uuid.uuid4().hex[:8]}.part"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        async with http.stream("GET", url, headers=dict(headers)) as response:
            if not response.is_success:
                await response.aread()
                unwrap(response, context)
                raise APIError(f"The download failed with HTTP {response.status_code}; export again.")
            expected = _content_length(response)
            done = 0
            with open(tmp, "wb") as handle:
                async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK_BYTES):
                    handle.write(chunk)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done, expected)
                handle.flush()
                os.fsync(handle.fileno())
        if expected is not None and done != expected:
            raise APIError(f"The download stopped early ({done} of {expected} bytes); export again.")
        _check_mp4(tmp)
        return place_without_overwrite(tmp, dest / name)
    except httpx.HTTPError as exc:
        raise BackendUnavailableError(
            f"The download from {host_of(url)} failed ({type(exc).__name__}); check the network and export again."
        ) from None
    except OSError as exc:
        # Not a folder, disk full, not writable: the render is fine, only the folder must change.
        reason = exc.strerror or type(exc).__name__
        raise OutputFolderError(
            f"Cannot write the video into {dest} ({reason}): choose another output folder."
        ) from None
    finally:
        with contextlib.suppress(OSError):  # a folder we cannot write to may refuse this too
            tmp.unlink(missing_ok=True)


def safe_filename(name: str, *, suffix: str = ".mp4") -> str:
    """A file name that cannot leave its directory: no separators, no dot-files, bounded length."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    if base.lower().endswith(suffix):
        base = base[: -len(suffix)]
    base = _SAFE_NAME.sub("-", base).strip(".-_")[:80] or "video"
    return base + suffix


def host_of(url: str) -> str:
    """The host a URL names, for a message ("the server" when it names none)."""
    return urlsplit(url).hostname or "the server"


def _content_length(response: httpx.Response) -> int | None:
    raw = response.headers.get("content-length")
    return int(raw) if raw and raw.isdigit() and "content-encoding" not in response.headers else None


def _check_mp4(path: Path) -> None:
    with open(path, "rb") as handle:
        header = handle.read(12)
    if len(header) < 12 or header[4:8] != b"ftyp":
        raise APIError("The downloaded file is not an MP4 (the render may have failed); export again.")
