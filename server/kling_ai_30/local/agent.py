"""The local backend's agent: a rule-based stand-in for NemoVideo's LLM agent, English and Chinese.

Three pure steps, so each is testable with tables:

- :func:`interpret` turns a message into an :class:`Intent` (generate, edit, or just talk);
- :func:`cost` prices it (see :class:`~kling_ai_30.local.config.Costs`);
- :func:`plan` turns the intent and the session state into a :class:`Plan`: the text to say, the
  tool calls to make, how long each tool "runs", the media files to produce and the state each
  tool result installs. The stream layer executes the plan; nothing here does I/O.

Behaviour copied from the real backend (api notes §5.4): generation is two-stage (the raw clip
first, then `edit_multitrack` adds Lo-fi music at 35 % and a title for 0-3 s); replies assume a
GUI ("click the Export button", "drag the title"); a share of edits is silent (tool calls only).
Quoted text is content: `add title "Generate a video"` adds a title, it does not generate.
"""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass
from typing import Any, Literal

from kling_ai_30.local.config import Costs

Lang = Literal["en", "zh"]
Motion = Literal["zoom_in", "zoom_out", "pan_left", "pan_right", "none"]

DEFAULT_SECONDS = 10
DEFAULT_MOTION: Motion = "zoom_in"
DEFAULT_MUSIC = "Lo-fi"
DEFAULT_MUSIC_VOLUME = 0.35
TITLE_MS = 3000
FADE_MS = 1000
VOLUME_STEP = 0.15
DRAFT_FPS = 30
TEMPORARY_ISSUE = "I encountered a temporary issue. Please try again in a moment."

# Canvas sizes per aspect ratio, 1080p like the skill text's "1080p MP4".
RATIOS: dict[str, tuple[int, int]] = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}

TOOL_GENERATE = "generate_video_with_seedance"
TOOL_EDIT = "edit_multitrack"
TOOL_MUSIC = "generate_music"


# ---------------------------------------------------------------------------------------------
# Intent
# ---------------------------------------------------------------------------------------------


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


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def reply_language(message: str, session_language: str | None) -> Lang:
    """Chinese when the session says so or the message has CJK characters; else English."""
    if session_language and session_language.lower().startswith("zh"):
        return "zh"
    return "zh" if _CJK.search(message) else "en"


_QUOTES = re.compile(
    r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』|‘([^’]*)’|《([^》]*)》|(?<!\w)\'((?:[^\']|\'(?=\w))+)\'(?!\w)'
)
_PLACEHOLDER = re.compile(r"«(\d+)»")


def split_quotes(message: str) -> tuple[str, list[str]]:
    """The message with quoted spans replaced by «n» markers, and the quoted texts in order."""
    quotes: list[str] = []

    def replace(match: re.Match[str]) -> str:
        quotes.append(next(g for g in match.groups() if g is not None).strip())
        return f" «{len(quotes) - 1}» "

    return _QUOTES.sub(replace, message), quotes


def interpret(message: str, session_language: str | None = None) -> Intent:
    """Classify one chat message."""
    language = reply_language(message, session_language)
    command, quotes = split_quotes(message)
    low = command.lower()
    edits = _find_edits(command, quotes)
    if _is_generate(low):
        request = GenerateRequest(
            prompt=message.strip(),
            subject=_subject(low),
            seconds=_duration(low) or DEFAULT_SECONDS,
            motion=_motion(low) or DEFAULT_MOTION,
        )
        return Intent("generate", language, message, generate=request, edits=tuple(edits))
    if edits:
        return Intent("edit", language, message, edits=tuple(edits))
    topic: Literal["help", "export"] = "export" if _EXPORT.search(low) else "help"
    return Intent("chat", language, message, topic=topic)


def cost(intent: Intent, costs: Costs, max_seconds: int = 60) -> int:
    """Credits a run of this intent reserves: per generated second, per edit, or per reply."""
    if intent.kind == "generate" and intent.generate is not None:
        return costs.generation_per_second * min(intent.generate.seconds, max_seconds)
    if intent.kind == "edit":
        return costs.edit
    return costs.text_reply


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


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int | None:
    """Arabic or simple Chinese numerals up to 999 ("30", "三十", "十五", "一百二十")."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            current = _CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    total += current
    return total or None


_NUM = r"(\d+(?:\.\d+)?)"
_CN_NUM = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+)"
_SECONDS_EN = re.compile(rf"{_NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b")
_MINUTES_EN = re.compile(r"\b(\d+|one|a)\s*-?\s*minutes?\b")
_HALF_MINUTE = re.compile(r"\bhalf[- ](?:a[- ])?minute\b|半分钟")
_SECONDS_ZH = re.compile(rf"{_CN_NUM}\s*秒")
_MINUTES_ZH = re.compile(rf"{_CN_NUM}\s*分钟")


def _duration(low: str) -> int | None:
    """Seconds asked for: "30-second", "30 sec", "30s", "30秒", "三十秒", "半分钟", "1 minute"."""
    if _HALF_MINUTE.search(low):
        return 30
    if match := _SECONDS_EN.search(low):
        return max(1, round(float(match.group(1))))
    if match := _SECONDS_ZH.search(low):
        value = _zh_value(match.group(1))
        if value:
            return max(1, round(value))
    if match := _MINUTES_EN.search(low):
        word = match.group(1)
        return 60 * (1 if word in ("one", "a") else int(word))
    if match := _MINUTES_ZH.search(low):
        value = _zh_value(match.group(1))
        if value:
            return round(60 * value)
    return None


def _zh_value(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        number = cn_number(text)
        return float(number) if number is not None else None


_MOTIONS: list[tuple[Motion, re.Pattern[str]]] = [
    ("none", re.compile(r"\bstatic\b|\bno (?:camera )?(?:movement|motion)\b|\bstill camera\b|静止|固定镜头|不动")),
    ("zoom_out", re.compile(r"\bzoom(?:s|ing)?[- ]?out\b|\bpull(?:ing)? back\b|\bdolly out\b|拉远|缩小")),
    ("pan_left", re.compile(r"\bpan(?:s|ning)?\s+(?:to\s+(?:the\s+)?)?left\b|向左|左移|往左")),
    (
        "pan_right",
        re.compile(r"\bpan(?:s|ning)?\s+(?:to\s+(?:the\s+)?)?right\b|\bpan(?:s|ning)?\b|向右|右移|往右|平移"),
    ),
    (
        "zoom_in",
        re.compile(
            r"\bzoom(?:s|ing)?[- ]?in\b|\bpush(?:ing)? in\b|\bdolly in\b|\bslow (?:camera )?(?:movement|zoom|push)\b"
            r"|\bcamera (?:movement|motion)\b|\bken burns\b|推进|拉近|放大|运镜|镜头缓慢|缓慢移动"
        ),
    ),
]


def _motion(low: str) -> Motion | None:
    for motion, pattern in _MOTIONS:
        if pattern.search(low):
            return motion
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


# --- edits ---

_CLAUSE_END = re.compile(r"[.!?;。！？；\n]")


def _clause(text: str, pos: int) -> tuple[int, int]:
    start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, pos)), default=0)
    end_match = _CLAUSE_END.search(text, pos)
    return start, end_match.start() if end_match else len(text)


class _Quotes:
    """Hands each quoted text to the nearest command that wants one, once."""

    def __init__(self, low: str, quotes: list[str]) -> None:
        self._low = low
        self._quotes = quotes
        self._used: set[int] = set()

    def near(self, pos: int, end: int) -> str | None:
        start, clause_end = _clause(self._low, pos)
        after = [m for m in _PLACEHOLDER.finditer(self._low, end, clause_end) if int(m.group(1)) not in self._used]
        before = [m for m in _PLACEHOLDER.finditer(self._low, start, pos) if int(m.group(1)) not in self._used]
        pick = after[0] if after else (before[-1] if before else None)
        if pick is None:
            return None
        index = int(pick.group(1))
        self._used.add(index)
        return self._quotes[index] or None


_REMOVE = re.compile(
    r"\b(?:remove|delete|drop|get rid of|take (?:off|out)|hide|without|no|mute|turn off|stop)\b"
    r"|删除|去掉|移除|删掉|不要|隐藏|关掉|关闭|静音|取消"
)
_NEGATED = re.compile(r"\b(?:don'?t|do not|never|no need to|not)\b|别|不用|无需")
_ADD = re.compile(r"\b(?:add|put|insert|include|give|create|set|use|show|place)\b|添加|加上|加个|加一个|增加|放|加")
_CHANGE = re.compile(
    r"\b(?:change|switch|replace|swap|different|another|new|use|add|put|make)\b|换|更换|改成|改为|替换|添加|加"
)
_VOLUME_WORDS = re.compile(
    r"\bvolume\b|\blouder\b|\bquieter\b|\bsofter\b|\blower\b|\braise\b|\bturn (?:it |the music |the bgm )?(?:up|down)\b"
    r"|\bdown\b|\bup\b|音量|大声|小声|调低|调高|调小|调大|降低|提高|小一点|大一点"
)
_LOUDER = re.compile(r"\blouder\b|\braise\b|\bup\b|\bincrease\b|大声|调高|调大|提高|大一点")
_PERCENT = re.compile(r"(\d{1,3})\s*%|百分之([\d零一二两三四五六七八九十百]+)")
_MUSIC = re.compile(r"\b(?:background music|bgm|music|soundtrack|song|tune)\b|背景音乐|配乐|音乐|歌曲|bgm")
_VOLUME_ONLY = re.compile(r"\bvolume\b|\blouder\b|\bquieter\b|音量")
_TITLE = re.compile(r"(?<![a-z])(?<!sub-)titles?\b|(?<!副)标题")
_SUBTITLE = re.compile(r"\bsub-?titles?\b|\bcaptions?\b|字幕|副标题|说明文字")
_TRIM = [
    re.compile(
        rf"\b(?:trim|cut|shorten|crop|reduce|clip)\b[^.!?;«]{{0,30}}?{_NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b"
    ),
    re.compile(rf"\bmake (?:it|the video) {_NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s) (?:long|short)\b"),
    re.compile(rf"\b(?:keep )?only the first {_NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b"),
    re.compile(rf"(?:剪|裁|截|缩短|控制在|只要前|只保留前)[^，。！？«]{{0,8}}?{_CN_NUM}\s*秒"),
]
_RATIO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "9:16",
        re.compile(
            r"\b9\s*[:x×/]\s*16\b|\bvertical\b|\b(?:to|in|into|as)\s+portrait\b|\bportrait\s+(?:mode|format|orientation)"
            r"|\btiktok\b|\breels\b|竖屏|竖版|竖向|竖的"
        ),
    ),
    (
        "16:9",
        re.compile(
            r"\b16\s*[:x×/]\s*9\b|\bhorizontal\b|\bwidescreen\b|\b(?:to|in|into|as)\s+landscape\b"
            r"|\blandscape\s+(?:mode|format|orientation)|横屏|横版|横向|横的"
        ),
    ),
    (
        "1:1",
        re.compile(
            r"\b1\s*[:x×/]\s*1\b|\b(?:to|in|into|as|a|it)\s+square\b|\bsquare\s+(?:format|video|aspect|crop|frame)"
            r"|正方形|方形|方屏"
        ),
    ),
]
_FADE_IN = re.compile(r"\bfade[- ]?in\b|淡入|渐入|渐显")
_FADE_OUT = re.compile(r"\bfade[- ]?out\b|\bfade[- ]?in\s*(?:and|&|/)\s*out\b|淡出|渐出|渐隐")
_FADE_ANY = re.compile(r"\bfades?\b|\bfading\b")
_SLOWER = re.compile(
    r"\bslow(?:er| it down| down| motion|-mo)\b|\bslow (?:the|it)\b|放慢|减速|慢一点|慢一些|更慢|慢动作|慢放|慢些"
)
_FASTER = re.compile(r"\bfaster\b|\bspeed (?:it |this )?up\b|\bquicker\b|加快|加速|快一点|快一些|更快|快进|快放|快些")
_FACTOR = re.compile(r"\b(\d+(?:\.\d+)?)\s*x\b|(\d+(?:\.\d+)?)\s*倍")
_INTRO = re.compile(r"\b(?:intro|beginning|start|opening|first (?:few )?seconds?)\b|开头|片头|开场|前几秒")
_EXPORT = re.compile(r"\bexport\b|\bdownload\b|\brender\b|导出|下载")
_CAMERA_EDIT = re.compile(r"\bzoom\b|\bpan\b|\bcamera\b|\bstatic\b|镜头|推进|拉远|平移|运镜")

_STYLES: list[tuple[str, re.Pattern[str]]] = [
    ("Upbeat", re.compile(r"\b(?:upbeat|happy|energetic|cheerful|uplifting|fun)\b|欢快|轻快|活泼|动感")),
    ("Lo-fi", re.compile(r"\blo-?fi\b|\bchill\b|lofi")),
    ("Calm", re.compile(r"\b(?:calm|relaxing|ambient|soft|peaceful|gentle)\b|舒缓|轻松|安静|放松|柔和")),
    ("Cinematic", re.compile(r"\b(?:cinematic|epic|dramatic|orchestral)\b|史诗|震撼|电影感|大气")),
    ("Piano", re.compile(r"\bpiano\b|钢琴")),
    ("Jazz", re.compile(r"\bjazz\b|爵士")),
    ("Electronic", re.compile(r"\b(?:electronic|edm|techno)\b|电子")),
    ("Rock", re.compile(r"\brock\b|摇滚")),
    ("Acoustic", re.compile(r"\b(?:acoustic|guitar)\b|吉他|原声")),
]
STYLE_ZH = {
    "Upbeat": "欢快",
    "Lo-fi": "Lo-fi",
    "Calm": "舒缓",
    "Cinematic": "电影感",
    "Piano": "钢琴",
    "Jazz": "爵士",
    "Electronic": "电子",
    "Rock": "摇滚",
    "Acoustic": "原声吉他",
}

_COLORS: list[tuple[str, str, str, re.Pattern[str]]] = [
    ("red", "红色", "#ff3b30", re.compile(r"\bred\b|红")),
    ("orange", "橙色", "#ff9500", re.compile(r"\borange\b|橙|橘")),
    ("yellow", "黄色", "#ffd60a", re.compile(r"\byellow\b|黄")),
    ("green", "绿色", "#34c759", re.compile(r"\bgreen\b|绿")),
    ("blue", "蓝色", "#0a84ff", re.compile(r"\bblue\b|蓝")),
    ("purple", "紫色", "#af52de", re.compile(r"\bpurple\b|\bviolet\b|紫")),
    ("pink", "粉色", "#ff2d55", re.compile(r"\bpink\b|粉")),
    ("gold", "金色", "#ffcc00", re.compile(r"\bgold(?:en)?\b|金")),
    ("gray", "灰色", "#8e8e93", re.compile(r"\bgr[ae]y\b|灰")),
    ("black", "黑色", "#000000", re.compile(r"\bblack\b|黑")),
    ("white", "白色", "#ffffff", re.compile(r"\bwhite\b|白")),
]
_HEX = re.compile(r"#[0-9a-f]{6}\b")
COLOR_ZH = {name: zh for name, zh, _, _ in _COLORS}


def _color(text: str) -> tuple[str, str] | None:
    if match := _HEX.search(text):
        return match.group(0), match.group(0)
    for name, _zh, value, pattern in _COLORS:
        if pattern.search(text):
            return value, name
    return None


def _style_near(low: str, start: int, end: int) -> str | None:
    clause_start, clause_end = _clause(low, start)
    before = low[clause_start:start]
    window = " ".join(before.split()[-2:]) + " " + " ".join(low[end:clause_end].split()[:3])
    if _CJK.search(low[clause_start:clause_end]):
        window = low[clause_start:clause_end]
    for style, pattern in _STYLES:
        if pattern.search(window):
            return style
    return None


def _percent(text: str) -> float | None:
    match = _PERCENT.search(text)
    if match is None:
        return None
    number = cn_number(match.group(1) or match.group(2) or "")
    return None if number is None else max(0.0, min(1.0, number / 100))


def _find_edits(command: str, quotes: list[str]) -> list[Edit]:
    """Every edit the message asks for, in the order it mentions them."""
    low = command.lower()
    # Unquoted content (`title: Summer Trip`) keeps its case when lowering kept the offsets.
    original = command if len(command) == len(low) else low
    found: list[tuple[int, Edit]] = []
    texts = _Quotes(low, quotes)

    if match := _TITLE.search(low):
        start, end = _clause(low, match.start())
        clause = low[start:end]
        before = low[start : match.start()]
        if _REMOVE.search(before):
            found.append((match.start(), RemoveTitle()))
        else:
            text = texts.near(match.start(), match.end())
            if text is None and (colon := re.search(r"(?:titles?|标题)\s*[:：]\s*([^«]+?)\s*$", clause)):
                text = original[start + colon.start(1) : start + colon.end(1)].strip() or None
            color = _color(re.sub(r"«\d+»", " ", clause))
            if text is not None or (color is None and _ADD.search(clause)):
                found.append((match.start(), SetTitle(text)))
            if color is not None:
                found.append((match.start() + 1, TitleColor(*color)))

    if match := _SUBTITLE.search(low):
        start, end = _clause(low, match.start())
        style: Literal["subtitle", "caption"] = "caption" if "caption" in match.group(0) else "subtitle"
        if _REMOVE.search(low[start : match.start()]):
            found.append((match.start(), RemoveSubtitle()))
        else:
            text = texts.near(match.start(), match.end())
            if text is not None or _ADD.search(low[start:end]):
                found.append((match.start(), AddSubtitle(text, style)))

    music = _MUSIC.search(low)
    if music is not None:
        start, end = _clause(low, music.start())
        clause = low[start:end]
        before = low[start : music.start()]
        style_name = _style_near(low, music.start(), music.end())
        level = _percent(clause)
        if _REMOVE.search(before):
            found.append((music.start(), RemoveMusic()))
        elif style_name is None and _VOLUME_WORDS.search(clause) and not _CHANGE.search(clause):
            step = VOLUME_STEP if _LOUDER.search(clause) else -VOLUME_STEP
            found.append((music.start(), SetVolume(level, 0.0 if level is not None else step)))
        else:
            found.append((music.start(), AddMusic(style_name, level)))
    elif volume := _VOLUME_ONLY.search(low):
        start, end = _clause(low, volume.start())
        clause = low[start:end]
        level = _percent(clause)
        step = VOLUME_STEP if _LOUDER.search(clause) else -VOLUME_STEP
        found.append((volume.start(), SetVolume(level, 0.0 if level is not None else step)))

    for pattern in _TRIM:
        if match := pattern.search(low):
            seconds = _zh_value(match.group(1))
            if seconds:
                found.append((match.start(), Trim(seconds)))
            break

    for ratio, pattern in _RATIO_PATTERNS:
        if match := pattern.search(low):
            found.append((match.start(), AspectRatio(ratio)))
            break

    fade_in, fade_out = _FADE_IN.search(low), _FADE_OUT.search(low)
    if fade_in or fade_out:
        first = min(m.start() for m in (fade_in, fade_out) if m is not None)
        found.append((first, Fade(bool(fade_in), bool(fade_out))))
    elif match := _FADE_ANY.search(low):
        found.append((match.start(), Fade(True, True)))

    slower, faster = _SLOWER.search(low), _FASTER.search(low)
    if speed := (slower or faster):
        factor_match = _FACTOR.search(low)
        factor = float(factor_match.group(1) or factor_match.group(2)) if factor_match else None
        if factor is None or factor <= 0:
            factor = 0.5 if slower else 1.5
        found.append((speed.start(), Speed(factor, bool(_INTRO.search(low)))))

    if (camera := _CAMERA_EDIT.search(low)) and (motion := _motion(low)) is not None:
        found.append((camera.start(), CameraMotion(motion)))

    # "don't add music" asks for nothing.
    kept = [(pos, edit) for pos, edit in found if not _NEGATED.search(low[_clause(low, pos)[0] : pos])]
    kept.sort(key=lambda item: item[0])
    return [edit for _, edit in kept]


# ---------------------------------------------------------------------------------------------
# Plan
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """A model text event; `thought` is a hidden reasoning part sent in the same event."""

    text: str
    thought: str | None = None


@dataclass(frozen=True)
class Produce:
    """A media file the tool creates, at `rel_path` under the CDN root."""

    kind: Literal["backdrop", "music"]
    rel_path: str
    prompt: str
    width: int = 0
    height: int = 0
    seconds: float = 0.0


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
    name: str
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


def _t(lang: Lang, en: str, zh: str) -> str:
    return zh if lang == "zh" else en


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[rng.randrange(len(options))]


def _thought(ctx: PlanContext, text: str) -> str | None:
    return text if ctx.rng.random() < ctx.thought_ratio else None


def _plan_chat(intent: Intent, ctx: PlanContext) -> Plan:
    lang = intent.language
    if intent.topic == "export":
        text = _t(
            lang,
            "Click the Export button in the top-right corner to render and download your video.",
            "点击右上角的导出按钮即可渲染并下载视频。",
        )
    else:
        text = _t(
            lang,
            "I can turn a photo or a text prompt into a video (up to a minute) and edit it: add background "
            "music, a title or subtitles, trim it, switch between 16:9, 9:16 and 1:1, add fades or change the "
            'speed. Try "generate a 30-second cinematic video of a mountain landscape".',
            "我可以把照片或文字描述变成视频（最长一分钟），还能编辑：添加背景音乐、标题或字幕、剪辑时长、"
            "切换横屏/竖屏/方形、淡入淡出或调整速度。试试说“生成一段30秒的山景电影感视频”。",
        )
    thought = _thought(ctx, "No tool is needed for this message; answer with text.")
    return Plan((Say(text, thought),), charge=ctx.costs.text_reply)


MOTION_TEXT: dict[Motion, tuple[str, str]] = {
    "zoom_in": ("a slow zoom-in", "缓慢推进"),
    "zoom_out": ("a slow zoom-out", "缓慢拉远"),
    "pan_left": ("a pan to the left", "向左平移"),
    "pan_right": ("a pan to the right", "向右平移"),
    "none": ("a static camera", "固定镜头"),
}


def _slug(text: str) -> str:
    ascii_words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(ascii_words)[:40] or "media"


def _title_from(subject: str) -> str:
    if _CJK.search(subject):
        return subject[:16]
    return " ".join(w[:1].upper() + w[1:] for w in subject.split()[:5])[:40]


def _plan_generate(intent: Intent, request: GenerateRequest, state: dict[str, Any], ctx: PlanContext) -> Plan:
    lang = intent.language
    seconds = min(request.seconds, ctx.max_generation_seconds)
    duration_ms = seconds * 1000
    source = ctx.source
    subject = request.subject or (source.name if source is not None else "") or _t(lang, "video", "视频")
    title_text = next((e.text for e in intent.edits if isinstance(e, SetTitle) and e.text), None) or _title_from(
        subject
    )
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
        produce.append(Produce("backdrop", rel, prompt=subject, width=width, height=height))
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
    start_text = _pick(
        ctx.rng,
        [
            _t(
                lang,
                f"Sure — I'll generate a {seconds}-second video of {subject} with {MOTION_TEXT[motion][0]}. "
                "This usually takes a minute or two.",
                f"好的，我来为你生成一段{seconds}秒的{subject}视频，镜头{MOTION_TEXT[motion][1]}，通常需要一两分钟。",
            ),
            _t(
                lang,
                f"On it! Generating your {seconds}-second {subject} video now — I'll add music and a title "
                "once the clip is ready.",
                f"收到！正在生成{seconds}秒的{subject}视频，片段完成后我会自动加上音乐和标题。",
            ),
        ],
    )
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
        staged["t"].append(_track(staged, 1, "BGM", [_audio_segment(staged, music_url, style, volume, duration_ms)]))
        operations.append({"op": "add_track", "type": "bgm", "name": style, "volume": volume, "url": music_url})
    staged["t"].append(_track(staged, 7, "Title", [_text_segment(staged, title_text, "title", duration_ms)]))
    operations.append({"op": "add_track", "type": "title", "text": title_text, "start_ms": 0, "end_ms": TITLE_MS})
    extras = [e for e in intent.edits if isinstance(e, AddSubtitle | Fade | Speed | TitleColor)]
    for extra in extras:
        change = _apply(extra, staged, canvas)
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
    music_en = "" if wants_no_music else f"{style} background music and "
    music_zh = "" if wants_no_music else f"{STYLE_ZH.get(style, style)}背景音乐和"
    done = _pick(
        ctx.rng,
        [
            _t(
                lang,
                f"Your {seconds}-second video is ready! Click the Export button to download it, "
                "or open the timeline panel to preview.",
                "视频已生成！点击导出按钮即可下载，也可以打开时间线面板预览。",
            ),
            _t(
                lang,
                f'Done! I generated a {seconds}-second clip of {subject} and added {music_en}the title "{title_text}". '
                "Preview in timeline to check the timing, then click Export to download.",
                f"完成！已生成{seconds}秒的{subject}视频，并添加了{music_zh}标题“{title_text}”。"
                "在时间线中预览检查时间，满意后点击导出按钮下载。",
            ),
            _t(
                lang,
                f"All set — your {seconds}-second video is on the timeline with {music_en}a title. "
                "Drag the title to reposition it, or click the Export button when you're happy.",
                f"搞定！{seconds}秒视频已放到时间线上，带有{music_zh}标题。拖拽标题可调整位置，满意后点击导出按钮。",
            ),
        ],
    )
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


# --- draft helpers ---


def _next_id(draft: dict[str, Any], prefix: str) -> str:
    numbers = [0]
    for track in draft.get("t", []):
        numbers.append(_id_number(track.get("id"), prefix))
        numbers.extend(_id_number(seg.get("id"), prefix) for seg in track.get("sg", []))
    return f"{prefix}{max(numbers) + 1}"


def _id_number(value: Any, prefix: str) -> int:
    if isinstance(value, str) and value.startswith(prefix) and value[len(prefix) :].isdigit():
        return int(value[len(prefix) :])
    return 0


def _track(draft: dict[str, Any], tt: int, name: str, segments: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": _next_id(draft, "trk_"), "tt": tt, "sg": segments, "m": {"name": name}}


def _audio_segment(draft: dict[str, Any], url: str, style: str, volume: float, duration_ms: int) -> dict[str, Any]:
    return {
        "id": _next_id(draft, "seg_"),
        "st": 0,
        "d": duration_ms,
        "src": url,
        "m": {"name": style, "volume": round(volume, 2)},
    }


def _text_segment(draft: dict[str, Any], text: str, style: str, duration_ms: int) -> dict[str, Any]:
    if style == "title":
        start, length, position = 0, min(TITLE_MS, duration_ms), "center"
    else:
        start, length, position = 0, duration_ms, "bottom"
    seg_id = _next_id(draft, "seg_")
    return {
        "id": seg_id,
        "st": start,
        "d": length,
        "m": {"text": text, "style": style, "position": position, "color": "#ffffff"},
    }


def _find_track(draft: dict[str, Any], tt: int, name: str | None = None) -> dict[str, Any] | None:
    tracks: list[dict[str, Any]] = draft.get("t", [])
    for track in tracks:
        if track.get("tt") == tt and (name is None or track.get("m", {}).get("name") == name):
            return track
    return None


def _remove_track(draft: dict[str, Any], track: dict[str, Any]) -> None:
    draft["t"] = [t for t in draft.get("t", []) if t is not track]


def _video_segments(draft: dict[str, Any]) -> list[dict[str, Any]]:
    return [seg for track in draft.get("t", []) if track.get("tt") == 0 for seg in track.get("sg", [])]


def has_segments(draft: Any) -> bool:
    """Export-ready: at least one track with segments (api notes §3.8)."""
    if not isinstance(draft, dict) or not isinstance(draft.get("t"), list):
        return False
    return any(isinstance(t, dict) and isinstance(t.get("sg"), list) and t["sg"] for t in draft["t"])


@dataclass
class _Change:
    op: dict[str, Any]
    en: str
    zh: str
    tip: Literal["title", "timing", "panel", "export"] = "timing"


@dataclass
class _NoChange:
    en: str
    zh: str


def _pct(volume: float) -> int:
    return round(volume * 100)


def _apply(edit: Edit, draft: dict[str, Any], canvas: dict[str, Any]) -> _Change | None:
    """Apply one edit in place (draft and canvas); None when it changes nothing."""
    result = _apply_or_explain(edit, draft, canvas, None)
    return result if isinstance(result, _Change) else None


def _apply_or_explain(
    edit: Edit, draft: dict[str, Any], canvas: dict[str, Any], music_url: str | None
) -> _Change | _NoChange:
    duration_ms = int(draft.get("d") or 0)
    meta = draft.setdefault("m", {})
    if isinstance(edit, AddMusic):
        track = _find_track(draft, 1)
        if music_url is None and track is not None:  # same music, new volume
            volume = edit.volume if edit.volume is not None else DEFAULT_MUSIC_VOLUME
            for seg in track["sg"]:
                seg.setdefault("m", {})["volume"] = round(volume, 2)
            return _Change(
                {"op": "set_volume", "track": "BGM", "volume": volume},
                f"Set the background music volume to {_pct(volume)}%.",
                f"背景音乐音量已调整为{_pct(volume)}%。",
            )
        style = edit.style or DEFAULT_MUSIC
        url = music_url or ""
        if track is not None:
            old = track["sg"][0].get("m", {}) if track["sg"] else {}
            volume = edit.volume if edit.volume is not None else float(old.get("volume", DEFAULT_MUSIC_VOLUME))
            track["sg"] = [_audio_segment(draft, url, style, volume, duration_ms)]
            track["sg"][0]["id"] = old.get("id") or track["sg"][0]["id"]
            return _Change(
                {"op": "replace_audio", "track": "BGM", "name": style, "volume": volume, "url": url},
                f"Switched the background music to {style} at {_pct(volume)}% volume.",
                f"背景音乐已换成{STYLE_ZH.get(style, style)}，音量{_pct(volume)}%。",
            )
        volume = edit.volume if edit.volume is not None else DEFAULT_MUSIC_VOLUME
        draft["t"].append(_track(draft, 1, "BGM", [_audio_segment(draft, url, style, volume, duration_ms)]))
        return _Change(
            {"op": "add_track", "type": "bgm", "name": style, "volume": volume, "url": url},
            f"Added {style} background music at {_pct(volume)}% volume.",
            f"已添加{STYLE_ZH.get(style, style)}背景音乐，音量{_pct(volume)}%。",
        )
    if isinstance(edit, RemoveMusic):
        track = _find_track(draft, 1)
        if track is None:
            return _NoChange("there is no background music to remove", "当前没有背景音乐可以移除")
        _remove_track(draft, track)
        return _Change({"op": "remove_track", "track": "BGM"}, "Removed the background music.", "已移除背景音乐。")
    if isinstance(edit, SetVolume):
        track = _find_track(draft, 1)
        if track is None or not track["sg"]:
            return _NoChange("there is no background music yet — ask me to add some", "还没有背景音乐，可以先让我添加")
        current = float(track["sg"][0].get("m", {}).get("volume", DEFAULT_MUSIC_VOLUME))
        volume = edit.level if edit.level is not None else max(0.0, min(1.0, current + edit.step))
        volume = round(volume, 2)
        for seg in track["sg"]:
            seg.setdefault("m", {})["volume"] = volume
        return _Change(
            {"op": "set_volume", "track": "BGM", "volume": volume},
            f"Set the background music volume to {_pct(volume)}%.",
            f"背景音乐音量已调整为{_pct(volume)}%。",
        )
    if isinstance(edit, SetTitle):
        text = edit.text or str(meta.get("title") or "My Video")
        track = _find_track(draft, 7, "Title")
        meta["title"] = text
        if track is not None and track["sg"]:
            track["sg"][0]["m"]["text"] = text
            return _Change(
                {"op": "set_text", "track": "Title", "text": text},
                f'Changed the title to "{text}".',
                f"标题已改为“{text}”。",
                tip="title",
            )
        draft["t"].append(_track(draft, 7, "Title", [_text_segment(draft, text, "title", duration_ms)]))
        end_s = min(TITLE_MS, duration_ms) // 1000
        return _Change(
            {"op": "add_track", "type": "title", "text": text, "start_ms": 0, "end_ms": min(TITLE_MS, duration_ms)},
            f'Added the title "{text}" (0-{end_s}s).',
            f"已添加标题“{text}”（0-{end_s}秒）。",
            tip="title",
        )
    if isinstance(edit, RemoveTitle):
        track = _find_track(draft, 7, "Title")
        if track is None:
            return _NoChange("there is no title to remove", "当前没有标题可以移除")
        _remove_track(draft, track)
        return _Change({"op": "remove_track", "track": "Title"}, "Removed the title.", "已移除标题。")
    if isinstance(edit, TitleColor):
        track = _find_track(draft, 7, "Title")
        if track is None:
            text = str(meta.get("title") or "My Video")
            track = _track(draft, 7, "Title", [_text_segment(draft, text, "title", duration_ms)])
            draft["t"].append(track)
        for seg in track["sg"]:
            seg.setdefault("m", {})["color"] = edit.color
        return _Change(
            {"op": "set_style", "track": "Title", "color": edit.color},
            f"Changed the title colour to {edit.name}.",
            f"标题颜色已改为{COLOR_ZH.get(edit.name, edit.name)}。",
            tip="title",
        )
    if isinstance(edit, AddSubtitle):
        text = edit.text or str(meta.get("title") or "")
        if not text:
            return _NoChange('tell me the subtitle text in quotes, e.g. add subtitle "Hello"', "请用引号告诉我字幕内容")
        segment = _text_segment(draft, text, edit.style, duration_ms)
        track = _find_track(draft, 7, "Subtitle")
        if track is None:
            draft["t"].append(_track(draft, 7, "Subtitle", [segment]))
        else:
            track["sg"] = [segment]
        word = "caption" if edit.style == "caption" else "subtitle"
        return _Change(
            {"op": "set_text", "track": "Subtitle", "text": text, "style": edit.style, "position": "bottom"},
            f'Added the {word} "{text}" at the bottom.',
            f"已在底部添加字幕“{text}”。",
            tip="panel",
        )
    if isinstance(edit, RemoveSubtitle):
        track = _find_track(draft, 7, "Subtitle")
        if track is None:
            return _NoChange("there are no subtitles to remove", "当前没有字幕可以移除")
        _remove_track(draft, track)
        return _Change({"op": "remove_track", "track": "Subtitle"}, "Removed the subtitles.", "已移除字幕。")
    if isinstance(edit, Trim):
        target = max(1000, round(edit.seconds * 1000))
        if target >= duration_ms:
            return _NoChange(
                f"the video is already {duration_ms / 1000:g} seconds long", f"视频已经只有{duration_ms / 1000:g}秒"
            )
        for track in draft.get("t", []):
            kept = []
            for seg in track.get("sg", []):
                start = int(seg.get("st", 0))
                if start >= target:
                    continue
                seg["d"] = min(int(seg.get("d", 0)), target - start)
                kept.append(seg)
            track["sg"] = kept
        draft["d"] = target
        return _Change(
            {"op": "trim", "duration_ms": target},
            f"Trimmed the video to {target / 1000:g} seconds.",
            f"视频已剪到{target / 1000:g}秒。",
        )
    if isinstance(edit, AspectRatio):
        width, height = RATIOS[edit.ratio]
        if meta.get("ratio") == edit.ratio and meta.get("width") == width:
            return _NoChange(f"the video is already {edit.ratio}", f"视频已经是{edit.ratio}")
        meta.update({"width": width, "height": height, "ratio": edit.ratio})
        canvas.update({"width": width, "height": height, "ratio": edit.ratio})
        zh_name = {"9:16": "竖屏 9:16", "16:9": "横屏 16:9", "1:1": "方形 1:1"}[edit.ratio]
        return _Change(
            {"op": "set_canvas", "ratio": edit.ratio, "width": width, "height": height},
            f"Switched the canvas to {edit.ratio} ({width}×{height}).",
            f"画面已切换为{zh_name}（{width}×{height}）。",
            tip="panel",
        )
    if isinstance(edit, Fade):
        segments = _video_segments(draft)
        if not segments:
            return _NoChange("there is no video clip to fade", "没有可以淡入淡出的视频片段")
        if edit.fade_in:
            segments[0].setdefault("m", {})["fade_in_ms"] = min(FADE_MS, int(segments[0]["d"]) // 2)
        if edit.fade_out:
            segments[-1].setdefault("m", {})["fade_out_ms"] = min(FADE_MS, int(segments[-1]["d"]) // 2)
            music = _find_track(draft, 1)
            if music is not None and music["sg"]:
                music["sg"][-1].setdefault("m", {})["fade_out_ms"] = FADE_MS
        which_en = " and ".join(w for w, on in (("a fade-in", edit.fade_in), ("a fade-out", edit.fade_out)) if on)
        which_zh = "和".join(w for w, on in (("淡入", edit.fade_in), ("淡出", edit.fade_out)) if on)
        return _Change(
            {"op": "fade", "in_ms": FADE_MS if edit.fade_in else 0, "out_ms": FADE_MS if edit.fade_out else 0},
            f"Added {which_en}.",
            f"已添加{which_zh}效果。",
        )
    if isinstance(edit, Speed):
        segments = _video_segments(draft)
        if not segments:
            return _NoChange("there is no video clip to speed up or slow down", "没有可以调速的视频片段")
        targets = segments[:1] if edit.intro_only else segments
        for seg in targets:
            seg.setdefault("m", {})["speed"] = edit.factor
        part_en = "the intro" if edit.intro_only else "the video"
        part_zh = "开头" if edit.intro_only else "视频"
        verb_en = "Slowed" if edit.factor < 1 else "Sped up"
        verb_zh = "放慢" if edit.factor < 1 else "加快"
        return _Change(
            {"op": "set_speed", "factor": edit.factor, "scope": "intro" if edit.intro_only else "all"},
            f"{verb_en} {part_en} to {edit.factor:g}x.",
            f"{part_zh}已{verb_zh}到{edit.factor:g}倍速。",
        )
    # CameraMotion
    segments = _video_segments(draft)
    if not segments:
        return _NoChange("there is no video clip to move the camera on", "没有可以调整镜头的视频片段")
    for seg in segments:
        seg.setdefault("m", {})["motion"] = edit.motion
    return _Change(
        {"op": "set_motion", "motion": edit.motion},
        f"Changed the camera movement to {MOTION_TEXT[edit.motion][0]}.",
        f"镜头运动已改为{MOTION_TEXT[edit.motion][1]}。",
    )


_TIPS: dict[str, tuple[str, str]] = {
    "title": ("Drag the title to reposition it.", "拖拽标题可调整位置。"),
    "timing": ("Preview in timeline to check the timing.", "在时间线中预览以检查时间。"),
    "panel": ("Open the timeline panel to fine-tune it.", "打开时间线面板可以进一步微调。"),
    "export": ("Click the Export button when you're ready to download.", "准备好后点击导出按钮即可下载。"),
}


def _plan_edit(intent: Intent, state: dict[str, Any], ctx: PlanContext) -> Plan:
    lang = intent.language
    draft = copy.deepcopy(state.get("draft") or {})
    if not has_segments(draft):
        text = _t(
            lang,
            "There's no video on the timeline yet. Tell me what to generate first — for example "
            '"generate a 10-second video of a sunset over the sea".',
            "时间线上还没有视频。请先告诉我要生成什么，例如“生成一段10秒的海上日落视频”。",
        )
        return Plan((Say(text),), charge=0)
    canvas = copy.deepcopy(state.get("canvas_config") or {})
    media = list(state.get("generated_media") or [])
    # Decided before anything else so the seeded sequence does not depend on the edit's content.
    silent = ctx.rng.random() < ctx.silent_edit_ratio
    if ctx.silent_override is not None:
        silent = ctx.silent_override

    steps: list[Step] = []
    changes: list[_Change] = []
    reasons: list[_NoChange] = []
    for edit in intent.edits:
        music_url = None
        if isinstance(edit, AddMusic) and (edit.style is not None or _find_track(draft, 1) is None):
            tool, music_url = _music_tool(edit.style or DEFAULT_MUSIC, int(draft.get("d", 0)) / 1000, media, ctx)
            steps.append(tool)
        result = _apply_or_explain(edit, draft, canvas, music_url)
        if isinstance(result, _Change):
            changes.append(result)
        else:
            reasons.append(result)

    if not changes:
        reason = "; ".join(_t(lang, r.en, r.zh) for r in reasons)
        text = _t(lang, f"Nothing to change: {reason}.", f"没有需要修改的内容：{reason}。")
        return Plan((Say(text),), charge=0)

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
    said = " ".join(_t(lang, c.en, c.zh) for c in changes)
    if reasons:
        said += " " + _t(lang, "Skipped: ", "未修改：") + "; ".join(_t(lang, r.en, r.zh) for r in reasons) + "."
    tip_key = changes[-1].tip if changes[-1].tip == "title" else _pick(ctx.rng, ["timing", "panel", "export"])
    tip = _TIPS[tip_key]
    text = f"{said} {_t(lang, tip[0], tip[1])}" if lang == "en" else f"{said}{tip[1]}"
    return Plan((*steps, Say(text, thought)), charge=ctx.costs.edit)
