"""Probing uploads: kind, size, duration and frame rate from the headers; garbage is unreadable, not an error."""

from __future__ import annotations

from pathlib import Path

from kling_ai_30.local.media.probe import probe

from ..conftest import mp4_bytes, png_bytes, wav_bytes


def test_probing_reads_images_video_and_audio_and_tolerates_garbage(tmp_path: Path) -> None:
    files = {
        "p.png": png_bytes(30, 20),
        "v.mp4": mp4_bytes(32, 24, frames=8, fps=8),
        "a.wav": wav_bytes(0.25),
        "x.mp4": b"junk",
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)

    image = probe(tmp_path / "p.png", "image")
    video = probe(tmp_path / "v.mp4", "video")
    audio = probe(tmp_path / "a.wav", "audio")
    junk = probe(tmp_path / "x.mp4", "video")

    assert (image.kind, image.width, image.height) == ("image", 30, 20)
    assert (video.kind, video.width, video.height, video.fps) == ("video", 32, 24, 8.0)
    assert (audio.kind, audio.duration) == ("audio", 0.25)
    assert not junk.readable and junk.width == 0
