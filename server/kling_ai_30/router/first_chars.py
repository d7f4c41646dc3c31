"""The characters a regular expression's match can start with, read from its parse tree.

Used when the tables are compiled: each English group of the trigger pattern is put behind a
one-character check (``(?=[hw])(?:how...|what...)``), so the regex engine skips a group whose
entries cannot start where it stands instead of trying them one by one (Python's ``re`` has no
such dispatch of its own). The parse tree comes from ``re._parser``, CPython's own parser; when
it cannot tell (a negated class, ``.``, an API that changed), the answer is ``None`` and the
group simply goes unguarded, so a match is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["first_chars", "guard"]

_MAX_RANGE = 64  # classes up to this wide are spelt out; wider ones count as unknown


def guard(entries: Iterable[str]) -> str:
    """A lookahead that only the first characters of ``entries`` pass, or "" when unknown."""
    chars: set[str] = set()
    for entry in entries:
        first = first_chars(entry)
        if first is None:
            return ""
        chars |= first
    if not chars:
        return ""
    escaped = "".join("\\" + ch if ch in "\\]^-[" else ch for ch in sorted(chars))
    return f"(?=[{escaped}])"


def first_chars(pattern: str) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with; ``None`` when that is not known."""
    try:
        from re import _constants, _parser  # type: ignore[attr-defined]

        chars, can_be_empty = _first(list(_parser.parse(pattern)), _constants)
    except Exception:  # re's internals changed: no guard, same matches
        return None
    return None if chars is None or can_be_empty else frozenset(chars)


def _first(items: Sequence[Any], c: Any) -> tuple[set[str] | None, bool]:
    """(first characters, whether it can match the empty string) of a sequence of nodes."""
    out: set[str] = set()
    for op, arg in items:
        if op is c.LITERAL:
            return out | {chr(arg)}, False
        if op is c.IN:
            chars = _class(arg, c)
            return (None if chars is None else out | chars), False
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero-width: the next node starts the match
        if op is c.SUBPATTERN:
            chars, empty = _first(list(arg[-1]), c)
        elif op is c.BRANCH:
            chars, empty = set(), False
            for alternative in arg[1]:
                found, alternative_empty = _first(list(alternative), c)
                if found is None:
                    return None, False
                chars |= found
                empty = empty or alternative_empty
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            chars, empty = _first(list(arg[2]), c)
            empty = empty or arg[0] == 0
        else:
            return None, False  # ANY, GROUPREF, ...: could be anything
        if chars is None:
            return None, False
        out |= chars
        if not empty:
            return out, False
    return out, True


def _class(items: Iterable[tuple[Any, Any]], c: Any) -> set[str] | None:
    chars: set[str] = set()
    for op, arg in items:
        if op is c.LITERAL:
            chars.add(chr(arg))
        elif op is c.RANGE and arg[1] - arg[0] < _MAX_RANGE:
            chars.update(chr(code) for code in range(arg[0], arg[1] + 1))
        else:
            return None  # NEGATE, CATEGORY, a wide range
    return chars
