"""Media intake: uploaded bytes to files on disk (streamed, hashed, size-capped) and probing.

Uploads can be 200 MB, so request bodies are parsed incrementally and each file part is written
straight to disk while its SHA-256 is computed; nothing holds a whole file in memory. Probing
reads headers only (Pillow for stills, PyAV for audio and video), imported lazily so the backend
starts fast.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from kling_ai_30 import policy

logger = logging.getLogger(__name__)

UPLOAD_FIELD = "files"  # api notes §3.5: multipart field name, repeatable


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


@dataclass(frozen=True)
class ReceivedFile:
    """One file written to disk from a request."""

    filename: str  # sanitised original name
    path: Path
    size: int
    sha256: str
    file_type: str


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


class MultipartReceiver:
    """Incremental multipart parser: every `files` part goes straight to a file in `workdir`.

    Feed it the request body chunk by chunk, then call :meth:`finish`. Problems found on the way
    (an unsupported extension, a file over the limit) are remembered and raised by `finish`, after
    the body has been read, so the client always gets the answer instead of a broken pipe.
    """

    def __init__(self, content_type: str, workdir: Path, limit: int) -> None:
        _, params = parse_options_header(content_type)
        boundary = params.get(b"boundary")
        if not boundary:
            raise MalformedUpload("Missing multipart boundary.")
        self._workdir = workdir
        self._limit = limit
        self._files: list[ReceivedFile] = []
        self._writers: list[HashingWriter] = []
        self._error: UploadRejected | None = None
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._writer: HashingWriter | None = None
        self._name = ""
        self._type = ""
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
            },
        )

    def feed(self, chunk: bytes) -> None:
        """Parse the next piece of the request body."""
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise MalformedUpload(f"Invalid multipart data: {exc}") from exc

    def finish(self) -> list[ReceivedFile]:
        """The received files, or the first refusal (and no files left behind)."""
        try:
            self._parser.finalize()
        except FormParserError as exc:
            self.discard()
            raise MalformedUpload(f"Invalid multipart data: {exc}") from exc
        if self._error is not None:
            self.discard()
            raise self._error
        if not self._files:
            raise MalformedUpload(f"No file in the multipart field {UPLOAD_FIELD!r}.")
        return list(self._files)

    def discard(self) -> None:
        """Delete every file written so far."""
        for writer in self._writers:
            writer.abandon()
        for received in self._files:
            received.path.unlink(missing_ok=True)
        self._files.clear()

    # python-multipart callbacks

    def _on_part_begin(self) -> None:
        self._disposition = b""
        self._writer = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = b""
        self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        field = options.get(b"name", b"").decode("utf-8", "replace")
        raw_name = options.get(b"filename")
        if field != UPLOAD_FIELD or raw_name is None or self._error is not None:
            return  # other form fields are ignored, unread
        self._name = safe_filename(raw_name.decode("utf-8", "replace"))
        file_type = file_type_for(self._name)
        if file_type is None:
            self._error = UploadRejected(4001, unsupported_message(self._name))
            return
        self._type = file_type
        index = len(self._files) + len(self._writers)
        self._writer = HashingWriter(self._workdir / f"part-{index}", self._limit)
        self._writers.append(self._writer)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._writer is not None:
            self._writer.write(data[start:end])
            if self._writer.over_limit and self._error is None:
                self._error = UploadRejected(4002, too_large_message(self._name, self._limit))

    def _on_part_end(self) -> None:
        writer = self._writer
        self._writer = None
        if writer is None or writer.over_limit:
            return
        self._writers.remove(writer)
        digest = writer.close()
        self._files.append(ReceivedFile(self._name, writer.path, writer.size, digest, self._type))


@dataclass(frozen=True)
class Probe:
    """What a media file is: the documented upload fields plus whether it could be read at all."""

    kind: str  # image | video | audio
    width: int = 0
    height: int = 0
    duration: float = 0.0
    fps: float = 0.0
    readable: bool = True


def probe(path: Path, declared: str) -> Probe:
    """Read dimensions, duration and frame rate from the headers; unreadable files get zeros."""
    attempts = ("image", "av") if declared == "image" else ("av", "image")
    for attempt in attempts:
        try:
            return _probe_image(path) if attempt == "image" else _probe_av(path)
        except Exception as exc:  # any decoder error means "not this kind"
            logger.debug("probe of %s as %s failed: %s", path.name, attempt, exc)
    return Probe(kind=declared, readable=False)


def _probe_image(path: Path) -> Probe:
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
    return Probe(kind="image", width=int(width), height=int(height))


def _probe_av(path: Path) -> Probe:
    import av

    with av.open(str(path)) as container:
        duration = float(container.duration) / 1_000_000 if container.duration else 0.0
        if container.streams.video:
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.base_rate
            if not duration and stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            return Probe(
                kind="video",
                width=int(stream.codec_context.width),
                height=int(stream.codec_context.height),
                duration=round(duration, 3),
                fps=round(float(rate), 3) if rate else 0.0,
            )
        if container.streams.audio:
            return Probe(kind="audio", duration=round(duration, 3))
    raise ValueError("no audio or video stream")


def move_into(source: Path, dest: Path) -> None:
    """Move a finished file to its final place (same file system in practice)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(dest))
