"""Run jobs in a task group the server owns, so a tool call's timeout never cancels paid work.

MCP clients give up on a tool call after 60 s (Claude Desktop), background it at 120 s (Claude
Code) or cut it at 5 min (Cursor), and in MCP SDK 2.x a client-side timeout cancels the tool's
coroutine. So the tool only *waits* (up to a budget) on a job that runs in the lifespan's task
group; when the budget runs out it returns the job id and ``job`` waits again later.
Every job is persisted, so a restarted server can still report it, and resume what can be
resumed (the ``resume`` callback decides how).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
import anyio.abc

from ..errors import JobCancelled, JobError, KlingError
from ..policy import PROGRESS_HEARTBEAT_S, SAVE_PROGRESS_EVERY_S, UPDATES_KEPT
from ..progress import OnProgress, Progress
from ..results import Failure
from ..timing import Clock
from .cancel import stop_message
from .job import Job, JobKind, JobRequest, JobStatus
from .output import JobOutput
from .ownership import JobLocks
from .plan import PlanStep
from .snapshot import Snapshot
from .store import JobStore

log = logging.getLogger(__name__)


class JobContext:
    """Handed to a job's work: report progress, record render ids, all persisted."""

    def __init__(self, manager: JobManager, job: Job) -> None:
        self._manager = manager
        self.job = job

    def update(self, phase: str, message: str, fraction: float | None = None) -> None:
        """Report progress (``fraction`` 0..1 when the step can tell)."""
        job = self.job
        phase_changed = phase != job.phase
        job.phase, job.message = phase, message
        if fraction is not None:
            fraction = max(0.0, min(1.0, fraction))
            job.progress = fraction
        self._manager._changed(job, Progress(message, fraction, phase), persist=phase_changed)

    def mark_sending(self) -> None:
        """A message starts out to the backend: from here on the job is paid work (``jobs.cancel``)."""
        if not self.job.sending:
            self.job.sending = True
            self.save()

    def mark_accepted(self) -> None:
        if not self.job.accepted:
            self.job.accepted = True
            self.save()

    def add_render_id(self, render_id: str) -> None:
        self.job.render_ids.append(render_id)
        self.save()

    def save(self) -> None:
        """Persist the job now (its plan, step or result changed)."""
        self._manager._changed(self.job, None, persist=True)

    @property
    def stopping(self) -> bool:
        """The server is shutting down: a failure now is the shutdown's doing, not the work's."""
        return self._manager._stopping()


Work = Callable[[JobContext], Awaitable[JobOutput]]
Resume = Callable[[Job], Work | None]


@dataclass
class _Live:
    job: Job
    changed: anyio.Event = field(default_factory=anyio.Event)
    done: anyio.Event = field(default_factory=anyio.Event)
    last_saved: float = 0.0
    history: deque[Progress] = field(default_factory=lambda: deque(maxlen=UPDATES_KEPT))
    count: int = 0
    stop: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    """Cancelled by ``JobManager.cancel`` to abandon the job's work."""
    stopped_because: str = ""


class JobManager:
    """Starts, tracks, persists and resumes jobs."""

    def __init__(self, store: JobStore, *, resume: Resume | None = None, clock: Clock = time.time) -> None:
        self.store = store
        self._owners = JobLocks(store.directory)
        self._resume = resume
        self._clock = clock
        self._live: dict[str, _Live] = {}
        self._group: anyio.abc.TaskGroup | None = None

    def attach(self, group: anyio.abc.TaskGroup) -> None:
        """Jobs run in ``group`` (the server's lifespan task group), outliving any one tool call."""
        self._group = group

    @property
    def attached(self) -> bool:
        """Whether jobs can run (``attach`` was called)."""
        return self._group is not None

    def start(
        self,
        kind: JobKind,
        principal: str,
        project: str,
        work: Work,
        *,
        request: JobRequest,
        steps: list[PlanStep],
        before: Snapshot | None = None,
        job_id: str | None = None,
    ) -> Job:
        """Run ``work`` as a new job; raises ``JobError`` (and runs nothing) when the job cannot be saved."""
        job = Job(
            id=job_id or Job.new_id(kind),
            kind=kind,
            principal=principal,
            project=project,
            request=request,
            before=before,
            owner_pid=os.getpid(),
            steps=steps,
            created_at=self._clock(),
            updated_at=self._clock(),
            task_secret=Job.new_task_secret(),
        )
        self._launch(job, work)
        return job

    def record(self, kind: JobKind, principal: str, project: str, result: JobOutput, *, request: JobRequest) -> Job:
        """A job that finished at once (a request answered directly), kept so its id works like any other."""
        job = Job(
            id=Job.new_id(kind),
            kind=kind,
            principal=principal,
            project=project,
            status=JobStatus.DONE,
            phase="done",
            progress=1.0,
            message=result.message or "Done.",
            request=request,
            result=result,
            owner_pid=os.getpid(),
            created_at=self._clock(),
            updated_at=self._clock(),
        )
        try:
            self.store.save(job)
        except OSError as exc:
            # What was done is done (an upload, an answer): the result is shown all the same; only
            # its id will not be found again.
            log.warning("could not save job %s: %s", job.id, exc)
        return job

    def running(self, principal: str, project: str, kind: JobKind | None = None) -> Job | None:
        """A live, unfinished job of this principal's project (and kind), if any."""
        for live in self._live.values():
            job = live.job
            mine = job.principal == principal and job.project == project
            if mine and not job.finished and (kind is None or job.kind is kind):
                return job
        return None

    def get(self, job_id: str) -> Job | None:
        live = self._live.get(job_id)
        return live.job if live is not None else self.store.load(job_id)

    def is_live(self, job_id: str) -> bool:
        return job_id in self._live

    def resumable(self, job: Job) -> bool:
        """A job left running by a server that is gone (crashed, killed, restarted): no process holds
        its lock (``ownership``)."""
        if job.finished or self.is_live(job.id):
            return False
        return self._owners.free(job.id)

    def resume(self, job_id: str, *, retry_failed: bool = False) -> Job:
        """Pick up a job a previous server left running (or, with ``retry_failed``, one that stopped
        waiting); raises ``JobError`` when it cannot be."""
        job = self.get(job_id)
        if job is None:
            raise JobError(f"No job {job_id!r} is known here: check the id (`history` lists recent jobs).")
        if self.is_live(job_id) or job.status is JobStatus.DONE:
            return job
        if job.status is JobStatus.FAILED:
            if not retry_failed:
                return job
            job.status, job.error = JobStatus.RUNNING, None
        if not self._owners.take(job_id):
            raise JobError(
                f"Job {job_id} is being run by another kling-ai-30 server (pid {job.owner_pid}); ask that one."
            )
        work = self._resume(job) if self._resume is not None else None
        if work is None:
            job.status = JobStatus.FAILED
            job.error = Failure(type="JobError", message="This job cannot be resumed after a restart.")
            self.store.save(job)
            self._owners.release(job_id)
            return job
        job.owner_pid = os.getpid()
        job.phase, job.message = "resuming", "Picking up where the previous server left off…"
        self._launch(job, work)
        return job

    def cancel(self, job_id: str) -> Job | None:
        """Stop job ``job_id`` if that loses and costs nothing (``jobs.cancel``): it ends, at its next
        wait, as failed with a ``JobCancelled`` error. Otherwise it goes on, marked ``cancel_requested``.
        Only a job running in this server can be stopped; None when the job is unknown."""
        job = self.get(job_id)
        live = self._live.get(job_id)
        if job is None or job.finished or live is None:
            return job
        message = stop_message(job)
        if message is None:
            if not job.cancel_requested:
                job.cancel_requested = True
                self._persist(live)
            return job
        live.stopped_because = message
        live.stop.cancel()
        return job

    async def wait(self, job_id: str, budget_s: float, on_progress: OnProgress | None = None) -> Job:
        """Wait up to ``budget_s`` for the job to finish, calling ``on_progress`` for every update in
        order (none is skipped when several land at once, so "🎬 Raw video ready" is never lost) and
        at least every ``PROGRESS_HEARTBEAT_S`` (progress notifications keep clients from timing out)."""
        live = self._live.get(job_id)
        if live is None:
            job = self.get(job_id)
            if job is None:
                raise JobError(f"No job {job_id!r} is known here: check the id (`history` lists recent jobs).")
            return job
        seen = live.count
        with anyio.move_on_after(max(0.0, budget_s)):
            while not live.job.finished:
                event = live.changed
                if live.count == seen:  # an update that landed while we passed on the last ones is not waited for
                    with anyio.move_on_after(PROGRESS_HEARTBEAT_S):
                        await event.wait()
                fresh = min(live.count - seen, len(live.history))
                seen = live.count
                if on_progress is None or live.job.finished:
                    continue
                now = Progress(live.job.message or live.job.phase, None, live.job.phase)
                for update in list(live.history)[len(live.history) - fresh :] if fresh else [now]:
                    await on_progress(update)
        return live.job

    # ------------------------------------------------------------ internals

    def _launch(self, job: Job, work: Work) -> None:
        if self._group is None:
            raise RuntimeError("JobManager.attach() must be called with the owning task group first")
        # Held for the job's life (a resumed job's lock is taken already): no other server resumes it.
        self._owners.take(job.id)
        try:
            # Saved before it counts as live: a job that cannot be saved never runs, so it can
            # neither be lost on a restart nor linger as "running" here.
            self.store.save(job)
        except OSError as exc:
            self._owners.release(job.id)
            raise JobError(
                f"Could not save the job in {self.store.directory} ({exc.strerror or type(exc).__name__}), so it "
                "was not started and nothing was sent: free some disk space or fix that folder, then try again."
            ) from None
        live = _Live(job)
        live.last_saved = self._clock()
        self._live[job.id] = live
        self._group.start_soon(self._run, live, work, name=f"job {job.id}")

    async def _run(self, live: _Live, work: Work) -> None:
        job = live.job
        context = JobContext(self, job)
        try:
            result = await self._unless_stopped(live, work, context)
        except anyio.get_cancelled_exc_class():
            self._interrupted(live)
            raise
        except Exception as exc:
            if self._stopping():
                # Cancellation reaches a task at its next wait, so work can run on briefly after the
                # server began to stop and fail on what shutdown closed (the HTTP client): that is
                # an interruption, not a failure, and the next server must still resume the job.
                self._interrupted(live)
                return
            job.status = JobStatus.FAILED
            if isinstance(exc, KlingError):
                job.error = Failure(type=type(exc).__name__, code=exc.code, message=str(exc))
                log.info("job %s failed (%s): %s", job.id, type(exc).__name__, exc)
            else:
                log.exception("job %s failed unexpectedly", job.id)
                job.error = Failure(
                    type="InternalError",
                    message="An internal error stopped this job; the details are in the server log. Try again.",
                )
            job.phase, job.message = "failed", job.error.message
        else:
            job.status = JobStatus.DONE
            job.result = result
            job.phase, job.progress = "done", 1.0
            job.message = result.message or "Done."
        finally:
            job.updated_at = self._clock()
            if job.finished:
                self._persist(live)
                self._live.pop(job.id, None)
                live.done.set()
                self._notify(live)
            self._owners.release(job.id)  # finished, or interrupted: the next server may take it

    @staticmethod
    async def _unless_stopped(live: _Live, work: Work, context: JobContext) -> JobOutput:
        """``work``'s result, or ``JobCancelled`` when ``cancel`` stopped it first. The work is cut at
        its next wait, as at a shutdown, which every job survives (what it holds is released in
        ``finally`` blocks)."""
        with live.stop:
            return await work(context)
        raise JobCancelled(live.stopped_because)

    def _stopping(self) -> bool:
        return self._group is not None and self._group.cancel_scope.cancel_called

    def _interrupted(self, live: _Live) -> None:
        """The server is stopping: leave the job "running" on disk so the next server resumes it."""
        live.job.message = "Interrupted when the server stopped; ask for this job again to resume it."
        self._persist(live)

    def _changed(self, job: Job, progress: Progress | None, *, persist: bool) -> None:
        live = self._live.get(job.id)
        job.updated_at = self._clock()
        if live is None:
            self.store.save(job)
            return
        if persist or self._clock() - live.last_saved >= SAVE_PROGRESS_EVERY_S:
            self._persist(live)
        if progress is not None:
            live.history.append(progress)
            live.count += 1
            self._notify(live)

    def _persist(self, live: _Live) -> None:
        try:
            self.store.save(live.job)
        except OSError as exc:
            # A full disk must not kill a paid job; the next save tries again.
            log.warning("could not save job %s: %s", live.job.id, exc)
        live.last_saved = self._clock()

    @staticmethod
    def _notify(live: _Live) -> None:
        live.changed.set()
        live.changed = anyio.Event()
