"""The router's phrase tables: ``intents.yaml`` validated, then compiled into a few regexes, once.

The file ships inside the package and is read with :mod:`importlib.resources`, on the first
:func:`grammar` call (never when ``kling_ai_30`` is imported). A malformed table fails loudly at
that first call with pydantic's description of what is wrong.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["Grammar", "IntentTables", "Role", "grammar", "load_tables"]

TABLES_FILE = "intents.yaml"
ActionName = Literal["export", "credits", "state", "upload"]
ACTION_NAMES: tuple[ActionName, ...] = ("state", "credits", "export", "upload")
"""The actions with tables, in the order they win when two phrases start at the same place."""

# English entries get ASCII word boundaries; the apostrophe counts as a letter so that
# "don't" is one word and "it" does not match inside "it's".
_EN = "(?<![a-z0-9'])(?=[a-z0-9])(?:{})(?![a-z0-9'])"
_CJK = "\u3400-\u9fff"
_ZH = f"(?=[{_CJK}])(?:{{}})"
_LOOKAROUND = re.compile(r"\(\?<?[=!][^)]*\)")
_ZH_NEGATION_REACH = 6
"""Chinese negation covers at most this many characters before the keyword ("不要把视频导出")."""


class Patterns(BaseModel):
    """Regular expressions by script: ``en`` gets word boundaries, ``zh`` and ``symbols`` do not.

    English entries start with a letter or digit and Chinese entries with a Chinese character
    (after any lookbehind): the compiled patterns skip other positions without trying them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: tuple[str, ...] = ()
    zh: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()

    @field_validator("en", "zh", "symbols")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
        return patterns

    def regex(self) -> str:
        """One alternation of every entry, guarded by script; never matches when empty."""
        parts = [_EN.format("|".join(self.en))] if self.en else []
        parts += [_ZH.format("|".join(self.zh))] if self.zh else []
        parts += [f"(?:{p})" for p in self.symbols]
        return "|".join(parts) or "(?!)"


class Words(BaseModel):
    """Plain words (English, looked up in a set) and phrases (Chinese, removed as substrings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: frozenset[str] = frozenset()
    zh: tuple[str, ...] = ()

    @field_validator("en")
    @classmethod
    def _single_words(cls, words: frozenset[str]) -> frozenset[str]:
        bad = sorted(word for word in words if not re.fullmatch(r"[a-z0-9']+", word))
        if bad:
            raise ValueError(f"English fillers are single lower-case words: {', '.join(bad)}")
        return words


class ActionPatterns(BaseModel):
    """How one action is asked for, and the contexts that turn its keywords into nouns."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    questions: Patterns = Patterns()
    triggers: Patterns
    modifier_before: Patterns = Patterns()
    modifier_after: Patterns = Patterns()


class Connectors(BaseModel):
    """Where one request ends and the next begins, by the ordering each connector implies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keep: Patterns
    sequence: Patterns
    weak: Patterns
    after: Patterns
    before: Patterns
    first: Patterns


class IntentTables(BaseModel):
    """The whole of ``intents.yaml``; see the comments there for what each table means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    actions: dict[ActionName, ActionPatterns]
    creative: Patterns
    topic: Patterns
    negators: Patterns
    prohibitions: Patterns
    retractions: Patterns
    deferrals: Patterns
    neutral: Patterns
    object_markers: Patterns
    connectors: Connectors
    heads: Patterns
    head_prefixes: Patterns
    first_markers: Patterns
    fillers: Words
    instructions: Patterns
    url_intro: Patterns

    @field_validator("actions")
    @classmethod
    def _all_actions(cls, actions: dict[ActionName, ActionPatterns]) -> dict[ActionName, ActionPatterns]:
        missing = set(ACTION_NAMES) - set(actions)
        if missing:
            raise ValueError(f"no table for {', '.join(sorted(missing))}")
        return actions


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
    trigger_groups: dict[str, tuple[str, bool]]
    """Group name in :attr:`triggers` -> (action name, immune to making/topic context)."""
    modifier_before: dict[str, re.Pattern[str]]
    """Action name -> a pattern that matches (``search`` with ``endpos``) just before a keyword."""
    modifier_after: dict[str, re.Pattern[str]]
    """Action name -> a pattern that matches (``match`` with ``pos``) right after a keyword."""
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


def load_tables() -> IntentTables:
    """Read and validate the packaged ``intents.yaml``."""
    text = importlib.resources.files(__package__ or "kling_ai_30.router").joinpath(TABLES_FILE).read_text("utf-8")
    return IntentTables.model_validate(yaml.safe_load(text))


@cache
def grammar() -> Grammar:
    """The tables compiled once per process (the first call reads the file)."""
    return compile_tables(load_tables())


def compile_tables(tables: IntentTables) -> Grammar:
    """Turn validated tables into the patterns :func:`~kling_ai_30.router.route` runs."""
    groups: dict[str, tuple[str, bool]] = {}
    english: list[str] = []
    chinese: list[str] = []
    for immune in (True, False):  # questions first: "导出好了吗" is a status question, not "导出"
        for name in ACTION_NAMES:
            patterns = tables.actions[name].questions if immune else tables.actions[name].triggers
            for script, entries, out in (("e", patterns.en, english), ("z", patterns.zh, chinese)):
                if entries:
                    group = f"{script}{len(groups)}"
                    groups[group] = (name, immune)
                    out.append(f"(?P<{group}>{'|'.join(entries)})")
    # A handful of named groups under one guard each: one group per entry would be many times slower.
    guarded = [guard.format("|".join(groups_)) for guard, groups_ in ((_EN, english), (_ZH, chinese)) if groups_]
    triggers = "|".join(guarded) or "(?!)"

    creative = Patterns(en=tables.creative.en).regex()
    if tables.creative.zh:
        # A Chinese making verb followed by 的 describes ("生成的视频", "剪辑好的"): not an instruction.
        creative += "|" + _ZH.format(f"(?:{'|'.join(tables.creative.zh)})(?![^\\s,.!?;]{{0,2}}的)")

    # What starts a new request, for the weak connectors: "add music and export" splits.
    head_prefix = f"(?:(?:{'|'.join(tables.head_prefixes.en)}) )*"
    head = f" ?{head_prefix}(?:{Patterns(en=tables.heads.en + tables.creative.en).regex()})"
    splitter, roles = _splitter(tables.connectors, head)

    return Grammar(
        triggers=re.compile(triggers),
        trigger_groups=groups,
        modifier_before={
            name: re.compile(f"(?:{_before(table.modifier_before)})$") for name, table in tables.actions.items()
        },
        modifier_after={name: re.compile(_after(table.modifier_after)) for name, table in tables.actions.items()},
        creative=re.compile(creative),
        topic=re.compile(tables.topic.regex()),
        negator_en=re.compile(Patterns(en=tables.negators.en).regex()),
        negator_zh=re.compile(Patterns(zh=tables.negators.zh).regex()),
        negation_reach_zh=_ZH_NEGATION_REACH,
        prohibition=re.compile(f"{head_prefix}(?:please |pls |请|麻烦你?)?(?:{tables.prohibitions.regex()})"),
        retraction=re.compile(tables.retractions.regex()),
        retraction_tail=re.compile(f"[,;.!?] ?(?:{tables.retractions.regex()})$"),
        deferral=re.compile(tables.deferrals.regex()),
        neutral=re.compile(tables.neutral.regex()),
        object_marker=re.compile(tables.object_markers.regex()),
        splitter=splitter,
        split_roles=roles,
        first_marker=re.compile(tables.first_markers.regex()),
        fillers_en=tables.fillers.en,
        fillers_zh=re.compile("|".join(sorted(map(re.escape, tables.fillers.zh), key=len, reverse=True)) or "(?!)"),
        instruction=re.compile(f"{tables.instructions.regex()}|{creative}"),
        url_intro=re.compile(f"(?:{tables.url_intro.regex()})$"),
    )


def _before(patterns: Patterns) -> str:
    parts = [f"(?<![a-z0-9'])(?:{'|'.join(patterns.en)}) ?"] if patterns.en else []
    parts += [f"(?:{p})" for p in patterns.zh]
    return "|".join(parts) or "(?!)"


def _after(patterns: Patterns) -> str:
    parts = [f" ?(?:{'|'.join(patterns.en)})(?![a-z0-9'])"] if patterns.en else []
    parts += [f"(?:{p})" for p in patterns.zh]
    return "|".join(parts) or "(?!)"


def _splitter(connectors: Connectors, head: str) -> tuple[re.Pattern[str], tuple[tuple[Role, re.Pattern[str]], ...]]:
    """One pattern that finds every connector (longest first), and one per role to name it.

    ``head`` matches the start of a new request; weak connectors only split in front of one
    (commas also in front of Chinese, where a comma always separates clauses).
    """
    options: list[tuple[str, str, Role]] = []  # (alternative, script, role)
    for role in Role:
        patterns: Patterns = getattr(connectors, role.value)
        for script, entries in (("en", patterns.en), ("zh", patterns.zh), ("symbols", patterns.symbols)):
            for alternative in _alternatives(entries):
                if role is Role.WEAK:
                    alternative += f"(?={head})" if script == "en" else f"(?={head}| ?[{_CJK}])"
                options.append((alternative, script, role))
    # Longest first (lookarounds aside), so "and then" wins over "and", "before that" over "before".
    options.sort(key=lambda option: len(_LOOKAROUND.sub("", option[0])), reverse=True)

    def compiled(chosen: list[tuple[str, str, Role]]) -> re.Pattern[str]:
        def of(script: str) -> tuple[str, ...]:
            return tuple(alternative for alternative, s, _ in chosen if s == script)

        return re.compile(Patterns(en=of("en"), zh=of("zh"), symbols=of("symbols")).regex())

    roles = tuple((role, compiled([o for o in options if o[2] is role])) for role in Role)
    # Named groups per alternative would say the role directly, but make the search many times slower.
    return compiled(options), roles


def _alternatives(patterns: Iterable[str]) -> Iterator[str]:
    """The top-level ``|`` alternatives of each pattern, so connectors can be sorted by length."""
    for pattern in patterns:
        depth, start, escaped, in_class = 0, 0, False, False
        for i, ch in enumerate(pattern):
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            elif ch == "|" and depth == 0:
                yield pattern[start:i]
                start = i + 1
        yield pattern[start:]
