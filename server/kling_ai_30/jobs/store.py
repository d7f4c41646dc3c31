"""Jobs on disk: one small JSON file per job, written atomically.

One file per job (not one registry file) because several servers may run at once (Claude
Desktop and Claude Code each start their own), and each writes only the jobs it owns.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..policy import KEEP_FINISHED_JOBS
from ..storage import atomic_write_json, ensure_private_dir, load_json, sweep_temporary
from .job import Job, is_job_id

log = logging.getLogger(__name__)


class JobStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.notices: list[str] = []
        """Human-readable notes about files that were set aside, for the next tool result."""

    def save(self, job: Job) -> None:
        ensure_private_dir(self.directory)
        atomic_write_json(self._path(job.id), job.to_dict())

    def load(self, job_id: str) -> Job | None:
        if not is_job_id(job_id):
            return None
        loaded = load_json(self._path(job_id))
        problem = loaded.problem(f"The saved record of job {job_id}")
        if problem is not None:
            self.notices.append(problem + ".")
        job = Job.from_dict(loaded.value)
        if loaded.value is not None and job is None:
            self.notices.append(f"The saved record of job {job_id} could not be read and was ignored.")
        return job

    def all(self) -> list[Job]:
        if not self.directory.is_dir():
            return []
        jobs = [self.load(path.stem) for path in sorted(self.directory.glob("*.json"))]
        return [job for job in jobs if job is not None]

    def prune(self) -> None:
        """Keep the newest finished jobs (and every unfinished one); sweep killed writes' leftovers."""
        finished = sorted((j for j in self.all() if j.finished), key=lambda j: j.updated_at, reverse=True)
        for job in finished[KEEP_FINISHED_JOBS:]:
            self._path(job.id).unlink(missing_ok=True)
        sweep_temporary(self.directory)

    def _path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"
