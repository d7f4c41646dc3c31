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


@dataclass(frozen=True)
class Description:
    """What a painted scene shows, in words: English and Chinese, and a title for a video of it."""

    en: str  # "mountain landscape with a lake at sunset"; read back by scene_for, it gives the same scene
    zh: str  # "日落湖畔山景"
    title_en: str
    title_zh: str


# terrain -> (English noun phrase, Chinese noun phrase, English title, Chinese title)
_TERRAIN_TEXT: dict[str, tuple[str, str, str, str]] = {
    "mountains": ("mountain landscape", "山景", "Mountain Dreams", "山间梦境"),
    "hills": ("rolling hills", "丘陵", "Rolling Hills", "山丘之间"),
    "forest": ("forest", "森林", "Forest Whispers", "林间低语"),
    "snow": ("snowy landscape", "雪景", "Winter Silence", "冬日静谧"),
    "desert": ("desert dunes", "沙漠沙丘", "Desert Winds", "大漠之风"),
    "ocean": ("ocean", "大海", "Ocean Breeze", "海风轻拂"),
    "city": ("city skyline", "城市天际线", "Urban Dreams", "城市之梦"),
    "space": ("starry galaxy", "星空银河", "Among the Stars", "星河之间"),
    "abstract": ("abstract colours", "抽象色彩", "Colour Study", "色彩漫游"),
}
_SKY_TEXT: dict[str, tuple[str, str]] = {
    "day": ("", ""),
    "sunset": (" at sunset", "日落"),
    "dawn": (" at dawn", "清晨"),
    "night": (" at night", "夜晚"),
    "overcast": (" under a cloudy sky", "阴天"),
}


def describe(scene: Scene) -> Description:
    """The scene in words, built from the same keywords :func:`scene_for` reads, so the description of
    a painted still names its scene again."""
    noun_en, noun_zh, title_en, title_zh = _TERRAIN_TEXT[scene.terrain]
    water = scene.water and scene.terrain != "ocean"
    if scene.terrain == "ocean" and scene.beach:
        noun_en, noun_zh = "beach", "海滩"
    elif scene.terrain == "abstract" and water:
        noun_en, noun_zh, title_en, title_zh = "lake", "湖面", "Still Waters", "静水流深"
        water = False
    sky_en, sky_zh = _SKY_TEXT[scene.sky]
    if scene.terrain == "space" or (scene.terrain == "city" and scene.sky == "night"):
        sky_en, sky_zh = ("", "") if scene.terrain == "space" else (" at night", "")
        noun_zh = "城市夜景" if scene.terrain == "city" else noun_zh
    en = noun_en + (" with a lake" if water else "") + sky_en
    zh = sky_zh + ("湖畔" if water else "") + noun_zh
    return Description(en, zh, title_en, title_zh)
