"""The local renderer against a bare x264 encode of the same frames (issue 16): what `kling-ai-30 demo` waits for.

Run: ``python bench/bench_render.py [--runs 3] [--seconds 30] [--draft demo|rich]``.

Why: the demo's export is a 30 s 1080p render of one photo with a slow push-in, a title and music.
Encoding is work no renderer avoids; everything above it (reading the draft, decoding the photo,
mixing the music, the camera movement, the title, AAC, muxing) is ours. Target: the whole render
within 1.4x the bare encode.

How:
1. The draft the demo's two requests make (the local agent's output: the bundled photo, 1920x1080,
   ``zoom_in`` for "slow camera movement", Lo-fi at 35 %, the title "Mountain Dreams" centred for
   the first 3 s), or with ``--draft rich`` a larger generated still (2400x1350, so the camera
   shrinks it), fades, a title and a subtitle.
2. Its frames, composed once by the renderer and kept in memory (900 1080p frames: ~2.8 GB).
3. *Ours*: ``render_draft`` from draft to MP4, everything included. *Baseline*: a bare PyAV loop
   encoding the kept frames (zero-copy, video only) with the renderer's own stream settings
   (``encoder.add_video_stream``). Measured interleaved, ours then baseline, ``--runs`` times, so
   both see the same load on a shared machine; the ratio of each pair counts, and the 1-minute
   load average is read before and after each measurement.
4. *No visible loss*: frames spread over the draft, composed now and by the earlier Pillow-resize
   renderer (``_render_before.py``), compared as PSNR over Y, U and V (before encoding, so the
   figure is the renderer's difference alone). Target: >= 40 dB.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from _common import machine_line, verdict
from _render_before import FramesBefore
from numpy.typing import NDArray

from kling_ai_30.cli.demo import DEMO_TITLE, bundled_image
from kling_ai_30.local.media.backdrop.painter import make_backdrop
from kling_ai_30.local.media.music import make_music
from kling_ai_30.local.media.render import encoder, renderer
from kling_ai_30.local.media.render.canvas import Canvas, canvas_for
from kling_ai_30.local.media.render.frame import Frame, compose
from kling_ai_30.local.media.render.timeline import Timeline

IMAGE_URL = "https://local.invalid/assets/mountain.jpg"
MUSIC_URL = "https://local.invalid/assets/lofi.wav"
TARGET_RATIO = 1.4
TARGET_PSNR_DB = 40.0
PSNR_FRAMES = 16


def track(n: int, kind: int, name: str, *segments: dict[str, Any]) -> dict[str, Any]:
    return {"id": f"trk_{n}", "tt": kind, "m": {"name": name}, "sg": list(segments)}


def segment(n: int, start_ms: int, length_ms: int, src: str | None = None, **meta: Any) -> dict[str, Any]:
    seg: dict[str, Any] = {"id": f"seg_{n}", "st": start_ms, "d": length_ms, "m": meta}
    if src is not None:
        seg["src"] = src
    return seg


def demo_draft(seconds: float) -> dict[str, Any]:
    """The draft `kling-ai-30 demo` exports: the photo with a slow push-in, Lo-fi at 35 %, its title."""
    ms = round(seconds * 1000)
    title = {"text": DEMO_TITLE, "style": "title", "position": "center", "color": "#ffffff"}
    return {
        "t": [
            track(1, 0, "Video", segment(1, 0, ms, IMAGE_URL, kind="image", motion="zoom_in")),
            track(2, 1, "BGM", segment(2, 0, ms, MUSIC_URL, name="Lo-fi", volume=0.35)),
            track(3, 7, "Title", segment(3, 0, min(3000, ms), **title)),
        ],
        "d": ms,
        "m": {"title": DEMO_TITLE, "width": 1920, "height": 1080, "fps": 30, "ratio": "16:9"},
    }


def rich_draft(seconds: float) -> dict[str, Any]:
    """More of what the renderer does at once: fades in and out, a title, then a subtitle."""
    ms = round(seconds * 1000)
    title_ms = min(4000, ms // 2)
    fades = {"fade_in_ms": 500, "fade_out_ms": 800}
    return {
        "t": [
            track(1, 0, "Video", segment(1, 0, ms, IMAGE_URL, kind="image", motion="zoom_in", **fades)),
            track(2, 1, "BGM", segment(2, 0, ms, MUSIC_URL, name="Lo-fi", volume=0.35, fade_out_ms=1500)),
            track(
                3,
                7,
                "Title",
                segment(3, 0, title_ms, text="Urban Dreams", style="title", color="#ffffff"),
                # Never past the end: the draft keeps its length.
                segment(4, title_ms, min(5000, ms - title_ms), text="Shot on a mountain morning", style="subtitle"),
            ),
        ],
        "d": ms,
        "m": {"title": "Urban Dreams", "width": 1920, "height": 1080, "fps": 30, "ratio": "16:9"},
    }


Frames = list[NDArray[np.uint8]]


def composed_frames(draft: dict[str, Any], canvas: Canvas, media: dict[str, Path]) -> Frames:
    """Every frame of the draft as the renderer composes it, each in its own buffer."""
    frames: Frames = []
    with contextlib.ExitStack() as stack:
        timeline = Timeline.build(draft, canvas, media.get, stack)
        frame = Frame(canvas.width, canvas.height)
        for i in range(canvas.frames):
            compose(frame, timeline, i / canvas.fps)
            frames.append(frame.buf.copy())
    return frames


def bare_encode(frames: Sequence[NDArray[np.uint8]], canvas: Canvas, path: Path) -> None:
    """The baseline: the frames into an MP4 with the renderer's video settings, nothing else."""
    import av

    with av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = encoder.add_video_stream(container, canvas)
        time_base = Fraction(1, canvas.fps)
        for i, buf in enumerate(frames):
            out = av.VideoFrame.from_numpy_buffer(buf, format="yuv420p")
            out.pts, out.time_base = i, time_base
            container.mux(video.encode(out))
        container.mux(video.encode(None))


def psnr(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


@dataclass(frozen=True)
class Fidelity:
    """PSNR of the frames composed now against the earlier renderer's: whole frames, and the text's boxes alone."""

    frames: list[float]
    text: list[float]


def psnr_against_before(draft: dict[str, Any], canvas: Canvas, media: dict[str, Path], frames: Frames) -> Fidelity:
    """Whole frames (Y, U and V together) at spread times, and the luma in each visible text's box."""
    picks = {round(k * (canvas.frames - 1) / (PSNR_FRAMES - 1)) for k in range(PSNR_FRAMES)}
    # Also mid-fade for a title that starts at 0 and lasts 3 s, as the demo's does.
    picks = sorted({*picks, round(0.15 * canvas.fps), round(2.85 * canvas.fps)} & set(range(canvas.frames)))
    whole: list[float] = []
    boxes: list[float] = []
    with contextlib.ExitStack() as stack:
        before = FramesBefore(draft, Timeline.build(draft, canvas, media.get, stack), canvas)
        for i in picks:
            t, old = i / canvas.fps, before.frame(i / canvas.fps)
            whole.append(psnr(frames[i], old))
            for text, placed in zip(before.timeline.texts, before.placed, strict=True):
                if text.span.start <= t < text.span.end:
                    h, w = placed.alpha.shape
                    box = (slice(placed.y, placed.y + h), slice(placed.x, placed.x + w))
                    boxes.append(psnr(frames[i][box], old[box]))
    return Fidelity(whole, boxes)


@dataclass(frozen=True)
class Timing:
    """One measurement: wall and process CPU seconds (every thread, x264's too), and the load around it."""

    wall: float
    cpu: float
    load_before: float
    load_after: float

    @classmethod
    def of(cls, action: Callable[[], object]) -> Timing:
        load_before, cpu_before = os.getloadavg()[0], cpu_seconds()
        start = time.perf_counter()
        action()
        wall = time.perf_counter() - start
        return cls(wall, cpu_seconds() - cpu_before, load_before, os.getloadavg()[0])

    def line(self) -> str:
        return f"{self.wall:.2f} s wall, {self.cpu:.2f} s CPU (load {self.load_before:.1f}-{self.load_after:.1f})"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spread(values: Sequence[float]) -> str:
    """Median and range, as the summary reports every figure."""
    return f"median {statistics.median(values):.2f}, range {min(values):.2f}-{max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="interleaved pairs (ours, baseline); at least 3")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--draft", choices=["demo", "rich"], default="demo")
    parser.add_argument("--preset", default=encoder.X264_PRESET, help="x264 preset to try (default: the renderer's)")
    parser.add_argument("--crf", type=int, default=encoder.X264_CRF)
    parser.add_argument("--keep", type=Path, help="copy our last MP4 here")
    args = parser.parse_args()
    encoder.X264_PRESET, encoder.X264_CRF = args.preset, args.crf
    print(machine_line())
    print(f"x264 preset {args.preset}, crf {args.crf}; draft: {args.draft}, {args.seconds:g} s")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.draft == "demo":
            image = bundled_image()
            draft = demo_draft(args.seconds)
        else:
            image = make_backdrop("a mountain landscape at golden hour", 2400, 1350, root / "mountain.jpg")
            draft = rich_draft(args.seconds)
        media = {IMAGE_URL: image, MUSIC_URL: make_music("lo-fi", args.seconds, root / "lofi.wav")}
        canvas = canvas_for(draft, max_height=None, fps=None)
        frames = composed_frames(draft, canvas, media)
        print(f"{canvas.width}x{canvas.height}, {canvas.frames} frames kept for the baseline")

        fidelity = psnr_against_before(draft, canvas, media, frames)
        worst = min(fidelity.frames + fidelity.text)
        text = f"; text boxes (luma) {spread(fidelity.text)} dB over {len(fidelity.text)}" if fidelity.text else ""
        print(
            f"PSNR against the earlier renderer: {len(fidelity.frames)} frames {spread(fidelity.frames)} dB{text}"
            f" (target >= {TARGET_PSNR_DB:.0f} dB everywhere: {verdict(worst >= TARGET_PSNR_DB)})"
        )

        ours_out, bare_out = root / "ours.mp4", root / "bare.mp4"
        pairs: list[tuple[Timing, Timing]] = []
        for run in range(1, args.runs + 1):
            ours = Timing.of(lambda: renderer.render_draft(draft, ours_out, resolve_media=media.get))
            bare = Timing.of(lambda: bare_encode(frames, canvas, bare_out))
            pairs.append((ours, bare))
            print(f"run {run}: ours {ours.line()}; bare encode {bare.line()} -> {ours.wall / bare.wall:.2f}x wall")
        if args.keep:
            args.keep.write_bytes(ours_out.read_bytes())
        wall_ratios = [ours.wall / bare.wall for ours, bare in pairs]
        cpu_ratios = [ours.cpu / bare.cpu for ours, bare in pairs]
        loads = [load for pair in pairs for t in pair for load in (t.load_before, t.load_after)]
        ratio = statistics.median(wall_ratios)
        print(f"ours: {spread([ours.wall for ours, _ in pairs])} s wall")
        print(f"bare encode: {spread([bare.wall for _, bare in pairs])} s wall")
        print(f"ours / bare encode, wall: {spread(wall_ratios)}x over {len(pairs)} interleaved runs")
        print(f"ours / bare encode, CPU:  {spread(cpu_ratios)}x (less sensitive to load)")
        print(f"1-minute load average while measuring: {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores")
        print(f"target: median wall ratio <= {TARGET_RATIO}x: {verdict(ratio <= TARGET_RATIO)}")
        sizes = ours_out.stat().st_size / 1e6, bare_out.stat().st_size / 1e6
        print(f"output: {sizes[0]:.2f} MB ours (with AAC), {sizes[1]:.2f} MB bare")


if __name__ == "__main__":
    main()
