"""The studio's drop-in upload: a file that arrives from the view in chunks, kept until it is whole.

A view in the host's sandboxed iframe cannot give the server a path, so it sends the file through
an app-only tool, one bounded chunk per call. Before anything is kept, the first chunk is checked
the way ``upload`` checks a path (extension, magic bytes, the declared size against 200 MB:
``check_upload_start``); every later chunk must continue exactly where the file ends and may not
go past the declared size, so a client can never make it larger than it said, nor larger than
200 MB. When the last byte is in, ``upload`` sends the file like any other (its checks run again).

The partial file is private: 0600 in 0700 folders ``<state dir>/studio-uploads/<principal>/<project>/
<upload id>/<name>``, where the principal, the project and the upload id are validated names and the
file name is reduced to a plain one, so nothing a client sends can place it anywhere else. It is removed on any
refusal, after the upload, when a new upload in the same project replaces it, and after
``STUDIO_PARTIAL_UPLOAD_IDLE_S`` without a chunk (a view that was closed never finishes).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from ...client.uploads import check_upload_start
from ...errors import FileTooLargeError, InputError
from ...policy import MAX_UPLOAD_BYTES, STUDIO_PARTIAL_UPLOAD_IDLE_S, STUDIO_PARTIAL_UPLOADS_MAX
from ...storage import PRIVATE_FILE_MODE, ensure_private_dir
from ...timing import Clock
from ...workspace.projects import ProjectRef, check_name

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
"""The view's random id for one upload: a plain folder name, never a path."""
_UNSAFE_IN_NAME = re.compile(r"[^\w .()+-]")
_NAME_MAX = 100
_AGAIN = "drop the file into the studio again"


@dataclass
class PartialUpload:
    """One file on its way in."""

    ref: ProjectRef
    upload_id: str
    path: Path
    name: str
    total_bytes: int
    received_bytes: int
    touched: float

    @property
    def complete(self) -> bool:
        return self.received_bytes == self.total_bytes


class PartialUploads:
    """The partial files of one server, under ``root``."""

    def __init__(self, root: Path, *, clock: Clock = time.time) -> None:
        self.root = root
        self._clock = clock
        self._partials: dict[ProjectRef, PartialUpload] = {}
        """One upload at a time per project."""

    def add_chunk(
        self, ref: ProjectRef, upload_id: str, name: str, total_bytes: int, offset: int, data: str
    ) -> PartialUpload:
        """Keep ``data`` (base64) at ``offset`` of upload ``upload_id``; offset 0 starts it. Any refusal
        removes what was kept of it and raises an ``InputError`` that says what to do. A ``complete``
        upload is handed over: no later chunk can touch it, and the caller releases it when done."""
        check_name(ref.principal, "principal")
        check_name(ref.name)
        if not UPLOAD_ID.match(upload_id):
            raise InputError(f"The studio sent a malformed upload id: {_AGAIN}.")
        try:
            chunk = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            self.discard(ref, upload_id)
            raise InputError(
                f"A piece of {name[:80]!r} arrived damaged (not base64), so it was dropped: {_AGAIN}."
            ) from None
        if offset == 0:
            partial = self._start(ref, upload_id, name, total_bytes, chunk)
        else:
            found = self._partials.get(ref)
            if found is None or found.upload_id != upload_id:
                raise InputError(f"This upload is unknown here (finished, replaced or expired): {_AGAIN}.")
            partial = found
            try:
                self._append(partial, total_bytes, offset, chunk)
            except BaseException:
                self.discard(ref, upload_id)
                raise
        if partial.complete:
            del self._partials[ref]
        return partial

    def release(self, partial: PartialUpload) -> None:
        """Remove a complete upload's file once it has been sent (or refused)."""
        _remove(partial.path.parent)

    def discard(self, ref: ProjectRef, upload_id: str) -> None:
        """Forget upload ``upload_id`` of project ``ref`` and remove its file (if it is that project's)."""
        partial = self._partials.get(ref)
        if partial is not None and partial.upload_id == upload_id:
            del self._partials[ref]
            _remove(partial.path.parent)

    def sweep(self) -> None:
        """Remove partial uploads idle for too long, this server's and those a previous one left."""
        cutoff = self._clock() - STUDIO_PARTIAL_UPLOAD_IDLE_S
        for partial in [p for p in self._partials.values() if p.touched < cutoff]:
            self.discard(partial.ref, partial.upload_id)
        kept = {p.path.parent for p in self._partials.values()}
        for folder in self.root.glob("*/*/*") if self.root.is_dir() else ():
            with contextlib.suppress(OSError):
                # The newest write inside, not the folder's own time: a file still growing is not idle.
                last = max([folder.stat().st_mtime, *(f.stat().st_mtime for f in folder.iterdir())])
                if folder not in kept and last < cutoff:
                    _remove(folder)

    # ------------------------------------------------------------------ steps

    def _start(self, ref: ProjectRef, upload_id: str, name: str, total_bytes: int, chunk: bytes) -> PartialUpload:
        previous = self._partials.get(ref)
        if previous is not None:
            self.discard(ref, previous.upload_id)  # one at a time per project: the newer one wins
        self.sweep()
        # Checked before anything is written: nothing of a refused file is ever kept.
        check_upload_start(name, total_bytes, chunk)
        if len(chunk) > total_bytes:
            raise FileTooLargeError(f"{name[:80]!r} sent more bytes than its declared size: {_AGAIN}.")
        if len(self._partials) >= STUDIO_PARTIAL_UPLOADS_MAX:
            raise InputError("The server is receiving too many dropped files at once: try again in a minute.")
        folder = self.root / ref.principal / ref.name / upload_id
        partial = PartialUpload(ref, upload_id, folder / _plain_name(name), name, total_bytes, 0, self._clock())
        try:
            for level in (self.root, folder.parent.parent, folder.parent, folder):
                ensure_private_dir(level)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
            with os.fdopen(os.open(partial.path, flags, PRIVATE_FILE_MODE), "wb") as handle:
                self._partials[ref] = partial
                handle.write(chunk)
        except FileExistsError:
            raise InputError(f"This upload id is already in use: {_AGAIN}.") from None
        except OSError as exc:
            self.discard(ref, upload_id)
            raise InputError(f"The server could not keep {name[:80]!r} ({exc.strerror}): {_AGAIN}.") from None
        partial.received_bytes = len(chunk)
        return partial

    def _append(self, partial: PartialUpload, total_bytes: int, offset: int, chunk: bytes) -> None:
        if total_bytes != partial.total_bytes:
            raise InputError(f"The size of {partial.name[:80]!r} changed during the upload: {_AGAIN}.")
        if offset != partial.received_bytes:
            raise InputError(
                f"A piece of {partial.name[:80]!r} arrived out of order (at byte {offset}, expected "
                f"{partial.received_bytes}): {_AGAIN}."
            )
        if offset + len(chunk) > partial.total_bytes or offset + len(chunk) > MAX_UPLOAD_BYTES:
            raise FileTooLargeError(f"{partial.name[:80]!r} sent more bytes than its declared size: {_AGAIN}.")
        try:
            with os.fdopen(os.open(partial.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW), "ab") as handle:
                if os.fstat(handle.fileno()).st_size != offset:
                    raise InputError(f"The partial file of {partial.name[:80]!r} changed on disk: {_AGAIN}.")
                handle.write(chunk)
        except OSError as exc:
            raise InputError(f"The server could not keep {partial.name[:80]!r} ({exc.strerror}): {_AGAIN}.") from None
        partial.received_bytes += len(chunk)
        partial.touched = self._clock()


def _plain_name(name: str) -> str:
    """``name`` as a plain file name (no folders, no leading dot), its extension kept: the backend
    shows it to the user, so it stays recognisable."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, extension = base.rpartition(".")
    stem = _UNSAFE_IN_NAME.sub("_", stem if dot else base).strip(" .")[:_NAME_MAX] or "upload"
    return f"{stem}.{_UNSAFE_IN_NAME.sub('_', extension)}" if dot else stem


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
