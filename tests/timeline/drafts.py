"""Drafts built the way the local backend writes them, for the timeline tests."""

from __future__ import annotations

from typing import Any

EMPTY = "Timeline is empty: nothing has been generated yet."
NO_CHANGE = "No visible change to the timeline."


def video(*segments: dict[str, Any], name: str = "Video", **extra: Any) -> dict[str, Any]:
    return {"tt": 0, "sg": list(segments), "m": {"name": name}, **extra}


def audio(*segments: dict[str, Any], name: str = "BGM", **extra: Any) -> dict[str, Any]:
    return {"tt": 1, "sg": list(segments), "m": {"name": name}, **extra}


def text(*segments: dict[str, Any], name: str = "Title", **extra: Any) -> dict[str, Any]:
    return {"tt": 7, "sg": list(segments), "m": {"name": name}, **extra}


def clip(start: int, duration: int, **meta: Any) -> dict[str, Any]:
    return {"st": start, "d": duration, "m": meta}


def draft(*tracks: dict[str, Any], total: int | None = None, **meta: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"t": list(tracks), "m": meta}
    if total is not None:
        body["d"] = total
    return body


# The skill text's example, built the way the local backend writes drafts.
SKILL_EXAMPLE = draft(
    video({"id": "v1", "st": 0, "d": 10_000, "src": "https://cdn.example/city.mp4", "m": {"name": "city timelapse"}}),
    audio({"id": "a1", "st": 0, "d": 10_000, "m": {"name": "Lo-fi", "volume": 0.35}}),
    text({"id": "x1", "st": 0, "d": 3_000, "m": {"text": "Urban Dreams", "style": "title", "position": "center"}}),
    total=10_000,
    title="Urban Dreams",
    width=1920,
    height=1080,
    fps=30,
    ratio="16:9",
)
