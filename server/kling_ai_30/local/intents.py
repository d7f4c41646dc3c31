"""What a chat message asks for: the :class:`Intent` (generate, edit, or just talk) and its price.

The local backend's stand-in for NemoVideo's LLM reads English and Chinese with rule tables:
:func:`interpret` classifies a message, :func:`cost` prices it (see
:class:`~kling_ai_30.local.state.config.Costs`). Both are pure, so they are tested with tables; what the
agent then does with an intent is :mod:`~kling_ai_30.local.agent`'s business.

Quoted text is content, not a command: `add title "Generate a video"` adds a title, it does not
generate. Negations are respected: "don't add music" asks for nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kling_ai_30.local.state.config import Costs

Lang = Literal["en", "zh"]
Motion = Literal["zoom_in", "zoom_out", "pan_left", "pan_right", "none"]

DEFAULT_SECONDS = 10
DEFAULT_MOTION: Motion = "zoom_in"
VOLUME_STEP = 0.15


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


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def reply_language(message: str, session_language: str | None) -> Lang:
    """Chinese when the session says so or the message has CJK characters; else English."""
    if session_language and session_language.lower().startswith("zh"):
        return "zh"
    return "zh" if CJK.search(message) else "en"


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

_COLORS: list[tuple[str, str, re.Pattern[str]]] = [
    ("red", "#ff3b30", re.compile(r"\bred\b|红")),
    ("orange", "#ff9500", re.compile(r"\borange\b|橙|橘")),
    ("yellow", "#ffd60a", re.compile(r"\byellow\b|黄")),
    ("green", "#34c759", re.compile(r"\bgreen\b|绿")),
    ("blue", "#0a84ff", re.compile(r"\bblue\b|蓝")),
    ("purple", "#af52de", re.compile(r"\bpurple\b|\bviolet\b|紫")),
    ("pink", "#ff2d55", re.compile(r"\bpink\b|粉")),
    ("gold", "#ffcc00", re.compile(r"\bgold(?:en)?\b|金")),
    ("gray", "#8e8e93", re.compile(r"\bgr[ae]y\b|灰")),
    ("black", "#000000", re.compile(r"\bblack\b|黑")),
    ("white", "#ffffff", re.compile(r"\bwhite\b|白")),
]
_HEX = re.compile(r"#[0-9a-f]{6}\b")


def _color(text: str) -> tuple[str, str] | None:
    if match := _HEX.search(text):
        return match.group(0), match.group(0)
    for name, value, pattern in _COLORS:
        if pattern.search(text):
            return value, name
    return None


def _style_near(low: str, start: int, end: int) -> str | None:
    clause_start, clause_end = _clause(low, start)
    before = low[clause_start:start]
    window = " ".join(before.split()[-2:]) + " " + " ".join(low[end:clause_end].split()[:3])
    if CJK.search(low[clause_start:clause_end]):
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
