"""Reading a prompt or a style name for the synthesisers: deterministic seeds and keyword matching.

Shared by :mod:`~kling_ai_30.local.media.backdrop` and :mod:`~kling_ai_30.local.media.music`. Seeds come from
SHA-256 of the normalised text, never from Python's salted `hash`, so the same words give the same
bytes on every machine and in every process.
"""

from __future__ import annotations

import hashlib
import re


def seed(kind: str, text: str) -> int:
    """A 64-bit seed for `kind` ("backdrop", "music") from `text`, ignoring case and spacing."""
    normal = " ".join(text.lower().split())
    return int.from_bytes(hashlib.sha256(f"{kind}:{normal}".encode()).digest()[:8], "big")


def tokens(text: str) -> tuple[set[str], str]:
    """The ASCII words of `text` and the lowered text (for CJK keywords, matched as substrings)."""
    lowered = text.lower()
    return set(re.findall(r"[a-z]+", lowered)), lowered


def mentions(words: set[str], lowered: str, keywords: tuple[str, ...]) -> bool:
    """Whether any keyword occurs: ASCII ones as whole words (with simple suffixes), others anywhere."""
    for kw in keywords:
        if kw.isascii():
            # Plurals and adjectives ("mountains", "snowy") count; substrings ("sea" in "season") do not.
            if {kw, kw + "s", kw + "es", kw + "y"} & words:
                return True
        elif kw in lowered:
            return True
    return False
