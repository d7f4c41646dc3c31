"""The words both rule sets read: Chinese text and numerals, quoted spans, camera motions.

Shared by :mod:`~kling_ai_30.local.agent.interpret` (is this a generation, how long, which camera
move) and :mod:`~kling_ai_30.local.agent.edit_rules` (which edits, with what values).
"""

from __future__ import annotations

import re

from kling_ai_30.local.agent.intent import Motion

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


_QUOTES = re.compile(
    r'"([^"]*)"|“([^”]*)”|「([^」]*)」|『([^』]*)』|‘([^’]*)’|《([^》]*)》|(?<!\w)\'((?:[^\']|\'(?=\w))+)\'(?!\w)'
)
PLACEHOLDER = re.compile(r"«(\d+)»")


def split_quotes(message: str) -> tuple[str, list[str]]:
    """The message with quoted spans replaced by «n» markers, and the quoted texts in order."""
    quotes: list[str] = []

    def replace(match: re.Match[str]) -> str:
        quotes.append(next(g for g in match.groups() if g is not None).strip())
        return f" «{len(quotes) - 1}» "

    return _QUOTES.sub(replace, message), quotes


CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_number(text: str) -> int | None:
    """Arabic or simple Chinese numerals up to 999 ("30", "三十", "十五", "一百二十")."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in CN_DIGITS:
            current = CN_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    total += current
    return total or None


NUM = r"(\d+(?:\.\d+)?)"
CN_NUM = r"(\d+(?:\.\d+)?|[零一二两三四五六七八九十百]+)"


def zh_value(text: str) -> float | None:
    """A number written with Arabic or Chinese digits ("2.5", "三十"); None when it is neither."""
    try:
        return float(text)
    except ValueError:
        number = cn_number(text)
        return float(number) if number is not None else None


MOTIONS: list[tuple[Motion, re.Pattern[str]]] = [
    ("none", re.compile(r"\bstatic\b|\bno (?:camera )?(?:movement|motion)\b|\bstill camera\b|静止|固定镜头|不动")),
    ("zoom_out", re.compile(r"\bzoom(?:s|ing)?[- ]?out\b|\bpull(?:ing)? back\b|\bdolly out\b|拉远|缩小")),
    ("pan_left", re.compile(r"\bpan(?:s|ning)?\s+(?:to\s+(?:the\s+)?)?left\b|向左|左移|往左")),
    (
        "pan_right",
        re.compile(r"\bpan(?:s|ning)?\s+(?:to\s+(?:the\s+)?)?right\b|\bpan(?:s|ning)?\b|向右|右移|往右|平移"),
    ),
    (
        "zoom_in",
        re.compile(
            r"\bzoom(?:s|ing)?[- ]?in\b|\bpush(?:ing)? in\b|\bdolly in\b|\bslow (?:camera )?(?:movement|zoom|push)\b"
            r"|\bcamera (?:movement|motion)\b|\bken burns\b|推进|拉近|放大|运镜|镜头缓慢|缓慢移动"
        ),
    ),
]


def camera_motion(low: str) -> Motion | None:
    """The camera move a (lower-cased) message names, if any; the first match in MOTIONS wins."""
    for motion, pattern in MOTIONS:
        if pattern.search(low):
            return motion
    return None
