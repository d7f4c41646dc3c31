"""The local renderer: drafts in, real MP4s out, checked by decoding them with PyAV."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from kling_ai_30.local.media.backdrop.painter import make_backdrop
from kling_ai_30.local.media.music import make_music
from kling_ai_30.local.media.render.renderer import RenderError, RenderResult, render_draft

IMAGE = "https://cdn.local/assets/mountain.jpg"
GRADIENT = "https://cdn.local/assets/gradient.png"
SPOT = "https://cdn.local/assets/spot.png"
MUSIC = "https://cdn.local/assets/lofi.wav"
CLIP = "https://cdn.local/assets/clip.mp4"
PHONE = "https://cdn.local/assets/phone.mp4"
GARBAGE = "https://cdn.local/assets/broken.mp4"
GIF = "https://cdn.local/assets/blink.gif"

# --- assets and helpers -------------------------------------------------------------------------


def _write_clip(path: Path, *, size: tuple[int, int], colours: list[tuple[int, int, int]], rotation: int = 0) -> None:
    """A 2 s, 10 fps clip: one solid colour per second (top and bottom halves when `rotation`), with a tone."""
    width, height = size
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if rotation:
            video.set_display_rotation(rotation)
        audio = container.add_stream("aac", rate=44100)
        audio.codec_context.layout = "stereo"
        for i in range(20):
            colour = colours[i // 10]
            if rotation:
                # Upright, the picture shows `colour` on top and white below; stored turned back.
                upright = np.full((width, height, 3), 255, np.uint8)
                upright[: width // 2] = colour
                pixels = np.ascontiguousarray(np.rot90(upright, -rotation // 90))
            else:
                pixels = np.full((height, width, 3), colour, np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        t = np.arange(2 * 44100, dtype=np.float32) / 44100
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        for start in range(0, tone.size, 1024):
            chunk = np.ascontiguousarray(np.stack([tone[start : start + 1024]] * 2))
            sound = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            sound.sample_rate, sound.pts = 44100, start
            container.mux(audio.encode(sound))
        container.mux(video.encode(None))
        container.mux(audio.encode(None))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("assets")
    gradient = np.repeat(np.linspace(0, 255, 320, dtype=np.float32)[None, :], 180, axis=0).astype(np.uint8)
    Image.fromarray(gradient, "L").convert("RGB").save(root / "gradient.png")
    yy, xx = np.mgrid[0:180, 0:320]
    spot = (255 * np.exp(-((xx - 160) ** 2 + (yy - 90) ** 2) / (2 * 25.0**2))).astype(np.uint8)
    Image.fromarray(spot, "L").convert("RGB").save(root / "spot.png")
    _write_clip(root / "clip.mp4", size=(160, 120), colours=[(220, 30, 30), (30, 30, 220)])
    _write_clip(root / "phone.mp4", size=(160, 96), colours=[(220, 30, 30), (220, 30, 30)], rotation=90)
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 definitely not a movie" * 10)
    red, blue = Image.new("RGB", (64, 36), (220, 30, 30)), Image.new("RGB", (64, 36), (30, 30, 220))
    red.save(root / "blink.gif", save_all=True, append_images=[blue], duration=500, loop=0)
    return {
        IMAGE: make_backdrop("a mountain landscape", 480, 270, root / "mountain.jpg"),
        GRADIENT: root / "gradient.png",
        SPOT: root / "spot.png",
        MUSIC: make_music("lo-fi", 4.0, root / "lofi.wav"),
        CLIP: root / "clip.mp4",
        PHONE: root / "phone.mp4",
        GARBAGE: root / "broken.mp4",
        GIF: root / "blink.gif",
    }


def video(src: str | None, st: int, d: int, **meta: Any) -> dict[str, Any]:
    seg: dict[str, Any] = {"id": f"seg_v{st}", "st": st, "d": d, "m": {"kind": "image", "motion": "none", **meta}}
    if src is not None:
        seg["src"] = src
    return seg


def music(src: str | None, st: int, d: int, **meta: Any) -> dict[str, Any]:
    seg: dict[str, Any] = {"id": f"seg_a{st}", "st": st, "d": d, "m": {"name": "Lo-fi", "volume": 0.35, **meta}}
    if src is not None:
        seg["src"] = src
    return seg


def text(words: str, st: int, d: int, **meta: Any) -> dict[str, Any]:
    return {"id": f"seg_t{st}", "st": st, "d": d, "m": {"text": words, "style": "title", "color": "#ffffff", **meta}}


def draft(
    *,
    videos: Sequence[dict[str, Any]] = (),
    audios: Sequence[dict[str, Any]] = (),
    texts: Sequence[dict[str, Any]] = (),
    d: int = 2000,
    size: tuple[int, int] = (1920, 1080),
) -> dict[str, Any]:
    """A draft in the local backend's format with a Video, a BGM and a Title track (empty ones left out)."""
    tracks = []
    for n, (kind, name, segs) in enumerate(((0, "Video", videos), (1, "BGM", audios), (7, "Title", texts)), 1):
        if segs:
            tracks.append({"id": f"trk_{n}", "tt": kind, "sg": list(segs), "m": {"name": name}})
    width, height = size
    return {"t": tracks, "d": d, "m": {"title": "Test", "width": width, "height": height, "fps": 30}}


Render = Callable[..., RenderResult]


@pytest.fixture
def render(media: dict[str, Path], tmp_path: Path) -> Render:
    def run(spec: dict[str, Any], name: str = "out.mp4", **kwargs: Any) -> RenderResult:
        kwargs.setdefault("max_height", 144)
        kwargs.setdefault("fps", 8)
        return render_draft(spec, tmp_path / name, resolve_media=media.get, **kwargs)

    return run


@dataclass
class Decoded:
    duration_s: float
    width: int
    height: int
    video_codec: str
    pix_fmt: str
    audio_codec: str
    channels: int
    sample_rate: int
    frames: list[NDArray[np.uint8]]  # RGB
    times: list[float]
    audio: NDArray[np.float32]  # (2, n)

    def at(self, t: float) -> NDArray[np.float64]:
        """The frame shown at time t, as float RGB."""
        index = max(i for i, start in enumerate(self.times) if start <= t + 1e-6)
        return self.frames[index].astype(np.float64)


def decode(path: Path) -> Decoded:
    with av.open(str(path)) as container:
        vs, aus = container.streams.video[0], container.streams.audio[0]
        frames: list[NDArray[np.uint8]] = []
        times: list[float] = []
        for frame in container.decode(vs):
            frames.append(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
            times.append(float(frame.time))
        container.seek(0)
        chunks = [frame.to_ndarray() for frame in container.decode(aus)]
        return Decoded(
            duration_s=(container.duration or 0) / 1_000_000,
            width=vs.codec_context.width,
            height=vs.codec_context.height,
            video_codec=vs.codec_context.name,
            pix_fmt=str(vs.codec_context.pix_fmt),
            audio_codec=aus.codec_context.name,
            channels=aus.codec_context.channels,
            sample_rate=aus.codec_context.sample_rate,
            frames=frames,
            times=times,
            audio=np.concatenate(chunks, axis=1).astype(np.float32),
        )


def rms(samples: NDArray[np.float32]) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


CENTRE = (slice(50, 94), slice(40, 216))  # rows, columns of a 256x144 frame
BOTTOM = (slice(110, 144), slice(20, 236))
TOP = (slice(0, 34), slice(20, 236))

# --- output format ------------------------------------------------------------------------------


def test_output_is_h264_yuv420p_with_stereo_aac_lasting_the_draft_duration(render: Render) -> None:
    result = render(draft(videos=[video(IMAGE, 0, 3000)], audios=[music(MUSIC, 0, 3000)], d=3000))
    out = decode(result.path)
    assert (out.video_codec, out.pix_fmt) == ("h264", "yuv420p")
    assert (out.audio_codec, out.channels, out.sample_rate) == ("aac", 2, 44100)
    assert out.duration_s == pytest.approx(3.0, abs=0.1)
    assert (result.duration_s, result.frames, result.fps) == (3.0, 24, 8)
    assert len(out.frames) == 24


def test_output_streams_because_the_index_comes_before_the_media_data(render: Render) -> None:
    result = render(draft(videos=[video(IMAGE, 0, 1000)], d=1000))
    data = result.path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")


@pytest.mark.parametrize(
    ("size", "max_height", "expected"),
    [
        ((1920, 1080), 144, (256, 144)),
        ((1080, 1920), 144, (80, 144)),
        ((1080, 1080), 144, (144, 144)),
        ((1920, 1080), 90, (160, 90)),
        ((1080, 1920), 250, (140, 250)),
    ],
    ids=["landscape", "vertical", "square", "landscape-90p", "vertical-250p"],
)
def test_canvas_follows_the_draft_scaled_to_max_height_with_even_sides(
    render: Render, size: tuple[int, int], max_height: int, expected: tuple[int, int]
) -> None:
    result = render(draft(videos=[video(IMAGE, 0, 500)], d=500, size=size), max_height=max_height)
    out = decode(result.path)
    assert (out.width, out.height) == (result.width, result.height) == expected


def test_fps_argument_overrides_the_draft_frame_rate(render: Render) -> None:
    result = render(draft(videos=[video(IMAGE, 0, 1000)], d=1000), fps=12)
    assert (result.fps, result.frames, len(decode(result.path).frames)) == (12, 12, 12)


def test_a_segment_past_the_draft_duration_extends_the_video(render: Render) -> None:
    result = render(draft(videos=[video(IMAGE, 0, 2500)], d=1000))
    assert decode(result.path).duration_s == pytest.approx(2.5, abs=0.1)


def test_the_same_draft_renders_the_same_frames(render: Render) -> None:
    spec = draft(
        videos=[video(IMAGE, 0, 2000, motion="zoom_in", fade_in_ms=400, fade_out_ms=400)],
        texts=[text("Same Every Time", 0, 2000)],
        d=2000,
    )
    first, second = decode(render(spec, name="first.mp4").path), decode(render(spec, name="second.mp4").path)
    assert len(first.frames) == len(second.frames) == 16
    assert all(np.array_equal(a, b) for a, b in zip(first.frames, second.frames, strict=True))
    # Each frame is its own picture, not the last one written into a reused buffer.
    assert np.abs(first.at(1.9) - first.at(0.6)).mean() > 1


# --- pictures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("motion", "src", "later_is"),
    [
        ("zoom_in", SPOT, "brighter"),  # closer to the bright centre
        ("zoom_out", SPOT, "darker"),
        ("pan_right", GRADIENT, "brighter"),  # the view travels towards the bright right side
        ("pan_left", GRADIENT, "darker"),
    ],
    ids=["zoom-in", "zoom-out", "pan-right", "pan-left"],
)
def test_camera_moves_slowly_in_the_direction_asked(render: Render, motion: str, src: str, later_is: str) -> None:
    out = decode(render(draft(videos=[video(src, 0, 3000, motion=motion, speed=2.0)], d=3000)).path)
    early, late = out.at(0.0).mean(), out.at(2.9).mean()
    assert (late > early + 2) if later_is == "brighter" else (late < early - 2)
    # Slow: neighbouring frames differ far less than the first and last.
    step = np.abs(out.at(1.5) - out.at(1.625)).mean()
    assert step < np.abs(out.at(2.9) - out.at(0.0)).mean() / 4


def test_a_still_without_motion_stays_put(render: Render) -> None:
    out = decode(render(draft(videos=[video(IMAGE, 0, 2000, motion="none")], d=2000)).path)
    assert np.abs(out.at(1.9) - out.at(0.0)).mean() < 1.5


def test_speed_below_one_moves_the_camera_less(render: Render) -> None:
    def travel(speed: float) -> float:
        seg = video(SPOT, 0, 2000, motion="zoom_in", speed=speed)
        out = decode(render(draft(videos=[seg], d=2000), name=f"s{speed}.mp4").path)
        return float(np.abs(out.at(1.9) - out.at(0.0)).mean())

    assert travel(0.3) < travel(1.0) * 0.6


def test_a_still_covers_the_whole_canvas_without_bars(render: Render) -> None:
    out = decode(render(draft(videos=[video(GRADIENT, 0, 1000)], d=1000, size=(1080, 1920))).path)
    frame = out.at(0.5)
    for edge in (frame[:, :2], frame[:, -2:], frame[:2], frame[-2:]):
        assert edge.mean() > 60  # the middle of the grey ramp everywhere: no black bars


def test_fade_in_rises_from_black_and_gaps_between_segments_are_black(render: Render) -> None:
    segs = [video(IMAGE, 0, 1000, fade_in_ms=500), video(IMAGE, 2000, 1000)]
    out = decode(render(draft(videos=segs, d=3000)).path)
    assert out.at(0.0).mean() < 20
    assert out.at(0.75).mean() > 60
    assert out.at(1.5).max() < 40  # the gap
    assert out.at(2.5).mean() > 60


def test_a_picture_fading_in_over_another_shows_both_halfway(render: Render) -> None:
    below, above = video(SPOT, 0, 2000), video(GRADIENT, 0, 2000, fade_in_ms=2000)
    both = draft(videos=[below], d=2000)
    both["t"].append({"id": "trk_9", "tt": 0, "sg": [above], "m": {"name": "Overlay"}})
    mixed = decode(render(both, name="both.mp4").path).at(1.0)
    spot = decode(render(draft(videos=[video(SPOT, 0, 2000)], d=2000), name="spot.mp4").path).at(1.0)
    ramp = decode(render(draft(videos=[video(GRADIENT, 0, 2000)], d=2000), name="ramp.mp4").path).at(1.0)
    assert np.abs(mixed - (spot + ramp) / 2).mean() < 4
    assert np.abs(mixed - spot).mean() > 15 and np.abs(mixed - ramp).mean() > 15


def test_a_prompt_only_segment_renders_a_generated_backdrop(render: Render) -> None:
    seg = video(None, 0, 1500, prompt="a mountain landscape", motion="zoom_in")
    frame = decode(render(draft(videos=[seg], d=1500)).path).at(0.7)
    assert frame.mean() > 60 and frame.std() > 20  # a real picture, not black or a flat fill
    sky, ground = frame[:30].mean(axis=(0, 1)), frame[-20:].mean(axis=(0, 1))
    assert sky[2] > sky[0] and ground.mean() < sky.mean()  # blue sky above, dark forest below


def test_a_video_file_plays_from_its_start_cover_fit_even_when_the_draft_says_image(render: Render) -> None:
    out = decode(render(draft(videos=[video(CLIP, 0, 2000, kind="image")], d=2000)).path)
    first, second = out.at(0.5), out.at(1.5)
    assert first[..., 0].mean() > 150 and first[..., 2].mean() < 80  # red second
    assert second[..., 2].mean() > 150 and second[..., 0].mean() < 80  # blue second
    assert first[:, :3].mean() > 50 and first[:, -3:].mean() > 50  # 4:3 into 16:9: cropped, no bars


def test_a_video_file_holds_its_last_frame_when_the_segment_runs_longer(render: Render) -> None:
    out = decode(render(draft(videos=[video(CLIP, 0, 3000)], d=3000)).path)
    assert out.at(2.8)[..., 2].mean() > 150


def test_an_animated_gif_plays_as_video_rather_than_a_still(render: Render) -> None:
    out = decode(render(draft(videos=[video(GIF, 0, 1000)], d=1000)).path)
    assert out.at(0.25)[..., 0].mean() > 150 and out.at(0.75)[..., 2].mean() > 150


def test_an_audio_file_on_a_video_track_is_heard_over_black(render: Render) -> None:
    out = decode(render(draft(videos=[video(MUSIC, 0, 1000)], d=1000)).path)
    assert out.at(0.5).max() < 30
    assert rms(out.audio[:, 4410:40000]) > 0.05


def test_a_phone_video_with_a_rotation_flag_is_shown_upright(render: Render) -> None:
    out = decode(render(draft(videos=[video(PHONE, 0, 1000)], d=1000, size=(1080, 1920))).path)
    frame = out.at(0.5)
    top, bottom = frame[: out.height // 3], frame[-out.height // 3 :]
    assert top[..., 0].mean() > 150 and top[..., 1].mean() < 90  # red on top
    assert bottom.mean() > 200  # white below


# --- text ---------------------------------------------------------------------------------------


def test_a_title_shows_centred_during_its_time_and_is_gone_after(render: Render) -> None:
    spec = draft(videos=[video(IMAGE, 0, 3000)], texts=[text("Urban Dreams", 0, 1500)], d=3000)
    out = decode(render(spec).path)
    during, after = out.at(0.75), out.at(2.25)
    assert np.abs(during[CENTRE] - after[CENTRE]).mean() > 8
    assert (during[CENTRE] > 235).mean() > 0.03  # white glyphs
    assert np.abs(during[TOP] - after[TOP]).mean() < 2  # nothing elsewhere


def test_a_title_fades_in_rather_than_popping(render: Render) -> None:
    spec = draft(videos=[video(IMAGE, 0, 2000)], texts=[text("Urban Dreams", 0, 2000)], d=2000)
    out = decode(render(spec, fps=30).path)
    plain = out.at(0.0)[CENTRE]
    partial = np.abs(out.at(1 / 30 * 4)[CENTRE] - plain).mean()
    full = np.abs(out.at(1.0)[CENTRE] - plain).mean()
    assert 0 < partial < full * 0.8


@pytest.mark.parametrize(
    ("style", "position", "region", "elsewhere"),
    [
        ("subtitle", None, BOTTOM, TOP),
        ("caption", None, BOTTOM, TOP),
        ("title", "top", TOP, BOTTOM),
        ("subtitle", "top", TOP, BOTTOM),
    ],
    ids=["subtitle-bottom", "caption-bottom", "title-top", "subtitle-top"],
)
def test_text_sits_where_its_style_or_position_puts_it(
    render: Render, style: str, position: str | None, region: tuple[slice, slice], elsewhere: tuple[slice, slice]
) -> None:
    meta = {"style": style} | ({"position": position} if position else {})
    spec = draft(videos=[video(IMAGE, 0, 2000)], texts=[text("A quiet morning", 0, 1000, **meta)], d=2000)
    out = decode(render(spec).path)
    during, after = out.at(0.5), out.at(1.5)
    assert np.abs(during[region] - after[region]).mean() > 4
    assert np.abs(during[elsewhere] - after[elsewhere]).mean() < 2


def test_text_takes_its_colour_from_the_segment(render: Render) -> None:
    spec = draft(videos=[video(IMAGE, 0, 1000)], texts=[text("RED", 0, 1000, color="#ff2020")], d=1000)
    frame = decode(render(spec, max_height=288).path).at(0.5)
    reddish = (frame[..., 0] > 180) & (frame[..., 1] < 110) & (frame[..., 2] < 110)
    assert reddish.sum() > 150


def test_chinese_text_renders_without_crashing_whatever_fonts_exist(render: Render) -> None:
    spec = draft(videos=[video(IMAGE, 0, 2000)], texts=[text("城市之光", 0, 1000)], d=2000)
    out = decode(render(spec).path)
    assert np.abs(out.at(0.5)[CENTRE] - out.at(1.5)[CENTRE]).mean() > 4


def test_a_long_title_shrinks_to_stay_on_screen(render: Render) -> None:
    words = "Supercalifragilisticexpialidocious adventures across every continent of the world"
    spec = draft(videos=[video(IMAGE, 0, 2000)], texts=[text(words, 0, 1000)], d=2000, size=(1080, 1920))
    out = decode(render(spec, max_height=480).path)
    diff = np.abs(out.at(0.5) - out.at(1.5)).mean(axis=(0, 2))
    assert diff[:4].max() < 2 and diff[-4:].max() < 2  # untouched left and right edges
    assert diff[out.width // 2 - 20 : out.width // 2 + 20].max() > 3  # the title is there


# --- audio --------------------------------------------------------------------------------------


def test_music_volume_scales_the_mix(render: Render) -> None:
    loud = decode(render(draft(audios=[music(MUSIC, 0, 2000, volume=1.0)], d=2000), name="loud.mp4").path)
    soft = decode(render(draft(audios=[music(MUSIC, 0, 2000, volume=0.35)], d=2000), name="soft.mp4").path)
    ratio = rms(soft.audio[:, 4410:66150]) / rms(loud.audio[:, 4410:66150])
    assert ratio == pytest.approx(0.35, abs=0.05)


def test_music_fades_out_at_the_end_of_its_clip(render: Render) -> None:
    out = decode(render(draft(audios=[music(MUSIC, 0, 2000, volume=1.0, fade_out_ms=800)], d=2500)).path)
    middle, tail, after = out.audio[:, 22050:30870], out.audio[:, 84672:88200], out.audio[:, 90000:105000]
    assert rms(tail) < rms(middle) / 4
    assert rms(after) < 1e-3  # silence once the clip ends


def test_music_starts_at_its_segment_time(render: Render) -> None:
    out = decode(render(draft(audios=[music(MUSIC, 1000, 1000, volume=1.0)], d=2000)).path)
    assert rms(out.audio[:, 2048:40000]) < 1e-3 < rms(out.audio[:, 50000:80000])


def test_a_music_segment_without_a_file_gets_generated_music(render: Render) -> None:
    out = decode(render(draft(audios=[music(None, 0, 2000, volume=1.0)], d=2000)).path)
    assert rms(out.audio[:, 4410:80000]) > 0.05


def test_a_video_file_brings_its_own_sound(render: Render) -> None:
    out = decode(render(draft(videos=[video(CLIP, 0, 2000)], d=2000)).path)
    spectrum = np.abs(np.fft.rfft(out.audio[0, 8820:52920]))
    assert rms(out.audio[:, 8820:52920]) > 0.1
    assert np.argmax(spectrum) * 44100 / 44100 == pytest.approx(440, abs=3)  # 1 s window: 1 Hz bins


def test_a_draft_without_audio_still_has_a_silent_aac_track(render: Render) -> None:
    out = decode(render(draft(videos=[video(IMAGE, 0, 1000)], d=1000)).path)
    assert out.audio_codec == "aac"
    assert out.audio.shape[1] >= 44100 * 0.9
    assert np.abs(out.audio).max() < 1e-4


def test_text_only_and_audio_only_drafts_render_over_black(render: Render) -> None:
    out = decode(render(draft(texts=[text("Hello", 0, 1000)], audios=[music(MUSIC, 0, 1000)], d=1000)).path)
    frame = out.at(0.5)
    assert frame[TOP].max() < 30 and frame[CENTRE].max() > 200


# --- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resolver", "url"),
    [
        (lambda url: None, IMAGE),
        (lambda url: Path("/nonexistent/file.jpg"), IMAGE),
    ],
    ids=["unknown-url", "file-gone"],
)
def test_missing_media_raises_a_render_error_naming_the_url(
    tmp_path: Path, resolver: Callable[[str], Path | None], url: str
) -> None:
    with pytest.raises(RenderError, match="media not found") as err:
        render_draft(draft(videos=[video(url, 0, 1000)], d=1000), tmp_path / "out.mp4", resolve_media=resolver)
    assert url in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_undecodable_media_raises_a_render_error_naming_the_url(render: Render, tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="could not be decoded") as err:
        render(draft(videos=[video(GARBAGE, 0, 1000)], d=1000))
    assert GARBAGE in str(err.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"t": []},
        {"t": "tracks"},
        {"t": [{"tt": 0, "sg": []}], "d": 5000},
        {"t": [{"tt": 3, "sg": [{"st": 0, "d": 1000}]}]},
        {"t": [{"tt": 0, "sg": [{"st": 0, "d": 0, "src": IMAGE}, {"st": 0, "d": -5, "src": IMAGE}]}]},
        {"t": [{"tt": 0, "sg": [{"st": "soon", "d": "long", "src": IMAGE}]}]},
        [],
    ],
    ids=["empty", "no-tracks", "tracks-not-a-list", "no-segments", "unknown-type", "no-duration", "junk", "list"],
)
def test_a_draft_with_nothing_to_render_raises_invalid_draft(tmp_path: Path, spec: Any) -> None:
    with pytest.raises(RenderError, match="invalid draft"):
        render_draft(spec, tmp_path / "out.mp4", resolve_media=lambda url: None)
    assert list(tmp_path.iterdir()) == []


def test_odd_tracks_and_segments_are_skipped_around_a_usable_one(render: Render) -> None:
    spec = draft(videos=[video(IMAGE, 0, 1000)], d=1000)
    spec["t"] += ["junk", {"tt": 42, "sg": [{"st": 0, "d": 1000}]}, {"tt": 0, "sg": ["x", {"d": 10}]}, {"m": None}]
    spec["t"][0]["sg"].append({"st": -500, "d": 700, "src": IMAGE, "m": "not a mapping"})
    assert decode(render(spec).path).duration_s == pytest.approx(1.0, abs=0.1)


def test_a_failed_render_leaves_the_previous_output_untouched_and_no_temp_file(render: Render, tmp_path: Path) -> None:
    good = render(draft(videos=[video(IMAGE, 0, 1000)], d=1000))
    before = good.path.read_bytes()

    def cancel(fraction: float) -> None:
        if fraction > 0.5:
            raise KeyboardInterrupt  # any exception, even a BaseException, aborts cleanly

    with pytest.raises(KeyboardInterrupt):
        render(draft(videos=[video(IMAGE, 0, 2000)], d=2000), on_progress=cancel)
    assert good.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


# --- progress -----------------------------------------------------------------------------------


def test_progress_rises_steadily_and_ends_at_one(render: Render) -> None:
    seen: list[float] = []
    render(draft(videos=[video(IMAGE, 0, 3000)], d=3000), fps=30, on_progress=seen.append)
    assert seen[-1] == 1.0
    assert all(b > a for a, b in itertools.pairwise(seen))
    assert all(0 < f <= 1 for f in seen)
    assert 10 <= len(seen) <= 52  # about every 2 % of 90 frames, not every frame
