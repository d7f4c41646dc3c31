"""What a terminal shows: how many cells a text takes, and whether it shows colour.

Widths come from the Unicode tables in the standard library (``unicodedata``): East Asian wide
and full-width characters (CJK, and most emoji: ⏳ ✅ 🎬) take two cells, combining marks and
format characters none. Three emoji rules complete them: a variation selector-16 turns the narrow
character before it into a two-cell emoji (⚠️), and a character after a zero-width joiner or a
skin-tone modifier adds nothing, since terminals draw the whole sequence as one emoji. That covers
what this program shows (its own phases, the backend's English and Chinese replies) without the
``wcwidth`` package; the tests check these widths against it. A terminal that draws some rare
sequence differently still gets a line that never wraps: lines are cut one cell short.

Colour follows the usual conventions: ``NO_COLOR`` (any non-empty value) turns it off,
``FORCE_COLOR`` turns it on, a ``dumb`` terminal and anything that is not a terminal get none.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from typing import TextIO

_ZWJ = "\u200d"
_VS16 = "\ufe0f"
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cc"})
ELLIPSIS = "…"
DEFAULT_COLUMNS = 80


def display_width(text: str) -> int:
    """The number of terminal cells ``text`` takes."""
    return sum(_cell_widths(text))


def fit(text: str, cells: int) -> str:
    """``text`` cut to at most ``cells`` cells, ending in "…" when something was cut."""
    if display_width(text) <= cells:
        return text
    if cells <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for char, width in zip(text, _cell_widths(text), strict=True):
        if used + width > cells - 1:
            break
        kept.append(char)
        used += width
    return "".join(kept) + ELLIPSIS


def one_line(text: str) -> str:
    """``text`` with line breaks, tabs and other control characters turned into spaces."""
    return "".join(" " if unicodedata.category(char) == "Cc" else char for char in text)


def columns(stream: TextIO) -> int:
    """The width of the terminal ``stream`` writes to (80 when it cannot tell)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_COLUMNS
    except (OSError, ValueError):
        return DEFAULT_COLUMNS


def is_live_terminal(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """A terminal that can redraw a line in place (not a pipe, a file or a ``dumb`` terminal)."""
    env = os.environ if environ is None else environ
    try:
        return stream.isatty() and env.get("TERM", "") != "dumb"
    except ValueError:  # a closed stream
        return False


def colour_supported(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what goes to ``stream`` (``NO_COLOR`` wins over ``FORCE_COLOR``)."""
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR", ""):
        return False
    if env.get("FORCE_COLOR", ""):
        return True
    return is_live_terminal(stream, env)


class Palette:
    """SGR colours, or plain text when the terminal gets none."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._paint("1", text)

    def dim(self, text: str) -> str:
        return self._paint("2", text)

    def red(self, text: str) -> str:
        return self._paint("31", text)

    def green(self, text: str) -> str:
        return self._paint("32", text)

    def yellow(self, text: str) -> str:
        return self._paint("33", text)

    def cyan(self, text: str) -> str:
        return self._paint("36", text)


def _cell_widths(text: str) -> list[int]:
    widths: list[int] = []
    joined = False
    for char in text:
        width = _base_width(char)
        if char == _ZWJ:
            joined = True
        elif char == _VS16:
            # Emoji presentation: the character before it is drawn two cells wide.
            if widths and widths[-1] == 1:
                widths[-1] = 2
        elif joined or (ord(char) in _SKIN_TONES and widths and widths[-1] == 2):
            width = 0
            joined = False
        widths.append(width)
    return widths


def _base_width(char: str) -> int:
    if unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES or unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
