"""Background music: deterministic, normalised, seamless WAV loops per style."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from kling_ai_30.local.media.music import make_music, music_samples


def read_wav(path: Path) -> tuple[wave._wave_params, NDArray[np.int16]]:
    with wave.open(str(path), "rb") as wav:
        params = wav.getparams()
        data = np.frombuffer(wav.readframes(params.nframes), dtype="<i2").reshape(-1, params.nchannels)
    return params, data


def test_music_is_a_deterministic_16_bit_stereo_wav_of_the_requested_length(tmp_path: Path) -> None:
    first = make_music("lo-fi", 2.5, tmp_path / "a.wav")
    second = make_music("lo-fi", 2.5, tmp_path / "sub" / "b.wav")
    assert first.read_bytes() == second.read_bytes()
    params, _ = read_wav(first)
    assert (params.nchannels, params.sampwidth, params.framerate, params.nframes) == (2, 2, 44100, 110250)


@pytest.mark.parametrize("style", ["lo-fi", "upbeat", "calm", "ambient", "cinematic"])
def test_every_style_is_normalised_to_about_minus_14_dbfs_without_clipping(tmp_path: Path, style: str) -> None:
    _, data = read_wav(make_music(style, 6.0, tmp_path / "m.wav"))
    x = data.astype(np.float64) / 32768
    level = 20 * np.log10(np.sqrt(np.mean(x**2)))
    assert level == pytest.approx(-14, abs=1.0)
    assert np.abs(data).max() < 32000  # headroom: nothing near full scale
    assert np.corrcoef(x[:, 0], x[:, 1])[0, 1] < 0.999  # a stereo mix, not two copies of mono


def test_styles_sound_different_and_unknown_styles_fall_back_to_lofi() -> None:
    lofi, upbeat = music_samples("Lo-fi", 4.0), music_samples("upbeat", 4.0)
    assert np.abs(lofi - upbeat).mean() > 0.01
    assert np.array_equal(music_samples("something else", 4.0), music_samples("lofi", 4.0))


def test_music_fades_in_and_out_without_clicks() -> None:
    x = music_samples("upbeat", 5.0)
    assert np.abs(x[:, :10]).max() < 0.01
    assert np.abs(x[:, -10:]).max() < 0.01


def test_music_repeats_its_loop_seamlessly() -> None:
    x = music_samples("upbeat", 20.0, sample_rate=22050)[0]
    jumps = np.abs(np.diff(x))
    assert jumps.max() < 0.5  # no discontinuity where one pass of the loop meets the next


@pytest.mark.parametrize(("seconds", "rate"), [(0.0, 44100), (-1.0, 44100), (1.0, 100)], ids=["zero", "neg", "rate"])
def test_music_rejects_nonsense_lengths_and_rates(seconds: float, rate: int) -> None:
    with pytest.raises(ValueError, match=r"music length|sample rate"):
        music_samples("calm", seconds, sample_rate=rate)
