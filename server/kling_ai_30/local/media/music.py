"""Background music: a procedural loop per style (lo-fi, upbeat, ambient, cinematic), written as WAV.

The local backend's `generate_music` tool and its URL-upload stand-ins need real audio for the
renderer to mix. A style name picks chords, tempo, instrument and drums by keyword (see
:mod:`~kling_ai_30.local.media.prompts`); the loop is synthesised with NumPy, seeded from the style, and
normalised to about -14 dBFS RMS so it sits under a voice the way streaming platforms expect.
"""

from __future__ import annotations

import math
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kling_ai_30.local.media.prompts import mentions, seed, tokens

F32 = NDArray[np.float32]


def make_music(style: str, seconds: float, out_path: Path, *, sample_rate: int = 44100) -> Path:
    """Write a procedural music loop in `style` ("lo-fi", "upbeat", "calm", "cinematic"…) as a 16-bit stereo WAV."""
    samples = music_samples(style, seconds, sample_rate=sample_rate)
    pcm = np.round(samples.T * 32767.0).astype("<i2")  # (n, 2): interleaved L R
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out_path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return out_path


def music_samples(style: str, seconds: float, *, sample_rate: int = 44100) -> F32:
    """The music as float32 samples in [-1, 1], shape (2, n), loudness about -14 dBFS RMS."""
    if not seconds > 0:
        raise ValueError(f"music length must be positive, got {seconds}")
    if sample_rate < 8000:
        raise ValueError(f"sample rate too low for music: {sample_rate}")
    spec = _style_for(style)
    loop = _render_loop(spec, sample_rate, np.random.default_rng(seed("music", spec.name)))
    n = max(1, round(seconds * sample_rate))
    out = np.tile(loop, (1, n // loop.shape[1] + 1))[:, :n]
    _fade(out, sample_rate, fade_in_s=0.02, fade_out_s=min(2.0, seconds / 4))
    return _normalise(out)


_TARGET_RMS = 10 ** (-14 / 20)  # -14 dBFS: the loudness streaming platforms normalise to
_PEAK_CEILING = 10 ** (-1 / 20)  # -1 dBFS true-peak-ish headroom so AAC encoding never clips
_LOOP_QUANTUM = 8192  # samples


@dataclass(frozen=True)
class _Style:
    name: str
    bpm: float
    beats_per_chord: int
    chords: tuple[tuple[int, ...], ...]  # voicings as MIDI notes
    bass: tuple[int, ...]  # one root per chord
    instrument: str  # "epiano" | "pluck" | "pad"
    drums: str  # "" | "lofi" | "four" | "taiko"
    swing: float
    lowpass_hz: float
    crackle: bool = False


_STYLES: dict[str, _Style] = {
    "lofi": _Style(
        name="lofi",
        bpm=78,
        beats_per_chord=4,
        chords=((53, 57, 60, 64), (53, 59, 62, 64), (52, 55, 59, 62), (55, 60, 64, 67)),  # Dm9 G13 Cmaj9 Am9
        bass=(38, 43, 36, 45),
        instrument="epiano",
        drums="lofi",
        swing=0.14,
        lowpass_hz=4200,
        crackle=True,
    ),
    "upbeat": _Style(
        name="upbeat",
        bpm=118,
        beats_per_chord=4,
        chords=((60, 64, 67, 72), (59, 62, 67, 71), (60, 64, 69, 72), (60, 65, 69, 72)),  # C G Am F
        bass=(36, 43, 45, 41),
        instrument="pluck",
        drums="four",
        swing=0.0,
        lowpass_hz=9000,
    ),
    "ambient": _Style(
        name="ambient",
        bpm=64,
        beats_per_chord=4,
        chords=((55, 59, 62, 64, 71), (57, 60, 64, 67, 71), (53, 57, 60, 64, 69), (55, 59, 62, 67, 74)),
        bass=(36, 45, 41, 43),
        instrument="pad",
        drums="",
        swing=0.0,
        lowpass_hz=6000,
    ),
    "cinematic": _Style(
        name="cinematic",
        bpm=84,
        beats_per_chord=4,
        chords=((57, 60, 64, 69), (53, 57, 60, 65), (55, 60, 64, 67), (55, 59, 62, 67)),  # Am F C G
        bass=(33, 29, 36, 31),
        instrument="pad",
        drums="taiko",
        swing=0.0,
        lowpass_hz=7000,
    ),
}
_STYLE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("lofi", ("lofi", "lo", "chill", "jazz", "jazzy", "hip", "study", "轻松")),
    ("upbeat", ("upbeat", "happy", "energetic", "pop", "dance", "electronic", "edm", "fun", "bright", "欢快", "动感")),
    ("cinematic", ("cinematic", "epic", "dramatic", "orchestral", "trailer", "film", "史诗", "电影")),
    ("ambient", ("ambient", "calm", "relax", "relaxing", "peaceful", "piano", "soft", "meditation", "舒缓", "安静")),
)


def _style_for(style: str) -> _Style:
    words, lowered = tokens(style)
    name = next((s for s, kws in _STYLE_WORDS if mentions(words, lowered, kws)), "lofi")
    return _STYLES[name]


def _hz(note: float) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def _render_loop(spec: _Style, sr: int, rng: np.random.Generator) -> F32:
    """Four chords of the style as a seamless loop: tails wrap round to the start."""
    beats = spec.beats_per_chord * len(spec.chords)
    # A loop length with only small prime factors keeps the FFTs below fast; the tempo moves < 1 %.
    n = max(1, round(60.0 / spec.bpm * beats * sr / _LOOP_QUANTUM)) * _LOOP_QUANTUM
    beat = n / sr / beats
    out = np.zeros((2, n), np.float32)

    def add(sig: F32, at_s: float, pan: float) -> None:
        gains = (math.cos((pan + 1) * math.pi / 4), math.sin((pan + 1) * math.pi / 4))  # constant-power pan
        start, pos = round(at_s * sr) % n, 0
        while pos < sig.shape[0]:  # what runs past the loop's end wraps to its start: a seamless loop
            take = min(sig.shape[0] - pos, n - start)
            for ch in (0, 1):
                out[ch, start : start + take] += sig[pos : pos + take] * gains[ch]
            pos, start = pos + take, 0

    for c, (chord, root) in enumerate(zip(spec.chords, spec.bass, strict=True)):
        t0 = c * spec.beats_per_chord * beat
        _play_chord(spec, chord, t0, beat, sr, add)
        _play_bass(spec, root, t0, beat, sr, add)
    if spec.drums:
        _play_drums(spec, beat, sr, rng, add, bars=len(spec.chords) * spec.beats_per_chord // 4)
    out = _lowpass(out, spec.lowpass_hz, sr)
    out = out + 0.28 * _reverb(out, sr, rng, seconds=2.4 if spec.instrument == "pad" else 1.2)
    if spec.crackle:
        pops = (rng.random(n) < 3.0 / sr).astype(np.float32) * rng.uniform(0.005, 0.03, n).astype(np.float32)
        hiss = rng.normal(0, 0.0004, n).astype(np.float32)
        out += pops + hiss
    return out.astype(np.float32)


def _envelope(n: int, sr: int, attack: float, decay: float, release: float) -> F32:
    t = np.arange(n, dtype=np.float32) / sr
    env = np.minimum(1.0, t / max(attack, 1e-4)) * np.exp(-t / max(decay, 1e-4))
    tail = max(1, min(n, round(release * sr)))
    env[-tail:] *= np.linspace(1, 0, tail, dtype=np.float32)
    return env.astype(np.float32)


def _tone(freq: float, seconds: float, sr: int, partials: tuple[float, ...], detune: float = 0.0) -> F32:
    t = np.arange(round(seconds * sr), dtype=np.float32) / sr
    sig = np.zeros_like(t)
    for k, weight in enumerate(partials, start=1):
        if freq * k < sr / 2.2:
            sig += weight * np.sin(2 * np.pi * freq * k * t * (1 + detune))
    return sig.astype(np.float32)


def _play_chord(
    spec: _Style, chord: tuple[int, ...], t0: float, beat: float, sr: int, add: Callable[[F32, float, float], None]
) -> None:
    span = beat * spec.beats_per_chord
    for i, note in enumerate(chord):
        pan = -0.5 + i / max(1, len(chord) - 1)
        f = _hz(note)
        if spec.instrument == "pad":
            # Two detuned voices per note: slow chorus movement, long swells.
            sig = _tone(f, span + 1.5, sr, (1.0, 0.35, 0.12), -0.003) + _tone(f, span + 1.5, sr, (1.0, 0.3, 0.1), 0.003)
            sig *= _envelope(sig.shape[0], sr, attack=span * 0.35, decay=60, release=1.8) * 0.09
            add(sig, t0, pan * 0.8)
        elif spec.instrument == "epiano":
            for hit, length in ((0.0, 2.2), (2.5 + spec.swing, 1.4)):  # on the one, then the swung "and" of three
                sig = _tone(f, length, sr, (1.0, 0.5, 0.12, 0.08))
                sig *= _envelope(sig.shape[0], sr, attack=0.006, decay=0.9, release=0.3) * 0.12
                tremolo = 1 + 0.15 * np.sin(2 * np.pi * 4.5 * np.arange(sig.shape[0]) / sr)
                add((sig * tremolo).astype(np.float32), t0 + hit * beat + i * 0.012, pan * 0.6)
        else:  # pluck: eighth-note stabs
            for eighth in range(spec.beats_per_chord * 2):
                if eighth % 8 in (3, 7):
                    continue
                sig = _tone(f, 0.35, sr, (1.0, 0.6, 0.3, 0.15))
                sig *= _envelope(sig.shape[0], sr, attack=0.003, decay=0.12, release=0.05) * 0.08
                add(sig, t0 + eighth * beat / 2, pan * 0.7)


def _play_bass(
    spec: _Style, root: int, t0: float, beat: float, sr: int, add: Callable[[F32, float, float], None]
) -> None:
    f = _hz(root)
    if spec.instrument == "pad" and spec.drums != "taiko":
        sig = _tone(f, beat * spec.beats_per_chord + 1, sr, (1.0, 0.2))
        add(sig * _envelope(sig.shape[0], sr, attack=1.0, decay=40, release=1.0) * 0.12, t0, 0.0)
        return
    hits = (0.0, 1.5, 2.0, 3.5) if spec.drums == "four" else (0.0, 2.5 + spec.swing)
    for bar in range(spec.beats_per_chord // 4):
        for h in hits:
            sig = _tone(f, beat * 1.2, sr, (1.0, 0.25, 0.05))
            sig *= _envelope(sig.shape[0], sr, attack=0.01, decay=0.6, release=0.1) * 0.22
            add(sig, t0 + (bar * 4 + h) * beat, 0.0)


def _play_drums(
    spec: _Style, beat: float, sr: int, rng: np.random.Generator, add: Callable[[F32, float, float], None], bars: int
) -> None:
    kick = _kick(sr, deep=spec.drums == "taiko")
    snare = _snare(sr, rng)
    hat = _hat(sr, rng)
    for bar in range(bars):
        b0 = bar * 4 * beat
        if spec.drums == "four":
            for q in range(4):
                add(kick * 0.7, b0 + q * beat, 0.0)
                add(hat * 0.18, b0 + (q + 0.5) * beat, 0.3)
            add(snare * 0.35, b0 + beat, -0.1)
            add(snare * 0.35, b0 + 3 * beat, -0.1)
        elif spec.drums == "lofi":
            for k in (0.0, 2.5 + spec.swing):
                add(kick * 0.55, b0 + k * beat, 0.0)
            add(snare * 0.28, b0 + beat, 0.1)
            add(snare * 0.28, b0 + 3 * beat, 0.1)
            for e in range(8):
                swing = spec.swing * beat if e % 2 else 0.0
                add(hat * (0.1 if e % 2 else 0.14), b0 + e * beat / 2 + swing, -0.3)
        else:  # taiko: a heavy pulse on one and a pickup into the next bar
            add(kick * 0.8, b0, 0.0)
            add(kick * 0.5, b0 + 3.5 * beat, 0.0)


def _kick(sr: int, deep: bool) -> F32:
    n = round((0.9 if deep else 0.45) * sr)
    t = np.arange(n, dtype=np.float32) / sr
    f0, f1 = (90.0, 38.0) if deep else (120.0, 45.0)
    freq = f1 + (f0 - f1) * np.exp(-t * 18)
    phase = 2 * np.pi * np.cumsum(freq) / sr
    attack = np.minimum(1.0, t / 0.002)  # 2 ms: a soft thud rather than a broadband click
    return (np.sin(phase) * attack * np.exp(-t * (4.0 if deep else 9.0))).astype(np.float32)


def _snare(sr: int, rng: np.random.Generator) -> F32:
    n = round(0.25 * sr)
    t = np.arange(n, dtype=np.float32) / sr
    noise = rng.normal(0, 0.5, n).astype(np.float32)
    noise = noise - np.convolve(noise, np.ones(8, np.float32) / 8, mode="same")  # thin out the lows
    body = np.sin(2 * np.pi * 185 * t) * np.exp(-t * 30)
    return (noise * np.exp(-t * 18) + 0.5 * body).astype(np.float32)


def _hat(sr: int, rng: np.random.Generator) -> F32:
    n = round(0.08 * sr)
    t = np.arange(n, dtype=np.float32) / sr
    noise = rng.normal(0, 0.5, n).astype(np.float32)
    noise = noise - np.convolve(noise, np.ones(3, np.float32) / 3, mode="same")
    return (noise * np.exp(-t * 60)).astype(np.float32)


def _lowpass(x: F32, cutoff: float, sr: int) -> F32:
    # Frequency-domain on the whole loop: circular, like the loop itself, and fast in numpy.
    spec = np.fft.rfft(x, axis=1)
    freqs = np.fft.rfftfreq(x.shape[1], 1 / sr)
    spec *= 1 / np.sqrt(1 + (freqs / cutoff) ** 4)  # a gentle two-pole slope
    return np.fft.irfft(spec, n=x.shape[1], axis=1).astype(np.float32)


def _reverb(x: F32, sr: int, rng: np.random.Generator, seconds: float) -> F32:
    # Circular convolution with decaying noise: a cheap, seamless room; different noise per ear widens it.
    n = x.shape[1]
    length = min(n, round(seconds * sr))
    t = np.arange(length, dtype=np.float32) / sr
    out = np.empty_like(x)
    for ch in range(2):
        ir = np.zeros(n, np.float32)
        ir[:length] = rng.normal(0, 1, length).astype(np.float32) * np.exp(-t * 6.9 / seconds)
        ir[: round(0.02 * sr)] = 0  # pre-delay keeps the dry attack clear
        ir /= np.sqrt(np.sum(ir**2)) + 1e-9
        out[ch] = np.fft.irfft(np.fft.rfft(x[ch]) * np.fft.rfft(ir), n=n).astype(np.float32)
    return _lowpass(out, 3500, sr)


def _fade(x: F32, sr: int, fade_in_s: float, fade_out_s: float) -> None:
    n = x.shape[1]
    fi = min(n, max(1, round(fade_in_s * sr)))
    fo = min(n, max(1, round(fade_out_s * sr)))
    x[:, :fi] *= np.linspace(0, 1, fi, dtype=np.float32)
    x[:, n - fo :] *= np.linspace(1, 0, fo, dtype=np.float32) ** 2


def _normalise(x: F32) -> F32:
    """Scale to the target RMS, letting a smooth limiter (not a waveshaper) hold the peaks down."""
    y = x.astype(np.float32)
    for _ in range(3):  # limiting lowers the RMS a little; a few rounds of make-up gain converge
        rms = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
        if rms < 1e-9:
            return y
        y = _limit(y * np.float32(_TARGET_RMS / rms))
    return np.clip(y, -_PEAK_CEILING, _PEAK_CEILING).astype(np.float32)


def _limit(x: F32, block: int = 256) -> F32:
    # Gain per block from its peak, min-filtered over neighbours and interpolated between block
    # centres: no sample exceeds the ceiling and the gain never jumps, so nothing clicks.
    n = x.shape[1]
    blocks = -(-n // block)
    padded = np.zeros((2, blocks * block), np.float32)
    padded[:, :n] = np.abs(x)
    peaks = padded.reshape(2, blocks, block).max(axis=(0, 2))
    gain = np.minimum(1.0, _PEAK_CEILING / np.maximum(peaks, 1e-9))
    for _ in range(8):  # widen each dip: a ~20 ms attack and release at 44.1 kHz
        gain = np.minimum(gain, np.minimum(np.roll(gain, 1), np.roll(gain, -1)))
    centres = (np.arange(blocks) + 0.5) * block
    curve = np.interp(np.arange(n), centres, gain).astype(np.float32)
    return np.asarray(x * curve[None, :], dtype=np.float32)
