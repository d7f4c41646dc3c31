"""Which process runs a job: an OS file lock per job, held from the job's launch to its end.

Two servers over the same state (Claude Desktop's and Claude Code's) both look for jobs a crashed
server left running; without a lock both would resume the same job (two renders, two files, two
writers of one record). A pid in the record cannot tell: after a reboot, or in a container, the pid
may belong to an unrelated process, which would strand the job for good. The kernel releases a
file lock when its process dies, however it dies, so "can the lock be taken?" is exactly "is
nobody running this job?".
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from ..storage import PRIVATE_FILE_MODE, ensure_private_dir

if TYPE_CHECKING:
    from filelock import FileLock

log = logging.getLogger(__name__)


class JobLocks:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._held: dict[str, FileLock] = {}

    def take(self, job_id: str) -> bool:
        """Hold ``job_id``'s lock for this process; False when another process holds it. A folder
        where no lock can be made at all must not stop the work: then True, unlocked."""
        if job_id in self._held:
            return True
        try:
            ensure_private_dir(self.directory)
        except OSError as exc:
            log.warning("cannot create %s (%s); running job %s without its lock", self.directory, exc, job_id)
            return True
        # Imported when a job is first locked, as in ``project_lock``: not for a first credits call.
        from filelock import FileLock, Timeout

        lock = FileLock(self.path(job_id), mode=PRIVATE_FILE_MODE, thread_local=False, preserve_lock_file=True)
        try:
            lock.acquire(blocking=False)
        except Timeout:
            return False
        except OSError as exc:
            log.warning("cannot lock %s (%s); running job %s without its lock", self.path(job_id), exc, job_id)
            return True
        self._held[job_id] = lock
        return True

    def free(self, job_id: str) -> bool:
        """Whether no process runs ``job_id`` now (this one included)."""
        if job_id in self._held:
            return False
        if not self.take(job_id):
            return False
        self.release(job_id)
        return True

    def release(self, job_id: str) -> None:
        lock = self._held.pop(job_id, None)
        if lock is not None:
            with contextlib.suppress(OSError):
                lock.release()

    def path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.lock"
