"""The workspace: the skill's actions (§3.1-§3.5) over one backend client, for both front ends.

    async with Workspace(settings) as workspace:
        outcome = await workspace.request("make a 5-second preview of waves")
        result = await workspace.follow(outcome, 45, on_progress, follow_up)

- §3.0 setup on first use ("Setting things up..."): credentials, then the project's session —
  the saved one when there is one, so a restarted server continues the same timeline — and the
  project's jobs a previous server left running are picked up (the backend may still be working
  on them: a new request must not overlap them);
- a request is routed first (``router``): export, credits and status requests never reach the
  chat, and an attachment or media URL is uploaded before the rest of the request is acted on.
  Every step is checked before the first one runs. A request with a message or an export runs
  as one job in the lifetime's task group (``runner`` carries out its plan), because both outlive a
  tool call; anything else is answered at once;
- one message at a time per project: a request while the project's last one is still being
  worked on (here, or by another process: ``project_lock``) is not sent, and the user is told so.

The workspace owns its lifetime (``async with``): the task group its jobs run in, and the client
it closes only after every job has stopped.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import anyio
import anyio.abc
import httpx

from ..chat.conversation import Conversation, check_message
from ..client.backend import BackendClient
from ..client.models import SessionState
from ..client.session import Session
from ..client.uploads import check_media_url, check_upload_file
from ..config import Settings
from ..errors import InputError, JobError, KlingError
from ..jobs.job import Job, JobKind, JobRequest, is_job_id
from ..jobs.manager import JobContext, JobManager, Work
from ..jobs.output import JobOutput
from ..jobs.plan import LONG_STEPS, CreditsStep, ExportStep, PlanStep, SendStep, StateStep, UploadStep
from ..jobs.store import JobStore
from ..notices import Notices
from ..policy import ACCEPT_WAIT_S
from ..progress import OnProgress, Progress, byte_progress, ignore_progress
from ..results import CreditsView, ExportView, StateView, UploadView
from ..router import Action, Step, route
from ..skill import SkillIdentity, load_identity
from ..timing import Clock, Sleep
from .backend_state import open_backend_state_dir, prune_loopback_backends
from .outcome import FollowUp, JobResult, Outcome, can_retry, report
from .output_folder import checked_output_folder
from .project import Project
from .project_lock import Holder, ProjectLocks
from .projects import DEFAULT_PROJECT, ExportRecord, ProjectRecord, ProjectStore, check_project_key
from .runner import PlanRunner, long_work_kind, snapshot

log = logging.getLogger(__name__)


class Workspace:
    """One backend client, the saved projects, and the jobs; used as ``async with Workspace(...)``."""

    def __init__(
        self,
        settings: Settings,
        identity: SkillIdentity | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
    ) -> None:
        self.settings = settings
        self.identity = identity or load_identity(settings.skill_dir, skill_source=settings.skill_source)
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = clock
        self._notices = Notices()
        self._client = BackendClient(
            settings,
            self.identity,
            transport=transport,
            sleep=sleep,
            clock=clock,
            on_session_replaced=self._session_replaced,
        )
        self.state_dir = open_backend_state_dir(settings.state_dir, settings.api_url)
        """This backend's projects, jobs and locks (``backend_state``): another backend never touches them."""
        prune_loopback_backends(settings.state_dir, keep=self.state_dir)
        self._projects = ProjectStore(self.state_dir / "projects", tell=self._notices.tell)
        self._jobs = JobManager(
            JobStore(self.state_dir / "jobs", tell=self._notices.tell), resume=self._resume_work, clock=clock
        )
        self._locks = ProjectLocks(self.state_dir / "locks")
        self._projects.prune()
        self._jobs.store.prune()
        self._open: dict[str, Project] = {}
        self._setup_lock = anyio.Lock()
        self._start_locks: dict[str, anyio.Lock] = {}
        """Per project: from "is a job already running?" to the new job's start, one caller at a time."""
        self._exit: contextlib.AsyncExitStack | None = None

    # ------------------------------------------------------------- lifetime

    async def __aenter__(self) -> Workspace:
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(self._close_client)
            group = await stack.enter_async_context(anyio.create_task_group())
            stack.callback(group.cancel_scope.cancel)
            self._jobs.attach(group)
            self._exit = stack.pop_all()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> bool | None:
        # Jobs are cancelled at their next wait and stay "running" on disk, for the next server to
        # resume; the client is closed only after every job task has stopped.
        exit_stack, self._exit = self._exit, None
        if exit_stack is None:
            return None
        return await exit_stack.__aexit__(kind, error, traceback)

    async def _close_client(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._client.aclose()

    # ------------------------------------------------------------- projects

    async def project(self, key: str = DEFAULT_PROJECT, *, on_progress: OnProgress = ignore_progress) -> Project:
        """The open project ``key``, set up on first use (skill text "Automatic Setup")."""
        check_project_key(key)
        if key in self._open:
            return self._open[key]
        async with self._setup_lock:
            if key in self._open:
                return self._open[key]
            await on_progress(Progress("Setting things up...", phase="setup"))
            await self._client.ensure_credentials()
            record = self._projects.load(key)
            session = record.session if record.api_url == self.settings.api_url else None
            if session is None:
                session = await self._client.create_session(task_name="project")
                record = ProjectRecord(key=key, session=session, api_url=self.settings.api_url)
                self._projects.save(record)
            conversation = Conversation(self._client, session, sleep=self._sleep, clock=self._monotonic)
            project = Project(record=record, conversation=conversation)
            self._open[key] = project
            self._resume_interrupted(key)
            await on_progress(Progress("Connected and ready.", phase="setup"))
            return project

    def _resume_interrupted(self, key: str, kind: JobKind | None = None) -> Job | None:
        """Pick up project ``key``'s jobs that a server which is gone left running; returns one of
        ``kind`` that is running again (it counts as the project's running job from now on)."""
        found: Job | None = None
        for job in self._jobs.store.all():
            if job.project != key or not self._jobs.resumable(job):
                continue
            try:
                resumed = self._jobs.resume(job.id)
            except KlingError as exc:
                log.warning("could not resume job %s: %s", job.id, exc)
                continue
            if found is None and not resumed.finished and (kind is None or resumed.kind is kind):
                found = resumed
        return found

    def _session_replaced(self, session: Session) -> None:
        for project in self._open.values():
            if project.session is session:
                self._projects.save(project.record)
                self._notices.tell(
                    "The backend no longer had this project's editing session, so a new one was started: "
                    "earlier edits are not on its timeline.",
                    project=project.key,
                )

    def notices(self, key: str | None = None) -> list[str]:
        """Things the user should know that no result says, shown once: damaged saved files that were
        set aside (anyone may hear those: they are about this machine), and for project ``key`` a
        session the backend lost (only that project's user: others' timelines are not affected)."""
        for note in self._client.take_notices():
            self._notices.tell(note)
        return self._notices.take(key)

    def exported_video(self, key: str, render_id: str) -> Path | None:
        """The MP4 that project ``key`` exported as render ``render_id``, while it is still a file; None
        for any other id (another project's video answers like one that never existed)."""
        check_project_key(key)
        project = self._open.get(key)
        record = project.record if project is not None else self._projects.load(key)
        for export in reversed(record.exports):
            if export.render_id == render_id:
                path = Path(export.path)
                return path if path.is_file() else None
        return None

    def running_job(self, key: str = DEFAULT_PROJECT) -> Job | None:
        """The job this server is running in project ``key``, if any."""
        return self._jobs.running(key)

    def lock_holder(self, key: str = DEFAULT_PROJECT) -> Holder | None:
        """Who (which process, which job) is generating in project ``key``, if anyone."""
        return self._locks.holder(key)

    # ------------------------------------------------------------- queries

    async def credits(self) -> CreditsView:
        """§3.3: available, frozen, total."""
        return CreditsView.of(await self._client.credits())

    async def state(self, key: str = DEFAULT_PROJECT, *, on_progress: OnProgress = ignore_progress) -> StateView:
        """§3.4: the timeline summary line plus the tracks as data."""
        project = await self.project(key, on_progress=on_progress)
        return StateView.of(await self._client.state(project.session))

    # -------------------------------------------------------------- upload

    async def upload(
        self,
        key: str = DEFAULT_PROJECT,
        *,
        path: str | None = None,
        url: str | None = None,
        on_progress: OnProgress = ignore_progress,
    ) -> UploadView:
        """§3.2: one local file or one URL, checked locally first."""
        if (path is None) == (url is None):
            raise InputError("Give exactly one of path (a local file) or url (an http(s) link) to upload.")
        # Refused input sends nothing at all, not even the first-use setup.
        if path is not None:
            check_upload_file(path)
        else:
            check_media_url(str(url))
        project = await self.project(key, on_progress=on_progress)
        if path is not None:
            name = Path(path).name
            async with byte_progress(f"Uploading {name}", "uploading", on_progress) as on_bytes:
                result = await self._client.upload_files(project.session, [path], on_progress=on_bytes)
        else:
            result = await self._client.upload_urls(project.session, [str(url)])
        project.record.uploads.extend(result.files)
        self._projects.save(project.record)
        return UploadView.of(result)

    async def _upload_step(self, key: str, step: UploadStep) -> UploadView:
        if step.source is None:
            return UploadView(
                files=[],
                message="Which file should I upload? Give the full path of an image, video or audio file, or an "
                "http(s) link to one.",
            )
        is_url = _is_url(step.source)
        return await self.upload(key, path=None if is_url else step.source, url=step.source if is_url else None)

    # ------------------------------------------------------------ requests

    async def request(
        self,
        text: str,
        *,
        key: str = DEFAULT_PROJECT,
        attachments: Sequence[str] = (),
        output_dir: Path | None = None,
        auto_export: bool = True,
        on_progress: OnProgress = ignore_progress,
    ) -> Outcome:
        """Route ``text`` and act on it: a message or export (and the steps after it) as one job that
        keeps the user's order; anything else answered now. Refused input sends nothing."""
        plan = route(text, attachments)
        steps = [_plan_step(step, text) for step in plan.steps]
        routed = tuple(step.action.value for step in plan.steps)
        if not any(isinstance(step, LONG_STEPS) for step in steps):
            return await self._answer_now(key, steps, routed, on_progress)
        return await self._start(key, steps, routed, output_dir, auto_export, on_progress)

    async def send(
        self,
        message: str,
        *,
        key: str = DEFAULT_PROJECT,
        output_dir: Path | None = None,
        auto_export: bool = True,
        on_progress: OnProgress = ignore_progress,
    ) -> Outcome:
        """Send ``message`` to the video assistant as it is (not routed)."""
        steps: list[PlanStep] = [SendStep(text=check_message(message))]
        return await self._start(key, steps, (Action.SSE.value,), output_dir, auto_export, on_progress)

    async def export(
        self, *, key: str = DEFAULT_PROJECT, output_dir: Path | None = None, on_progress: OnProgress = ignore_progress
    ) -> Outcome:
        """§3.5: render the timeline and deliver the MP4 (or the export already running for this project)."""
        return await self._start(key, [ExportStep()], (Action.EXPORT.value,), output_dir, True, on_progress)

    async def job(self, job_id: str) -> Outcome:
        """A job by id; one a previous server left running is resumed here."""
        if not is_job_id(job_id):
            raise InputError(f"{job_id[:40]!r} is not a job id; use the job id a generate or export call returned.")
        found = self._jobs.get(job_id)
        if found is None:
            raise JobError(f"No job {job_id!r} is known here: check the id (a job is kept for a while after it ends).")
        if not found.finished and not self._jobs.is_live(job_id):
            found = self._jobs.resume(job_id)
        elif can_retry(found):
            # The render may have finished since: keep polling the same render, never a new one.
            found = self._jobs.resume(job_id, retry_failed=True)
        return Outcome(job=found)

    async def follow(
        self,
        outcome: Outcome,
        budget_s: float,
        follow_up: FollowUp,
        *,
        on_progress: OnProgress = ignore_progress,
        until_sent: bool = False,
    ) -> JobResult:
        """Wait up to ``budget_s`` for the outcome's job (it goes on afterwards), then report it.

        ``until_sent``: wait at least until the backend has the message (a command that exits before
        that would cut the request off unsent), however short the budget.
        """
        job = outcome.job
        if until_sent and job.kind is JobKind.GENERATE:
            with anyio.move_on_after(ACCEPT_WAIT_S):
                while not (job.accepted or job.finished):
                    job = await self._jobs.wait(job.id, 0.2, on_progress)
        finished = await self._jobs.wait(job.id, budget_s, on_progress)
        return report(outcome, finished, follow_up)

    async def _answer_now(
        self, key: str, steps: Sequence[PlanStep], routed: tuple[str, ...], on_progress: OnProgress
    ) -> Outcome:
        output = JobOutput()
        for step in steps:
            match step:
                case UploadStep():
                    output.add_upload(await self._upload_step(key, step))
                case CreditsStep():
                    output.add_credits(await self.credits())
                case StateStep():
                    output.add_state(await self.state(key, on_progress=on_progress))
        job = self._jobs.record(JobKind.GENERATE, key, output.finish(), request=JobRequest(routed_to=list(routed)))
        return Outcome(job=job, routed_to=routed)

    async def _start(
        self,
        key: str,
        steps: list[PlanStep],
        routed: tuple[str, ...],
        output_dir: Path | None,
        auto_export: bool,
        on_progress: OnProgress,
    ) -> Outcome:
        """Start ``steps`` as one job — unless the project already has a job doing that kind of work:
        then nothing at all is done, and the outcome is that job."""
        dest = checked_output_folder(output_dir if output_dir is not None else self.settings.videos_dir)
        kind = long_work_kind(steps)
        message = next((step.text for step in steps if isinstance(step, SendStep)), None)
        lock = self._start_locks.setdefault(key, anyio.Lock())
        async with lock:  # two calls at once: the second must see the first one's job
            project = await self.project(key, on_progress=on_progress)
            running = self._jobs.running(key, kind) or self._resume_interrupted(key, kind)
            if running is not None:
                same = kind is JobKind.EXPORT or running.request.message == message
                return Outcome(job=running, routed_to=routed, reused=True, same_request=same)
            job_id = Job.new_id(kind)
            locked = False
            if kind is JobKind.GENERATE:
                holder = self._locks.acquire(key, job_id)
                if holder is not None:
                    raise JobError(holder.busy_message())
                locked = True
            try:
                first = steps[0]
                before = await self._client.state(project.session) if isinstance(first, SendStep) else None
                job = self._jobs.start(
                    kind,
                    key,
                    self._work(project, dest, auto_export, before=before, locked=locked),
                    request=JobRequest(message=message, output_dir=str(dest), routed_to=list(routed)),
                    steps=steps,
                    before=snapshot(before) if before is not None else None,
                    session_id=project.session.session_id,
                    job_id=job_id,
                )
            except BaseException:
                if locked:
                    self._locks.release(key, job_id)
                raise
        return Outcome(job=job, routed_to=routed)

    def _work(
        self, project: Project, dest: Path, auto_export: bool, *, before: SessionState | None, locked: bool
    ) -> Work:
        async def work(ctx: JobContext) -> JobOutput:
            try:
                return await self._runner(project, ctx, dest, auto_export).run(before=before)
            finally:
                if locked:
                    self._locks.release(project.key, ctx.job.id)

        return work

    def _runner(self, project: Project, ctx: JobContext, dest: Path, auto_export: bool) -> PlanRunner:
        async def upload(step: UploadStep) -> UploadView:
            return await self._upload_step(project.key, step)

        def remember(export: ExportView) -> None:
            project.record.exports.append(
                ExportRecord(path=export.path, url=export.url, render_id=export.render_id, task_link=export.task_link)
            )
            self._projects.save(project.record)

        return PlanRunner(
            client=self._client,
            project=project,
            ctx=ctx,
            dest=dest,
            auto_export=auto_export,
            upload=upload,
            remember_export=remember,
            sleep=self._sleep,
            wall_clock=self._wall_clock,
            monotonic=self._monotonic,
        )

    # ------------------------------------------------------------- resume

    def _resume_work(self, job: Job) -> Work | None:
        """How to continue a job cut off at its current step (a previous server is gone, or a render
        outlived its wait): pick that step up where it was, then go on (see ``runner``)."""
        current = job.steps[job.step] if job.step < len(job.steps) else None
        if isinstance(current, SendStep) and job.before is None:
            return None
        cut_at = job.updated_at
        dest = Path(job.request.output_dir) if job.request.output_dir else self.settings.videos_dir

        async def resume(ctx: JobContext) -> JobOutput:
            project = await self.project(ctx.job.project)
            # Another process may have started work here since: then this (a recovery or a render,
            # which sends nothing) goes on without the lock rather than take theirs.
            locked = ctx.job.kind is JobKind.GENERATE and self._locks.acquire(project.key, ctx.job.id) is None
            try:
                return await self._runner(project, ctx, dest, auto_export=True).run(resumed=True, cut_at=cut_at)
            finally:
                if locked:
                    self._locks.release(project.key, ctx.job.id)

        return resume


def _plan_step(step: Step, text: str) -> PlanStep:
    """The router's ``step`` as a job's step, its input checked (``InputError`` names the fix)."""
    match step.action:
        case Action.SSE:
            return SendStep(text=check_message(step.text or text))
        case Action.EXPORT:
            return ExportStep()
        case Action.CREDITS:
            return CreditsStep()
        case Action.STATE:
            return StateStep()
        case Action.UPLOAD:
            if step.source is not None:
                if _is_url(step.source):
                    check_media_url(step.source)
                else:
                    check_upload_file(step.source)
            return UploadStep(source=step.source)


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))
