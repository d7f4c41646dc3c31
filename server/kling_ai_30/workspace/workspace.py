"""The workspace: the skill's actions (§3.1-§3.5) over one backend client, for both front ends.

    async with Workspace(settings) as workspace:
        ref = workspace.project_ref()  # the local user's last project (or ``default``)
        outcome = await workspace.request("make a 5-second preview of waves", ref, on_progress=on_progress)
        result = await workspace.follow(outcome, 45, follow_up, on_progress=on_progress)

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

from .. import timeline
from ..client.models import Credits, SessionState
from ..client.session import Session
from ..client.uploads import check_media_url, check_upload_file
from ..config import Settings
from ..conversation.turn import Conversation, check_message
from ..errors import InputError, JobError, KlingError
from ..jobs.job import Job, JobKind, JobRequest, is_job_id, long_work_kind
from ..jobs.manager import JobContext, JobManager, Work
from ..jobs.output import JobOutput
from ..jobs.plan import LONG_STEPS, AnswerStep, CreditsStep, ExportStep, PlanStep, SendStep, StateStep, UploadStep
from ..jobs.snapshot import snapshot
from ..jobs.store import JobStore
from ..notices import Notices
from ..policy import ACCEPT_WAIT_S
from ..progress import OnProgress, Progress, ignore_progress
from ..results import CreditsView, ExportView, StateView, UploadView
from ..router import Action, route
from ..skill import SkillIdentity, load_identity
from ..timing import Clock, Sleep
from .accounts import AccountClients, Accounts
from .backend_state import open_backend_state_dir, prune_loopback_backends
from .estimate import Estimate, estimate
from .history import HistoryView, ProjectsView, history_view, projects_view
from .image_reference import check_picture_named, unnamed_file
from .outcome import FollowUp, JobResult, Outcome, can_retry, report
from .output_folder import checked_output_folder, copy_into
from .plan_steps import is_url, plan_steps
from .project import Project
from .project_lock import Holder, ProjectLocks
from .projects import (
    DEFAULT_PROJECT,
    LOCAL_PRINCIPAL,
    ExportRecord,
    ProjectRecord,
    ProjectRef,
    ProjectStore,
    check_name,
)
from .runner import PlanRunner
from .server_disk import refuse_server_file, refuse_server_folder, videos_folder

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
        accounts: Accounts | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity or load_identity(settings.skill_dir, skill_source=settings.skill_source)
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = clock
        self._notices = Notices()
        self._clients = AccountClients(
            settings,
            accounts,
            identity=self.identity,
            transport=transport,
            sleep=sleep,
            clock=clock,
            notices=self._notices,
            on_session_replaced=self._session_replaced,
        )
        self.state_dir = open_backend_state_dir(settings.state_dir, settings.api_url)
        """This backend's projects, jobs and locks (``backend_state``): another backend never touches them."""
        prune_loopback_backends(settings.state_dir, keep=self.state_dir)
        self._projects = ProjectStore(self.state_dir / "projects", tell=self._notices.add)
        self._jobs = JobManager(
            JobStore(self.state_dir / "jobs", tell=self._notices.add), resume=self._resume_work, clock=clock
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
            await self._clients.aclose()  # the server's account's client, and principals' own

    # ------------------------------------------------------------- projects

    def project_ref(self, principal: str = LOCAL_PRINCIPAL, name: str | None = None) -> ProjectRef:
        """The principal's project ``name``; without a name, their last project (or ``default``)."""
        check_name(principal, "principal")
        chosen = name if name is not None else self._projects.last(principal) or DEFAULT_PROJECT
        return ProjectRef(principal, check_name(chosen))

    async def project(self, ref: ProjectRef, *, on_progress: OnProgress = ignore_progress) -> Project:
        """The open project ``ref``, set up on first use (skill text "Automatic Setup": the token, then
        the session, before anything else); it becomes the principal's last project."""
        if ref.key in self._open:
            self._projects.remember_last(ref)
            return self._open[ref.key]
        async with self._setup_lock:
            if ref.key in self._open:
                self._projects.remember_last(ref)
                return self._open[ref.key]
            await on_progress(Progress("Setting things up...", phase="setup"))
            client = self._clients.of(ref.principal)  # the account the principal's work uses
            await client.ensure_credentials()
            record = self._projects.load(ref)
            session = record.session if record.api_url == self.settings.api_url else None
            if session is None:
                session = await client.create_session(task_name="project")
                record = ProjectRecord(name=ref.name, session=session, api_url=self.settings.api_url)
                self._projects.save(ref, record)
                self._notices.add(f"✅ Connected to NemoVideo and ready (project {ref.name!r}).", project=ref.key)
            self._projects.remember_last(ref)
            conversation = Conversation(client, session, sleep=self._sleep, clock=self._monotonic)
            project = Project(ref=ref, record=record, conversation=conversation)
            self._open[ref.key] = project
            self._resume_interrupted(ref)
            await on_progress(Progress("Connected and ready.", phase="setup"))
            return project

    def _resume_interrupted(self, ref: ProjectRef, kind: JobKind | None = None) -> Job | None:
        """Pick up project ``ref``'s jobs that a server which is gone left running; returns one of
        ``kind`` that is running again (it counts as the project's running job from now on)."""
        found: Job | None = None
        for job in self._jobs.store.all():
            mine = job.principal == ref.principal and job.project == ref.name
            if not mine or not self._jobs.resumable(job):
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
                self._projects.save(project.ref, project.record)
                self._notices.add(
                    "The backend no longer had this project's editing session, so a new one was started: "
                    "earlier edits are not on its timeline.",
                    project=project.ref.key,
                )

    def notices(self, ref: ProjectRef | None = None) -> list[str]:
        """Things the user should know that no result says, shown once: damaged saved files that were
        set aside (anyone may hear those: they are about this machine), and for project ``ref`` that
        it is connected, or that the backend lost its session (only that project's user)."""
        return self._notices.take(ref.key if ref is not None else None)

    def saved_job(self, job_id: str, principal: str) -> Job | None:
        """The principal's job as this server knows it (live or saved), without resuming it; None for
        an unknown id or another principal's job."""
        job = self._jobs.get(job_id) if is_job_id(job_id) else None
        return job if job is not None and job.principal == principal else None

    def cancel(self, job_id: str, principal: str) -> Job | None:
        """Stop the principal's job if that loses and costs nothing (``JobManager.cancel``); a job
        whose message reached the backend goes on, marked as asked to stop."""
        return self._jobs.cancel(job_id) if self.saved_job(job_id, principal) is not None else None

    def exported_video(self, ref: ProjectRef, render_id: str) -> Path | None:
        """The MP4 project ``ref`` exported as ``render_id``, while it is a file; None for any other id."""
        found = [Path(export.path) for export in self._record(ref).exports if export.render_id == render_id]
        return found[-1] if found and found[-1].is_file() else None

    def _record(self, ref: ProjectRef) -> ProjectRecord:
        """The project's record: the open one, else as saved (without opening the project)."""
        opened = self._open.get(ref.key)
        return opened.record if opened is not None else self._projects.load(ref)

    def running_job(self, ref: ProjectRef) -> Job | None:
        """The job this server is running in project ``ref``, if any."""
        return self._jobs.running(ref.principal, ref.name)

    def lock_holder(self, ref: ProjectRef) -> Holder | None:
        """Who (which process, which job) is generating in project ``ref``, if anyone."""
        return self._locks.holder(ref.key)

    # ------------------------------------------------------------- queries

    async def credits(self, ref: ProjectRef, *, on_progress: OnProgress = ignore_progress) -> CreditsView:
        """§3.3: available, frozen, total. Like every first interaction, it sets the project up."""
        await self.project(ref, on_progress=on_progress)
        return CreditsView.of(await self._clients.of(ref.principal).credits())

    def history(self, principal: str, *, project: str | None = None, limit: int = 20) -> HistoryView:
        """The principal's recent jobs (in ``project`` only, when given), newest first."""
        mine = [
            job
            for job in self._jobs.store.all()
            if job.principal == principal and (project is None or job.project == project)
        ]
        return history_view(mine, limit=limit)

    def projects(self, principal: str) -> ProjectsView:
        """The principal's projects, and the one used when none is named."""
        records = [self._projects.load(ProjectRef(principal, name)) for name in self._projects.names(principal)]
        return projects_view(records, self.project_ref(principal).name)

    async def state(self, ref: ProjectRef, *, on_progress: OnProgress = ignore_progress) -> StateView:
        """§3.4: the timeline summary line plus the tracks as data."""
        project = await self.project(ref, on_progress=on_progress)
        return StateView.of(await project.client.state(project.session))

    # -------------------------------------------------------------- upload

    async def upload(
        self,
        ref: ProjectRef,
        *,
        path: str | None = None,
        url: str | None = None,
        on_progress: OnProgress = ignore_progress,
    ) -> UploadView:
        """§3.2: one local file or one URL, checked locally first. Only the server's own user may
        name a file on its disk (``server_disk``)."""
        if (path is None) == (url is None):
            raise InputError("Give exactly one of path (a local file) or url (an http(s) link) to upload.")
        if path is not None:
            refuse_server_file(ref.principal)
        return await self._upload(ref, path=path, url=url, on_progress=on_progress)

    async def upload_received(
        self, ref: ProjectRef, path: Path, *, on_progress: OnProgress = ignore_progress
    ) -> UploadView:
        """Upload a file this server received from the caller and holds for them (the studio's drop-in
        upload), whoever the caller is."""
        return await self._upload(ref, path=str(path), url=None, on_progress=on_progress)

    async def _upload(
        self, ref: ProjectRef, *, path: str | None, url: str | None, on_progress: OnProgress
    ) -> UploadView:
        # Refused input sends nothing at all, not even the first-use setup.
        if path is not None:
            check_upload_file(path)
        else:
            check_media_url(str(url), backend_url=self.settings.api_url)
        project = await self.project(ref, on_progress=on_progress)
        view = await project.upload(path=path, url=url, on_progress=on_progress)
        self._projects.save(ref, project.record)
        return view

    async def _upload_step(self, ref: ProjectRef, step: UploadStep) -> UploadView:
        if step.source is None:
            return UploadView(
                files=[],
                message="Which file should I upload? Give the full path of an image, video or audio file, or an "
                "http(s) link to one.",
            )
        link = is_url(step.source)
        return await self.upload(ref, path=None if link else step.source, url=step.source if link else None)

    # ------------------------------------------------------------ requests

    async def request(
        self,
        text: str,
        ref: ProjectRef,
        *,
        attachments: Sequence[str] = (),
        output_dir: Path | None = None,
        auto_export: bool = True,
        on_progress: OnProgress = ignore_progress,
    ) -> Outcome:
        """Route ``text`` and act on it: a message or export (and the steps after it) as one job that
        keeps the user's order; anything else answered now. Refused input sends nothing."""
        plan = route(text, attachments)
        steps = plan_steps(plan, text, self.settings.api_url)
        if any(isinstance(step, UploadStep) and step.source and not is_url(step.source) for step in steps):
            refuse_server_file(ref.principal)
        routed = tuple(step.action.value for step in plan.steps)
        steps, unknown_file = unnamed_file(steps, lambda: self._record(ref).uploads)
        if unknown_file is not None:
            # The rest of the request needs a file nobody named: ask for it, and send nothing (a paid
            # message about a picture the backend never got would be wasted).
            return await self._answer_now(ref, steps[: unknown_file + 1], routed, on_progress, rest_not_sent=True)
        if not any(isinstance(step, LONG_STEPS) for step in steps):
            return await self._answer_now(ref, steps, routed, on_progress)
        return await self._start(ref, steps, routed, output_dir, auto_export, on_progress)

    async def send(
        self,
        message: str,
        ref: ProjectRef,
        *,
        output_dir: Path | None = None,
        auto_export: bool = True,
        on_progress: OnProgress = ignore_progress,
    ) -> Outcome:
        """Send ``message`` to the video assistant as it is (not routed)."""
        steps: list[PlanStep] = [SendStep(text=check_message(message))]
        return await self._start(ref, steps, (Action.SSE.value,), output_dir, auto_export, on_progress)

    def not_sent(self, text: str, ref: ProjectRef) -> Outcome:
        """A request the user chose not to pay for, kept as a finished job that sent nothing."""
        output = JobOutput(message="Not sent: you chose not to spend the credits. Nothing was spent.")
        request = JobRequest(message=text, routed_to=[Action.SSE.value])
        return Outcome(job=self._jobs.record(JobKind.GENERATE, ref.principal, ref.name, output, request=request))

    async def export(
        self,
        ref: ProjectRef,
        *,
        output_dir: Path | None = None,
        fresh: bool = False,
        on_progress: OnProgress = ignore_progress,
    ) -> Outcome:
        """§3.5: render the timeline and deliver the MP4 (or the export already running for this project).
        A timeline exported before, unchanged, is delivered from that export unless ``fresh``."""
        steps: list[PlanStep] = [ExportStep(fresh=fresh)]
        return await self._start(ref, steps, (Action.EXPORT.value,), output_dir, True, on_progress)

    async def job(self, job_id: str, principal: str = LOCAL_PRINCIPAL) -> Outcome:
        """The principal's job by id; one a previous server left running is resumed here. Another
        principal's job answers exactly as an unknown one."""
        if not is_job_id(job_id):
            raise InputError(f"{job_id[:40]!r} is not a job id; use the job id a generate or export call returned.")
        found = self._jobs.get(job_id)
        if found is None or found.principal != principal:
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
        self,
        ref: ProjectRef,
        steps: Sequence[PlanStep],
        routed: tuple[str, ...],
        on_progress: OnProgress,
        *,
        rest_not_sent: bool = False,
    ) -> Outcome:
        output = JobOutput()
        if rest_not_sent:
            output.not_done = "Nothing else of this request was sent: name the file, then ask again."
        for step in steps:
            match step:
                case AnswerStep():
                    output.say(step.text)
                case UploadStep():
                    output.add_upload(await self._upload_step(ref, step))
                case CreditsStep():
                    output.add_credits(await self.credits(ref, on_progress=on_progress))
                case StateStep():
                    output.add_state(await self.state(ref, on_progress=on_progress))
        request = JobRequest(routed_to=list(routed))
        job = self._jobs.record(JobKind.GENERATE, ref.principal, ref.name, output.finish(), request=request)
        return Outcome(job=job, routed_to=routed)

    async def _start(
        self,
        ref: ProjectRef,
        steps: list[PlanStep],
        routed: tuple[str, ...],
        output_dir: Path | None,
        auto_export: bool,
        on_progress: OnProgress,
    ) -> Outcome:
        """Start ``steps`` as one job — unless the project already has a job doing that kind of work:
        then nothing at all is done, and the outcome is that job."""
        if output_dir is not None:
            refuse_server_folder(ref.principal)
        dest = checked_output_folder(output_dir or videos_folder(self.settings.videos_dir, ref.principal))
        kind = long_work_kind(steps)
        message = next((step.text for step in steps if isinstance(step, SendStep)), None)
        lock = self._start_locks.setdefault(ref.key, anyio.Lock())
        async with lock:  # two calls at once: the second must see the first one's job
            project = await self.project(ref, on_progress=on_progress)
            running = self._jobs.running(ref.principal, ref.name, kind) or self._resume_interrupted(ref, kind)
            if running is not None:
                same = kind is JobKind.EXPORT or running.request.message == message
                return Outcome(job=running, routed_to=routed, reused=True, same_request=same)
            check_picture_named(steps, project.record.uploads)
            job_id = Job.new_id(kind)
            locked = False
            if kind is JobKind.GENERATE:
                holder = self._locks.acquire(ref.key, job_id)
                if holder is not None:
                    raise JobError(holder.busy_message())
                locked = True
            try:
                state = await project.client.state(project.session) if kind is JobKind.GENERATE else None
                before = state if isinstance(steps[0], SendStep) else None
                balance = await project.client.credits() if kind is JobKind.GENERATE else None
                request = JobRequest(message=message, output_dir=str(dest), routed_to=list(routed))
                if state is not None and balance is not None:
                    cost = self._estimate(ref, steps, state, balance)
                    if not cost.affordable:
                        raise cost.refusal(
                            self.settings.web_url, project.client.user_id, anonymous=project.client.anonymous
                        )
                    request.clips, request.edits = cost.clips, cost.edits
                job = self._jobs.start(
                    kind,
                    ref.principal,
                    ref.name,
                    self._work(project, dest, auto_export, before=before, balance=balance, locked=locked),
                    request=request,
                    steps=steps,
                    before=snapshot(before) if before is not None else None,
                    job_id=job_id,
                )
            except BaseException:
                if locked:
                    self._locks.release(ref.key, job_id)
                raise
        return Outcome(job=job, routed_to=routed)

    async def estimate(self, text: str, ref: ProjectRef, *, attachments: Sequence[str] = ()) -> Estimate | None:
        """What ``text`` would cost if sent now (None: it is free), against the current balance."""
        steps = plan_steps(route(text, attachments), text, self.settings.api_url)
        if not any(isinstance(step, SendStep) for step in steps):
            return None
        project = await self.project(ref)
        state = await project.client.state(project.session)
        return self._estimate(ref, steps, state, await project.client.credits())

    def _estimate(self, ref: ProjectRef, steps: Sequence[PlanStep], state: SessionState, balance: Credits) -> Estimate:
        sends = [step for step in steps if isinstance(step, SendStep)]
        history = [job for job in self._jobs.store.all() if job.credits_spent is not None]
        empty = not timeline.is_exportable(state.state.draft)
        return estimate(sends, timeline_empty=empty, available=balance.available, history=history)

    def _work(
        self,
        project: Project,
        dest: Path,
        auto_export: bool,
        *,
        before: SessionState | None,
        balance: Credits | None,
        locked: bool,
    ) -> Work:
        async def work(ctx: JobContext) -> JobOutput:
            try:
                output = await self._runner(project, ctx, dest, auto_export).run(before=before)
            finally:
                if locked:
                    self._locks.release(project.ref.key, ctx.job.id)
            if balance is not None:
                ctx.job.credits_spent = await project.spent_since(balance)
            return output

        return work

    def _runner(self, project: Project, ctx: JobContext, dest: Path, auto_export: bool) -> PlanRunner:
        async def upload(step: UploadStep) -> UploadView:
            return await self._upload_step(project.ref, step)

        def exported_before(digest: str) -> ExportView | None:
            for earlier in reversed(project.record.exports):
                if earlier.draft_digest == digest and Path(earlier.path).is_file():
                    path = copy_into(dest, Path(earlier.path))  # asked for another folder: a copy, no render
                    return ExportView.model_validate(
                        earlier.model_dump(exclude={"draft_digest", "at"}) | {"path": str(path)}
                    )
            return None

        def remember(export: ExportView, digest: str | None) -> None:
            if any(earlier.path == export.path for earlier in project.record.exports):
                return  # the same file, delivered again
            project.record.exports.append(ExportRecord(**export.model_dump(), draft_digest=digest))
            self._projects.save(project.ref, project.record)

        return PlanRunner(
            client=project.client,
            project=project,
            ctx=ctx,
            dest=dest,
            auto_export=auto_export,
            upload=upload,
            exported_before=exported_before,
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
        chosen = job.request.output_dir
        dest = Path(chosen) if chosen else videos_folder(self.settings.videos_dir, job.principal)

        async def resume(ctx: JobContext) -> JobOutput:
            project = await self.project(ProjectRef(ctx.job.principal, ctx.job.project))
            # Another process may have started work here since: then this (a recovery or a render,
            # which sends nothing) goes on without the lock rather than take theirs.
            locked = ctx.job.kind is JobKind.GENERATE and self._locks.acquire(project.ref.key, ctx.job.id) is None
            try:
                return await self._runner(project, ctx, dest, auto_export=True).run(resumed=True, cut_at=cut_at)
            finally:
                if locked:
                    self._locks.release(project.ref.key, ctx.job.id)

        return resume
