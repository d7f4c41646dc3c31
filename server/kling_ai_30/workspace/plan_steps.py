"""The router's plan as a job's steps, every input checked before the first step runs.

Refused input sends nothing: a bad message or file must not follow an upload already sent. A step
the router answered or asked about becomes an ``AnswerStep``, which only shows its text.
"""

from __future__ import annotations

from ..client.uploads import check_media_url, check_upload_file
from ..conversation.turn import check_message
from ..jobs.plan import AnswerStep, CreditsStep, ExportStep, PlanStep, SendStep, StateStep, UploadStep
from ..router import Action, RoutePlan, Step


def plan_steps(plan: RoutePlan, text: str, backend_url: str) -> list[PlanStep]:
    """``plan``'s steps, checked (``InputError`` names the fix); ``backend_url`` is the backend's own
    origin, whose links it can always fetch."""
    return [_plan_step(step, text, backend_url) for step in plan.steps]


def is_url(source: str) -> bool:
    return source.lower().startswith(("http://", "https://"))


def _plan_step(step: Step, text: str, backend_url: str) -> PlanStep:
    if step.answer is not None or step.question is not None:
        return AnswerStep(text=step.answer or step.question or "")  # shown, never run: nothing is sent
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
                if is_url(step.source):
                    check_media_url(step.source, backend_url=backend_url)
                else:
                    check_upload_file(step.source)
            return UploadStep(source=step.source)
