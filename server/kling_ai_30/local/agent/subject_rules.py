"""What a generation request says the video is about (:func:`request_subject`), English and Chinese.

Read from the words the user wrote, in this order:

1. a phrase after "of / about / showing / featuring / depicting" ("a preview of waves at sunset"),
   up to what is not part of the scene: a connective ("with", "from", "into", "for", "then", ...),
   a format ("in 9:16", "at 1080p", "in slow motion"), a clause or sentence end. Time, light and
   weather stay ("at sunset", "in the rain"); determiners go ("of this beach" is "beach");
2. a label after the noun ("video: waves crashing on rocks");
3. the words just before the video noun ("a sunset beach video"), without the ones that describe
   the video rather than its content (durations, "cinematic", "AI", "1080p", ...);
4. in Chinese, what sits between the verb (with its count and length) and the noun
   ("生成一段30秒的海边日落视频" is 海边日落), or after 关于, without style words (电影感, 唯美, ...).

A phrase that names the upload ("this photo", "it", "the image") is not a subject: the photo's own
description is used then (see :mod:`~kling_ai_30.local.agent.naming`). "" when nothing is said.
"""

from __future__ import annotations

import re

VIDEO_NOUN = (
    r"(?:videos?|clips?|movies?|films?|animations?|mp4|footage|reels?|shorts?|time-?lapses?|trailers?|"
    r"cinemagraphs?|previews?|teasers?|slideshows?|vlogs?)"
)
ZH_VIDEO_NOUN = r"(?:视频|短片|影片|动画|片子|短视频|预览)"

_OF = re.compile(r"\b(?:of|about|showing|featuring|depicting)\s+")
_STOP = re.compile(
    r"\s+(?:with|without|from|using|into|onto|as|to|then|that|which|where|for|so|called|named|titled|entitled|"
    r"and\s+(?:then|add|make|put|use|give|"
    r"set|turn|switch|export|keep|also))\b"
    r"|\s+in\s+(?=\d|vertical|portrait|landscape\s+(?:mode|format)|square|widescreen|hd\b|4k|1080p|720p|slow[- ]?mo|"
    r"the style|a style|black and white|high quality|full hd|mp4)"
    r"|\s+at\s+(?=\d|full|high|low|hd\b|4k)"
    r"|\s*[,.!?;:«(]|\s+-\s+|$"
)
_DETERMINER = re.compile(r"^(?:an?|the|this|that|these|those|some|one)\s+")
_SOURCE_WORDS = re.compile(
    r"^(?:it|this|that|them|my (?:photo|image|picture|pic|upload)s?|(?:photo|image|picture|pic|still|upload|shot|"
    r"file|drawing|painting)s?|(?:video|clip|footage|movie|film)s?)$"
)
_LABEL = re.compile(rf"\b{VIDEO_NOUN}\s*[:：]\s*(?P<s>[^.!?;«]+)")
_BEFORE_NOUN = re.compile(rf"(?:^|\b(?:an?|the|some|my|one|new)\s+)(?P<s>(?:[\w'-]+\s+){{1,4}}?){VIDEO_NOUN}\b")
_NOT_CONTENT = frozenset(
    re.findall(
        r"\S+",
        "a an the my this that some new one ai short long quick little cinematic epic beautiful stunning cool nice "
        "good great simple high quality hd 4k 1080p 720p vertical horizontal portrait landscape square widescreen "
        "slow fast motion camera preview final full text image photo picture generated generating generate make "
        "create creating making produce me please video videos clip clips",
    )
)
_DURATION_WORD = re.compile(
    r"^(?:\d+(?:\.\d+)?(?:-|\s)?(?:s|secs?|seconds?|mins?|minutes?)|\d+(?:\.\d+)?|half|minute|second)$"
)

_ZH_VERB = r"(?:生成|制作|创建|创作|拍摄?|来|做(?!成))"
_ZH_COUNT = r"(?:一段|一个|一条|一部|一支|个|段|条|部)?"
_ZH_LENGTH = r"(?:[\d.零一二两三四五六七八九十百]+\s*(?:秒钟?|分钟|分半钟?)|半分钟|一分半钟?)?"
_ZH_SUBJECT = re.compile(
    rf"{_ZH_VERB}{_ZH_COUNT}{_ZH_LENGTH}的?(?:关于)?(?P<s>[^，。！？,.!?；;«]{{1,24}}?)的?{ZH_VIDEO_NOUN}"
)
_ZH_ABOUT = re.compile(rf"关于(?P<s>[^，。！？,.!?；;«]{{1,24}}?)的?{ZH_VIDEO_NOUN}")
_ZH_BARE = re.compile(
    rf"^(?:我(?:想)?要|给我|来)?(?:一段|一个|一条|一部|一支){_ZH_LENGTH}的?(?P<s>[^，。！？,.!?；;«]{{1,24}}?)的?{ZH_VIDEO_NOUN}"
)
# A phrase holding one of these is a sentence about the upload ("把这张照片变成"), not a scene.
_ZH_NOT_SCENE = re.compile(r"把|将|用|变成|转成|做成|生成|制作|这张|照片|图片")
_ZH_STYLE = re.compile(
    r"电影感|电影级|电影风格?|大片感?|唯美|高清|超清|4k|1080p|竖屏|横屏|竖版|横版|方形|精美|酷炫|炫酷|漂亮|好看|"
    r"短|小|精彩|动态|ai|[\d.零一二两三四五六七八九十百]+\s*(?:秒钟?|分钟)|半分钟"
)
_ZH_SOURCE = re.compile(r"^(?:这张|这个|这段|该|此)?(?:照片|图片|图像|相片|图|画面|素材|它)?$")


def request_subject(low: str) -> str:
    """What the (lower-cased, quotes replaced) generation request says the video is about, or ""."""
    for finder in (_after_of, _after_label, _before_noun, _chinese):
        found = finder(low)
        if found:
            return found
    return ""


def _after_of(low: str) -> str:
    for keyword in _OF.finditer(low):
        rest = low[keyword.end() :]
        stop = _STOP.search(rest)
        phrase = _clean(rest[: stop.start()] if stop else rest)
        if phrase:
            return phrase
    return ""


def _after_label(low: str) -> str:
    match = _LABEL.search(low)
    return _clean(match.group("s")) if match else ""


def _before_noun(low: str) -> str:
    for match in _BEFORE_NOUN.finditer(low):
        words = [w for w in match.group("s").split() if w not in _NOT_CONTENT and not _DURATION_WORD.match(w)]
        if words:
            return _clean(" ".join(words))
    return ""


_ZH_NAMING = re.compile(r"(?:名为|题为|叫做?|标题为?)\s*«\d+»\s*的?")


def _chinese(low: str) -> str:
    low = _ZH_NAMING.sub("", low)  # "名为“夏日”的海滩视频": the name is the title, the scene is 海滩
    for pattern in (_ZH_ABOUT, _ZH_SUBJECT, _ZH_BARE):
        for match in pattern.finditer(low):
            phrase = _ZH_STYLE.sub("", match.group("s")).strip(" 的、")
            phrase = re.sub(r"^(?:一段|一个|一条|的)+", "", phrase).strip()
            scene = phrase and not _ZH_SOURCE.match(phrase) and not _ZH_NOT_SCENE.search(phrase)
            if scene and not re.fullmatch(r"[\d.\s]+", phrase):
                return phrase[:20]
    return ""


_STARTS_WITH_NOUN = re.compile(rf"^{VIDEO_NOUN}\b")


def _clean(phrase: str) -> str:
    """A subject phrase without leading determiners, or "" when it names the upload or the video
    itself ("of video about leaves": the subject comes after "about"), not a scene."""
    phrase = " ".join(phrase.split()).strip(" -'\"")
    while (trimmed := _DETERMINER.sub("", phrase)) != phrase:
        phrase = trimmed
    if not phrase or "«" in phrase or _SOURCE_WORDS.match(phrase) or _DURATION_WORD.match(phrase):
        return ""
    if _STARTS_WITH_NOUN.match(phrase):
        return ""
    return " ".join(phrase.split()[:8])
