"""Backdrop stills: a deterministic scene per prompt, chosen by keywords and painted with detail."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from kling_ai_30.local.media.backdrop.painter import backdrop_image, make_backdrop
from kling_ai_30.local.media.backdrop.scene import Scene, scene_for


def pixels(prompt: str, width: int = 320, height: int = 180) -> NDArray[np.float64]:
    return np.asarray(backdrop_image(prompt, width, height), dtype=np.float64)


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("generate a photo of a mountain landscape into a 1080p MP4", Scene("mountains", "day", False, False)),
        ("snowy mountain lake at sunset", Scene("mountains", "sunset", True, False)),
        ("ocean waves on a sandy beach", Scene("ocean", "day", False, True)),
        ("city timelapse", Scene("city", "night", False, False)),
        ("city streets on a sunny afternoon", Scene("city", "day", False, False)),
        ("misty pine forest", Scene("forest", "overcast", False, False)),
        ("desert dunes at dawn", Scene("desert", "dawn", False, False)),
        ("winter wonderland", Scene("snow", "day", False, False)),
        ("galaxy", Scene("space", "night", False, False)),
        ("rolling hills", Scene("hills", "day", False, False)),
        ("夕阳下的雪山和湖", Scene("mountains", "sunset", True, False)),
        ("the season of seagulls", Scene("abstract", "day", False, False)),
        ("Urban Dreams", Scene("city", "night", False, False)),
        ("a cup of coffee", Scene("abstract", "day", False, False)),
    ],
    ids=[
        "mountain",
        "mountain-lake-sunset",
        "beach",
        "city-defaults-to-night",
        "city-by-day",
        "misty-forest",
        "desert-dawn",
        "snow",
        "space",
        "hills",
        "chinese",
        "no-substring-matches",
        "urban",
        "unknown",
    ],
)
def test_prompt_keywords_choose_the_scene(prompt: str, expected: Scene) -> None:
    assert scene_for(prompt) == expected


@pytest.mark.parametrize(
    "prompt",
    [
        "a mountain landscape",
        "ocean at sunset",
        "city at night",
        "forest",
        "desert",
        "snow",
        "galaxy",
        "hills",
        "dreams",
    ],
)
def test_every_scene_paints_a_detailed_picture(prompt: str) -> None:
    image = pixels(prompt, 192, 108)
    assert image.std() > 12  # not a flat fill
    assert 10 < image.mean() < 245


def test_the_same_prompt_paints_the_same_bytes_and_another_prompt_differs(tmp_path: Path) -> None:
    first = make_backdrop("A mountain landscape", 320, 180, tmp_path / "a.png").read_bytes()
    again = make_backdrop("a  mountain   landscape", 320, 180, tmp_path / "b.png").read_bytes()  # case, spacing
    other = make_backdrop("a mountain landscape at dawn", 320, 180, tmp_path / "c.png").read_bytes()
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("name", "fmt"), [("still.jpg", "JPEG"), ("still.JPEG", "JPEG"), ("still.png", "PNG")], ids=["jpg", "jpeg", "png"]
)
def test_backdrop_file_format_follows_the_suffix(tmp_path: Path, name: str, fmt: str) -> None:
    path = make_backdrop("forest", 200, 120, tmp_path / "deep" / name)
    with Image.open(path) as image:
        assert (image.format, image.size, image.mode) == (fmt, (200, 120), "RGB")


def test_a_mountain_landscape_has_blue_sky_snowy_peaks_and_dark_forest() -> None:
    image = pixels("a mountain landscape", 480, 270)
    sky = image[:20].mean(axis=(0, 1))
    assert sky[2] > sky[0] + 20  # blue above
    upper = image[40:140, 120:360]
    snow = (upper.min(axis=2) > 215) & (upper[..., 2] >= upper[..., 0])
    assert snow.mean() > 0.03  # white (bluish) snow on the peaks
    ground = image[-40:].mean(axis=(0, 1))
    assert ground.mean() < 60 and ground[1] >= ground[0]  # dark green forest below


def test_a_night_city_is_dark_with_warm_lit_windows() -> None:
    image = pixels("city at night", 480, 270)
    assert image.mean() < 70
    warm = (image[..., 0] > 180) & (image[..., 0] > image[..., 2] + 50)
    assert warm.sum() > 100


@pytest.mark.parametrize("size", [(540, 960), (640, 360)], ids=["vertical", "landscape"])
def test_a_scene_looks_the_same_at_any_resolution(size: tuple[int, int]) -> None:
    width, height = size
    large = backdrop_image("a mountain landscape", width, height).resize(
        (width // 4, height // 4), Image.Resampling.BOX
    )
    small = backdrop_image("a mountain landscape", width // 4, height // 4)
    assert np.abs(np.asarray(large, np.float64) - np.asarray(small, np.float64)).mean() < 12


def test_a_backdrop_needs_a_positive_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        backdrop_image("forest", 0, 100)
