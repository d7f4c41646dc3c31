"""Multipart upload bodies parsed as they stream in: every `files` part goes straight to disk.

Uploads can be 200 MB, so the body is parsed incrementally and each file part is written through a
:class:`~kling_ai_30.local.media.intake.HashingWriter` (hashed, size-capped) as it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from kling_ai_30.local.media.intake import (
    HashingWriter,
    MalformedUpload,
    UploadRejected,
    file_type_for,
    safe_filename,
    too_large_message,
    unsupported_message,
)

UPLOAD_FIELD = "files"  # api notes §3.5: multipart field name, repeatable


@dataclass(frozen=True)
class ReceivedFile:
    """One file written to disk from a request."""

    filename: str  # sanitised original name
    path: Path
    size: int
    sha256: str
    file_type: str


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
