"""The draft timeline (short keys, api notes §6.1) and the edits that change it.

A draft is `{"t": [track…], "d": duration_ms, "m": meta}`; a track is `{"id", "tt", "sg": [segment…],
"m"}` with `tt` 0 for video, 1 for background music and 7 for text (title, subtitles); a segment is
`{"id", "st", "d", "src"?, "m"}`. :func:`apply_or_explain` applies one
:data:`~kling_ai_30.local.agent.intent.Edit` in place and says what it did in both languages, or why
it changed nothing; the agent turns those sentences into its reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kling_ai_30.local.agent.intent import (
    AddMusic,
    AddSubtitle,
    AspectRatio,
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
from kling_ai_30.local.agent.replies import COLOR_ZH, MOTION_TEXT, STYLE_ZH, Tip

DEFAULT_MUSIC = "Lo-fi"
DEFAULT_MUSIC_VOLUME = 0.35
TITLE_MS = 3000
FADE_MS = 1000
DRAFT_FPS = 30

# Canvas sizes per aspect ratio, 1080p like the skill text's "1080p MP4".
RATIOS: dict[str, tuple[int, int]] = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}


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


def new_track(draft: dict[str, Any], tt: int, name: str, segments: list[dict[str, Any]]) -> dict[str, Any]:
    """A track of type `tt` with the next free `trk_` id (not yet added to `draft`)."""
    return {"id": _next_id(draft, "trk_"), "tt": tt, "sg": segments, "m": {"name": name}}


def audio_segment(draft: dict[str, Any], url: str, style: str, volume: float, duration_ms: int) -> dict[str, Any]:
    """A background-music segment playing `url` from the start for `duration_ms`."""
    return {
        "id": _next_id(draft, "seg_"),
        "st": 0,
        "d": duration_ms,
        "src": url,
        "m": {"name": style, "volume": round(volume, 2)},
    }


def text_segment(draft: dict[str, Any], text: str, style: str, duration_ms: int) -> dict[str, Any]:
    """A text overlay: a title centred for the first seconds, anything else at the bottom throughout."""
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


def find_track(draft: dict[str, Any], tt: int, name: str | None = None) -> dict[str, Any] | None:
    """The first track of type `tt` (and display name `name`, if given), or None."""
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
class Change:
    """An edit that changed the draft: the timeline operation, what was done, and which GUI tip fits."""

    op: dict[str, Any]
    en: str
    zh: str
    tip: Tip = "timing"


@dataclass
class NoChange:
    """An edit that had nothing to act on, and why (a clause to continue "Nothing to change: ...")."""

    en: str
    zh: str


def _pct(volume: float) -> int:
    return round(volume * 100)


def apply(edit: Edit, draft: dict[str, Any], canvas: dict[str, Any]) -> Change | None:
    """Apply one edit in place (draft and canvas); None when it changes nothing."""
    result = apply_or_explain(edit, draft, canvas, None)
    return result if isinstance(result, Change) else None


def apply_or_explain(
    edit: Edit, draft: dict[str, Any], canvas: dict[str, Any], music_url: str | None
) -> Change | NoChange:
    """Apply one edit in place, or explain why it changes nothing; `music_url` is newly generated music."""
    duration_ms = int(draft.get("d") or 0)
    meta = draft.setdefault("m", {})
    if isinstance(edit, AddMusic):
        track = find_track(draft, 1)
        if music_url is None and track is not None:  # same music, new volume
            volume = edit.volume if edit.volume is not None else DEFAULT_MUSIC_VOLUME
            for seg in track["sg"]:
                seg.setdefault("m", {})["volume"] = round(volume, 2)
            return Change(
                {"op": "set_volume", "track": "BGM", "volume": volume},
                f"Set the background music volume to {_pct(volume)}%.",
                f"背景音乐音量已调整为{_pct(volume)}%。",
            )
        style = edit.style or DEFAULT_MUSIC
        url = music_url or ""
        if track is not None:
            old = track["sg"][0].get("m", {}) if track["sg"] else {}
            volume = edit.volume if edit.volume is not None else float(old.get("volume", DEFAULT_MUSIC_VOLUME))
            track["sg"] = [audio_segment(draft, url, style, volume, duration_ms)]
            track["sg"][0]["id"] = old.get("id") or track["sg"][0]["id"]
            return Change(
                {"op": "replace_audio", "track": "BGM", "name": style, "volume": volume, "url": url},
                f"Switched the background music to {style} at {_pct(volume)}% volume.",
                f"背景音乐已换成{STYLE_ZH.get(style, style)}，音量{_pct(volume)}%。",
            )
        volume = edit.volume if edit.volume is not None else DEFAULT_MUSIC_VOLUME
        draft["t"].append(new_track(draft, 1, "BGM", [audio_segment(draft, url, style, volume, duration_ms)]))
        return Change(
            {"op": "add_track", "type": "bgm", "name": style, "volume": volume, "url": url},
            f"Added {style} background music at {_pct(volume)}% volume.",
            f"已添加{STYLE_ZH.get(style, style)}背景音乐，音量{_pct(volume)}%。",
        )
    if isinstance(edit, RemoveMusic):
        track = find_track(draft, 1)
        if track is None:
            return NoChange("there is no background music to remove", "当前没有背景音乐可以移除")
        _remove_track(draft, track)
        return Change({"op": "remove_track", "track": "BGM"}, "Removed the background music.", "已移除背景音乐。")
    if isinstance(edit, SetVolume):
        track = find_track(draft, 1)
        if track is None or not track["sg"]:
            return NoChange("there is no background music yet — ask me to add some", "还没有背景音乐，可以先让我添加")
        current = float(track["sg"][0].get("m", {}).get("volume", DEFAULT_MUSIC_VOLUME))
        volume = edit.level if edit.level is not None else max(0.0, min(1.0, current + edit.step))
        volume = round(volume, 2)
        for seg in track["sg"]:
            seg.setdefault("m", {})["volume"] = volume
        return Change(
            {"op": "set_volume", "track": "BGM", "volume": volume},
            f"Set the background music volume to {_pct(volume)}%.",
            f"背景音乐音量已调整为{_pct(volume)}%。",
        )
    if isinstance(edit, SetTitle):
        text = edit.text or str(meta.get("title") or "My Video")
        track = find_track(draft, 7, "Title")
        meta["title"] = text
        if track is not None and track["sg"]:
            track["sg"][0]["m"]["text"] = text
            return Change(
                {"op": "set_text", "track": "Title", "text": text},
                f'Changed the title to "{text}".',
                f"标题已改为“{text}”。",
                tip="title",
            )
        draft["t"].append(new_track(draft, 7, "Title", [text_segment(draft, text, "title", duration_ms)]))
        end_s = min(TITLE_MS, duration_ms) // 1000
        return Change(
            {"op": "add_track", "type": "title", "text": text, "start_ms": 0, "end_ms": min(TITLE_MS, duration_ms)},
            f'Added the title "{text}" (0-{end_s}s).',
            f"已添加标题“{text}”（0-{end_s}秒）。",
            tip="title",
        )
    if isinstance(edit, RemoveTitle):
        track = find_track(draft, 7, "Title")
        if track is None:
            return NoChange("there is no title to remove", "当前没有标题可以移除")
        _remove_track(draft, track)
        return Change({"op": "remove_track", "track": "Title"}, "Removed the title.", "已移除标题。")
    if isinstance(edit, TitleColor):
        track = find_track(draft, 7, "Title")
        if track is None:
            text = str(meta.get("title") or "My Video")
            track = new_track(draft, 7, "Title", [text_segment(draft, text, "title", duration_ms)])
            draft["t"].append(track)
        for seg in track["sg"]:
            seg.setdefault("m", {})["color"] = edit.color
        return Change(
            {"op": "set_style", "track": "Title", "color": edit.color},
            f"Changed the title colour to {edit.name}.",
            f"标题颜色已改为{COLOR_ZH.get(edit.name, edit.name)}。",
            tip="title",
        )
    if isinstance(edit, AddSubtitle):
        text = edit.text or str(meta.get("title") or "")
        if not text:
            return NoChange('tell me the subtitle text in quotes, e.g. add subtitle "Hello"', "请用引号告诉我字幕内容")
        segment = text_segment(draft, text, edit.style, duration_ms)
        track = find_track(draft, 7, "Subtitle")
        if track is None:
            draft["t"].append(new_track(draft, 7, "Subtitle", [segment]))
        else:
            track["sg"] = [segment]
        word = "caption" if edit.style == "caption" else "subtitle"
        return Change(
            {"op": "set_text", "track": "Subtitle", "text": text, "style": edit.style, "position": "bottom"},
            f'Added the {word} "{text}" at the bottom.',
            f"已在底部添加字幕“{text}”。",
            tip="panel",
        )
    if isinstance(edit, RemoveSubtitle):
        track = find_track(draft, 7, "Subtitle")
        if track is None:
            return NoChange("there are no subtitles to remove", "当前没有字幕可以移除")
        _remove_track(draft, track)
        return Change({"op": "remove_track", "track": "Subtitle"}, "Removed the subtitles.", "已移除字幕。")
    if isinstance(edit, Trim):
        target = max(1000, round(edit.seconds * 1000))
        if target >= duration_ms:
            return NoChange(
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
        return Change(
            {"op": "trim", "duration_ms": target},
            f"Trimmed the video to {target / 1000:g} seconds.",
            f"视频已剪到{target / 1000:g}秒。",
        )
    if isinstance(edit, AspectRatio):
        width, height = RATIOS[edit.ratio]
        if meta.get("ratio") == edit.ratio and meta.get("width") == width:
            return NoChange(f"the video is already {edit.ratio}", f"视频已经是{edit.ratio}")
        meta.update({"width": width, "height": height, "ratio": edit.ratio})
        canvas.update({"width": width, "height": height, "ratio": edit.ratio})
        zh_name = {"9:16": "竖屏 9:16", "16:9": "横屏 16:9", "1:1": "方形 1:1"}[edit.ratio]
        return Change(
            {"op": "set_canvas", "ratio": edit.ratio, "width": width, "height": height},
            f"Switched the canvas to {edit.ratio} ({width}×{height}).",
            f"画面已切换为{zh_name}（{width}×{height}）。",
            tip="panel",
        )
    if isinstance(edit, Fade):
        segments = _video_segments(draft)
        if not segments:
            return NoChange("there is no video clip to fade", "没有可以淡入淡出的视频片段")
        if edit.fade_in:
            segments[0].setdefault("m", {})["fade_in_ms"] = min(FADE_MS, int(segments[0]["d"]) // 2)
        if edit.fade_out:
            segments[-1].setdefault("m", {})["fade_out_ms"] = min(FADE_MS, int(segments[-1]["d"]) // 2)
            music = find_track(draft, 1)
            if music is not None and music["sg"]:
                music["sg"][-1].setdefault("m", {})["fade_out_ms"] = FADE_MS
        which_en = " and ".join(w for w, on in (("a fade-in", edit.fade_in), ("a fade-out", edit.fade_out)) if on)
        which_zh = "和".join(w for w, on in (("淡入", edit.fade_in), ("淡出", edit.fade_out)) if on)
        return Change(
            {"op": "fade", "in_ms": FADE_MS if edit.fade_in else 0, "out_ms": FADE_MS if edit.fade_out else 0},
            f"Added {which_en}.",
            f"已添加{which_zh}效果。",
        )
    if isinstance(edit, Speed):
        segments = _video_segments(draft)
        if not segments:
            return NoChange("there is no video clip to speed up or slow down", "没有可以调速的视频片段")
        targets = segments[:1] if edit.intro_only else segments
        for seg in targets:
            seg.setdefault("m", {})["speed"] = edit.factor
        part_en = "the intro" if edit.intro_only else "the video"
        part_zh = "开头" if edit.intro_only else "视频"
        verb_en = "Slowed" if edit.factor < 1 else "Sped up"
        verb_zh = "放慢" if edit.factor < 1 else "加快"
        return Change(
            {"op": "set_speed", "factor": edit.factor, "scope": "intro" if edit.intro_only else "all"},
            f"{verb_en} {part_en} to {edit.factor:g}x.",
            f"{part_zh}已{verb_zh}到{edit.factor:g}倍速。",
        )
    # CameraMotion
    segments = _video_segments(draft)
    if not segments:
        return NoChange("there is no video clip to move the camera on", "没有可以调整镜头的视频片段")
    for seg in segments:
        seg.setdefault("m", {})["motion"] = edit.motion
    return Change(
        {"op": "set_motion", "motion": edit.motion},
        f"Changed the camera movement to {MOTION_TEXT[edit.motion][0]}.",
        f"镜头运动已改为{MOTION_TEXT[edit.motion][1]}。",
    )
