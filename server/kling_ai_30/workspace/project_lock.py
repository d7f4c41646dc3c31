"""One message at a time per project, across processes.

Claude Desktop and Claude Code each start their own stdio server, and both use project ``default``
on the same backend session; each server's in-process guard knows only its own jobs. A message
sent while another process's is still being worked on would overlap it on the backend (and be
paid for as well). So a generate job holds ``<principal>/<project>.lock`` from its start to its end.

The lock is an OS file lock (``filelock``: ``flock`` on POSIX, ``LockFileEx`` on Windows), which the
kernel releases when its process dies, however it dies: no stale locks, no pid checks, no races
between two processes taking over the same stale lock. Beside it, ``<project>.holder.json`` says
who holds it (pid and job id), only for the "busy" message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..storage import PRIVATE_FILE_MODE, atomic_write_json, ensure_private_dir

if TYPE_CHECKING:
    from filelock import FileLock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """Who holds a project's lock: a live process, and the job it is working on (when known)."""

    pid: int | None
    job_id: str | None

    def busy_message(self) -> str:
        """What to tell a user whose message was therefore not sent."""
        who = f"another kling-ai-30 (process {self.pid})" if self.pid else "another kling-ai-30"
        job = f" on job {self.job_id}" if self.job_id else ""
        return (
            f"Your request was not sent: {who} is working{job} in this project right now (Claude Desktop and "
            "Claude Code each run their own). Try again after it finishes; sending now would overlap it."
        )


class ProjectLocks:
    """The lock files of one backend's projects, and the locks this process holds."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[str, tuple[FileLock, str]] = {}
        """Project key -> (our lock, the job holding it)."""

    def acquire(self, key: str, job_id: str) -> Holder | None:
        """Take project ``key``'s lock for ``job_id``; None when taken (or when locking is impossible
        here: a read-only folder must not stop the work), else who holds it."""
        if key in self._held:
            return Holder(os.getpid(), self._held[key][1])
        try:
            ensure_private_dir(self._path(key).parent)
        except OSError as exc:
            log.warning("cannot create %s (%s); going on without the cross-process lock", self.directory, exc)
            return None
        try:
            lock = _lock_now(self._path(key))
        except OSError as exc:
            log.warning("cannot lock %s (%s); going on without the cross-process lock", self._path(key), exc)
            return None
        if lock is None:
            return self.holder(key) or Holder(None, None)
        self._held[key] = (lock, job_id)
        with contextlib.suppress(OSError):
            atomic_write_json(self._holder_path(key), {"pid": os.getpid(), "job_id": job_id})
        return None

    def holder(self, key: str) -> Holder | None:
        """Who holds ``key``'s lock, or None when nobody does."""
        if key in self._held:
            return Holder(os.getpid(), self._held[key][1])
        try:
            probe = _lock_now(self._path(key))
        except OSError:
            return None
        if probe is None:
            return _read_holder(self._holder_path(key))
        probe.release()
        return None

    def release(self, key: str, job_id: str) -> None:
        """Give up ``key``'s lock if this process holds it for ``job_id``."""
        held = self._held.get(key)
        if held is None or held[1] != job_id:
            return
        del self._held[key]
        with contextlib.suppress(OSError):
            self._holder_path(key).unlink()
        held[0].release()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.lock"

    def _holder_path(self, key: str) -> Path:
        return self.directory / f"{key}.holder.json"


def _lock_now(path: Path) -> FileLock | None:
    """``path``'s lock, taken without waiting; None when another process holds it."""
    # Imported here, when a lock is first taken: ``filelock`` costs ~15 ms to import (a sixth of the
    # workspace stack), and a server's first call (credits, state) takes no lock (issue 16).
    from filelock import FileLock, Timeout

    lock = FileLock(path, mode=PRIVATE_FILE_MODE, thread_local=False, preserve_lock_file=True)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        return None
    return lock


def _read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Holder(None, None)  # being written this instant, or gone: held all the same
    pid = data.get("pid") if isinstance(data, dict) else None
    job_id = data.get("job_id") if isinstance(data, dict) else None
    return Holder(
        pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        job_id if isinstance(job_id, str) else None,
    )
