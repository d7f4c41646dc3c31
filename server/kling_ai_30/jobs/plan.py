"""A job's plan: the steps it carries out in the user's order, typed, persisted with the job.

The router decides the steps (``router.Step``); a job keeps them in this form because it must
survive a restart in the middle: what each step needs to be picked up, not repeated, is on it
(``ExportStep.renders_before``). The ``action`` names are the router's (``sse`` is a message to
the video assistant), so a saved plan reads like ``kling-ai-30 route --json``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SendStep(_Step):
    """Send a message to the video assistant (paid)."""

    action: Literal["sse"] = "sse"
    text: str

    def describe(self) -> str:
        shown = self.text[:80] + ("…" if len(self.text) > 80 else "")
        return f'your request "{shown}" (not sent)'


class ExportStep(_Step):
    """Render the timeline and download the MP4."""

    action: Literal["export"] = "export"
    auto: bool = False
    """Added by the job because the reply said the video was ready (not asked for by the user)."""
    fresh: bool = False
    """Render again even if this very timeline was exported before."""
    renders_before: int | None = None
    """How many render ids the job had when this step began: a later one is this step's own render,
    polled again after a restart instead of submitted anew."""

    def describe(self) -> str:
        return "the export"


class CreditsStep(_Step):
    action: Literal["credits"] = "credits"

    def describe(self) -> str:
        return "the credit balance"


class StateStep(_Step):
    action: Literal["state"] = "state"

    def describe(self) -> str:
        return "the timeline summary"


class UploadStep(_Step):
    action: Literal["upload"] = "upload"
    source: str | None = None
    """A local path or an http(s) URL; None when the user said "upload" without naming a file."""

    def describe(self) -> str:
        return f"the upload of {self.source or 'a file'} (not sent)"


class AnswerStep(_Step):
    """Show text and do nothing: the router answered the request for free (a question about an
    action, approval with nothing to do) or asks before acting (it was not sure enough)."""

    action: Literal["answer"] = "answer"
    text: str

    def describe(self) -> str:
        return "the answer to your question"


PlanStep = Annotated[
    SendStep | ExportStep | CreditsStep | StateStep | UploadStep | AnswerStep, Field(discriminator="action")
]

LONG_STEPS = (SendStep, ExportStep)
"""Steps that outlive a tool call: from the first of them on, a request runs as a job."""
