"""The plan the router returns: the skill's five actions, the steps to run, and how sure it is.

What a caller must honour (the workspace, the MCP ``generate`` tool, ``kling-ai-30 route``):

- run the steps in order; ``Step.action`` is one of the skill table's five actions;
- ``Step.skip_sse`` is the table's "Skip SSE?" column: true means the step is answered without the
  paid video chat;
- a step with ``answer`` set is *not run*: show the answer (a question about an action, approval
  with nothing to do, a file the user kept back); nothing is uploaded, exported or sent;
- a step with ``question`` set is *not run either*: the router was unsure and asks; ``action`` is
  its best reading (answer "yes" by running that action);
- ``confidence`` (0-1) and ``reasons`` explain the decision; they never change what to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Action", "RoutePlan", "Step"]


class Action(StrEnum):
    """The skill's five actions (skill text, "Matching Input to Actions")."""

    EXPORT = "export"
    CREDITS = "credits"
    STATE = "state"
    UPLOAD = "upload"
    SSE = "sse"


@dataclass(frozen=True, slots=True)
class Step:
    """One action to run; ``skip_sse`` is the skill table's "Skip SSE?" column.

    A step with an :attr:`answer` or a :attr:`question` is not run at all: the caller shows that
    text and sends nothing (``skip_sse`` is then true, whatever the action).
    """

    action: Action
    skip_sse: bool
    source: str | None = None
    """UPLOAD: the attachment path or media URL; ``None`` when the user said "upload" but sent nothing."""
    text: str | None = None
    """SSE: the message for the backend chat."""
    answer: str | None = None
    """The reply to show instead of acting: a question *about* an action ("what does export
    cost?"), approval with nothing to do ("looks great"), an upload the user took back."""
    question: str | None = None
    """A question to ask the user before doing anything: the router was not sure enough."""
    confidence: float = field(default=1.0, compare=False)
    """How sure the router is of this step, 0-1 (not part of equality: it says why, not what)."""
    reasons: tuple[str, ...] = field(default=(), compare=False)
    """What in the text led here, in words (``route --json`` shows them)."""

    def __post_init__(self) -> None:
        if self.answer is not None and self.question is not None:
            raise ValueError("a step answers or asks, not both")
        if self.answer is not None or self.question is not None:
            if not self.skip_sse:
                raise ValueError("a step that answers or asks sends nothing: skip_sse must be true")
        elif self.skip_sse is (self.action is Action.SSE):
            raise ValueError(f"skip_sse is {self.action is not Action.SSE} for {self.action.value}, by the skill table")

    @classmethod
    def of(
        cls,
        action: Action,
        *,
        source: str | None = None,
        text: str | None = None,
        confidence: float = 1.0,
        reasons: tuple[str, ...] = (),
    ) -> Step:
        """A step with ``skip_sse`` filled in from the skill table."""
        return cls(action, action is not Action.SSE, source, text, confidence=confidence, reasons=reasons)

    @classmethod
    def answered(
        cls, answer: str, *, action: Action = Action.SSE, confidence: float = 1.0, reasons: tuple[str, ...] = ()
    ) -> Step:
        """A step answered for free: ``answer`` is shown, nothing runs, nothing is sent."""
        return cls(action, True, answer=answer, confidence=confidence, reasons=reasons)

    @classmethod
    def asked(cls, action: Action, question: str, *, confidence: float, reasons: tuple[str, ...] = ()) -> Step:
        """``action`` is the likeliest reading, but the user is asked first; nothing runs."""
        return cls(action, True, question=question, confidence=confidence, reasons=reasons)

    @property
    def runs(self) -> bool:
        """Whether the caller carries the step out (false: it only shows the answer or question)."""
        return self.answer is None and self.question is None

    def to_json(self) -> dict[str, Any]:
        """The step as plain JSON data (``answer`` / ``question`` only when set)."""
        data: dict[str, Any] = {
            "action": self.action.value,
            "skip_sse": self.skip_sse,
            "source": self.source,
            "text": self.text,
        }
        if self.answer is not None:
            data["answer"] = self.answer
        if self.question is not None:
            data["question"] = self.question
        return data


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """The steps to run, in order; never empty."""

    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a route plan has at least one step")

    @property
    def first(self) -> Step:
        """The step to run first (an upload whenever the user sent a file)."""
        return self.steps[0]

    @property
    def confidence(self) -> float:
        """How sure the router is of the plan: its least sure step."""
        return min(step.confidence for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON: the first action, its "Skip SSE?", the first step's ``answer`` or
        ``question`` when it has one, and every step."""
        data: dict[str, Any] = {"action": self.first.action.value, "skip_sse": self.first.skip_sse}
        if self.first.answer is not None:
            data["answer"] = self.first.answer
        if self.first.question is not None:
            data["question"] = self.first.question
        data["steps"] = [step.to_json() for step in self.steps]
        return data

    def explain(self) -> dict[str, Any]:
        """:meth:`to_json` plus how sure the router was and why (``kling-ai-30 route --json``)."""
        data = self.to_json()
        data["confidence"] = round(self.confidence, 3)
        data["reasons"] = [reason for step in self.steps for reason in step.reasons]
        for step_data, step in zip(data["steps"], self.steps, strict=True):
            step_data["confidence"] = round(step.confidence, 3)
            step_data["reasons"] = list(step.reasons)
        return data
