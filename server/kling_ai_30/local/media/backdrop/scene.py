"""What a prompt asks to see: the land, the sky, water and sand, chosen by English and Chinese keywords."""

from __future__ import annotations

from dataclasses import dataclass

from kling_ai_30.local.media.prompts import mentions, tokens


@dataclass(frozen=True)
class Scene:
    """What a prompt asks to see: the land, the sky, and whether there is water in front."""

    terrain: str  # mountains | hills | forest | snow | desert | ocean | city | space | abstract
    sky: str  # day | sunset | dawn | night | overcast
    water: bool  # a lake or river reflecting the scene
    beach: bool  # sand in front of the sea


# Checked in order: the first terrain mentioned wins ("snowy mountain lake" is mountains).
_TERRAIN_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("space", ("space", "galaxy", "nebula", "cosmic", "cosmos", "universe", "planet", "星空", "宇宙", "银河")),
    ("city", ("city", "urban", "street", "skyline", "downtown", "neon", "town", "cyberpunk", "城市", "都市", "街")),
    ("ocean", ("ocean", "sea", "wave", "beach", "coast", "surf", "shore", "island", "海", "浪", "沙滩")),
    ("mountains", ("mountain", "alps", "alpine", "peak", "summit", "himalaya", "valley", "cliff", "山", "峰")),
    ("desert", ("desert", "dune", "sahara", "sand", "沙漠")),
    ("snow", ("snow", "winter", "ice", "frozen", "arctic", "雪", "冬")),
    ("forest", ("forest", "tree", "woods", "jungle", "pine", "森林", "树")),
    ("hills", ("hill", "meadow", "field", "countryside", "landscape", "nature", "草原", "田野", "风景")),
)
_SKY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("night", ("night", "midnight", "moon", "starry", "neon", "夜", "月")),
    ("sunset", ("sunset", "sundown", "dusk", "golden", "evening", "twilight", "日落", "黄昏", "夕阳")),
    ("dawn", ("sunrise", "dawn", "morning", "日出", "清晨")),
    ("overcast", ("cloudy", "fog", "mist", "rain", "storm", "overcast", "雾", "雨")),
    ("day", ("day", "sunny", "noon", "afternoon", "daylight", "白天")),
)
_WATER_WORDS = ("lake", "river", "reflection", "pond", "harbor", "harbour", "bay", "湖", "河")
_BEACH_WORDS = ("beach", "sand", "shore", "沙滩")


def scene_for(prompt: str) -> Scene:
    """The scene a prompt asks for, from English and Chinese keywords; unknown prompts get an abstract still."""
    words, lowered = tokens(prompt)
    terrain = next((t for t, kws in _TERRAIN_WORDS if mentions(words, lowered, kws)), "abstract")
    sky = next((s for s, kws in _SKY_WORDS if mentions(words, lowered, kws)), "")
    if not sky:
        sky = "night" if terrain in ("city", "space") else "day"
    return Scene(
        terrain=terrain,
        sky=sky,
        water=mentions(words, lowered, _WATER_WORDS),
        beach=mentions(words, lowered, _BEACH_WORDS),
    )
