"""The backend's closing "I encountered a temporary issue", which the skill text says to ignore
after a normal reply: noise, not news (the reply before it already says what was done)."""

from __future__ import annotations

import re

_TEMPORARY_ISSUE = re.compile(
    r"\bI(?:'ve|’ve|\s+have)?\s+(?:just\s+)?(?:encountered|ran\s+into|hit)\s+(?:a\s+|an\s+|some\s+)?"
    r"(?:temporary|transient)\s+(?:issue|problem|error|glitch)"
    r"|遇到了?(?:一个|一些|一点)?(?:临时|暂时)性?的?(?:问题|错误|故障)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?。！？\n]")
_ISSUE_TAIL_LIMIT = 300  # the noise is a sentence or two; anything longer is a real reply
_AFTER_ISSUE_LIMIT = 120  # room for "Please try again later." after it


def strip_trailing_temporary_issue(text: str) -> str:
    """Drop a closing "I encountered a temporary issue…" that follows a normal reply.

    The skill text: ignore it when the prior response was normal. Alone, it is the reply and stays.
    """
    matches = list(_TEMPORARY_ISSUE.finditer(text))
    if not matches:
        return text
    match = matches[-1]
    ends_before = [m.end() for m in _SENTENCE_END.finditer(text, 0, match.start())]
    start = ends_before[-1] if ends_before else 0
    head, tail = text[:start], text[start:]
    end_of_issue = _SENTENCE_END.search(text, match.end())
    after = text[end_of_issue.end() :] if end_of_issue else ""
    if len(tail) > _ISSUE_TAIL_LIMIT or len(after.strip()) > _AFTER_ISSUE_LIMIT:
        return text
    if not re.search(r"\w", head):
        return text
    return head.rstrip()
