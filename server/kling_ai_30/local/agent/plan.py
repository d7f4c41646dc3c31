"""The local backend's agent: a rule-based stand-in for NemoVideo's LLM agent, English and Chinese.

For one message it decides what to do, as data: :func:`plan` turns an
:class:`~kling_ai_30.local.agent.intent.Intent` and the session state into a :class:`Plan` (the
text to say, the tool calls to make, how long each tool "runs", the media files to produce and the
state each tool result installs). :mod:`~kling_ai_30.local.agent.run` executes the plan; nothing
here does I/O. Its parts: :mod:`~kling_ai_30.local.agent.interpret` reads the message,
:mod:`~kling_ai_30.local.agent.draft` edits the timeline, :mod:`~kling_ai_30.local.agent.replies`
words the answer.

Behaviour copied from the real backend (api notes §5.4): generation is two-stage (the raw clip
first, then `edit_multitrack` adds Lo-fi music at 35 % and a title for 0-3 s); replies assume a
GUI ("click the Export button", "drag the title"); a share of edits is silent (tool calls only).
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from typing import Any, Literal

from kling_ai_30.local.agent import replies
from kling_ai_30.local.agent.draft import (
    DEFAULT_MUSIC,
    DEFAULT_MUSIC_VOLUME,
    DRAFT_FPS,
    RATIOS,
    TITLE_MS,
    Change,
    NoChange,
    apply,
    apply_or_explain,
    audio_segment,
    find_track,
    has_segments,
    new_track,
    text_segment,
)
from kling_ai_30.local.agent.intent import (
    AddMusic,
    AddSubtitle,
    AspectRatio,
    CameraMotion,
    Fade,
    GenerateRequest,
    Intent,
    RemoveMusic,
    SetTitle,
    Speed,
    TitleColor,
)
from kling_ai_30.local.agent.naming import name_clip
from kling_ai_30.local.media.synthesis import Produce
from kling_ai_30.local.state.config import Costs

TOOL_GENERATE = "generate_video_with_seedance"
TOOL_EDIT = "edit_multitrack"
TOOL_MUSIC = "generate_music"


@dataclass(frozen=True)
class Say:
    """A model text event; `thought` is a hidden reasoning part sent in the same event."""

    text: str
    thought: str | None = None


@dataclass(frozen=True)
class Tool:
    """A tool call: call event, `seconds` of work (heartbeats), files made, then the result event."""

    name: str
    args: dict[str, Any]
    seconds: float
    response: dict[str, Any]
    produce: tuple[Produce, ...] = ()
    state: dict[str, Any] | None = None  # top-level state keys installed with the result


Step = Say | Tool


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    charge: int  # credits actually spent when the run completes
    silent: bool = False


@dataclass(frozen=True)
class Source:
    """The newest usable upload of the session: what "this photo" refers to."""

    url: str
    kind: Literal["image", "video"]
    description: str  # what it shows, when the file says so ("" for a user's own photo)
    width: int = 0
    height: int = 0


@dataclass
class PlanContext:
    base_url: str  # e.g. http://127.0.0.1:8123, no trailing slash
    session_id: str
    rng: random.Random
    costs: Costs
    generation_seconds: float
    edit_seconds: float
    silent_edit_ratio: float
    thought_ratio: float
    max_generation_seconds: int = 60
    source: Source | None = None
    silent_override: bool | None = None

    def cdn_url(self, rel_path: str) -> str:
        return f"{self.base_url}/cdn/{rel_path}"


def plan(intent: Intent, state: dict[str, Any], ctx: PlanContext) -> Plan:
    """What the agent does for this intent, given the session state (pure apart from `ctx.rng`)."""
    if intent.kind == "generate" and intent.generate is not None:
        return _plan_generate(intent, intent.generate, state, ctx)
    if intent.kind == "edit":
        return _plan_edit(intent, state, ctx)
    return _plan_chat(intent, ctx)


def _thought(ctx: PlanContext, text: str) -> str | None:
    return text if ctx.rng.random() < ctx.thought_ratio else None


def _plan_chat(intent: Intent, ctx: PlanContext) -> Plan:
    text = replies.chat_reply(intent.language, intent.topic)
    thought = _thought(ctx, "No tool is needed for this message; answer with text.")
    return Plan((Say(text, thought),), charge=ctx.costs.text_reply)


def _slug(text: str) -> str:
    ascii_words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(ascii_words)[:40] or "media"


def _plan_generate(intent: Intent, request: GenerateRequest, state: dict[str, Any], ctx: PlanContext) -> Plan:
    lang = intent.language
    seconds = min(request.seconds, ctx.max_generation_seconds)
    duration_ms = seconds * 1000
    source = ctx.source
    name = name_clip(
        lang,
        requested=request.subject,
        prompt=request.prompt,
        upload=source.kind if source is not None else None,
        description=source.description if source is not None else "",
    )
    subject = name.subject
    title_text = next((e.text for e in intent.edits if isinstance(e, SetTitle) and e.text), None) or name.title
    requested_ratio = next((e.ratio for e in intent.edits if isinstance(e, AspectRatio)), None)
    if requested_ratio is None and source is not None and source.height > source.width > 0:
        requested_ratio = "9:16"  # a portrait photo becomes a portrait video
    ratio = requested_ratio or str(state.get("canvas_config", {}).get("ratio") or "16:9")
    if ratio not in RATIOS:
        ratio = "16:9"
    width, height = RATIOS[ratio]
    motion = next((e.motion for e in intent.edits if isinstance(e, CameraMotion)), request.motion)
    media = list(state.get("generated_media") or [])

    produce: list[Produce] = []
    if source is not None:
        src_url, kind = source.url, source.kind
    else:
        rel = f"generated/{ctx.session_id}/{len(media) + 1:02d}-{_slug(subject)}.jpg"
        # Painted from what the request names, else from the whole request (the scene it describes).
        painted = request.subject or request.prompt
        produce.append(Produce("backdrop", rel, prompt=painted, width=width, height=height))
        src_url, kind = ctx.cdn_url(rel), "image"
        media.append({"type": "image", "url": src_url, "name": subject, "prompt": request.prompt})

    video_track = {
        "id": "trk_1",
        "tt": 0,
        "sg": [
            {
                "id": "seg_1",
                "st": 0,
                "d": duration_ms,
                "src": src_url,
                "m": {"name": subject, "kind": kind, "motion": motion},
            }
        ],
        "m": {"name": "Video"},
    }
    draft: dict[str, Any] = {
        "t": [video_track],
        "d": duration_ms,
        "m": {"title": title_text, "width": width, "height": height, "fps": DRAFT_FPS, "ratio": ratio},
    }
    canvas = {"width": width, "height": height, "ratio": ratio}
    call_args: dict[str, Any] = {"prompt": request.prompt, "duration": seconds, "aspect_ratio": ratio, "motion": motion}
    if source is not None:
        call_args["image_url" if source.kind == "image" else "video_url"] = source.url
    generate = Tool(
        TOOL_GENERATE,
        call_args,
        ctx.generation_seconds,
        {"status": "success", "asset_url": src_url, "duration": seconds, "aspect_ratio": ratio, "motion": motion},
        produce=tuple(produce),
        state={"draft": draft, "canvas_config": canvas, "generated_media": media},
    )

    steps: list[Step] = []
    thought = _thought(
        ctx,
        f"The user wants a {seconds}-second video. Stage 1: {TOOL_GENERATE}; stage 2: {TOOL_EDIT} for music and title.",
    )
    start_text = replies.generation_started(ctx.rng, lang, seconds, name, motion)
    steps.append(Say(start_text, thought))
    steps.append(generate)

    # Stage 2, like the real backend: music and a title are added automatically.
    wants_no_music = any(isinstance(e, RemoveMusic) for e in intent.edits)
    music_edit = next((e for e in intent.edits if isinstance(e, AddMusic)), None)
    style = (music_edit.style if music_edit else None) or DEFAULT_MUSIC
    volume = music_edit.volume if music_edit and music_edit.volume is not None else DEFAULT_MUSIC_VOLUME
    operations: list[dict[str, Any]] = []
    staged = copy.deepcopy(draft)
    if not wants_no_music:
        music_tool, music_url = _music_tool(style, seconds, media, ctx)
        steps.append(music_tool)
        staged["t"].append(new_track(staged, 1, "BGM", [audio_segment(staged, music_url, style, volume, duration_ms)]))
        operations.append({"op": "add_track", "type": "bgm", "name": style, "volume": volume, "url": music_url})
    staged["t"].append(new_track(staged, 7, "Title", [text_segment(staged, title_text, "title", duration_ms)]))
    operations.append({"op": "add_track", "type": "title", "text": title_text, "start_ms": 0, "end_ms": TITLE_MS})
    extras = [e for e in intent.edits if isinstance(e, AddSubtitle | Fade | Speed | TitleColor)]
    for extra in extras:
        change = apply(extra, staged, canvas)
        if change is not None:
            operations.append(change.op)
    steps.append(
        Tool(
            TOOL_EDIT,
            {"operations": operations},
            ctx.edit_seconds,
            {"status": "success", "applied": [op["op"] for op in operations], "duration_ms": staged["d"]},
            state={"draft": staged},
        )
    )
    done = replies.generation_done(ctx.rng, lang, seconds, name, None if wants_no_music else style, title_text)
    steps.append(Say(done))
    return Plan(tuple(steps), charge=ctx.costs.generation_per_second * seconds)


def _music_tool(style: str, seconds: float, media: list[dict[str, Any]], ctx: PlanContext) -> tuple[Tool, str]:
    """A generate_music call that writes a WAV and records it in generated_media (mutates `media`)."""
    rel = f"generated/{ctx.session_id}/{len(media) + 1:02d}-{_slug(style)}.wav"
    url = ctx.cdn_url(rel)
    media.append({"type": "audio", "url": url, "name": style, "prompt": f"{style} background music"})
    tool = Tool(
        TOOL_MUSIC,
        {"style": style, "duration": seconds},
        ctx.edit_seconds,
        {"status": "success", "audio_url": url, "duration": seconds, "name": style},
        produce=(Produce("music", rel, prompt=style, seconds=float(seconds)),),
        state={"generated_media": list(media)},
    )
    return tool, url


def _plan_edit(intent: Intent, state: dict[str, Any], ctx: PlanContext) -> Plan:
    lang = intent.language
    draft = copy.deepcopy(state.get("draft") or {})
    if not has_segments(draft):
        return Plan((Say(replies.no_video_yet(lang)),), charge=0)
    canvas = copy.deepcopy(state.get("canvas_config") or {})
    media = list(state.get("generated_media") or [])
    # Decided before anything else so the seeded sequence does not depend on the edit's content.
    silent = ctx.rng.random() < ctx.silent_edit_ratio
    if ctx.silent_override is not None:
        silent = ctx.silent_override

    steps: list[Step] = []
    changes: list[Change] = []
    reasons: list[NoChange] = []
    for edit in intent.edits:
        music_url = None
        if isinstance(edit, AddMusic) and (edit.style is not None or find_track(draft, 1) is None):
            tool, music_url = _music_tool(edit.style or DEFAULT_MUSIC, int(draft.get("d", 0)) / 1000, media, ctx)
            steps.append(tool)
        result = apply_or_explain(edit, draft, canvas, music_url)
        if isinstance(result, Change):
            changes.append(result)
        else:
            reasons.append(result)

    if not changes:
        return Plan((Say(replies.nothing_to_change(lang, reasons)),), charge=0)

    operations = [c.op for c in changes]
    steps.append(
        Tool(
            TOOL_EDIT,
            {"operations": operations},
            ctx.edit_seconds,
            {"status": "success", "applied": [op["op"] for op in operations], "duration_ms": draft.get("d", 0)},
            state={"draft": draft, "canvas_config": canvas},
        )
    )
    if silent:
        return Plan(tuple(steps), charge=ctx.costs.edit, silent=True)
    thought = _thought(ctx, f"Apply {len(operations)} timeline operation(s) with {TOOL_EDIT}.")
    text = replies.edits_done(ctx.rng, lang, changes, reasons, changes[-1].tip)
    return Plan((*steps, Say(text, thought)), charge=ctx.costs.edit)
