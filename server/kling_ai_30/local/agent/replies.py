"""What the agent says, in English or Chinese: the wording copied from the real backend.

The real agent talks as if the user had the web editor open ("click the Export button", "drag the
title", "preview in timeline"; api notes §5.4), and the client's GUI translation has to cope with
that, so the local agent says the same things. Where the real agent varies its wording, one
phrasing is picked with the session's seeded RNG, so a seeded run always says the same.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from kling_ai_30.local.agent.intent import Lang, Motion
from kling_ai_30.local.agent.lexicon import CJK
from kling_ai_30.local.agent.naming import ClipName

TEMPORARY_ISSUE = "I encountered a temporary issue. Please try again in a moment."

MOTION_TEXT: dict[Motion, tuple[str, str]] = {
    "zoom_in": ("a slow zoom-in", "缓慢推进"),
    "zoom_out": ("a slow zoom-out", "缓慢拉远"),
    "pan_left": ("a pan to the left", "向左平移"),
    "pan_right": ("a pan to the right", "向右平移"),
    "none": ("a static camera", "固定镜头"),
}
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
COLOR_ZH = {
    "red": "红色",
    "orange": "橙色",
    "yellow": "黄色",
    "green": "绿色",
    "blue": "蓝色",
    "purple": "紫色",
    "pink": "粉色",
    "gold": "金色",
    "gray": "灰色",
    "black": "黑色",
    "white": "白色",
}
Tip = Literal["title", "timing", "panel", "export"]
TIPS: dict[str, tuple[str, str]] = {
    "title": ("Drag the title to reposition it.", "拖拽标题可调整位置。"),
    "timing": ("Preview in timeline to check the timing.", "在时间线中预览以检查时间。"),
    "panel": ("Open the timeline panel to fine-tune it.", "打开时间线面板可以进一步微调。"),
    "export": ("Click the Export button when you're ready to download.", "准备好后点击导出按钮即可下载。"),
}


class Bilingual(Protocol):
    """Anything that says one thing in both languages (an applied edit, a reason for skipping one)."""

    @property
    def en(self) -> str: ...

    @property
    def zh(self) -> str: ...


def t(lang: Lang, en: str, zh: str) -> str:
    """The text in the reply language."""
    return zh if lang == "zh" else en


def pick(rng: random.Random, options: list[str]) -> str:
    """One of several phrasings, chosen by the session's seeded RNG."""
    return options[rng.randrange(len(options))]


def chat_reply(lang: Lang, topic: Literal["help", "export"]) -> str:
    """The answer to a message that asks for nothing: how to export, or what the agent can do."""
    if topic == "export":
        return t(
            lang,
            "Click the Export button in the top-right corner to render and download your video.",
            "点击右上角的导出按钮即可渲染并下载视频。",
        )
    return t(
        lang,
        "I can turn a photo or a text prompt into a video (up to a minute) and edit it: add background "
        "music, a title or subtitles, trim it, switch between 16:9, 9:16 and 1:1, add fades or change the "
        'speed. Try "generate a 30-second cinematic video of a mountain landscape".',
        "我可以把照片或文字描述变成视频（最长一分钟），还能编辑：添加背景音乐、标题或字幕、剪辑时长、"
        "切换横屏/竖屏/方形、淡入淡出或调整速度。试试说“生成一段30秒的山景电影感视频”。",
    )


def generation_started(rng: random.Random, lang: Lang, seconds: int, name: ClipName, motion: Motion) -> str:
    """Said before the generation tool runs."""
    en_of, zh_made = _made(name)
    return pick(
        rng,
        [
            t(
                lang,
                f"Sure — I'll generate a {seconds}-second video {en_of} with {MOTION_TEXT[motion][0]}. "
                "This usually takes a minute or two.",
                f"好的，我来{zh_made(seconds)}，镜头{MOTION_TEXT[motion][1]}，通常需要一两分钟。",
            ),
            t(
                lang,
                f"On it! Generating your {seconds}-second video {en_of} now — I'll add music and a title "
                "once the clip is ready.",
                f"收到！正在{zh_made(seconds)}，片段完成后我会自动加上音乐和标题。",
            ),
        ],
    )


def generation_done(rng: random.Random, lang: Lang, seconds: int, name: ClipName, music: str | None, title: str) -> str:
    """Said when the clip is on the timeline; `music` is the style added, None when the user wanted none."""
    en_of, zh_made = _made(name)
    music_en = "" if music is None else f"{music} background music and "
    music_zh = "" if music is None else f"{STYLE_ZH.get(music, music)}背景音乐和"
    return pick(
        rng,
        [
            t(
                lang,
                f"Your {seconds}-second video is ready! Click the Export button to download it, "
                "or open the timeline panel to preview.",
                "视频已生成！点击导出按钮即可下载，也可以打开时间线面板预览。",
            ),
            t(
                lang,
                f'Done! I generated a {seconds}-second clip {en_of} and added {music_en}the title "{title}". '
                "Preview in timeline to check the timing, then click Export to download.",
                f"完成！已{zh_made(seconds)}，并添加了{music_zh}标题“{title}”。"
                "在时间线中预览检查时间，满意后点击导出按钮下载。",
            ),
            t(
                lang,
                f"All set — your {seconds}-second video is on the timeline with {music_en}a title. "
                "Drag the title to reposition it, or click the Export button when you're happy.",
                f"搞定！{seconds}秒视频已放到时间线上，带有{music_zh}标题。拖拽标题可调整位置，满意后点击导出按钮。",
            ),
        ],
    )


def _made(name: ClipName) -> tuple[str, Callable[[int], str]]:
    """How the replies say what the clip is made of: "of waves at sunset" / "from your photo", and
    the Chinese verb phrase for a length ("生成一段5秒的海浪视频" / "用这张照片生成一段5秒的视频")."""
    if name.from_upload:
        return f"from {name.subject}", lambda seconds: f"用{name.subject}生成一段{seconds}秒的视频"
    joint = "" if CJK.search(name.subject[-1:]) else " "  # "海浪视频", but "waves 视频"
    return f"of {name.spoken}", lambda seconds: f"生成一段{seconds}秒的{name.subject}{joint}视频"


def no_video_yet(lang: Lang) -> str:
    """The answer to an edit when there is nothing on the timeline."""
    return t(
        lang,
        "There's no video on the timeline yet. Tell me what to generate first — for example "
        '"generate a 10-second video of a sunset over the sea".',
        "时间线上还没有视频。请先告诉我要生成什么，例如“生成一段10秒的海上日落视频”。",
    )


def nothing_to_change(lang: Lang, reasons: Sequence[Bilingual]) -> str:
    """The answer when every requested edit had nothing to act on."""
    reason = "; ".join(t(lang, r.en, r.zh) for r in reasons)
    return t(lang, f"Nothing to change: {reason}.", f"没有需要修改的内容：{reason}。")


def edits_done(
    rng: random.Random, lang: Lang, changes: Sequence[Bilingual], reasons: Sequence[Bilingual], last_tip: Tip
) -> str:
    """What was changed, what was skipped and why, and a GUI tip (the title tip after a title edit)."""
    said = " ".join(t(lang, c.en, c.zh) for c in changes)
    if reasons:
        said += " " + t(lang, "Skipped: ", "未修改：") + "; ".join(t(lang, r.en, r.zh) for r in reasons) + "."
    tip_key = last_tip if last_tip == "title" else pick(rng, ["timing", "panel", "export"])
    tip = TIPS[tip_key]
    return f"{said} {t(lang, tip[0], tip[1])}" if lang == "en" else f"{said}{tip[1]}"
