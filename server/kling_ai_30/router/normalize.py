"""Text normalisation for the router, keeping a map back to the user's own characters.

One folded form lets a single table match what people actually type: full-width letters and
punctuation from Chinese input methods, curly quotes from phones, odd spaces, any case.

Each code point is normalised on its own (NFKC, then case folding), then:

- double quotes (“ ” „ ‟ 〝 〞 and, after NFKC, ＂) become ``"``; single quotes (‘ ’ ‚ ‛) become
  ``'``, so "what’s" reads as "what's";
- the Chinese full stop and enumeration comma become ``.`` and ``,`` (NFKC leaves them alone);
- whitespace runs become one space (one newline when the run held a line break), and the text
  is trimmed.

Working per code point rather than on the whole string is what makes :attr:`Normalized.origin`
possible: every folded character knows the original character it came from, so the router can
hand back the user's exact words (case, full-width commas and all) for the chat message and the
exact spelling of a URL. The price is that combining sequences are not composed, which no table
entry depends on.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass
from functools import cache, lru_cache

__all__ = ["Normalized", "normalize", "normalize_with_origin"]

# Characters NFKC leaves alone but the tables should not have to spell twice.
_PUNCTUATION = str.maketrans(
    {
        "“": '"',
        "”": '"',
        "„": '"',
        "‟": '"',
        "〝": '"',
        "〞": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "。": ".",
        "、": ",",
    }
)
# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space are one NFKC step from ASCII; doing
# that step with str.translate keeps the common Chinese-keyboard input on the fast path.
# Control characters become spaces: they mean nothing to a reader, and the router uses a few of
# them internally as placeholders.
_FAST = str.maketrans(
    {
        **{chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)},
        **{chr(cp): " " for cp in (*range(0x09), *range(0x0E, 0x1C), 0x7F)},
        "\u3000": " ",
    }
)
_FAST.update(_PUNCTUATION)


@dataclass(frozen=True, slots=True)
class Normalized:
    """Folded text plus, for each of its characters, the index of the original character."""

    text: str
    source: str
    origin: tuple[int, ...] | None = None
    """``None`` when folding kept every character in place (``text[i]`` came from ``source[i]``)."""

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``source`` that ``text[start:end]`` was folded from."""
        if start >= end:
            at = self._at(start) if start < len(self.text) else len(self.source)
            return at, at
        return self._at(start), self._at(end - 1) + 1

    def original(self, start: int, end: int) -> str:
        """The user's own characters behind ``text[start:end]``."""
        a, b = self.original_span(start, end)
        return self.source[a:b]

    def _at(self, index: int) -> int:
        return index if self.origin is None else self.origin[index]

    def rewrite(self, edits: Sequence[tuple[int, int, str]]) -> Normalized:
        """Replace ``text[start:end]`` with each edit's string (edits sorted, not overlapping).

        A replacement's characters map onto the characters it replaced, first to first and the
        rest to the last, so a span of the new text still maps back to the user's own words.
        """
        pieces: list[str] = []
        origin: list[int] = []
        pos = 0
        for start, end, new in edits:
            if start < pos:
                continue  # overlaps the previous edit
            pieces.append(self.text[pos:start])
            origin.extend(self._at(i) for i in range(pos, start))
            pieces.append(new)
            first, last = self._at(start), self._at(end - 1)
            origin.extend([first] + [last] * (len(new) - 1))
            pos = end
        pieces.append(self.text[pos:])
        origin.extend(self._at(i) for i in range(pos, len(self.text)))
        return Normalized("".join(pieces), self.source, tuple(origin))

    def simplified(self, traditional: Set[str]) -> Normalized:
        """Traditional Chinese (Taiwan and Hong Kong usage included) in simplified characters.

        The conversion is OpenCC's ``t2s`` (characters, variants and phrases): script only, so
        that text already in simplified characters never changes. Regional words (Taiwan's 匯出
        and 影片, Cantonese 俾 and 條片) are the tables' business (``spelling.zh``). It runs only
        when the text holds one of the ``traditional`` characters (those it changes, listed from
        OpenCC's own tables when the router's tables are compiled), so other text never loads it.
        """
        if self.text.isascii() or traditional.isdisjoint(self.text):
            return self
        convert = simplifier()
        converted = convert(self.text)
        if len(converted) != len(self.text):
            # A phrase changed length: convert character by character so positions still hold.
            converted = "".join(c if len(c := convert(ch)) == 1 else ch for ch in self.text)
        return Normalized(converted, self.source, self.origin)


def normalize(text: str) -> str:
    """Fold ``text`` for matching: NFKC, case-folded, canonical quotes, single spaces, trimmed."""
    return normalize_with_origin(text).text


def normalize_with_origin(text: str) -> Normalized:
    """:func:`normalize`, also returning where each folded character came from."""
    fast = text.translate(_FAST)
    if unicodedata.is_normalized("NFKC", fast):
        folded = fast.casefold()
        # Same length means every character folded to exactly one character, so positions hold;
        # " ".join(split()) == folded means there is no whitespace to collapse or trim.
        if len(folded) == len(text) and " ".join(folded.split()) == folded:
            return Normalized(folded, text)
    return _normalize_slowly(text)


def _normalize_slowly(text: str) -> Normalized:
    chars: list[str] = []
    origin: list[int] = []
    pending_space = ""  # whitespace waits until a visible character shows it is not trailing
    space_at = 0
    for index, ch in enumerate(text):
        for out in _fold(ch):
            if out.isspace():
                if chars and pending_space != "\n":
                    pending_space = "\n" if out in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else " "
                    space_at = index
                continue
            if pending_space:
                chars.append(pending_space)
                origin.append(space_at)
                pending_space = ""
            chars.append(out)
            origin.append(index)
    return Normalized("".join(chars), text, tuple(origin))


@lru_cache(maxsize=8192)
def _fold(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch.translate(_FAST)).casefold().translate(_PUNCTUATION)


_CONVERSION = "t2s.json"


@cache
def simplifier() -> Callable[[str], str]:
    """OpenCC's Traditional to Simplified conversion, loaded on first use."""
    import opencc  # ~10 ms: only for text with traditional characters

    convert: Callable[[str], str] = opencc.OpenCC(_CONVERSION).convert
    return convert
