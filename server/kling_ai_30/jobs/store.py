"""Jobs on disk: one small JSON file per job, written atomically.

One file per job (not one registry file) because several servers may run at once (Claude
Desktop and Claude Code each start their own), and each writes only the jobs it owns. A record
that no longer validates is damaged: it is set aside (``<id>.json.corrupt-<time>``) and the user
is told, once, by name.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from ..policy import KEEP_FINISHED_JOBS, TASK_TTL_S
from ..storage import atomic_write_json, ensure_private_dir, load_json, set_aside, sweep_temporary
from .job import Job, is_job_id

log = logging.getLogger(__name__)

Tell = Callable[[str], None]
"""Passes on a note the user should hear once (a damaged record set aside)."""


class JobStore:
    def __init__(self, directory: Path, *, tell: Tell) -> None:
        self.directory = directory
        self._tell = tell

    def save(self, job: Job) -> None:
        ensure_private_dir(self.directory)
        atomic_write_json(self._path(job.id), job.model_dump(mode="json"))

    def load(self, job_id: str) -> Job | None:
        """The job, or None when it is unknown, unreadable or damaged (the latter two are told)."""
        if not is_job_id(job_id):
            return None
        path = self._path(job_id)
        loaded = load_json(path)
        problem = loaded.problem(f"The saved record of job {job_id}")
        if problem is not None:
            self._tell(problem + ".")
        if loaded.value is None and not path.exists():
            return None  # unknown, or set aside just now (and told)
        try:
            job = Job.model_validate(loaded.value)
        except ValidationError:
            job = None
        if job is None or job.id != job_id:
            try:
                where = f" and was moved to {set_aside(path)}"
            except OSError:
                where = ""  # left where it is: it is read (and refused) again next time
            self._tell(f"The saved record of job {job_id} was damaged{where}; that job cannot be followed any more.")
            return None
        return job

    def all(self) -> list[Job]:
        if not self.directory.is_dir():
            return []
        jobs = [self.load(path.stem) for path in sorted(self.directory.glob("*.json"))]
        return [job for job in jobs if job is not None]

    def prune(self, now: float | None = None) -> None:
        """Keep the newest finished jobs, every one younger than ``TASK_TTL_S`` (the time an MCP task is
        promised to be kept) and every unfinished one; sweep killed writes' leftovers."""
        kept_until = (time.time() if now is None else now) - TASK_TTL_S
        finished = sorted((j for j in self.all() if j.finished), key=lambda j: j.updated_at, reverse=True)
        for job in finished[KEEP_FINISHED_JOBS:]:
            if job.created_at < kept_until:
                self._path(job.id).unlink(missing_ok=True)
        sweep_temporary(self.directory)

    def _path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"
