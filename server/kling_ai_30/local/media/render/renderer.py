"""Render a draft to an MP4 (H.264 + AAC) with PyAV: the local backend's stand-in for the cloud renderer.

Stills get slow, eased camera movement (Ken Burns), video files play cover-fit, text overlays fade
in and out over them, and audio segments are mixed under everything. The parts, in the order a
render uses them: :mod:`.segments` and :mod:`.canvas` read the draft; :mod:`.sources` opens its media
as :mod:`.stills`, :mod:`.movies` and :mod:`.sound`; :mod:`.text` rasterises the overlays and
:mod:`.overlay` precomposes them; :mod:`.timeline` holds them all; :mod:`.frame` composes each frame
in YUV 4:2:0 (:mod:`.colour`) and :mod:`.encoder` writes the MP4.

The output is written to a hidden temporary name beside `out_path` and renamed over it only when
complete, so a reader never sees a half-written file; on any failure the temporary file is removed.
Raising from `on_progress` aborts a render the same way.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kling_ai_30.local.media.render.canvas import canvas_for
from kling_ai_30.local.media.render.encoder import encode
from kling_ai_30.local.media.render.errors import RenderError
from kling_ai_30.local.media.render.segments import draft_title
from kling_ai_30.local.media.render.timeline import Timeline

__all__ = ["RenderError", "RenderResult", "render_draft"]


@dataclass(frozen=True)
class RenderResult:
    """What a finished render produced."""

    path: Path
    width: int
    height: int
    duration_s: float
    fps: int
    frames: int


def render_draft(
    draft: Mapping[str, Any],
    out_path: Path,
    *,
    resolve_media: Callable[[str], Path | None],
    max_height: int | None = None,
    fps: int | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> RenderResult:
    """Render `draft` to an H.264/AAC MP4 at `out_path`, replacing it atomically when complete.

    `resolve_media` maps a segment's `src` URL to a local file (None when unknown). `max_height`
    scales the canvas down proportionally; `fps` overrides the draft's frame rate. `on_progress`
    receives increasing fractions of frames done (about every 2 %), ending with 1.0 when the file
    is complete; raising from it aborts the render. Raises RenderError for an unusable draft or
    missing or undecodable media.
    """
    canvas = canvas_for(draft, max_height=max_height, fps=fps)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{secrets.token_hex(4)}.part")
    try:
        with contextlib.ExitStack() as stack:
            timeline = Timeline.build(draft, canvas, resolve_media, stack)
            encode(timeline, canvas, tmp, draft_title(draft), on_progress)
        if on_progress is not None:
            on_progress(1.0)  # before the rename: a caller cancelling now still gets no file
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return RenderResult(
        path=out_path,
        width=canvas.width,
        height=canvas.height,
        duration_s=canvas.frames / canvas.fps,
        fps=canvas.fps,
        frames=canvas.frames,
    )
