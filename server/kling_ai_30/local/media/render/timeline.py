"""The draft as the renderer plays it: the pictures, the text overlays and the mixed audio, built once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kling_ai_30.local.media.render.canvas import Canvas
from kling_ai_30.local.media.render.colour import F32
from kling_ai_30.local.media.render.segments import AUDIO_TRACK, TEXT_TRACK, VIDEO_TRACK, draft_title, draft_tracks
from kling_ai_30.local.media.render.sound import Sound, mix_sounds
from kling_ai_30.local.media.render.sources import MediaSources
from kling_ai_30.local.media.render.text import Text, text_layer
from kling_ai_30.local.media.render.visual import Visual


@dataclass
class Timeline:
    """Everything a frame is composed from, and the whole mixed soundtrack."""

    visuals: list[Visual]
    texts: list[Text]
    audio: F32

    @classmethod
    def build(
        cls,
        draft: Mapping[str, Any],
        canvas: Canvas,
        resolve_media: Callable[[str], Path | None],
        stack: contextlib.ExitStack,
    ) -> Timeline:
        media = MediaSources(resolve_media, stack)
        visuals: list[Visual] = []
        texts: list[Text] = []
        sounds: list[Sound] = []
        title = draft_title(draft)
        for kind, track_meta, segments in draft_tracks(draft):
            name = str(track_meta.get("name") or "")
            for seg, span in segments:
                if kind == VIDEO_TRACK:
                    visual, sound = media.visual(seg, span, canvas, title)
                    if visual is not None:
                        visuals.append(visual)
                    if sound is not None:
                        sounds.append(sound)
                elif kind == AUDIO_TRACK:
                    sounds.append(media.sound(seg, span))
                elif kind == TEXT_TRACK and (text := text_layer(seg, span, canvas, name)) is not None:
                    texts.append(text)
        return cls(visuals=visuals, texts=texts, audio=mix_sounds(sounds, canvas.samples))
