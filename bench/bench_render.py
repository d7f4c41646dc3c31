"""Time the local renderer: a 30 s 1080p render of a generated still, a title and music.

Run as `python bench/bench_render.py` (add `--help` for options). Prints wall time, frames per
second and output size for the full render, then for a 144p preview like the tests use.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from kling_ai_30.local.media.backdrop.painter import make_backdrop
from kling_ai_30.local.media.music import make_music
from kling_ai_30.local.media.render import encoder, renderer

IMAGE_URL = "https://local.invalid/assets/mountain.jpg"
MUSIC_URL = "https://local.invalid/assets/lofi.wav"


def make_draft(seconds: float, width: int, height: int, motion: str) -> dict[str, Any]:
    """A draft like the one the skill text describes: video, BGM, a title and a subtitle."""
    ms = round(seconds * 1000)
    title_ms = min(4000, ms // 2)
    return {
        "t": [
            {
                "id": "trk_1",
                "tt": 0,
                "m": {"name": "Video"},
                "sg": [
                    {
                        "id": "seg_1",
                        "st": 0,
                        "d": ms,
                        "src": IMAGE_URL,
                        "m": {
                            "name": "mountain",
                            "kind": "image",
                            "motion": motion,
                            "fade_in_ms": 500,
                            "fade_out_ms": 800,
                        },
                    }
                ],
            },
            {
                "id": "trk_2",
                "tt": 1,
                "m": {"name": "BGM"},
                "sg": [
                    {
                        "id": "seg_2",
                        "st": 0,
                        "d": ms,
                        "src": MUSIC_URL,
                        "m": {"name": "Lo-fi", "volume": 0.35, "fade_out_ms": 1500},
                    }
                ],
            },
            {
                "id": "trk_3",
                "tt": 7,
                "m": {"name": "Title"},
                "sg": [
                    {
                        "id": "seg_3",
                        "st": 0,
                        "d": title_ms,
                        "m": {"text": "Urban Dreams", "style": "title", "color": "#ffffff"},
                    },
                    {
                        "id": "seg_4",
                        "st": title_ms,
                        "d": min(5000, ms - title_ms),  # never past the end: the draft keeps its length
                        "m": {"text": "Shot on a mountain morning", "style": "subtitle"},
                    },
                ],
            },
        ],
        "d": ms,
        "m": {"title": "Urban Dreams", "width": width, "height": height, "fps": 30, "ratio": "16:9"},
    }


def run(label: str, draft: dict[str, Any], media: dict[str, Path], out: Path, **kwargs: Any) -> None:
    """Render once and print the figures."""
    start = time.perf_counter()
    result = renderer.render_draft(draft, out, resolve_media=media.get, **kwargs)
    wall = time.perf_counter() - start
    size = out.stat().st_size
    print(
        f"{label}: {result.width}x{result.height} {result.fps} fps, {result.duration_s:.1f} s, {result.frames} frames"
        f" -> {wall:.2f} s wall, {result.frames / wall:.1f} frames/s, {size / 1e6:.2f} MB"
        f" ({size * 8 / result.duration_s / 1e6:.2f} Mbit/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--motion", default="zoom_in", choices=["zoom_in", "zoom_out", "pan_left", "pan_right", "none"])
    parser.add_argument("--preset", default=encoder.X264_PRESET, help="x264 preset to try (default: the renderer's)")
    parser.add_argument("--crf", type=int, default=encoder.X264_CRF)
    parser.add_argument("--keep", type=Path, help="copy the 1080p output here")
    args = parser.parse_args()
    encoder.X264_PRESET, encoder.X264_CRF = args.preset, args.crf
    print(f"cores: {os.cpu_count()}, x264 preset {args.preset}, crf {args.crf}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        media = {
            IMAGE_URL: make_backdrop("a mountain landscape at golden hour", 2400, 1350, root / "mountain.jpg"),
            MUSIC_URL: make_music("lo-fi", args.seconds, root / "lofi.wav"),
        }
        print(f"assets (2400x1350 backdrop + {args.seconds:.0f} s music): {time.perf_counter() - start:.2f} s")
        draft = make_draft(args.seconds, 1920, 1080, args.motion)
        out = root / "full.mp4"
        run("full", draft, media, out)
        if args.keep:
            args.keep.write_bytes(out.read_bytes())
        preview = make_draft(3.0, 1920, 1080, args.motion)
        run("preview", preview, media, root / "preview.mp4", max_height=144, fps=8)


if __name__ == "__main__":
    main()
