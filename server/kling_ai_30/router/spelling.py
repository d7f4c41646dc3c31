"""What people meant when they typed fast: slips of the table words, regional words, homophones.

Two halves:

- :func:`spelling_variants` runs when the tables are compiled: for each English table word it lists
  the slips a hurried typist makes (a letter dropped, doubled, or swapped with its neighbour, and a
  few letters that sound alike), leaving out real words one slip away ("stats", "ender").
- :func:`respell` runs on every utterance, after normalisation: stretched letters are shortened
  ("exporttt"), each English word is looked up among the slips, and the Chinese variants
  (Cantonese and Taiwan/Hong Kong words the script conversion leaves alone, pinyin-input
  homophones such as 到出 for 导出) are replaced by the words the tables use. The user's own
  characters stay reachable through :class:`~kling_ai_30.router.normalize.Normalized`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .grammar import Grammar
from .normalize import Normalized

__all__ = ["respell", "spelling_variants"]

_MIN_LENGTH = 4
"""Shorter words have too many real neighbours ("sned" yes, but "ad" for "add" no)."""


def spelling_variants(
    words: Iterable[str], sounds_like: Iterable[tuple[str, str]], real_words: frozenset[str]
) -> dict[str, str]:
    """Every one-slip misspelling of ``words`` -> the word (build time)."""
    words = tuple(words)
    out: dict[str, str] = {}
    for word in words:
        if len(word) < _MIN_LENGTH:
            continue
        slips: set[str] = set()
        for i in range(len(word)):
            slips.add(word[:i] + word[i + 1 :])  # dropped
            slips.add(word[:i] + word[i] + word[i:])  # doubled
            if i + 1 < len(word):
                slips.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])  # swapped
        for heard, typed in sounds_like:
            start = word.find(heard)
            while start >= 0:
                slips.add(word[:start] + typed + word[start + len(heard) :])
                start = word.find(heard, start + 1)
        for slip in slips - {word} - real_words - set(words):
            out.setdefault(slip, word)
    return out


_WORD = re.compile(r"[a-z]+")
_LATIN = re.compile(r"[a-z]")
_STRETCHED = re.compile(r"([a-z])\1{2,}")


def respell(norm: Normalized, g: Grammar) -> Normalized:
    """``norm`` with slips, stretched letters and regional words replaced by the table words."""
    text = norm.text
    ascii_only = text.isascii()
    edits: list[tuple[int, int, str]] = []
    if ascii_only or _LATIN.search(text) is not None:
        if _STRETCHED.search(text):
            norm = norm.rewrite([(m.start(), m.end(), m.group(1)) for m in _STRETCHED.finditer(text)])
            text = norm.text
        slips = g.spelling_en
        if not slips.keys().isdisjoint(_WORD.findall(text)):  # most texts: no slip at all
            edits = [(m.start(), m.end(), slips[m.group()]) for m in _WORD.finditer(text) if m.group() in slips]
    if not ascii_only and g.spelling_zh.search(text):
        edits += [(m.start(), m.end(), g.spelling_zh_map[m.group()]) for m in g.spelling_zh.finditer(text)]
    return norm.rewrite(sorted(edits)) if edits else norm
