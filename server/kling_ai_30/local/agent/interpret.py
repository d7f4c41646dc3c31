"""Reading a chat message into an :class:`~kling_ai_30.local.agent.intent.Intent`, English and Chinese.

Rule tables, not a model: a message is a generation when it asks for a video (with its length,
camera move and subject), an edit when :mod:`~kling_ai_30.local.agent.edit_rules` finds edits in
it, and talk otherwise. Pure, so it is tested with tables.

Quoted text is content, not a command: `add title "Generate a video"` adds a title, it does not
generate. Negations are respected: "don't add music" asks for nothing.
"""

from __future__ import annotations

import re
from typing import Literal

from kling_ai_30.local.agent.edit_rules import EXPORT, find_edits
from kling_ai_30.local.agent.intent import GenerateRequest, Intent, Lang, Motion
from kling_ai_30.local.agent.lexicon import CJK, CN_NUM, NUM, camera_motion, split_quotes, zh_value

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
            subject=_subject(low),
            seconds=_duration(low) or DEFAULT_SECONDS,
            motion=camera_motion(low) or DEFAULT_MOTION,
        )
        return Intent("generate", language, message, generate=request, edits=tuple(edits))
    if edits:
        return Intent("edit", language, message, edits=tuple(edits))
    topic: Literal["help", "export"] = "export" if EXPORT.search(low) else "help"
    return Intent("chat", language, message, topic=topic)


# --- generation ---

_VIDEO_NOUN = (
    r"(?:videos?|clips?|movies?|films?|animations?|mp4|footage|reels?|shorts?|time-?lapses?|trailers?|cinemagraphs?)"
)
_NOT_VIDEO_TARGET = r"(?!\b(?:sub-?titles?|captions?|music|soundtrack|titles?)\b)"
_GENERATE = [
    re.compile(rf"\bgenerat\w*\b(?:{_NOT_VIDEO_TARGET}[^.!?;。！？]){{0,80}}?\b{_VIDEO_NOUN}\b"),
    re.compile(
        rf"\b(?:creat\w*|mak\w*|produc\w*|shoot|film)\s+(?:me\s+)?(?:a|an|another|one|some|new|\d[\w.-]*)\b"
        rf"(?:{_NOT_VIDEO_TARGET}[^.!?;。！？]){{0,60}}?\b{_VIDEO_NOUN}\b"
    ),
    re.compile(
        r"\b(?:turn|transform|convert|make)\s+(?:this|the|my|these|that|it)?\s*"
        r"(?:(?:photo|image|picture|pic|still|shot|drawing|painting)s?\s+)?into\s+(?:a|an)?\s*[\w\s-]{0,30}?"
        rf"\b{_VIDEO_NOUN}\b"
    ),
    re.compile(r"\b(?:turn|transform|convert)\s+(?:this|the|my|these|that)\s+(?:photo|image|picture|pic)s?\s+into\b"),
    re.compile(r"\banimate\s+(?:this|the|my|that)\s+(?:photo|image|picture|pic|still)\b"),
    re.compile(r"\b(?:photo|image|picture|text)[- ]to[- ]video\b"),
    re.compile(
        r"(?:生成|制作|做|创建|创作|拍|来)(?:(?!字幕|音乐|标题|配乐)[^，。！？,.!?；;]){0,20}?(?:视频|短片|影片|动画|片子|mp4)"
    ),
    re.compile(
        r"(?:把|将|用)[^，。！？]{0,10}(?:照片|图片|图像|相片|这张图|图)[^，。！？]{0,8}(?:变成|转成|做成|生成|制作|动起来)"
    ),
    re.compile(r"图生视频|文生视频|让(?:这张)?(?:照片|图片)动起来"),
]


def _is_generate(low: str) -> bool:
    return any(p.search(low) for p in _GENERATE)


_SECONDS_EN = re.compile(rf"{NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b")
_MINUTES_EN = re.compile(r"\b(\d+|one|a)\s*-?\s*minutes?\b")
_HALF_MINUTE = re.compile(r"\bhalf[- ](?:a[- ])?minute\b|半分钟")
_SECONDS_ZH = re.compile(rf"{CN_NUM}\s*秒")
_MINUTES_ZH = re.compile(rf"{CN_NUM}\s*分钟")


def _duration(low: str) -> int | None:
    """Seconds asked for: "30-second", "30 sec", "30s", "30秒", "三十秒", "半分钟", "1 minute"."""
    if _HALF_MINUTE.search(low):
        return 30
    if match := _SECONDS_EN.search(low):
        return max(1, round(float(match.group(1))))
    if match := _SECONDS_ZH.search(low):
        value = zh_value(match.group(1))
        if value:
            return max(1, round(value))
    if match := _MINUTES_EN.search(low):
        word = match.group(1)
        return 60 * (1 if word in ("one", "a") else int(word))
    if match := _MINUTES_ZH.search(low):
        value = zh_value(match.group(1))
        if value:
            return round(60 * value)
    return None


_SUBJECT_OF = re.compile(
    r"\b(?:of|about|showing|featuring|depicting)\s+(?:an?\s+|the\s+|some\s+)?(.+?)"
    r"(?=\s+(?:into|in|with|without|at|for|from|using|as|to|then|that|which|where|and then)\b|\s*[,.!?;«]|$)"
)
_SUBJECT_KEYWORD = re.compile(r"\b(?:of|about|showing|featuring|depicting)\b")
_SUBJECT_SKIP = re.compile(
    r"^(?:this|that|these|it|my|your|our|\d|the (?:photo|image|picture)|(?:video|clip|footage|movie|film)s?\b)"
)
_SUBJECT_ZH = re.compile(
    r"(?:生成|制作|做|创建|创作|拍|来)(?:一段|一个|一条|个|段|条|部)?(?:[\d.零一二两三四五六七八九十百]+\s*(?:秒|分钟)|半分钟)?的?"
    r"(?:关于)?(?P<s>[^，。！？,.!?；;«]{1,20}?)的?(?:视频|短片|影片|动画|片子)"
)
_STOP_WORDS = frozenset(
    re.findall(
        r"\S+",
        "a an the me my this that these it its please can could you would i want like to of for from with into in "
        "on and or generate generating generated create creating make making produce producing video videos clip "
        "clips movie film mp4 ai image images photo photos picture pictures text prompt prompts some new one second "
        "seconds sec secs minute minutes long short 1080p 720p hd 4k camera movement movements slow zoom pan left "
        "right vertical horizontal portrait landscape square turn transform convert animate cinematic out preview "
        "pans panning zooms zooming",
    )
)


def _subject(low: str) -> str:
    """The thing the video is about, or "" when the message does not say."""
    for keyword in _SUBJECT_KEYWORD.finditer(low):  # overlapping: "of video about leaves"
        match = _SUBJECT_OF.match(low, keyword.start())
        if match is None:
            continue
        phrase = match.group(1).strip()
        if phrase and not _SUBJECT_SKIP.match(phrase) and "«" not in phrase:
            return _squeeze(phrase, 6)
    if zh := _SUBJECT_ZH.search(low):
        phrase = re.sub(r"^(?:一段|一个|一条|的)+", "", zh.group("s")).strip()
        if phrase and not re.fullmatch(r"[\d.]+", phrase):
            return phrase[:20]
    words = [w for w in re.findall(r"[a-z][a-z'-]*", _SECONDS_EN.sub(" ", low)) if w not in _STOP_WORDS]
    return _squeeze(" ".join(words), 4) if words else ""


def _squeeze(text: str, max_words: int) -> str:
    return " ".join(text.split()[:max_words]).strip(" -'")
