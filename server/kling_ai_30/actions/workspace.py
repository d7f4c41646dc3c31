"""The skill's actions (§3.1-§3.5) over one backend client: what the MCP server and the CLI drive.

- §3.0 setup on first use ("Setting things up..."): credentials, then the project's session —
  the saved one when there is one, so a restarted server continues the same timeline;
- §3.1 messages to the backend chat run as jobs (``generate``), and so do exports (§3.5),
  because both outlive a tool call; everything else answers at once;
- a message is routed first: export, credits and status requests never reach the chat, and an
  attachment or media URL is uploaded before the rest of the message is acted on.
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
from ..chat.conversation import Conversation, Reply, Status, check_message, state_changes
from ..client.backend import BackendClient
from ..client.models import Credits, SessionState, UploadResult
from ..client.session import Session
from ..client.uploads import check_media_url, check_upload_file
from ..config import Settings
from ..errors import InputError, JobError, KlingError
from ..jobs.job import Job, JobKind, is_job_id
from ..jobs.manager import JobContext, JobManager, Work
from ..jobs.store import JobStore
from ..policy import RECOVERY_FIRST_POLL_S
from ..router import Action, RoutePlan, Step, route
from ..skill import SkillIdentity, load_identity
from .export import ExportRun, RenderTimeoutError
from .projects import DEFAULT_PROJECT, ProjectRecord, ProjectStore, check_project_key

log = logging.getLogger(__name__)

StatusFn = Callable[[str], Awaitable[None]]
ProgressFn = Callable[[str, str, float | None], None]


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
    """The message's work was already running (the same request in flight): nothing was re-sent."""

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
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
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
        self.projects = ProjectStore(settings.state_dir / "projects")
        self.jobs = JobManager(JobStore(settings.state_dir / "jobs"), resume=self._resume_work, clock=clock)
        self.projects.prune()
        self.jobs.store.prune()
        self._open: dict[str, Project] = {}
        self._setup_lock = anyio.Lock()

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
            await say("Connected and ready.")
            return project

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
        """Route ``text`` and act on it: quick steps now, the chat and export as one job."""
        plan = route(text, attachments)
        outcome = Outcome(plan=plan)
        long_steps: list[Step] = []
        for step in plan.steps:
            if long_steps or step.action in (Action.SSE, Action.EXPORT):
                long_steps.append(step)
                continue
            if step.action is Action.UPLOAD:
                outcome.steps.append(await self._upload_step(key, step.source, on_status))
            elif step.action is Action.CREDITS:
                credits = await self.credits()
                outcome.steps.append({"action": "credits", **credits_view(credits)})
            elif step.action is Action.STATE:
                outcome.steps.append({"action": "state", **(await self.state(key, on_status=on_status))})
        if long_steps:
            sse = [s for s in long_steps if s.action is Action.SSE]
            export = any(s.action is Action.EXPORT for s in long_steps)
            if sse:
                message = sse[0].text or text
                outcome.job, outcome.reused_job = await self.start_generate(
                    message, key=key, export_after=export, output_dir=output_dir, on_status=on_status
                )
            else:
                outcome.job, outcome.reused_job = await self.start_export(
                    key=key, output_dir=output_dir, on_status=on_status
                )
        return outcome

    async def _upload_step(self, key: str, source: str | None, on_status: StatusFn | None) -> dict[str, Any]:
        if source is None:
            return {
                "action": "upload",
                "message": "Which file should I upload? Give the full path of an image, video or audio file, or an "
                "http(s) link to one.",
            }
        is_url = source.lower().startswith(("http://", "https://"))
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
        """Start sending ``message`` as a job; returns (job, True) if one was already in flight here."""
        text = check_message(message)
        dest = self._dest(output_dir)
        project = await self.project(key, on_status=on_status)
        running = self.jobs.running(key, JobKind.GENERATE)
        if running is not None:
            return running, True
        before = await self.client.state(project.session)

        async def work(ctx: JobContext) -> dict[str, Any]:
            reply = await project.conversation.send(
                text, on_status=_status_to(ctx), before=before, export_follows=self.auto_export or export_after
            )
            result = reply_result(reply)
            if export_after or (reply.wants_export and self.auto_export):
                # Kept with the job before the export starts, so a restart mid-render still reports it.
                ctx.job.result = result
                ctx.save()
                try:
                    exported = await self._export_run(project, dest, ctx).run()
                except RenderTimeoutError:
                    raise  # the job stays resumable: asking for it again polls the same render
                except KlingError as exc:
                    # The paid part is done: report it, with the export's failure, instead of an error
                    # that would invite sending the message (and paying) again.
                    result["export_error"] = {"type": type(exc).__name__, "code": exc.code, "message": str(exc)}
                    result["message"] = f"{result['message']}\n\n⚠️ Not exported: {exc}"
                    return result
                return self._with_export(project, result, exported.as_result())
            return result

        job = self.jobs.start(
            JobKind.GENERATE,
            key,
            work,
            request={"message": text, "output_dir": str(dest), "export_after": export_after},
            before={"draft": before.state.draft, "canvas": before.state.canvas_config},
            session_id=project.session.session_id,
        )
        return job, False

    async def start_export(
        self, *, key: str = DEFAULT_PROJECT, output_dir: Path | None = None, on_status: StatusFn | None = None
    ) -> tuple[Job, bool]:
        """Start an export job (or return the one already running for this project)."""
        dest = self._dest(output_dir)
        project = await self.project(key, on_status=on_status)
        running = self.jobs.running(key, JobKind.EXPORT)
        if running is not None:
            return running, True

        async def work(ctx: JobContext) -> dict[str, Any]:
            exported = await self._export_run(project, dest, ctx).run()
            result = exported.as_result()
            self._remember_export(project, result)
            return result

        job = self.jobs.start(
            JobKind.EXPORT, key, work, request={"output_dir": str(dest)}, session_id=project.session.session_id
        )
        return job, False

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

    def _with_export(self, project: Project, result: dict[str, Any], export: dict[str, Any]) -> dict[str, Any]:
        """A generate result with its export added."""
        self._remember_export(project, export)
        lead = str(result.get("message") or "")
        return {**result, "export": export, "message": f"{lead}\n\n{export['message']}".strip()}

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
        """How to continue a job a previous server left running."""
        if job.kind is JobKind.GENERATE and job.render_id is not None:
            # The message was answered and its export had started: finish that render. Watching the
            # state would report the edit and orphan the render; sending again would charge twice.
            dest = Path(job.request.get("output_dir") or self.settings.videos_dir)
            answered = dict(job.result or {})

            async def finish_generate_export(ctx: JobContext) -> dict[str, Any]:
                project = await self.project(job.project)
                run = self._export_run(project, dest, ctx)
                exported = await run.run(resume_render_id=job.render_id)
                return self._with_export(project, answered, exported.as_result())

            return finish_generate_export
        if job.kind is JobKind.EXPORT:
            dest = Path(job.request.get("output_dir") or self.settings.videos_dir)

            async def finish_export(ctx: JobContext) -> dict[str, Any]:
                project = await self.project(job.project)
                run = self._export_run(project, dest, ctx)
                exported = await run.run(resume_render_id=job.render_id)
                result = exported.as_result()
                self._remember_export(project, result)
                return result

            return finish_export
        if job.kind is JobKind.GENERATE and job.before is not None:
            before = SessionState.model_validate(
                {"state": {"draft": job.before.get("draft"), "canvas_config": job.before.get("canvas")}}
            )

            async def recover_generate(ctx: JobContext) -> dict[str, Any]:
                project = await self.project(job.project)
                if not job.accepted:
                    return await self._unconfirmed(project, before)
                # The 30 s before the first poll count from when the job was cut off, not from now.
                waited = max(0.0, self._wall_clock() - job.updated_at)
                reply = await project.conversation.watch(
                    before, on_status=_status_to(ctx), first_poll_s=RECOVERY_FIRST_POLL_S - waited
                )
                return reply_result(reply)

            return recover_generate
        return None

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
        if found.error and found.error.get("type") == "RenderTimeoutError" and found.render_id:
            # The render may have finished since: keep polling the same render, never a new one.
            return self.jobs.resume(job_id, retry_failed=True)
        return found


async def _quiet(message: str) -> None:
    """A status callback that says nothing."""


def _status_to(ctx: JobContext) -> Callable[[Status], None]:
    def report(status: Status) -> None:
        if status.phase not in ("sending", "checking"):
            ctx.mark_accepted()  # the stream is open: the backend has the message
        ctx.update(status.phase, status.message)

    return report


def reply_result(reply: Reply) -> dict[str, Any]:
    """A conversation reply as a job result (no raw JSON, no tokens: text the user can read)."""
    return {
        "message": reply.text,
        "silent": reply.silent,
        "changes": [line for line in timeline.describe_changes(reply.changes).splitlines() if reply.changes],
        "timeline": timeline.summarize(reply.state.state.draft),
        "question": reply.question,
        "recovered": reply.recovered,
        "raw_video": reply.raw_video,
    }


def state_view(state: SessionState) -> dict[str, Any]:
    draft = state.state.draft
    tracks = timeline.read_tracks(draft)
    return {
        "summary": timeline.summarize(draft),
        "exportable": timeline.is_exportable(draft),
        "tracks": [
            {
                "kind": track.kind.value,
                "label": track.label,
                "segments": [
                    {
                        "start_s": seg.start_ms / 1000,
                        "end_s": seg.end_ms / 1000,
                        "label": seg.label,
                        "text": seg.text,
                        "volume": seg.volume,
                    }
                    for seg in track.segments
                ],
            }
            for track in tracks
        ],
        "uploads": len(state.state.video_infos),
        "message": timeline.summarize(draft),
    }


def credits_view(credits: Credits) -> dict[str, Any]:
    total = credits.total if credits.total is not None else credits.available + credits.frozen
    frozen = f" ({credits.frozen} reserved for work in progress)" if credits.frozen else ""
    return {
        "available": credits.available,
        "frozen": credits.frozen,
        "total": total,
        "message": f"Credits: {credits.available} available{frozen}, {total} in total.",
    }


def upload_message(result: UploadResult) -> str:
    lines = []
    for f in result.files:
        size = f" {f.width}×{f.height}" if f.width and f.height else ""
        length = f", {f.duration:.1f} s" if f.duration else ""
        lines.append(f"✅ Uploaded {f.filename or 'file'} ({f.file_type or 'media'}{size}{length})")
    return "\n".join(lines) or "The backend accepted the upload but listed no files."
