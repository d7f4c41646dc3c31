"""The GUI phrase table (``gui_phrases.yaml``): what counts as a GUI instruction, per language, and
what is said instead; validated strictly and compiled into patterns once.

Each language lists verb families (click, open, drag, credits, preview) with their strong and weak
verbs and the API action each stands for, the nouns of a GUI (buttons, panels, sliders), the topic
words that ground a weak verb, the lead-ins that make a clause an imperative, the negations that
cancel one, and the phrases that replace an instruction. ``gui.translate`` reads replies with it.
"""

from __future__ import annotations

import functools
import importlib.resources
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from ..yaml_text import load_yaml

PHRASES_FILE = "gui_phrases.yaml"


class GuiAction(StrEnum):
    EXECUTE = "execute"
    """A button to press: the caller may send ``target`` as a message (or the user says it)."""
    QUERY_STATE = "query_state"
    """A panel to open: show the session state."""
    SEND_EDIT = "send_edit"
    """A drag: the user asks for the edit in words and it goes through the chat."""
    SHOW_TIMELINE = "show_timeline"
    """Preview in the timeline: show the track summary."""
    EXPORT = "export"
    """The Export / Download button: run the export workflow."""
    CREDITS = "credits"
    """The account or billing page: show the credit balance."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Family(_Strict):
    action: GuiAction
    strong: list[str]
    weak: list[str]


class _Families(_Strict):
    click: Family
    open: Family
    drag: Family
    credits: Family
    preview: Family


class _Preview(_Strict):
    verbs: list[str]
    places: list[str]


class _Nouns(_Strict):
    control: list[str]
    place: list[str]
    slider: list[str]


class _Topics(_Strict):
    export: list[str]
    credits: list[str]
    timeline: list[str]
    upload: list[str]
    top_up: list[str]
    reorder: list[str]
    retime: list[str]
    volume: list[str]
    edit: list[str]
    add: list[str]


class _Phrases(_Strict):
    export: str
    exporting: str
    """Replaces ``export`` when the caller is about to run the export itself."""
    credits: str
    credits_shown: str
    """Replaces ``credits`` when the caller shows the balance below the reply."""
    top_up: str
    top_up_shown: str
    timeline: str
    state: str
    upload: str
    execute: str
    execute_generic: str
    move: str
    edit_generic: str
    reorder: str
    retime: str
    volume: str
    add: str

    @model_validator(mode="after")
    def _placeholders(self) -> _Phrases:
        for name, phrase in self.model_dump().items():
            wanted = {"{target}"} if name in ("execute", "move") else set()
            if set(re.findall(r"\{[^}]*\}", phrase)) != wanted:
                raise ValueError(f"phrase {name!r} must contain exactly {sorted(wanted) or 'no placeholder'}")
        return self


class _Language(_Strict):
    lead_ins: list[str]
    negations: list[str]
    families: _Families
    preview: _Preview
    export_nouns: list[str]
    nouns: _Nouns
    generic: list[str]
    topics: _Topics
    phrases: _Phrases


class PhraseTable(_Strict):
    """``gui_phrases.yaml``: the GUI wording per language and what is said instead."""

    en: _Language
    zh: _Language


@functools.cache
def phrase_table() -> PhraseTable:
    """The packaged phrase table, validated (read once)."""
    raw = importlib.resources.files(__package__ or "kling_ai_30.conversation").joinpath(PHRASES_FILE).read_text("utf-8")
    return PhraseTable.model_validate(load_yaml(raw))


Lang = Literal["en", "zh"]
_FAMILY_NAMES = ("click", "open", "drag", "credits", "preview")
MASK = "\ue000"  # stands in for quoted content: same length, matches nothing
URL_MASK = "\ue001"


@dataclass(frozen=True)
class Rules:
    """One language's table compiled into patterns."""

    lang: Lang
    data: _Language
    verbs: re.Pattern[str]
    verb_info: dict[str, tuple[str, bool]]  # lowercased verb -> (family, strong)
    preview: re.Pattern[str]
    places: re.Pattern[str]
    export_nouns: re.Pattern[str]
    lead_ins: frozenset[str]
    lead_in_run: re.Pattern[str]
    negation: re.Pattern[str]
    nouns: dict[str, re.Pattern[str]]
    generic: re.Pattern[str]
    topics: dict[str, re.Pattern[str]]


def _alternation(words: list[str], lang: Lang) -> str:
    # Longest first, so "click and drag" wins over "click"; spaces match any whitespace.
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    body = "|".join(r"\s+".join(re.escape(part) for part in w.split()) for w in ordered) or r"(?!)"
    return rf"(?<![\w-])(?:{body})(?![\w-])" if lang == "en" else f"(?:{body})"


def _compile(lang: Lang, data: _Language) -> Rules:
    flags = re.IGNORECASE
    verb_info: dict[str, tuple[str, bool]] = {}
    for name in _FAMILY_NAMES:
        family: Family = getattr(data.families, name)
        for strong, words in ((True, family.strong), (False, family.weak)):
            for word in words:
                verb_info.setdefault(" ".join(word.lower().split()), (name, strong))
    preview_verbs = _alternation(data.preview.verbs, lang)
    preview_places = _alternation(data.preview.places, lang)
    if lang == "en":
        preview = (
            rf"{preview_verbs}[^.!?\n,;:{URL_MASK}]{{0,40}}?\s(?:in|on|within|using|via|from|with|inside)\s+"
            rf"(?:the\s+|your\s+|a\s+)?{preview_places}"
        )
    else:
        preview = rf"(?:在|于|从)?\s*{preview_places}\s*(?:上|中|里|内)?\s*{preview_verbs}"
    lead_in_body = "|".join(re.escape(w) for w in sorted(data.lead_ins, key=len, reverse=True))
    return Rules(
        lang=lang,
        data=data,
        # A Chinese verb followed by 了/过/着 reports what happened ("已打开了"), it does not instruct.
        verbs=re.compile(_alternation(list(verb_info), lang) + ("" if lang == "en" else "(?![了过着率])"), flags),
        verb_info=verb_info,
        preview=re.compile(preview, flags),
        places=re.compile(preview_places, flags),
        export_nouns=re.compile(_alternation(data.export_nouns, lang), flags),
        lead_ins=frozenset(w.lower() for w in data.lead_ins),
        lead_in_run=re.compile(rf"(?:{lead_in_body})*"),
        negation=re.compile(_alternation(data.negations, lang), flags),
        nouns={kind: re.compile(_alternation(getattr(data.nouns, kind), lang), flags) for kind in _Nouns.model_fields},
        generic=re.compile(_alternation(data.generic, lang), flags),
        topics={
            name: re.compile(_alternation(getattr(data.topics, name), lang), flags) for name in _Topics.model_fields
        },
    )


@functools.cache
def language_rules() -> tuple[Rules, Rules]:
    """The English and Chinese rules, compiled once."""
    table = phrase_table()
    return _compile("en", table.en), _compile("zh", table.zh)
