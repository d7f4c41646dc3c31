"""Fonts for the renderer's text overlays: a bold Latin face, and a CJK face when the text needs one.

Lookup order: well-known file paths (Linux, macOS, Windows), then fontconfig (`fc-list`/`fc-match`)
when it is installed, then Pillow's bundled default font, so text always renders; CJK glyphs only
render properly when some CJK-capable font exists on the machine.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

_LATIN_BOLD_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
    "/usr/local/share/fonts/DejaVuSans-Bold.ttf",
    "/Library/Fonts/Arial Bold.ttf",
    "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    "C:/Windows/Fonts/arialbd.ttf",
)
# Bold faces first: overlays are titles and captions, which read better heavy.
_CJK_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/msyhbd.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)
_FC_TIMEOUT_S = 5.0

# Unicode blocks that a Latin font such as DejaVu does not cover.
_CJK_RANGES = (
    (0x1100, 0x11FF),  # Hangul Jamo
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3000, 0x30FF),  # CJK punctuation, Hiragana, Katakana
    (0x3100, 0x31FF),  # Bopomofo, Hangul compatibility, Katakana extensions
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # full-width forms
    (0x20000, 0x2FA1F),  # CJK extensions B-F
)


def needs_cjk(text: str) -> bool:
    """Whether the text holds characters that need a CJK-capable font."""
    return any(lo <= ord(ch) <= hi for ch in text for lo, hi in _CJK_RANGES)


def is_cjk_char(ch: str) -> bool:
    """Whether one character is CJK (such text wraps between any two characters)."""
    return needs_cjk(ch)


@lru_cache(maxsize=2)
def font_path(*, cjk: bool) -> Path | None:
    """The bold Latin font, or a CJK-capable font when `cjk`; None when the machine has none."""
    for candidate in _CJK_PATHS if cjk else _LATIN_BOLD_PATHS:
        path = Path(candidate)
        if path.is_file():
            return path
    return _fontconfig_cjk() if cjk else _fontconfig_bold()


def load_font(size: int, text: str = "") -> Font:
    """A font of `size` pixels able to draw `text`, falling back to Pillow's bundled font."""
    size = max(1, size)
    path = font_path(cjk=True) if needs_cjk(text) else None
    if path is None:
        path = font_path(cjk=False)
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError:
            pass  # unreadable or not a font after all: fall through to the bundled one
    return ImageFont.load_default(size=size)


def _fontconfig_cjk() -> Path | None:
    # `fc-list :lang=zh` lists only fonts that cover Chinese; `fc-match` always answers something.
    lines = _run_fontconfig("fc-list", ":lang=zh", "file")
    files = sorted(line.split(":", 1)[0].strip() for line in lines if line.strip())
    files.sort(key=lambda f: "bold" not in f.lower())  # stable: bold first, then by name
    return next((Path(f) for f in files if Path(f).is_file()), None)


def _fontconfig_bold() -> Path | None:
    lines = _run_fontconfig("fc-match", "-f", "%{file}", "sans-serif:bold")
    return next((Path(line.strip()) for line in lines if Path(line.strip()).is_file()), None)


def _run_fontconfig(*argv: str) -> list[str]:
    exe = shutil.which(argv[0])
    if exe is None:
        return []
    try:
        done = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=_FC_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return []
    return done.stdout.splitlines() if done.returncode == 0 else []
