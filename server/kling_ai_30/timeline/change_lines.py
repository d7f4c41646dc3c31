"""The ``✅`` lines that say what changed (the answer to a silent reply), in the request's language."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..language import Language
from .model import Change, ChangeKind

NO_CHANGE = "No visible change to the timeline."


@dataclass(frozen=True)
class _Wording:
    """One language's sentences; ``{track}``, ``{before}``, ``{after}``, ``{what}`` filled in."""

    no_change: str
    track_added: str
    added: str
    track_removed: str
    removed: str
    changed: str
    """A change with its own verb (``verbs``)."""
    canvas_changed: str
    setting: str
    """Any other setting, by its name in words."""
    verbs: Mapping[str, str]
    canvas: Mapping[str, str]
    tracks: Mapping[str, str]
    """The labels ``draft`` gives tracks; a name the backend gave a track is kept as it is."""
    settings: Mapping[str, str]


_ENGLISH = _Wording(
    no_change=NO_CHANGE,
    track_added="✅ {track} track added",
    added="✅ {track} added: {after}",
    track_removed="✅ {track} track removed",
    removed="✅ {track} removed: {before}",
    changed="✅ {track} {what}: {before} → {after}",
    canvas_changed="✅ {what}: {before} → {after}",
    setting="✅ {track} {what} changed: {before} → {after}",
    verbs={
        "trimmed": "trimmed",
        "extended": "extended",
        "moved": "moved",
        "timing": "timing changed",
        "label": "changed",
        "source": "clip replaced",
    },
    canvas={"aspect_ratio": "Aspect ratio changed", "resolution": "Resolution changed"},
    tracks={},
    settings={},
)
_CHINESE = _Wording(
    no_change="时间线没有可见的变化。",
    track_added="✅ 已添加{track}轨道",
    added="✅ 已添加{track}：{after}",
    track_removed="✅ 已删除{track}轨道",
    removed="✅ 已删除{track}：{before}",
    changed="✅ {track}{what}：{before} → {after}",
    canvas_changed="✅ {what}：{before} → {after}",
    setting="✅ {track}的{what}已修改：{before} → {after}",
    verbs={
        "trimmed": "已裁剪",
        "extended": "已延长",
        "moved": "已移动",
        "timing": "时间已调整",
        "text": "文字已修改",
        "volume": "音量已调整",
        "label": "已更改",
        "source": "素材已替换",
    },
    canvas={"aspect_ratio": "画面比例已更改", "resolution": "分辨率已更改"},
    tracks={
        "Video": "视频",
        "BGM": "背景音乐",
        "Title": "标题",
        "Subtitle": "字幕",
        "Caption": "说明文字",
        "Text": "文字",
        "Audio": "音频",
        "Track": "轨道",
        "Canvas": "画布",
    },
    settings={
        "fade out": "淡出",
        "fade in": "淡入",
        "color": "颜色",
        "colour": "颜色",
        "font": "字体",
        "font size": "字号",
        "position": "位置",
        "motion": "运镜",
        "speed": "速度",
        "opacity": "不透明度",
        "transition": "转场",
        "filter": "滤镜",
        "style": "样式",
    },
)


def describe_changes(changes: Sequence[Change], language: Language = "en") -> str:
    """One ``✅`` line per change, or a sentence saying nothing visible changed, in ``language``
    (the request's: the backend's own reply would have been)."""
    wording = _CHINESE if language == "zh" else _ENGLISH
    if not changes:
        return wording.no_change
    return "\n".join(_describe(change, wording) for change in changes)


def _describe(change: Change, wording: _Wording) -> str:
    track = wording.tracks.get(change.track, change.track)
    if change.kind is ChangeKind.ADDED:
        if change.field == "track" or change.after is None:
            return wording.track_added.format(track=track)
        return wording.added.format(track=track, after=change.after)
    if change.kind is ChangeKind.REMOVED:
        if change.field == "track" or change.before is None:
            return wording.track_removed.format(track=track)
        return wording.removed.format(track=track, before=change.before)
    field = change.field or "settings"
    if field in wording.canvas:
        return wording.canvas_changed.format(what=wording.canvas[field], before=change.before, after=change.after)
    if field in wording.verbs:
        return wording.changed.format(track=track, what=wording.verbs[field], before=change.before, after=change.after)
    name, before, after = _setting_shown(field, change.before, change.after)
    return wording.setting.format(track=track, what=wording.settings.get(name, name), before=before, after=after)


def _setting_shown(field: str, before: str | None, after: str | None) -> tuple[str, str | None, str | None]:
    """A setting under the backend's own key (``fade_out_ms``, ``fontSize``) in words, and
    milliseconds as seconds."""
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", field).replace("_", " ").replace("-", " ").lower().split()
    if words[-1:] == ["ms"] and len(words) > 1:
        return " ".join(words[:-1]), _seconds(before), _seconds(after)
    return " ".join(words) or field, before, after


def _seconds(value: str | None) -> str | None:
    try:
        return f"{float(value) / 1000:g} s" if value is not None else None
    except ValueError:
        return value
