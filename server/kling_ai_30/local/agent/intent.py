"""What a chat message asks for, as data: an :class:`Intent` (generate, edit, or just talk) and its price.

The local backend's stand-in for NemoVideo's LLM reads a message into one of these
(:mod:`~kling_ai_30.local.agent.interpret`); the agent then plans what to do with it
(:mod:`~kling_ai_30.local.agent.plan`). :func:`cost` prices an intent with the configured
:class:`~kling_ai_30.local.state.config.Costs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kling_ai_30.local.state.config import Costs

Lang = Literal["en", "zh"]
Motion = Literal["zoom_in", "zoom_out", "pan_left", "pan_right", "none"]


@dataclass(frozen=True)
class AddMusic:
    style: str | None  # None: keep the current track's music (or Lo-fi when there is none)
    volume: float | None


@dataclass(frozen=True)
class RemoveMusic:
    pass


@dataclass(frozen=True)
class SetVolume:
    level: float | None  # absolute 0..1, or None to move by `step`
    step: float = 0.0


@dataclass(frozen=True)
class SetTitle:
    text: str | None  # None: a title derived from the video


@dataclass(frozen=True)
class RemoveTitle:
    pass


@dataclass(frozen=True)
class TitleColor:
    color: str  # #rrggbb
    name: str  # English colour name, or the hex value


@dataclass(frozen=True)
class AddSubtitle:
    text: str | None
    style: Literal["subtitle", "caption"] = "subtitle"


@dataclass(frozen=True)
class RemoveSubtitle:
    pass


@dataclass(frozen=True)
class Trim:
    seconds: float


@dataclass(frozen=True)
class AspectRatio:
    ratio: str


@dataclass(frozen=True)
class Fade:
    fade_in: bool
    fade_out: bool


@dataclass(frozen=True)
class Speed:
    factor: float
    intro_only: bool = False


@dataclass(frozen=True)
class CameraMotion:
    motion: Motion


Edit = (
    AddMusic
    | RemoveMusic
    | SetVolume
    | SetTitle
    | RemoveTitle
    | TitleColor
    | AddSubtitle
    | RemoveSubtitle
    | Trim
    | AspectRatio
    | Fade
    | Speed
    | CameraMotion
)


@dataclass(frozen=True)
class GenerateRequest:
    prompt: str  # the message as the user wrote it
    subject: str  # short name for the clip ("mountain landscape"); "" = derive from the source
    seconds: int
    motion: Motion


@dataclass(frozen=True)
class Intent:
    kind: Literal["generate", "edit", "chat"]
    language: Lang
    text: str
    generate: GenerateRequest | None = None
    edits: tuple[Edit, ...] = ()
    topic: Literal["help", "export"] = "help"


def cost(intent: Intent, costs: Costs, max_seconds: int = 60) -> int:
    """Credits a run of this intent reserves: per generated second, per edit, or per reply."""
    if intent.kind == "generate" and intent.generate is not None:
        return costs.generation_per_second * min(intent.generate.seconds, max_seconds)
    if intent.kind == "edit":
        return costs.edit
    return costs.text_reply
