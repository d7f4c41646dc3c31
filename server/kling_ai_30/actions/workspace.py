"""The skill's actions (§3.1-§3.5) over one backend client: what the MCP server and the CLI drive.

- §3.0 setup on first use ("Setting things up..."): credentials, then the project's session —
  the saved one when there is one, so a restarted server continues the same timeline — and the
  project's jobs a previous server left running are picked up (the backend may still be working
  on them: a new request must not overlap them);
- §3.1 messages to the backend chat run as jobs (``generate``), and so do exports (§3.5),
  because both outlive a tool call; everything else answers at once;
- a message is routed first: export, credits and status requests never reach the chat, and an
  attachment or media URL is uploaded before the rest of the message is acted on. Every step is
  checked before the first one runs; the steps from the first chat message or export on run as
  one job, in the order the user gave them;
- one message at a time per project: a request while the project's last one is still being
  worked on (here, or by another process: ``project_lock``) is not sent, and the user is told so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx

from .. import timeline
from ..client.backend import BackendClient
from ..client.models import Credits, SessionState
from ..client.session import Session
from ..client.uploads import check_media_url, check_upload_file
from ..config import Settings
from ..conversation.turn import Conversation, Reply, Status, check_message, state_changes
from ..errors import InputError, JobError, KlingError, RenderTimeoutError
from ..jobs.job import Job, JobKind, JobStatus, is_job_id
from ..jobs.manager import JobContext, JobManager, Work
from ..jobs.store import JobStore
from ..policy import RECOVERY_FIRST_POLL_S
from ..router import Action, RoutePlan, Step, route
from ..skill import SkillIdentity, load_identity
from ..timing import Clock, Sleep
from .backend_state import adopt_legacy_projects, open_backend_state_dir, prune_loopback_backends
from .export import ExportRun
from .project_lock import ProjectLocks
from .projects import DEFAULT_PROJECT, ProjectRecord, ProjectStore, check_project_key
from .views import credits_view, reply_result, state_view, upload_message

log = logging.getLogger(__name__)

StatusFn = Callable[[str], Awaitable[None]]


@dataclass
class Project:
    """An open project: its saved record and the conversation over its session."""

    record: ProjectRecord
    conversation: Conversation
    notices: list[str] = field(default_factory=list)
    """What this project's user should hear once (its session was lost and replaced)."""

    @property
    def key(self) -> str:
        return self.record.key

    @property
    def session(self) -> Session:
        return self.conversation.session


@dataclass
class Outcome:
    """What handling one message did at once, and the job it started (if any)."""

    plan: RoutePlan
    steps: list[dict[str, Any]] = field(default_factory=list)
    job: Job | None = None
    reused_job: bool = False
    """A job of the project was already doing this kind of work: ``job`` is that one, and nothing of
    this message was done or sent."""
    same_request: bool = False
    """With ``reused_job``: the running job is this very request (sent before, e.g. by a call that
    timed out); otherwise it is an earlier, different one, and this request still has to be sent."""

    @property
    def message(self) -> str:
        return "\n\n".join(str(step["message"]) for step in self.steps if step.get("message"))


class Workspace:
    """One backend client, the saved projects, and the jobs."""

    def __init__(
        self,
        settings: Settings,
        identity: SkillIdentity | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        auto_export: bool = True,
    ) -> None:
        self.settings = settings
        self.identity = identity or load_identity(settings.skill_dir, skill_source=settings.skill_source)
        self.auto_export = auto_export
        self._sleep = sleep
        self._monotonic = monotonic
        self._wall_clock = clock
        self.client = BackendClient(
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
        adopt_legacy_projects(settings.state_dir, settings.api_url, self.state_dir)
        self.projects = ProjectStore(self.state_dir / "projects")
        self.jobs = JobManager(JobStore(self.state_dir / "jobs"), resume=self._resume_work, clock=clock)
        self.locks = ProjectLocks(self.state_dir / "locks", is_live=self.jobs.is_live)
        self.projects.prune()
        self.jobs.store.prune()
        self._open: dict[str, Project] = {}
        self._setup_lock = anyio.Lock()
        self._start_locks: dict[str, anyio.Lock] = {}
        """Per project: from "is a job already running?" to the new job's start, one caller at a time."""

    async def aclose(self) -> None:
        await self.client.aclose()

    # ------------------------------------------------------------ projects

    async def project(self, key: str = DEFAULT_PROJECT, *, on_status: StatusFn | None = None) -> Project:
        """The open project ``key``, set up on first use (skill text "Automatic Setup")."""
        check_project_key(key)
        if key in self._open:
            return self._open[key]
        async with self._setup_lock:
            if key in self._open:
                return self._open[key]
            say = on_status or _quiet
            await say("Setting things up...")
            await self.client.ensure_credentials()
            record = self.projects.load(key)
            session = record.session if record.api_url == self.settings.api_url else None
            if session is None:
                session = await self.client.create_session(task_name="project")
                record = ProjectRecord(key=key, session=session, api_url=self.settings.api_url)
                self.projects.save(record)
            project = Project(
                record=record,
                conversation=Conversation(self.client, session, sleep=self._sleep, clock=self._monotonic),
            )
            self._open[key] = project
            self._resume_interrupted(key)
            await say("Connected and ready.")
            return project

    def _resume_interrupted(self, key: str, kind: JobKind | None = None) -> Job | None:
        """Pick up project ``key``'s jobs that a server which is gone left running; returns one of
        ``kind`` that is running again (it counts as the project's running job from now on)."""
        if not self.jobs.attached:
            return None
        found: Job | None = None
        for job in self.jobs.store.all():
            if job.project != key or not self.jobs.resumable(job):
                continue
            try:
                resumed = self.jobs.resume(job.id)
            except KlingError as exc:
                log.warning("could not resume job %s: %s", job.id, exc)
                continue
            if found is None and not resumed.finished and (kind is None or resumed.kind is kind):
                found = resumed
        return found

    def _session_replaced(self, session: Session) -> None:
        for project in self._open.values():
            if project.session is session:
                self.projects.save(project.record)
                project.notices.append(
                    "The backend no longer had this project's editing session, so a new one was started: "
                    "earlier edits are not on its timeline."
                )

    def notices(self, key: str | None = None) -> list[str]:
        """Things the user should know that no result says, shown once: damaged saved files that were
        set aside (anyone may hear those: they are about this machine), and for project ``key`` a
        session the backend lost (only that project's user: others' timelines are not affected)."""
        found = self.client.take_notices() + self.projects.notices + self.jobs.store.notices
        self.projects.notices, self.jobs.store.notices = [], []
        project = self._open.get(key) if key is not None else None
        if project is not None:
            found += project.notices
            project.notices = []
        return found

    # ------------------------------------------------------------- queries

    async def credits(self) -> Credits:
        """§3.3: available, frozen, total."""
        return await self.client.credits()

    async def state(self, key: str = DEFAULT_PROJECT, *, on_status: StatusFn | None = None) -> dict[str, Any]:
        """§3.4: the timeline summary line plus the tracks as data."""
        project = await self.project(key, on_status=on_status)
        state = await self.client.state(project.session)
        return state_view(state)

    # -------------------------------------------------------------- upload

    async def upload(
        self,
        key: str = DEFAULT_PROJECT,
        *,
        path: str | None = None,
        url: str | None = None,
        on_status: StatusFn | None = None,
        on_progress: Callable[[int, int | None], None] | None = None,
    ) -> dict[str, Any]:
        """§3.2: one local file or one URL, checked locally first."""
        if (path is None) == (url is None):
            raise InputError("Give exactly one of path (a local file) or url (an http(s) link) to upload.")
        # Refused input sends nothing at all, not even the first-use setup.
        if path is not None:
            check_upload_file(path)
        else:
            check_media_url(str(url))
        project = await self.project(key, on_status=on_status)
        if path is not None:
            result = await self.client.upload_files(project.session, [path], on_progress=on_progress)
        else:
            assert url is not None
            result = await self.client.upload_urls(project.session, [url])
        files = [f.model_dump(exclude_none=True) for f in result.files]
        project.record.uploads.extend(files)
        self.projects.save(project.record)
        return {"files": files, "message": upload_message(result)}

    # ---------------------------------------------------------- long work

    async def handle(
        self,
        text: str,
        *,
        key: str = DEFAULT_PROJECT,
        attachments: Sequence[str] = (),
        output_dir: Path | None = None,
        on_status: StatusFn | None = None,
    ) -> Outcome:
        """Route ``text`` and act on it: quick steps now, everything from the first chat message or
        export on as one job that keeps the user's order."""
        plan = route(text, attachments)
        outcome = Outcome(plan=plan)
        # Refused input sends nothing: a bad message must not follow an upload already sent.
        steps = [_checked(step, text) for step in plan.steps]
        split = next((i for i, step in enumerate(steps) if step.action in _LONG_ACTIONS), None)
        if split is None:
            for step in steps:
                outcome.steps.append(await self._quick_step(key, step, on_status))
            return outcome
        await self._start(outcome, key, steps[:split], steps[split:], output_dir, on_status)
        return outcome

    async def _quick_step(self, key: str, step: Step, on_status: StatusFn | None) -> dict[str, Any]:
        if step.action is Action.UPLOAD:
            return await self._upload_step(key, step.source, on_status)
        if step.action is Action.CREDITS:
            return {"action": "credits", **credits_view(await self.credits())}
        return {"action": "state", **(await self.state(key, on_status=on_status))}

    async def _upload_step(self, key: str, source: str | None, on_status: StatusFn | None) -> dict[str, Any]:
        if source is None:
            return {
                "action": "upload",
                "message": "Which file should I upload? Give the full path of an image, video or audio file, or an "
                "http(s) link to one.",
            }
        is_url = _is_url(source)
        result = await self.upload(
            key, path=None if is_url else source, url=source if is_url else None, on_status=on_status
        )
        return {"action": "upload", **result}

    async def start_generate(
        self,
        message: str,
        *,
        key: str = DEFAULT_PROJECT,
        export_after: bool = False,
        output_dir: Path | None = None,
        on_status: StatusFn | None = None,
    ) -> tuple[Job, bool]:
        """Start sending ``message`` as a job. Returns (job, True) when the project already had a
        message in the works: nothing was sent, and ``job.request["message"]`` says which one."""
        steps = [Step.of(Action.SSE, text=check_message(message))]
        if export_after:
            steps.append(Step.of(Action.EXPORT))
        outcome = Outcome(plan=RoutePlan(tuple(steps)))
        await self._start(outcome, key, (), steps, output_dir, on_status)
        assert outcome.job is not None
        return outcome.job, outcome.reused_job

    async def start_export(
        self, *, key: str = DEFAULT_PROJECT, output_dir: Path | None = None, on_status: StatusFn | None = None
    ) -> tuple[Job, bool]:
        """Start an export job (or return the one already running for this project)."""
        steps = [Step.of(Action.EXPORT)]
        outcome = Outcome(plan=RoutePlan(tuple(steps)))
        await self._start(outcome, key, (), steps, output_dir, on_status)
        assert outcome.job is not None
        return outcome.job, outcome.reused_job

    async def _start(
        self,
        outcome: Outcome,
        key: str,
        quick: Sequence[Step],
        long: Sequence[Step],
        output_dir: Path | None,
        on_status: StatusFn | None,
    ) -> None:
        """Run ``quick`` (the steps before the long work), then start ``long`` as one job — unless
        the project already has a job doing that kind of work: then nothing at all is done."""
        dest = self._dest(output_dir)
        kind = JobKind.GENERATE if any(step.action is Action.SSE for step in long) else JobKind.EXPORT
        message = next((step.text for step in long if step.action is Action.SSE), None)
        lock = self._start_locks.setdefault(key, anyio.Lock())
        async with lock:  # two calls at once: the second must see the first one's job
            project = await self.project(key, on_status=on_status)
            running = self.jobs.running(key, kind) or self._resume_interrupted(key, kind)
            if running is not None:
                outcome.job, outcome.reused_job = running, True
                outcome.same_request = kind is JobKind.EXPORT or running.request.get("message") == message
                return
            job_id = Job.new_id(kind)
            locked = False
            if kind is JobKind.GENERATE:
                holder = self.locks.acquire(key, job_id)
                if holder is not None:
                    raise JobError(holder.busy_message())
                locked = True
            try:
                for step in quick:
                    outcome.steps.append(await self._quick_step(key, step, on_status))
                before = await self.client.state(project.session) if long[0].action is Action.SSE else None
                outcome.job = self._start_job(kind, project, long, dest, message, before, job_id, locked=locked)
            except BaseException:
                if locked:
                    self.locks.release(key, job_id)
                raise

    def _start_job(
        self,
        kind: JobKind,
        project: Project,
        steps: Sequence[Step],
        dest: Path,
        message: str | None,
        before: SessionState | None,
        job_id: str,
        *,
        locked: bool,
    ) -> Job:
        async def work(ctx: JobContext) -> dict[str, Any]:
            try:
                return await self._run_steps(project, ctx, dest, before=before)
            finally:
                if locked:
                    self.locks.release(project.key, ctx.job.id)

        request: dict[str, Any] = {"output_dir": str(dest)}
        if message is not None:
            request["message"] = message
        return self.jobs.start(
            kind,
            project.key,
            work,
            request=request,
            before=_before_record(before) if before is not None else None,
            session_id=project.session.session_id,
            steps=[_step_record(step) for step in steps],
            job_id=job_id,
        )

    async def _run_steps(
        self,
        project: Project,
        ctx: JobContext,
        dest: Path,
        *,
        before: SessionState | None = None,
        resumed: bool = False,
        cut_at: float | None = None,
    ) -> dict[str, Any]:
        """Carry out the job's steps in order from ``job.step``, saving the result after each.

        ``resumed``: the job was cut off at its current step (a restart, or a render that outlived
        the wait), which is picked up, never repeated; and a resumed job sends no message it had not
        sent before (those steps, and the ones after them, are reported as not done). Once a message
        has been answered (and paid for), a later step's failure is reported with the answer, never
        instead of it.
        """
        job = ctx.job
        results = _Results(job)
        pick_up = resumed
        while job.step < len(job.steps):
            step = job.steps[job.step]
            action = step.get("action")
            paid = any(done.get("action") == Action.SSE.value for done in job.steps[: job.step])
            try:
                if action == Action.SSE.value and pick_up:
                    results.add_reply(await self._recover_reply(project, ctx, cut_at))
                elif action == Action.SSE.value and not resumed:
                    reply = await self._send_step(project, ctx, str(step.get("text") or ""), before)
                    results.add_reply(reply_result(reply))
                    if reply.wants_export and self._auto_export(job):
                        job.steps.insert(job.step + 1, {"action": Action.EXPORT.value, "auto": True})
                elif action == Action.EXPORT.value:
                    results.add_export(await self._export_step(project, ctx, dest, step, pick_up=pick_up))
                elif action == Action.CREDITS.value:
                    ctx.update("reading", "Reading the credits…")
                    results.add_credits(credits_view(await self.credits()))
                elif action == Action.STATE.value:
                    ctx.update("reading", "Reading the timeline…")
                    results.add_state(await self.state(project.key))
                elif action == Action.UPLOAD.value and not resumed:
                    results.add_upload(await self._upload_step(project.key, _text(step.get("source")), None))
                else:  # a message (or upload) a resumed job never sent, or a step from a damaged record
                    results.not_done(job.steps[job.step :], _AFTER_RESTART if resumed else _DAMAGED)
                    break
            except RenderTimeoutError:
                # The job stays resumable: asking for it again polls the same render.
                results.not_done(job.steps[job.step + 1 :], _AFTER_ERROR)
                results.save(ctx)
                raise
            except Exception as exc:
                if ctx.stopping or not paid:
                    results.not_done(job.steps[job.step + 1 :], _AFTER_ERROR)
                    results.save(ctx)
                    raise
                # The paid part is done: report it, with this step's failure, instead of an error
                # that would invite sending the message (and paying) again.
                if not isinstance(exc, KlingError):
                    log.exception("job %s: step %s failed after a paid reply", job.id, action)
                results.step_failed(step, exc)
                results.not_done(job.steps[job.step + 1 :], _AFTER_ERROR)
                break
            before, pick_up = None, False
            job.step += 1
            results.save(ctx)
        return results.final()

    async def _send_step(self, project: Project, ctx: JobContext, text: str, before: SessionState | None) -> Reply:
        job = ctx.job
        if before is None:
            # A message after other steps: the state it starts from is read (and kept) now.
            before = await self.client.state(project.session)
            job.before, job.accepted = _before_record(before), False
            ctx.save()
        export_follows = self._auto_export(job) or _export_ahead(job.steps[job.step + 1 :])
        return await project.conversation.send(
            text, on_status=_status_to(ctx), before=before, export_follows=export_follows
        )

    def _auto_export(self, job: Job) -> bool:
        """Export when the reply says the video is ready — unless the user said when to export, or a
        later message will change the video again."""
        said = any(step.get("action") == Action.EXPORT.value and not step.get("auto") for step in job.steps)
        edits_ahead = any(step.get("action") == Action.SSE.value for step in job.steps[job.step + 1 :])
        return self.auto_export and not said and not edits_ahead

    async def _recover_reply(self, project: Project, ctx: JobContext, cut_at: float | None) -> dict[str, Any]:
        """A message cut off by a restart: its outcome, read from the project (never sent again)."""
        job = ctx.job
        if job.before is None:
            raise JobError("This job cannot be resumed after a restart.")
        before = SessionState.model_validate(
            {"state": {"draft": job.before.get("draft"), "canvas_config": job.before.get("canvas")}}
        )
        if not job.accepted:
            return await self._unconfirmed(project, before)
        # The 30 s before the first poll count from when the job was cut off, not from now.
        waited = max(0.0, self._wall_clock() - (cut_at if cut_at is not None else job.updated_at))
        reply = await project.conversation.watch(
            before, on_status=_status_to(ctx), first_poll_s=RECOVERY_FIRST_POLL_S - waited
        )
        return reply_result(reply)

    async def _export_step(
        self, project: Project, ctx: JobContext, dest: Path, step: dict[str, Any], *, pick_up: bool
    ) -> dict[str, Any]:
        job = ctx.job
        first = step.get("renders_before")
        if not pick_up or not isinstance(first, int):
            first = step["renders_before"] = len(job.render_ids)
            ctx.save()
        # Picked up: a render this step submitted is polled again, never submitted anew.
        resume_id = job.render_id if pick_up and len(job.render_ids) > first else None
        exported = await self._export_run(project, dest, ctx).run(resume_render_id=resume_id)
        result = exported.as_result()
        self._remember_export(project, result)
        return result

    def _export_run(self, project: Project, dest: Path, ctx: JobContext) -> ExportRun:
        return ExportRun(
            client=self.client,
            session=project.session,
            dest_dir=dest,
            report=lambda phase, message, progress: ctx.update(phase, message, progress),
            remember_render=ctx.add_render_id,
            sleep=self._sleep,
            clock=self._monotonic,
        )

    def _remember_export(self, project: Project, result: dict[str, Any]) -> None:
        project.record.exports.append({k: result.get(k) for k in ("path", "url", "render_id", "task_link")})
        self.projects.save(project.record)

    def _dest(self, output_dir: Path | None) -> Path:
        chosen = output_dir.expanduser() if output_dir is not None else self.settings.videos_dir
        if not chosen.is_absolute():
            raise InputError(f"The output directory must be an absolute path (got {str(chosen)!r}).")
        if chosen.exists() and not chosen.is_dir():
            raise InputError(f"{chosen} exists and is not a folder: choose a folder for the videos.")
        return chosen.resolve()

    # ------------------------------------------------------------- resume

    def _resume_work(self, job: Job) -> Work | None:
        """How to continue a job cut off at its current step (a previous server is gone, or a render
        outlived its wait): pick that step up where it was, then go on (see ``_run_steps``)."""
        steps, step = _plan_of(job)
        current = steps[step].get("action") if step < len(steps) else None
        if current == Action.SSE.value and job.before is None:
            return None
        cut_at = job.updated_at
        saved_dir = job.request.get("output_dir")
        dest = Path(saved_dir) if isinstance(saved_dir, str) and saved_dir else self.settings.videos_dir

        async def resume(ctx: JobContext) -> dict[str, Any]:
            ctx.job.steps, ctx.job.step = steps, step
            project = await self.project(ctx.job.project)
            # Another process may have started work here since: then this (a recovery or a render,
            # which sends nothing) goes on without the lock rather than take theirs.
            locked = ctx.job.kind is JobKind.GENERATE and self.locks.acquire(project.key, ctx.job.id) is None
            try:
                return await self._run_steps(project, ctx, dest, resumed=True, cut_at=cut_at)
            finally:
                if locked:
                    self.locks.release(project.key, ctx.job.id)

        return resume

    async def _unconfirmed(self, project: Project, before: SessionState) -> dict[str, Any]:
        """A job cut off before the backend confirmed its message: one look at the state, then the truth."""
        after = await self.client.state(project.session)
        changes = state_changes(before, after)
        if changes:
            return reply_result(
                Reply(
                    text=timeline.describe_changes(changes), silent=True, changes=changes, state=after, recovered=True
                )
            )
        raise JobError(
            "This request was interrupted before the backend confirmed it, so it was most likely never sent "
            "and nothing was charged; the project shows no change. Send it again."
        )

    async def job(self, job_id: str) -> Job:
        """A job by id; one a previous server left running is resumed here."""
        if not is_job_id(job_id):
            raise InputError(f"{job_id[:40]!r} is not a job id; use the job id a generate or export call returned.")
        found = self.jobs.get(job_id)
        if found is None:
            raise JobError(f"No job {job_id!r} is known: check the id, or make the request again.")
        if not found.finished and not self.jobs.is_live(job_id):
            return self.jobs.resume(job_id)
        if self.can_retry(found):
            # The render may have finished since: keep polling the same render, never a new one.
            return self.jobs.resume(job_id, retry_failed=True)
        return found

    @staticmethod
    def can_retry(job: Job) -> bool:
        """A job that stopped waiting on a render which may still finish: asking for it again polls it."""
        error = job.error or {}
        return (
            job.status is JobStatus.FAILED
            and error.get("type") == RenderTimeoutError.__name__
            and job.render_id is not None
        )


_LONG_ACTIONS = (Action.SSE, Action.EXPORT)
_AFTER_ERROR = "because of the error above"
_AFTER_RESTART = "because the work was interrupted before it got there (a message is never sent late)"
_DAMAGED = "because the saved job was damaged"


def _checked(step: Step, text: str) -> Step:
    """``step`` with its input checked (``InputError`` names the fix); a message comes back cleaned."""
    if step.action is Action.SSE:
        return Step.of(Action.SSE, text=check_message(step.text or text))
    if step.action is Action.UPLOAD and step.source is not None:
        if _is_url(step.source):
            check_media_url(step.source)
        else:
            check_upload_file(step.source)
    return step


def _is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _step_record(step: Step) -> dict[str, Any]:
    record: dict[str, Any] = {"action": step.action.value}
    if step.text is not None:
        record["text"] = step.text
    if step.source is not None:
        record["source"] = step.source
    return record


def _before_record(state: SessionState) -> dict[str, Any]:
    return {"draft": state.state.draft, "canvas": state.state.canvas_config}


def _export_ahead(steps: Sequence[dict[str, Any]]) -> bool:
    return any(step.get("action") == Action.EXPORT.value for step in steps)


def _plan_of(job: Job) -> tuple[list[dict[str, Any]], int]:
    """A job's steps and current step; a record from before steps were kept reads as its one message
    (and the export that followed it) or its one export."""
    if job.steps:
        return job.steps, job.step
    export = {"action": Action.EXPORT.value, "renders_before": 0}
    if job.kind is JobKind.EXPORT:
        return [export], 0
    message = {"action": Action.SSE.value, "text": _text(job.request.get("message")) or ""}
    if job.render_ids:
        return [message, export], 1
    return ([message, export] if job.request.get("export_after") is True else [message]), 0


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _describe(step: dict[str, Any]) -> str:
    action = step.get("action")
    if action == Action.SSE.value:
        text = _text(step.get("text")) or ""
        return f'your request "{text[:80]}{"…" if len(text) > 80 else ""}" (not sent)'
    if action == Action.UPLOAD.value:
        return f"the upload of {_text(step.get('source')) or 'a file'} (not sent)"
    return {
        Action.EXPORT.value: "the export",
        Action.CREDITS.value: "the credit balance",
        Action.STATE.value: "the timeline summary",
    }.get(str(action), "a step this version does not know")


class _Results:
    """A job's result, built up step by step in the user's order and saved after each step."""

    def __init__(self, job: Job) -> None:
        self._job = job
        self.data: dict[str, Any] = dict(job.result or {})

    def say(self, text: str) -> None:
        if text:
            lead = self.data.get("message")
            self.data["message"] = f"{lead}\n\n{text}" if isinstance(lead, str) and lead else text

    def add_reply(self, reply: dict[str, Any]) -> None:
        changes = self.data.get("changes")
        self.data.update({name: reply[name] for name in ("silent", "timeline", "raw_video")})
        self.data["changes"] = [*(changes if isinstance(changes, list) else []), *reply["changes"]]
        self.data["question"] = reply["question"] or self.data.get("question")
        self.data["recovered"] = reply["recovered"] or self.data.get("recovered") is True
        self.say(reply["message"])

    def add_export(self, export: dict[str, Any]) -> None:
        if self._job.kind is JobKind.EXPORT and "path" not in self.data:
            self.data.update({name: value for name, value in export.items() if name != "message"})
        else:
            self.data["export"] = export
        self.say(export["message"])

    def add_credits(self, view: dict[str, Any]) -> None:
        self.data["credits"] = view
        self.say(view["message"])

    def add_state(self, view: dict[str, Any]) -> None:
        self.data["state"] = view
        self.say(view["message"])

    def add_upload(self, step: dict[str, Any]) -> None:
        self.data.setdefault("uploads", []).extend(step.get("files", []))
        self.say(step["message"])

    def step_failed(self, step: dict[str, Any], exc: Exception) -> None:
        if isinstance(exc, KlingError):
            reason = str(exc)
        else:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            reason = f"an unexpected error stopped it ({detail}); the details are in the server log. Ask again."
        if step.get("action") == Action.EXPORT.value:
            code = exc.code if isinstance(exc, KlingError) else None
            self.data["export_error"] = {"type": type(exc).__name__, "code": code, "message": reason}
            self.say(f"⚠️ Not exported: {reason}")
        else:
            self.say(f"⚠️ Not done — {_describe(step)}: {reason}")

    def not_done(self, steps: Sequence[dict[str, Any]], why: str) -> None:
        if steps:
            listed = "; ".join(_describe(step) for step in steps)
            again = "it" if len(steps) == 1 else "them"
            self.data["not_done"] = f"⚠️ Not done {why}: {listed}. Ask for {again} again."

    def save(self, ctx: JobContext) -> None:
        ctx.job.result = dict(self.data) or None
        ctx.save()

    def final(self) -> dict[str, Any]:
        note = self.data.get("not_done")
        if isinstance(note, str) and note:
            self.say(note)
        if not self.data.get("message"):
            self.data["message"] = "Done."
        return self.data


async def _quiet(message: str) -> None:
    """A status callback that says nothing."""


def _status_to(ctx: JobContext) -> Callable[[Status], None]:
    def report(status: Status) -> None:
        if status.phase not in ("sending", "checking"):
            ctx.mark_accepted()  # the stream is open: the backend has the message
        ctx.update(status.phase, status.message)

    return report
