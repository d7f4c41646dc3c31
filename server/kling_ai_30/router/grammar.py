"""The compiled form of the router's tables: what :func:`~kling_ai_30.router.route` runs on.

Kept apart from ``tables.py`` (the pydantic schema of ``intents.yaml``) so that routing with a
cached grammar (``compiled.py``) imports neither pydantic nor YAML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from .learned import Model

__all__ = ["ABOUT", "ACTION_NAMES", "WITHHOLD", "ActionName", "Grammar", "Role"]

ActionName = Literal["export", "credits", "state", "upload"]
ACTION_NAMES: tuple[ActionName, ...] = ("state", "credits", "export", "upload")
"""The actions with tables, in the order they win when two phrases start at the same place."""
ABOUT = "about:"
"""Prefix of a trigger kind that is a question about an action; the rest names its answer."""
WITHHOLD = "withhold"
"""The trigger kind for words that send a file, which matter only when negated."""


class Role(StrEnum):
    """What a connector says about the order of the clauses around it."""

    KEEP = "keep"  # not a connector after all ("black and white")
    SEQUENCE = "sequence"  # in the order written
    WEAK = "weak"  # in the order written; only splits before a new request
    AFTER = "after"  # the clause it introduces runs before the one preceding it
    BEFORE = "before"  # leading "before X, Y": X runs after Y
    FIRST = "first"  # the clause it introduces runs first


@dataclass(frozen=True)
class Grammar:
    """The compiled tables. Every pattern runs on normalised, masked text."""

    triggers: re.Pattern[str]
    triggers_en: re.Pattern[str]
    """:attr:`triggers` for a clause without Chinese (the same groups, none of the Chinese ones)."""
    triggers_zh: re.Pattern[str]
    """:attr:`triggers` for a clause without Latin letters or digits."""
    trigger_groups: dict[str, tuple[str, bool]]
    """Group name in :attr:`triggers` -> (kind, immune to making/topic context). The kind is an
    action name, :data:`ABOUT` + an answer key, or :data:`WITHHOLD`."""
    modifier_before: dict[str, re.Pattern[str]]
    """Action name -> a pattern that matches (``search`` with ``endpos``) just before a keyword."""
    modifier_after: dict[str, re.Pattern[str]]
    """Action name -> a pattern that matches (``match`` with ``pos``) right after a keyword."""
    withhold: re.Pattern[str]
    """The :data:`WITHHOLD` phrases alone, to read a negated export ("don't send this file")."""
    answers: dict[str, str]
    """Answer key -> the reply shown for free (questions about an action, approval, a kept file)."""
    approval: re.Pattern[str]
    """Praise or closure ("looks great", "就这样"): alone, nothing to send."""
    edit: re.Pattern[str]
    """What an edit talks about ("music", "字幕", "faster"): with a making verb, what makes a
    part of a message an instruction rather than talk around a request."""
    talk: re.Pattern[str]
    """Telling rather than asking ("I've already made five", "刚才网断了")."""
    opener: re.Pattern[str]
    """Opens a new request ("so please", "帮我"): a making verb before it does not reach past it."""
    creative: re.Pattern[str]
    topic: re.Pattern[str]
    negator_en: re.Pattern[str]
    negator_zh: re.Pattern[str]
    negation_reach_zh: int
    prohibition: re.Pattern[str]
    """A clause that opens with it (after any polite prefix) forbids rather than asks."""
    retraction: re.Pattern[str]
    """A whole clause (``fullmatch``) that takes back the request before it."""
    retraction_tail: re.Pattern[str]
    """The same at the end of a clause, after a comma ("check my credits, scratch that")."""
    deferral: re.Pattern[str]
    neutral: re.Pattern[str]
    object_marker: re.Pattern[str]
    splitter: re.Pattern[str]
    """Finds connectors; :attr:`split_roles` says which role the one found plays."""
    split_roles: tuple[tuple[Role, re.Pattern[str]], ...]
    first_marker: re.Pattern[str]
    fillers_en: frozenset[str]
    fillers_zh: re.Pattern[str]
    instruction: re.Pattern[str]
    url_intro: re.Pattern[str]
    link: re.Pattern[str]
    """A URL, or a local path to a media file ("~/clips/a.mp4", "C:\\v\\a.mov")."""
    traditional: frozenset[str]
    """The characters OpenCC's Traditional -> Simplified conversion changes: text with none of
    them is not converted (so the library is not even loaded)."""
    learned: Model
    """The learned layer (learned.py), consulted only when no table phrase matched."""
    spelling_en: dict[str, str]
    """A misspelt or run-together English word -> what was meant ("exprot" -> "export")."""
    spelling_zh: re.Pattern[str]
    spelling_zh_map: dict[str, str]
    """Regional words and pinyin-input homophones -> the mainland words the tables use."""
