"""The plan interpreter: carries out one job's steps in the user's order, saving after each.

- A message (``SendStep``) goes to the video assistant once. Its reply may say the video is
  ready: then an export is added after it, unless the user said when to export or a later message
  will change the video again.
- A job cut off at a step (a restart, or a render that outlived its wait) is *picked up* at that
  step, never repeated: a message's outcome is read from the project, a render is polled again.
  A resumed job sends nothing it had not sent before: those steps are reported as not done.
- Once a message has been answered (and paid for), a later step's failure is reported with the
  answer, never instead of it (an error would invite sending the message, and paying, again).
  Before that, a failure ends the job and the steps after it are not done: a failed upload never
  lets the paid message that needed it go out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from .. import timeline
from ..client.backend import BackendClient
from ..client.models import SessionState
from ..conversation.turn import Reply, Status, state_changes
from ..errors import JobError, KlingError, RenderTimeoutError
from ..jobs.job import Job
from ..jobs.manager import JobContext
from ..jobs.output import JobOutput
from ..jobs.plan import AnswerStep, CreditsStep, ExportStep, PlanStep, SendStep, StateStep, UploadStep
from ..jobs.snapshot import snapshot
from ..language import language_of
from ..policy import RECOVERY_FIRST_POLL_S
from ..results import CreditsView, ExportView, Failure, ReplyView, StateView, UploadView
from ..timing import Clock, Sleep
from .export import ExportRun
from .project import Project

log = logging.getLogger(__name__)

AFTER_ERROR = "because of the error above"
AFTER_RESTART = "because the work was interrupted before it got there (a message is never sent late)"


@dataclass
class PlanRunner:
    """One job's plan, carried out against one project. Everything it needs is injected."""

    client: BackendClient
    project: Project
    ctx: JobContext
    dest: Path
    auto_export: bool
    """Export when a reply says the video is ready (``--no-export`` turns it off)."""
    upload: Callable[[UploadStep], Awaitable[UploadView]]
    exported_before: Callable[[str], ExportView | None]
    remember_export: Callable[[ExportView, str | None], None]
    sleep: Sleep = anyio.sleep
    wall_clock: Clock = time.time
    monotonic: Clock = time.monotonic
    replied_state: SessionState | None = field(default=None, init=False)
    """The state the last step's reply read once its stream had ended: an export right after it
    renders that draft instead of reading the same state again."""

    @property
    def job(self) -> Job:
        return self.ctx.job

    async def run(
        self, *, before: SessionState | None = None, resumed: bool = False, cut_at: float | None = None
    ) -> JobOutput:
        """Carry out the steps from ``job.step`` on; ``resumed``: the current step was cut off (at
        ``cut_at``) and is picked up, not repeated."""
        job = self.job
        output = job.result.model_copy(deep=True) if job.result is not None else JobOutput()
        pick_up = resumed
        while job.step < len(job.steps):
            step = job.steps[job.step]
            paid = any(isinstance(done, SendStep) for done in job.steps[: job.step])
            try:
                if not await self._carry_out(step, output, before, resumed=resumed, pick_up=pick_up, cut_at=cut_at):
                    output.not_done_because(job.steps[job.step :], AFTER_RESTART)
                    break
            except RenderTimeoutError:
                # The job stays resumable: asking for it again polls the same render.
                output.not_done_because(job.steps[job.step + 1 :], AFTER_ERROR)
                self._save(output)
                raise
            except Exception as exc:
                if self.ctx.stopping or not paid:
                    output.not_done_because(job.steps[job.step + 1 :], AFTER_ERROR)
                    self._save(output)
                    raise
                # The paid part is done: report it, with this step's failure, instead of an error.
                if not isinstance(exc, KlingError):
                    log.exception("job %s: step %s failed after a paid reply", job.id, step.action)
                self._failed_after_payment(output, step, exc)
                output.not_done_because(job.steps[job.step + 1 :], AFTER_ERROR)
                break
            if not isinstance(step, SendStep):
                self.replied_state = None  # only the very next step may rely on a reply's reading
            before, pick_up = None, False
            job.step += 1
            self._save(output)
        return output.finish()

    async def _carry_out(
        self,
        step: PlanStep,
        output: JobOutput,
        before: SessionState | None,
        *,
        resumed: bool,
        pick_up: bool,
        cut_at: float | None,
    ) -> bool:
        """One step; False when it must not run (a message or upload a resumed job never sent)."""
        match step:
            case SendStep() if pick_up:
                output.add_reply(await self._recover_reply(cut_at))
            case SendStep() if not resumed:
                reply = await self._send(step.text, before)
                output.add_reply(ReplyView.of(reply))
                if reply.wants_export and self._exports_when_ready():
                    self.job.steps.insert(self.job.step + 1, ExportStep(auto=True))
            case ExportStep():
                output.add_export(await self._export(step, pick_up=pick_up))
            case CreditsStep():
                self.ctx.update("reading", "Reading the credits…")
                output.add_credits(CreditsView.of(await self.client.credits()))
            case StateStep():
                self.ctx.update("reading", "Reading the timeline…")
                output.add_state(StateView.of(await self.client.state(self.project.session)))
            case UploadStep() if not resumed:
                output.add_upload(await self.upload(step))
            case AnswerStep():
                output.say(step.text)
            case _:
                return False
        return True

    # ---------------------------------------------------------------- messages

    async def _send(self, text: str, before: SessionState | None) -> Reply:
        job = self.job
        if before is None:
            # A message after other steps: the state it starts from is read (and kept) now.
            before = await self.client.state(self.project.session)
            job.before, job.accepted = snapshot(before), False
            self.ctx.save()
        export_follows = self._exports_when_ready() or any(
            isinstance(step, ExportStep) for step in job.steps[job.step + 1 :]
        )
        reply = await self.project.conversation.send(
            text, on_status=self._report_status, before=before, export_follows=export_follows
        )
        # A reply whose state could not be read after its stream carries ``before`` itself: that one
        # is not what the message left.
        self.replied_state = reply.state if reply.state is not before else None
        return reply

    def _exports_when_ready(self) -> bool:
        """Export when the reply says the video is ready — unless the user said when to export, or a
        later message will change the video again."""
        said = any(isinstance(step, ExportStep) and not step.auto for step in self.job.steps)
        edits_ahead = any(isinstance(step, SendStep) for step in self.job.steps[self.job.step + 1 :])
        return self.auto_export and not said and not edits_ahead

    async def _recover_reply(self, cut_at: float | None) -> ReplyView:
        """A message cut off by a restart: its outcome, read from the project (never sent again)."""
        job = self.job
        if job.before is None:
            raise JobError("This job cannot be resumed after a restart.")
        before = job.before.as_state()
        if not job.accepted and not job.sending:
            return await self._unconfirmed(before)  # cut off before the message left: it was not sent
        # Accepted, or cut off while it was leaving (it may be on the backend, working for minutes):
        # watched like a dropped stream, never sent again.
        # The 30 s before the first poll count from when the job was cut off, not from now.
        waited = max(0.0, self.wall_clock() - (cut_at if cut_at is not None else job.updated_at))
        reply = await self.project.conversation.watch(
            before,
            on_status=self._report_status,
            first_poll_s=RECOVERY_FIRST_POLL_S - waited,
            language=language_of(job.request.message or ""),
        )
        return ReplyView.of(reply)

    async def _unconfirmed(self, before: SessionState) -> ReplyView:
        """A job cut off before its message left: one look at the state (an upload before it may have
        changed it), then the truth."""
        after = await self.client.state(self.project.session)
        changes = state_changes(before, after)
        if changes:
            text = timeline.describe_changes(changes, language_of(self.ctx.job.request.message or ""))
            return ReplyView.of(Reply(text=text, silent=True, changes=changes, state=after, recovered=True))
        raise JobError(
            "This request was interrupted before the backend confirmed it, so it was most likely never sent "
            "and nothing was charged; the project shows no change. Send it again."
        )

    def _report_status(self, status: Status) -> None:
        if status.phase == "sending":
            self.ctx.mark_sending()  # the message leaves now: from here the job cannot be cancelled
        if status.phase not in ("sending", "checking"):
            self.ctx.mark_accepted()  # the stream is open: the backend has the message
        self.ctx.update(status.phase, status.message)

    # ------------------------------------------------------------------ export

    async def _export(self, step: ExportStep, *, pick_up: bool) -> ExportView:
        job = self.job
        if not pick_up or step.renders_before is None:
            step.renders_before = len(job.render_ids)
            self.ctx.save()
        # Picked up: a render this step submitted is polled again, never submitted anew.
        resume_id = job.render_id if pick_up and len(job.render_ids) > step.renders_before else None
        run = ExportRun(
            client=self.client,
            session=self.project.session,
            dest_dir=self.dest,
            report=self.ctx.update,
            remember_render=self.ctx.add_render_id,
            sleep=self.sleep,
            clock=self.monotonic,
            exported_before=self.exported_before,
        )
        exported = await run.run(resume_render_id=resume_id, fresh=step.fresh, state=self.replied_state)
        self.remember_export(exported, run.digest)
        return exported

    # ----------------------------------------------------------------- results

    def _failed_after_payment(self, output: JobOutput, step: PlanStep, exc: Exception) -> None:
        if isinstance(exc, KlingError):
            reason = str(exc)
        else:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            reason = f"an unexpected error stopped it ({detail}); the details are in the server log. Ask again."
        if isinstance(step, ExportStep):
            code = exc.code if isinstance(exc, KlingError) else None
            output.export_failed(Failure(type=type(exc).__name__, code=code, message=reason))
        else:
            output.step_failed(step, reason)

    def _save(self, output: JobOutput) -> None:
        self.job.result = output.model_copy(deep=True)
        self.ctx.save()
