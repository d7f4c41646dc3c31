"""The router's phrase tables: ``intents.yaml`` validated, then compiled into a few regexes, once.

The file ships inside the package and is read with :mod:`importlib.resources`, on the first
:func:`grammar` call (never when ``kling_ai_30`` is imported). A malformed table fails loudly at
that first call with pydantic's description of what is wrong.
"""

from __future__ import annotations

import importlib.resources
import re
from collections.abc import Iterable, Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ..policy import SUPPORTED_EXTENSIONS
from ..yaml_text import load_yaml
from .first_chars import guard
from .grammar import ABOUT, ACTION_NAMES, WITHHOLD, ActionName, Grammar, Role
from .learned import MODEL_FILE, load_model
from .normalize import simplifier
from .spelling import spelling_variants

__all__ = ["TABLES_FILE", "IntentTables", "compile_tables", "load_tables", "tables_text"]

TABLES_FILE = "intents.yaml"
FIXED_ANSWERS = ("approval", "upload_withheld", "ask_export", "ask_credits", "ask_state", "ask_upload")
"""Replies the router gives on its own: to approval alone, to a file the user kept back, and the
questions it asks when only the learned layer reads a message as a free action."""

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


class Spelling(BaseModel):
    """How people mistype the table words, and the regional words for them.

    ``en``: the English words whose slips are read as the word: one letter dropped, doubled or
    swapped with its neighbour, plus ``sounds_like`` letter swaps ("balanse"); ``real_words`` are
    left alone even when they are one slip away ("stats", "ender"). ``glued``: short words typed
    without the space ("exportit"). ``words``: any other English respelling, word for word
    (contractions without the apostrophe). ``zh``: word -> the variants read as it (Hong Kong / Taiwan
    words the conversion library leaves alone, Cantonese, pinyin-input homophones).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    en: tuple[str, ...]
    sounds_like: tuple[tuple[str, str], ...] = ()
    real_words: frozenset[str] = frozenset()
    glued: tuple[str, ...] = ()
    words: dict[str, str] = {}
    zh: dict[str, tuple[str, ...]] = {}


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
    about: dict[str, Patterns]
    answers: dict[str, str]
    withhold: Patterns
    approvals: Patterns
    spelling: Spelling
    edits: Patterns
    talk: Patterns
    openers: Patterns

    @model_validator(mode="after")
    def _every_question_has_an_answer(self) -> IntentTables:
        needed = {*self.about, *FIXED_ANSWERS}
        unmatched = sorted(needed ^ set(self.answers))
        if unmatched:
            raise ValueError(
                f"'answers' holds one reply per 'about' question plus {', '.join(FIXED_ANSWERS)}; "
                f"unmatched: {', '.join(unmatched)}"
            )
        return self

    @field_validator("actions")
    @classmethod
    def _all_actions(cls, actions: dict[ActionName, ActionPatterns]) -> dict[ActionName, ActionPatterns]:
        missing = set(ACTION_NAMES) - set(actions)
        if missing:
            raise ValueError(f"no table for {', '.join(sorted(missing))}")
        return actions


def tables_text() -> bytes:
    """The packaged ``intents.yaml``, as bytes."""
    return _package_file(TABLES_FILE)


def _package_file(name: str) -> bytes:
    return importlib.resources.files(__package__ or "kling_ai_30.router").joinpath(name).read_bytes()


def load_tables(text: bytes | None = None) -> IntentTables:
    """Read and validate ``intents.yaml`` (the packaged one unless ``text`` is given)."""
    return IntentTables.model_validate(load_yaml(tables_text() if text is None else text))


def compile_tables(tables: IntentTables) -> Grammar:
    """Turn validated tables into the patterns :func:`~kling_ai_30.router.route` runs."""
    # One pattern finds every phrase the router acts on, so each clause is scanned once. A handful
    # of named groups under one guard each: one group per entry would be many times slower. At a
    # given place, earlier groups win: questions about an action ("what does export cost"), then
    # requests that are questions ("导出好了吗" is a status question, not "导出"), then the
    # plain triggers, then the words that only matter when negated ("don't send this").
    kinds: list[tuple[str, bool, Patterns]] = [(f"{ABOUT}{key}", True, p) for key, p in tables.about.items()]
    kinds += [(name, True, tables.actions[name].questions) for name in ACTION_NAMES]
    kinds += [(name, False, tables.actions[name].triggers) for name in ACTION_NAMES]
    kinds.append((WITHHOLD, False, tables.withhold))
    groups: dict[str, tuple[str, bool]] = {}
    english: list[str] = []
    chinese: list[str] = []
    for name, immune, patterns in kinds:
        for script, entries, out in (("e", patterns.en, english), ("z", patterns.zh, chinese)):
            if entries:
                group = f"{script}{len(groups)}"
                groups[group] = (name, immune)
                # Each group opens with a check of its possible first characters (first_chars.py).
                out.append(f"(?P<{group}>{guard(entries)}(?:{'|'.join(entries)}))")
    # A handful of named groups under one guard each: one group per entry would be many times slower.
    english_only, chinese_only = (
        (_EN.format("|".join(english)) if english else "(?!)"),
        (_ZH.format("|".join(chinese)) if chinese else "(?!)"),
    )
    triggers = f"{english_only}|{chinese_only}"

    creative = Patterns(en=tables.creative.en).regex()
    if tables.creative.zh:
        # A Chinese making verb followed by 的 describes ("生成的视频", "剪辑好的"): not an instruction.
        creative += "|" + _ZH.format(f"(?:{'|'.join(tables.creative.zh)})(?![^\\s,.!?;]{{0,2}}的)")

    # What starts a new request, for the weak connectors: "add music and export" splits.
    head_prefix = f"(?:(?:{'|'.join(tables.head_prefixes.en)}) )*"
    head = f" ?{head_prefix}(?:{Patterns(en=tables.heads.en + tables.creative.en).regex()})"
    splitter, roles = _splitter(tables.connectors, head)
    zh_variants = {variant: word for word, variants in tables.spelling.zh.items() for variant in variants}

    return Grammar(
        triggers=re.compile(triggers),
        triggers_en=re.compile(english_only),
        triggers_zh=re.compile(chinese_only),
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
        answers=dict(tables.answers),
        withhold=re.compile(tables.withhold.regex()),
        approval=re.compile(tables.approvals.regex()),
        edit=re.compile(tables.edits.regex()),
        talk=re.compile(tables.talk.regex()),
        opener=re.compile(tables.openers.regex()),
        link=re.compile(_link()),
        learned=load_model(_package_file(MODEL_FILE).decode("utf-8")),
        traditional=_traditional(),
        spelling_en=spelling_variants(tables.spelling.en, tables.spelling.sounds_like, tables.spelling.real_words)
        | _glued(tables.spelling.en, tables.spelling.glued)
        | tables.spelling.words,
        spelling_zh=re.compile("|".join(sorted(map(re.escape, zh_variants), key=len, reverse=True)) or "(?!)"),
        spelling_zh_map=zh_variants,
    )


def _link() -> str:
    extensions = "|".join(SUPPORTED_EXTENSIONS)
    return (
        r"https?://[^\s\"'<>()\[\]{}\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+"
        # Local paths need a media extension and a path-like start, so "and/or" stays a word.
        rf"|(?<![^\s:(,\"'=])(?:~|\.{{1,2}})?/(?!/)[^\s\"'<>|()]*?\.(?:{extensions})(?![a-z0-9])"
        rf"|(?<![^\s:(,\"'=])[a-z]:\\[^\s\"'<>|()]*?\.(?:{extensions})(?![a-z0-9])"
    )


_CJK_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _traditional() -> frozenset[str]:
    """Every character the Traditional -> Simplified conversion changes, asked of OpenCC itself."""
    convert = simplifier()
    chars = (chr(code) for first, last in _CJK_BLOCKS for code in range(first, last + 1))
    return frozenset(ch for ch in chars if convert(ch) != ch)


def _glued(words: Iterable[str], glued: Iterable[str]) -> dict[str, str]:
    """ "exportit" -> "export it", "pleaseexport" -> "please export"."""
    out: dict[str, str] = {}
    for word in words:
        for other in glued:
            out[word + other] = f"{word} {other}"
            out[other + word] = f"{other} {word}"
    return out


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
