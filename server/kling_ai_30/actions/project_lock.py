"""One message at a time per project, across processes.

Claude Desktop and Claude Code each start their own stdio server, and both use project ``default``
on the same backend session; each server's in-process guard knows only its own jobs. A message
sent while another process's is still being worked on would overlap it on the backend (and be
paid for as well). So a generate job holds ``<project>.lock`` from its start to its end: created
with ``O_CREAT | O_EXCL`` (only one process can), holding the owner's pid and job id. A lock whose
process is gone was left by a crash and is taken over.

Best effort by design: a lock that cannot be written at all (a read-only folder) does not stop the
work, and two processes taking over the same stale lock in the same instant may both proceed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..jobs.job import pid_alive
from ..policy import UNREADABLE_LOCK_GRACE_S
from ..storage import PRIVATE_FILE_MODE, ensure_private_dir
from ..timing import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Holder:
    """Who holds a project's lock: a live process, and the job it is working on (when readable)."""

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
    """The lock files of one backend's projects."""

    def __init__(self, directory: Path, *, is_live: Callable[[str], bool], clock: Clock = time.time) -> None:
        self.directory = directory
        self._is_live = is_live
        """Whether a job id is running in this process: a lock with our own pid is stale otherwise."""
        self._clock = clock

    def acquire(self, key: str, job_id: str) -> Holder | None:
        """Take project ``key``'s lock for ``job_id``; None when taken, else who holds it."""
        path = self._path(key)
        try:
            ensure_private_dir(self.directory)
        except OSError as exc:
            log.warning("cannot create %s (%s); going on without the cross-process lock", self.directory, exc)
            return None
        for _attempt in range(2):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
            except FileExistsError:
                holder = self.holder(key)
                if holder is not None:
                    return holder
                log.info("taking over the lock of project %s left by a process that is gone", key)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                continue
            except OSError as exc:
                log.warning("cannot write %s (%s); going on without the cross-process lock", path, exc)
                return None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"pid": os.getpid(), "job_id": job_id}, handle)
            return None
        # Another process took it over between our two attempts.
        return self.holder(key) or Holder(None, None)

    def holder(self, key: str) -> Holder | None:
        """Who holds ``key``'s lock, or None when nobody does (no file, or one left by a dead process)."""
        path = self._path(key)
        try:
            raw = path.read_text(encoding="utf-8")
            age = self._clock() - path.stat().st_mtime
        except FileNotFoundError:
            return None
        except OSError:
            return Holder(None, None)  # there but unreadable: assume someone holds it
        data = _parse(raw)
        pid, job_id = data.get("pid"), data.get("job_id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            # Being written this instant, or damaged: held for a short grace, then stale.
            return Holder(None, None) if age < UNREADABLE_LOCK_GRACE_S else None
        job = job_id if isinstance(job_id, str) else None
        if pid == os.getpid():
            return Holder(pid, job) if job is not None and self._is_live(job) else None
        return Holder(pid, job) if pid_alive(pid) else None

    def release(self, key: str, job_id: str) -> None:
        """Give up ``key``'s lock if it is still this process's, for ``job_id``."""
        path = self._path(key)
        try:
            data = _parse(path.read_text(encoding="utf-8"))
        except OSError:
            return
        if data.get("pid") == os.getpid() and data.get("job_id") == job_id:
            with contextlib.suppress(OSError):
                path.unlink()

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.lock"


def _parse(raw: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
