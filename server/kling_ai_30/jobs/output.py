"""A job's result, built up step by step in the user's order.

Saved with the job after every step, so a restart (or a failure half-way) still knows what was
done and paid for; read by both front ends through ``workspace.report``.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from ..client.models import UploadedFile
from ..results import CreditsView, ExportView, Failure, ReplyView, StateView, UploadView
from .plan import PlanStep


class JobOutput(BaseModel):
    """Everything a job's steps came to."""

    model_config = ConfigDict(extra="forbid")

    message: str = ""
    """What to tell the user: every step's message, in order."""
    reply: ReplyView | None = None
    """The last message's reply (a later message's reply replaces an earlier one's details)."""
    changes: list[str] = Field(default_factory=list)
    """What every message changed, one line each, in order."""
    export: ExportView | None = None
    export_error: Failure | None = None
    """An export that failed after a paid reply: reported beside the reply, not instead of it."""
    credits: CreditsView | None = None
    state: StateView | None = None
    uploads: list[UploadedFile] = Field(default_factory=list)
    not_done: str | None = None
    """The steps the job did not get to, and why."""

    def say(self, text: str) -> None:
        if text:
            self.message = f"{self.message}\n\n{text}" if self.message else text

    def add_reply(self, reply: ReplyView) -> None:
        recovered = reply.recovered or (self.reply is not None and self.reply.recovered)
        question = reply.question or (self.reply.question if self.reply is not None else None)
        self.reply = reply.model_copy(update={"recovered": recovered, "question": question})
        self.changes.extend(reply.changes)
        self.say(reply.message)

    def add_export(self, export: ExportView) -> None:
        self.export = export
        self.say(export.message)

    def add_credits(self, view: CreditsView) -> None:
        self.credits = view
        self.say(view.message)

    def add_state(self, view: StateView) -> None:
        self.state = view
        self.say(view.message)

    def add_upload(self, view: UploadView) -> None:
        self.uploads.extend(view.files)
        self.say(view.message)

    def export_failed(self, failure: Failure) -> None:
        self.export_error = failure
        self.say(f"⚠️ Not exported: {failure.message}")

    def step_failed(self, step: PlanStep, reason: str) -> None:
        self.say(f"⚠️ Not done — {step.describe()}: {reason}")

    def not_done_because(self, steps: Sequence[PlanStep], why: str) -> None:
        if steps:
            listed = "; ".join(step.describe() for step in steps)
            again = "it" if len(steps) == 1 else "them"
            self.not_done = f"⚠️ Not done {why}: {listed}. Ask for {again} again."

    def finish(self) -> JobOutput:
        """The final result: the steps not done are said last; an empty one says "Done."."""
        if self.not_done:
            self.say(self.not_done)
        if not self.message:
            self.message = "Done."
        return self
