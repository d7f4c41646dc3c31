"""The edits a message asks for (:func:`find_edits`): music, volume, titles, subtitles, trim, ratio, fades, speed.

Each edit has its own pattern; values (a style, a colour, a percentage, a quoted title) are read
from the clause that names the edit, and quoted texts are handed to the nearest command that takes
one. An edit whose clause is negated ("don't add music") is dropped.
"""

from __future__ import annotations

import re
from typing import Literal

from kling_ai_30.local.agent.intent import (
    AddMusic,
    AddSubtitle,
    AspectRatio,
    CameraMotion,
    Edit,
    Fade,
    RemoveMusic,
    RemoveSubtitle,
    RemoveTitle,
    SetTitle,
    SetVolume,
    Speed,
    TitleColor,
    Trim,
)
from kling_ai_30.local.agent.lexicon import CJK, CN_NUM, NUM, PLACEHOLDER, camera_motion, cn_number, zh_value

VOLUME_STEP = 0.15

_CLAUSE_END = re.compile(r"[.!?;。！？；\n]")
# Inside a clause, commas part the things asked for: "把标题改成“X”，音乐调小一点" is two requests.
_PHRASE_END = re.compile(r"[.!?;。！？；\n,，、]")


def _clause(text: str, pos: int, ends: re.Pattern[str] = _CLAUSE_END) -> tuple[int, int]:
    start = max((m.end() for m in ends.finditer(text, 0, pos)), default=0)
    end_match = ends.search(text, pos)
    return start, end_match.start() if end_match else len(text)


def _phrase(text: str, pos: int) -> str:
    start, end = _clause(text, pos, _PHRASE_END)
    return text[start:end]


class _Quotes:
    """Hands each quoted text to the nearest command that wants one, once."""

    def __init__(self, low: str, quotes: list[str]) -> None:
        self._low = low
        self._quotes = quotes
        self._used: set[int] = set()

    def near(self, pos: int, end: int) -> str | None:
        start, clause_end = _clause(self._low, pos)
        after = [m for m in PLACEHOLDER.finditer(self._low, end, clause_end) if int(m.group(1)) not in self._used]
        before = [m for m in PLACEHOLDER.finditer(self._low, start, pos) if int(m.group(1)) not in self._used]
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
# Verbs that ask for other music (or music added), not the same music louder or quieter.
_CHANGE = re.compile(
    r"\b(?:change|switch|replace|swap|different|another|new|use|add|put)\b|换|更换|改成|改为|替换|添加|加"
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
_NAMED = re.compile(r"\b(?:titled|entitled|called|named)\b|题为|名为|叫做|名叫")
_SUBTITLE = re.compile(r"\bsub-?titles?\b|\bcaptions?\b|字幕|副标题|说明文字")
_TRIM = [
    re.compile(
        rf"\b(?:trim|cut|shorten|crop|reduce|clip)\b[^.!?;«]{{0,30}}?{NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b"
    ),
    re.compile(rf"\bmake (?:it|the video) {NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s) (?:long|short)\b"),
    re.compile(rf"\b(?:keep )?only the first {NUM}\s*(?:-\s*|\s+)?(?:seconds?|secs?|s)\b"),
    re.compile(rf"(?:剪|裁|截|缩短|控制在|只要前|只保留前)[^，。！？«]{{0,8}}?{CN_NUM}\s*秒"),
]
_RATIO_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "9:16",
        re.compile(
            r"\b9\s*[:x×/]\s*16\b|\bvertical\b|\b(?:to|in|into|as)\s+portrait\b"
            r"|\bportrait\s+(?:mode|format|orientation|video|clip|version)|\btiktok\b|\breels\b"
            r"|\b(?:youtube|yt)\s+shorts\b|\b(?:instagram|ig)\s+stor(?:y|ies)\b|竖屏|竖版|竖向|竖的|抖音"
        ),
    ),
    (
        "16:9",
        re.compile(
            r"\b16\s*[:x×/]\s*9\b|\bhorizontal\b|\bwidescreen\b|\b(?:to|in|into|as)\s+landscape\b"
            r"|\blandscape\s+(?:mode|format|orientation)|\bfor\s+youtube\b(?!\s+shorts)|横屏|横版|横向|横的"
        ),
    ),
    (
        "1:1",
        re.compile(
            r"\b1\s*[:x×/]\s*1\b|\b(?:to|in|into|as|a|it)\s+square\b|\bsquare\s+(?:format|video|aspect|crop|frame|clip)"
            r"|\b(?:instagram|ig)\s+(?:post|feed)\b|正方形|方形|方屏"
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
EXPORT = re.compile(r"\bexport\b|\bdownload\b|\brender\b|导出|下载")
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


def find_edits(command: str, quotes: list[str]) -> list[Edit]:
    """Every edit the message asks for, in the order it mentions them."""
    low = command.lower()
    # Unquoted content (`title: Summer Trip`) keeps its case when lowering kept the offsets.
    original = command if len(command) == len(low) else low
    found: list[tuple[int, Edit]] = []
    texts = _Quotes(low, quotes)

    named = _NAMED.search(low)
    # "a video called "Summer"": the name is the title.
    if named and not _TITLE.search(low) and (text := texts.near(named.start(), named.end())) is not None:
        found.append((named.start(), SetTitle(text)))

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
        elif (
            style_name is None
            and _VOLUME_WORDS.search(phrase := _phrase(low, music.start()))
            and not _CHANGE.search(phrase)
        ):
            step = VOLUME_STEP if _LOUDER.search(phrase) else -VOLUME_STEP
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
            seconds = zh_value(match.group(1))
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

    if (camera := _CAMERA_EDIT.search(low)) and (motion := camera_motion(low)) is not None:
        found.append((camera.start(), CameraMotion(motion)))

    # "don't add music" asks for nothing.
    kept = [(pos, edit) for pos, edit in found if not _NEGATED.search(low[_clause(low, pos)[0] : pos])]
    kept.sort(key=lambda item: item[0])
    return [edit for _, edit in kept]
