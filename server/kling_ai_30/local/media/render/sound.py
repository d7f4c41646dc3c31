"""Sound on the timeline: audio decoded to float stereo, placed at its span, faded and mixed under everything."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kling_ai_30.local.media.render.colour import F32
from kling_ai_30.local.media.render.errors import RenderError
from kling_ai_30.local.media.render.segments import Span

AUDIO_RATE = 44100
AUDIO_END_FADE_S = 0.5  # audio clips fade out over their last half second unless told otherwise
DECLICK_S = 0.01  # every audio edge ramps over 10 ms so no cut clicks


@dataclass
class Sound:
    """One audio clip on the timeline: its samples, gain and fades."""

    span: Span
    samples: F32  # (2, n) at AUDIO_RATE
    gain: float
    fade_in: float
    fade_out: float


def decode_audio(path: Path, url: str, max_seconds: float) -> F32 | None:
    """The file's first audio stream as float32 stereo at AUDIO_RATE, at most `max_seconds` long."""
    import av

    limit = math.ceil(max_seconds * AUDIO_RATE)
    chunks: list[F32] = []
    got = 0
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                return None
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().astype(np.float32))
                    got += chunks[-1].shape[1]
                if got >= limit:
                    break
            else:
                chunks.extend(out.to_ndarray().astype(np.float32) for out in resampler.resample(None))
    except av.error.FFmpegError as exc:
        raise RenderError(f"media could not be decoded as audio: {url} ({exc.strerror or type(exc).__name__})") from exc
    if not chunks:
        return None
    return np.concatenate(chunks, axis=1)[:, :limit]


def mix_sounds(sounds: list[Sound], total: int) -> F32:
    """All sounds placed at their spans, with gain and fades, in one stereo track of `total` samples."""
    mix = np.zeros((2, total), np.float32)
    for sound in sounds:
        start = round(sound.span.start * AUDIO_RATE)
        n = min(sound.samples.shape[1], round(sound.span.duration * AUDIO_RATE), total - start)
        if n <= 0 or sound.gain <= 0:
            continue
        env = np.full(n, sound.gain, np.float32)
        fi = min(n, max(1, round(max(sound.fade_in, DECLICK_S) * AUDIO_RATE)))
        fo = min(n, max(1, round(max(sound.fade_out, DECLICK_S) * AUDIO_RATE)))
        env[:fi] *= np.linspace(0, 1, fi, dtype=np.float32)
        env[n - fo :] *= np.linspace(1, 0, fo, dtype=np.float32)
        mix[:, start : start + n] += sound.samples[:, :n] * env
    peak = float(np.abs(mix).max(initial=0.0))
    if peak > 0.99:  # only loud overlaps: scale the whole mix rather than clip
        mix *= 0.99 / peak
    return mix
