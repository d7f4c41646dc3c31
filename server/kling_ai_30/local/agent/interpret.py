"""Reading a chat message into an :class:`~kling_ai_30.local.agent.intent.Intent`, English and Chinese.

Rule tables, not a model: a message is a generation when it asks for a video (with its length,
camera move and subject: :mod:`~kling_ai_30.local.agent.subject_rules`), an edit when
:mod:`~kling_ai_30.local.agent.edit_rules` finds edits in it, and talk otherwise. Pure, so it is
tested with tables.

Quoted text is content, not a command: `add title "Generate a video"` adds a title, it does not
generate. Negations are respected: "don't add music" asks for nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from kling_ai_30.local.agent.edit_rules import EXPORT, find_edits
from kling_ai_30.local.agent.intent import GenerateRequest, Intent, Lang, Motion
from kling_ai_30.local.agent.lexicon import CJK, CN_NUM, NUM, camera_motion, split_quotes, zh_value
from kling_ai_30.local.agent.subject_rules import VIDEO_NOUN, request_subject

DEFAULT_SECONDS = 10
DEFAULT_MOTION: Motion = "zoom_in"


def reply_language(message: str, session_language: str | None) -> Lang:
    """Chinese when the session says so or the message has CJK characters; else English."""
    if session_language and session_language.lower().startswith("zh"):
        return "zh"
    return "zh" if CJK.search(message) else "en"


def interpret(message: str, session_language: str | None = None) -> Intent:
    """Classify one chat message."""
    language = reply_language(message, session_language)
    command, quotes = split_quotes(message)
    low = command.lower()
    edits = find_edits(command, quotes)
    if _is_generate(low):
        request = GenerateRequest(
            prompt=message.strip(),
            subject=request_subject(low),
            seconds=_duration(low) or DEFAULT_SECONDS,
            motion=camera_motion(low) or DEFAULT_MOTION,
        )
        return Intent("generate", language, message, generate=request, edits=tuple(edits))
    if edits:
        return Intent("edit", language, message, edits=tuple(edits))
    topic: Literal["help", "export"] = "export" if EXPORT.search(low) else "help"
    return Intent("chat", language, message, topic=topic)


# --- generation ---

_NOT_VIDEO_TARGET = r"(?!\b(?:sub-?titles?|captions?|music|soundtrack|titles?)\b)"
_IN_SENTENCE = r"(?:\d\.\d|[^.!?;。！？])"  # any character but a sentence end ("1.5 min" is not one)
_GENERATE = [
    re.compile(rf"\bgenerat\w*\b(?:{_NOT_VIDEO_TARGET}{_IN_SENTENCE}){{0,80}}?\b{VIDEO_NOUN}\b"),
    re.compile(
        rf"\b(?:creat\w*|mak\w*|produc\w*|shoot|film|render)\s+(?:me\s+)?(?:a|an|another|one|some|new|\d[\w.-]*)\b"
        rf"(?:{_NOT_VIDEO_TARGET}{_IN_SENTENCE}){{0,60}}?\b{VIDEO_NOUN}\b"
    ),
    re.compile(
        r"\b(?:turn|transform|convert|make)\s+(?:this|the|my|these|that|it)?\s*"
        r"(?:(?:photo|image|picture|pic|still|shot|drawing|painting)s?\s+)?into\s+(?:a|an)?\s*[\w\s-]{0,30}?"
        rf"\b{VIDEO_NOUN}\b"
    ),
    re.compile(r"\b(?:turn|transform|convert)\s+(?:this|the|my|these|that)\s+(?:photo|image|picture|pic)s?\s+into\b"),
    re.compile(r"\banimate\s+(?:this|the|my|that)\s+(?:photo|image|picture|pic|still)\b"),
    re.compile(r"\b(?:photo|image|picture|text)[- ]to[- ]video\b"),
    # A request that only names the video: the `generate --help` example, "a 30-second cinematic
    # video of this beach", "I want a vertical clip of the city".
    re.compile(
        r"^\s*(?:please\s+)?(?:(?:i\s+(?:want|need|would like)|i'd like|give me|can i (?:get|have)|how about|now)\s+)?"
        rf"(?:a|an|one|another)\s+(?:{_NOT_VIDEO_TARGET}[\w'-]+\s+){{0,5}}?{VIDEO_NOUN}\b"
    ),
    re.compile(
        r"(?:生成|制作|做|创建|创作|拍|来)(?:(?!字幕|音乐|标题|配乐)[^，。！？,.!?；;]){0,20}?(?:视频|短片|影片|动画|片子|预览|mp4)"
    ),
    re.compile(
        r"(?:把|将|用)[^，。！？]{0,10}(?:照片|图片|图像|相片|这张图|图)[^，。！？]{0,8}(?:变成|转成|做成|生成|制作|动起来)"
    ),
    re.compile(r"图生视频|文生视频|让(?:这张)?(?:照片|图片)动起来"),
    re.compile(r"^(?:我(?:想)?要|给我|来)?(?:一段|一个|一条|一部)[^，。！？,.!?；;]{0,24}?(?:视频|短片|影片|动画)"),
]


def _is_generate(low: str) -> bool:
    return any(p.search(low) for p in _GENERATE)


_SECONDS_EN = re.compile(rf"{NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b")
_MINUTES_EN = re.compile(r"\b(\d+(?:\.\d+)?|one|a|an)\s*-?\s*(?:minutes?|mins?)\b")
_HALF_MINUTE = re.compile(r"\bhalf[- ](?:a[- ])?minute\b|半分钟")
_MINUTE_AND_HALF = re.compile(r"\b(?:a|one) minute and a half\b|一分半钟?|1分半钟?")
_SECONDS_ZH = re.compile(rf"{CN_NUM}\s*秒")
_MINUTES_ZH = re.compile(rf"{CN_NUM}\s*分钟")


def _duration(low: str) -> int | None:
    """Seconds asked for: "30-second", "30 sec", "30s", "30秒", "三十秒", "半分钟", "1 minute", "1.5 min"."""
    if _HALF_MINUTE.search(low):
        return 30
    if _MINUTE_AND_HALF.search(low):
        return 90
    if match := _SECONDS_EN.search(low):
        return max(1, round(float(match.group(1))))
    if match := _SECONDS_ZH.search(low):
        value = zh_value(match.group(1))
        if value:
            return max(1, round(value))
    if match := _MINUTES_EN.search(low):
        word = match.group(1)
        return round(60 * (1 if word in ("one", "a", "an") else float(word)))
    if match := _MINUTES_ZH.search(low):
        value = zh_value(match.group(1))
        if value:
            return round(60 * value)
    return None
