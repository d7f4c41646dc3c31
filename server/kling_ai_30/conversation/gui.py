"""GUI translation: the backend talks as if the user had its web editor; we have an API.

The skill text's "Backend Response Translation": "click [button]" / "点击" → do it through the
API; "open [panel]" / "打开" → query the session state; "drag/drop" / "拖拽" → send the edit as a
message; "preview in timeline" → show the track summary; "Export button" / "导出" → the export
workflow. ``translate`` finds those instructions in a reply, rewrites each into what an API user
can say or what will be done, and lists them for the caller, which decides what to carry out.

How a reply is read:

- Quoted text (``"…"``, ``“…”``, ``「…」``, code spans) and links are content: they are masked
  before anything is matched, so a title that says "Click here" is never an instruction.
- Sentence by sentence, verbs and nouns from the phrase table (``gui_phrases.yaml``) are found.
  Strong ones ("click", "drag", "点击", "拖拽", "打开") count wherever they stand; weak ones
  ("open", "select", "选择") only as an imperative (nothing but "you can", "please", "请"... before
  them in their clause) and with a GUI noun or a topic word nearby. A negated clause ("don't
  click Export yet") is left alone.
- The instruction runs from the start of its clause to the end of the sentence and is replaced
  by one phrase in the instruction's language; the rest of the reply is kept as it was. The
  same phrase is not repeated in a later sentence that would consist of nothing else.

Pure and deterministic: the phrase table (``phrases``) is package data, read and validated once.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from .phrases import MASK, URL_MASK, Family, GuiAction, Rules, language_rules
from .trailing_issue import strip_trailing_temporary_issue

__all__ = ["GuiAction", "GuiInstruction", "Translation", "translate"]


@dataclass(frozen=True)
class GuiInstruction:
    """One GUI instruction found in a reply."""

    action: GuiAction
    phrase: str
    """The instruction as the backend wrote it."""
    target: str | None
    """The button, panel or thing it names ("Export button", "media panel", "title"), if any."""


@dataclass(frozen=True)
class Translation:
    """A reply with its GUI instructions rewritten, and the instructions themselves, in order."""

    text: str
    instructions: tuple[GuiInstruction, ...]


# --------------------------------------------------------------------------- translation

_QUOTED = re.compile(
    r'"[^"\n]*"|“[^”\n]*”|‘[^’\n]*’|「[^」\n]*」|『[^』\n]*』|《[^》\n]*》|`[^`\n]*`|(?<!\w)\'[^\'\n]+\'(?!\w)'
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"“”]+", re.IGNORECASE)
_TERMINATOR = re.compile(r"[.!?]+(?=[\s\"”’)\]*_]|$)|[。！？]+|\n")
_LIST_NUMBER = re.compile(r"[ \t]*\d{1,3}")
_ABBREVIATION = re.compile(r"(?<![\w.])(?:e\.g|i\.e|etc|vs|approx|Mr|Mrs|Ms|Dr|St)$", re.IGNORECASE)
_LINE_MARKER = re.compile(r"[ \t]*(?:[-*•+]\s+|\d{1,3}[.)]\s+|#{1,6}\s+|>\s*)?(?:\*\*|__)?")
_CLAUSE_BREAK = re.compile(
    r"[,;:，；：(（]\s*|\s[—–-]+\s*|—\s*|(?<![\w-])(?:and|or|but|so)\s+",
    re.IGNORECASE,
)
_EN_OBJECT_STOP = re.compile(
    r"\s+(?:to|and|then|so|which|that|if|when|once|for|at|in|on|onto|into|from|under|below|above|beside|next|"
    r"near|inside|within|located|here|there|until|while|or|with|by|as|now|again|first)(?![\w-])"
    r"|[,;:.!?(（，。！？；：—–]|\s-\s",
    re.IGNORECASE,
)
_ZH_BOUNDARY = re.compile(r"[，。！？；：,.!?;:\s]")
_ZH_LOCATION = re.compile(r"[^的\ue000\ue001]{1,8}?的(?=.)")
_ZH_NOT_A_PLACE = re.compile(r"按钮|图标|选项|菜单|标签|面板|窗口|页面|设置|到|至|调整|即可|来|以|进行|并|然后")
_ZH_STOPS = re.compile(r"即可|就|来|以|后|进行|开始|完成|并|然后|可以|可|调整|到|至|查看|下载|即|中|上|去")
_ZH_HOLDER = re.compile(r"[把将]([^把将，。！？；：,.!?;:]{1,12}?)$")
_EN_OBJECT_LEAD = re.compile(r"\s*(?:on\s+|onto\s+)?", re.IGNORECASE)
_BY_MEANS = re.compile(r"(?<![\w-])by\s*$|通过\s*$", re.IGNORECASE)
_MAX_OBJECT_CHARS = 60
_QUOTE_CHARS = "\"'“”‘’「」『』《》`*_"
_NO_QUOTES = str.maketrans("", "", _QUOTE_CHARS)
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an|your|my|our|this|that)\s+", re.IGNORECASE)
_CONNECTOR_TAIL = re.compile(r"(?:[\s,;，；]+|(?<![\w-])(?:and|then|to|or)(?![\w-]))+$", re.IGNORECASE)
_PRIORITY = (
    GuiAction.EXPORT,
    GuiAction.CREDITS,
    GuiAction.SEND_EDIT,
    GuiAction.EXECUTE,
    GuiAction.SHOW_TIMELINE,
    GuiAction.QUERY_STATE,
)
_CLAUSE_WINDOW = 300  # characters: longer than any real clause
_MAX_HITS_PER_SENTENCE = 40  # a real sentence holds a handful; this bounds a pathological one
_MAX_SPOKEN_WORDS = 4  # "Say “add music”": a button name, not a sentence
_MAX_SPOKEN_CHARS = 12


@dataclass(frozen=True)
class _Hit:
    rules: Rules
    family: str  # a family name, or "noun" for "Export button"
    strong: bool
    start: int
    end: int


@dataclass(frozen=True)
class _Found:
    """An accepted hit: where its clause starts, what it names, what it means."""

    hit: _Hit
    clause_start: int
    object_end: int
    target: str | None
    action: GuiAction
    phrase_key: str
    spoken: str | None  # the target as the user would say it, for "Say “…”"
    wording_start: int  # where its own words start (its clause, or its verb when it shares one)


def translate(text: str, *, exporting: bool = False, credits_shown: bool = False) -> Translation:
    """Rewrite the GUI instructions in a backend reply and list them (see the module docstring).

    ``exporting``: the caller will run the export itself, so "click Export" becomes "I'm
    rendering the MP4" rather than an invitation to ask for it. ``credits_shown``: the caller
    has read the balance and shows it under the reply, so "check your billing page" points there.
    """
    if not text:
        return Translation(text, ())
    text = strip_trailing_temporary_issue(text)
    masked = _mask(text)
    edits: list[tuple[int, int, str]] = []
    instructions: list[GuiInstruction] = []
    said: set[str] = set()
    for start, content_start, content_end, end in _sentences(masked):
        found = _find(text, masked, content_start, content_end)
        if not found:
            continue
        run_start = found[0].clause_start
        at_sentence_start = run_start == content_start
        if URL_MASK in masked[run_start:content_end]:
            continue  # a link is something an API user can open: leave the sentence as written
        if masked[run_start:content_end].count("**") % 2 and masked[run_start - 2 : run_start] == "**":
            run_start -= 2  # "**Click Export** to…": the bold goes with the words it wrapped
        best = min(found, key=lambda f: _PRIORITY.index(f.action))
        phrase = _phrase(best, at_sentence_start=at_sentence_start, exporting=exporting, credits_shown=credits_shown)
        for index, item in enumerate(found):
            stop = found[index + 1].wording_start if index + 1 < len(found) else content_end
            wording = text[max(item.wording_start, run_start) : stop].replace("**", "")
            wording = _CONNECTOR_TAIL.sub("", wording).strip(" \t")
            instruction = GuiInstruction(item.action, wording, item.target)
            if instruction not in instructions:
                instructions.append(instruction)
        if phrase.lower() in said and at_sentence_start:
            edits.append(_removal(text, start, content_start, end))
        else:
            edits.append((run_start, content_end, phrase))
        said.add(phrase.lower())
    return Translation(_apply(text, edits), tuple(instructions))


def _mask(text: str) -> str:
    """``text`` with quoted content and links blanked out, offsets unchanged."""

    def blank(match: re.Match[str]) -> str:
        quoted = match.group()
        return quoted[0] + MASK * (len(quoted) - 2) + quoted[-1]

    masked = _URL.sub(lambda m: URL_MASK * len(m.group()), text)
    return _QUOTED.sub(blank, masked)


def _sentences(masked: str) -> list[tuple[int, int, int, int]]:
    """(start, content start, content end, end) per sentence; the content leaves out list markers,
    surrounding emphasis and the closing punctuation."""
    spans: list[tuple[int, int, int, int]] = []
    position = 0
    for match in _TERMINATOR.finditer(masked):
        before = masked[position : match.start()]
        if match.group().startswith(".") and (
            _LIST_NUMBER.fullmatch(masked, masked.rfind("\n", 0, match.start()) + 1, match.start())
            or _ABBREVIATION.search(before[-12:])
        ):
            continue
        spans.append(_content(masked, position, match.start(), match.end()))
        position = match.end()
    if position < len(masked):
        spans.append(_content(masked, position, len(masked), len(masked)))
    return [span for span in spans if span[1] < span[2]]


def _content(masked: str, start: int, stop: int, end: int) -> tuple[int, int, int, int]:
    marker = _LINE_MARKER.match(masked, start, stop)
    content_start = marker.end() if marker else start
    while content_start < stop and masked[content_start].isspace():
        content_start += 1
    content_end = stop
    # Trailing spaces and "**" / "__" (stripped by hand: a `+$` search is quadratic on "****…").
    while content_end > content_start:
        if masked[content_end - 1].isspace():
            content_end -= 1
        elif masked[content_end - 2 : content_end] in ("**", "__") and content_end - 2 >= content_start:
            content_end -= 2
        else:
            break
    return start, content_start, content_end, end


def _find(text: str, masked: str, start: int, end: int) -> list[_Found]:
    hits: list[_Hit] = []
    for rules in language_rules():
        for match in rules.verbs.finditer(masked, start, end):
            family, strong = rules.verb_info.get(" ".join(match.group().lower().split()), ("click", False))
            hits.append(_Hit(rules, family, strong, match.start(), match.end()))
        hits.extend(
            _Hit(rules, "preview", True, m.start(), m.end()) for m in rules.preview.finditer(masked, start, end)
        )
        hits.extend(
            _Hit(rules, "noun", True, m.start(), m.end()) for m in rules.export_nouns.finditer(masked, start, end)
        )
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    found: list[_Found] = []
    covered = start
    for hit in hits[:_MAX_HITS_PER_SENTENCE]:
        if hit.start < covered:
            continue  # inside an earlier instruction's verb or object ("click the Export button")
        item = _accept(text, masked, hit, start, end)
        if item is None:
            continue
        if found and item.clause_start == found[-1].clause_start:
            if hit.family == "noun":
                continue  # "select 1080p in the export dialog": where, not another instruction
            item = dataclasses.replace(item, wording_start=hit.start)
        found.append(item)
        covered = max(hit.end, item.object_end)
    return found


def _accept(text: str, masked: str, hit: _Hit, start: int, end: int) -> _Found | None:
    """The hit as an instruction, or ``None`` when it is content, negated, or not a GUI instruction."""
    rules = hit.rules
    # Windows keep a pathological reply (one endless sentence of "click click…") linear.
    window = max(start, hit.start - _CLAUSE_WINDOW)
    end = min(end, hit.end + _CLAUSE_WINDOW)
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(masked, window, hit.start)]
    clause_start = breaks[-1] if breaks else window
    prefix = masked[clause_start : hit.start]
    clause = masked[hit.start : end]
    if any(language.negation.search(prefix) for language in language_rules()):
        return None  # "don't click Export yet"
    imperative = _imperative(prefix)
    if not hit.strong and not imperative:
        return None
    # Weak verbs need a GUI noun or topic nearby; so do strong ones inside a statement, unless
    # they are the means ("by clicking…"): "a drag race scene" is content, "drag it" is not.
    if not (hit.strong and (imperative or _BY_MEANS.search(prefix))) and not _grounded(rules, hit.family, clause):
        return None
    object_end = hit.end
    if hit.family in ("noun", "credits"):
        target_raw = text[hit.start : hit.end]  # the words name the thing: "Export button", "top up"
    elif hit.family == "preview":
        places = list(rules.places.finditer(masked, hit.start, hit.end))
        target_raw = text[places[-1].start() : places[-1].end()] if places else ""
    else:
        begin, stop = _en_object(masked, hit.end, end) if rules.lang == "en" else _zh_object(masked, hit.end, end)
        target_raw, object_end = text[begin:stop].strip(), stop
        holder = _ZH_HOLDER.search(prefix) if rules.lang == "zh" and hit.family == "drag" else None
        if holder:  # "把标题拖到顶部": the object stands before the verb
            target_raw = text[clause_start + holder.start(1) : clause_start + holder.end(1)]
    target = _clean_target(target_raw, rules)
    action = _action(rules, hit, target, clause)
    phrase_key, spoken = _phrase_key(rules, action, hit.family, target, target_raw, clause)
    return _Found(
        hit=hit,
        clause_start=clause_start,
        object_end=object_end,
        target=target,
        action=action,
        phrase_key=phrase_key,
        spoken=spoken,
        wording_start=clause_start,
    )


def _imperative(prefix: str) -> bool:
    """Only lead-ins ("you can", "please", "请您") stand between the clause start and the verb."""
    if MASK in prefix or URL_MASK in prefix:
        return False
    en, zh = language_rules()
    words = re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)?", prefix.lower())
    if all(word in en.lead_ins for word in words if word.isascii()) and all(word.isascii() for word in words):
        return True
    compact = _ZH_HOLDER.sub("", "".join(prefix.split()).strip("，,、"))  # "把标题拖到…": 把 + object
    return zh.lead_in_run.fullmatch(compact) is not None


def _grounded(rules: Rules, family: str, clause: str) -> bool:
    """The clause speaks of the GUI: a GUI noun, or a topic word (export, credits, timeline)."""
    if any(pattern.search(clause) for pattern in rules.nouns.values()):
        return True
    topics = ("export", "credits", "timeline") + (("upload", "add") if family == "drag" else ())
    if any(rules.topics[name].search(clause) for name in topics):
        return True
    return family == "drag" and re.search(r"(?<![\w-])here(?![\w-])|这里|此处", clause, re.IGNORECASE) is not None


def _en_object(masked: str, begin: int, end: int) -> tuple[int, int]:
    """Where the verb's object lies: "Click [the Export button] in the top right"."""
    lead = _EN_OBJECT_LEAD.match(masked, begin, end)
    begin = lead.end() if lead else begin
    stop = _EN_OBJECT_STOP.search(masked, begin, end)
    return begin, min(stop.start() if stop else end, begin + _MAX_OBJECT_CHARS)


def _zh_object(masked: str, begin: int, end: int) -> tuple[int, int]:
    """Where the verb's object lies: "点击右上角的[导出按钮]下载", "拖拽[片段]调整顺序"."""
    while begin < end and masked[begin].isspace():
        begin += 1
    boundary = _ZH_BOUNDARY.search(masked, begin, end)
    limit = min(boundary.start() if boundary else end, begin + _MAX_OBJECT_CHARS)
    location = _ZH_LOCATION.match(masked, begin, limit)
    # "右上角的导出按钮": drop the place; but "素材面板查看上传的图片" names the panel first, and
    # "标题到合适的位置" is the object and where it goes.
    if location and not _ZH_NOT_A_PLACE.search(location.group()):
        begin = location.end()
    stop = next((m.start() for m in _ZH_STOPS.finditer(masked, begin + 1, limit)), limit)
    for pattern in language_rules()[1].nouns.values():
        noun = pattern.search(masked, begin, limit)
        if noun:
            stop = min(stop, noun.end())  # "导出按钮下载视频": the name ends with its GUI noun
    return begin, max(begin, stop)


def _clean_target(raw: str, rules: Rules) -> str | None:
    cleaned = raw.translate(_NO_QUOTES).strip()
    if rules.lang == "en":
        cleaned = _LEADING_ARTICLE.sub("", cleaned)
    cleaned = " ".join(cleaned.split())
    if not cleaned or _is_generic(cleaned, rules):
        return None
    return cleaned


def _is_generic(target: str, rules: Rules) -> bool:
    """Names nothing once articles, "here"/"这里" and GUI nouns are gone ("the button below")."""
    rest = rules.generic.sub(" ", target)
    for pattern in rules.nouns.values():
        rest = pattern.sub(" ", rest)
    return not rest.strip(" " + _QUOTE_CHARS)


def _action(rules: Rules, hit: _Hit, target: str | None, clause: str) -> GuiAction:
    family = hit.family
    fixed = {
        "drag": GuiAction.SEND_EDIT,
        "credits": GuiAction.CREDITS,
        "preview": GuiAction.SHOW_TIMELINE,
        "noun": GuiAction.EXPORT,
    }
    if family in fixed:
        return fixed[family]
    by_topic = (
        ("export", GuiAction.EXPORT),
        ("credits", GuiAction.CREDITS),
        ("timeline", GuiAction.SHOW_TIMELINE),
    )
    if target is not None:
        for topic, action in by_topic:
            if rules.topics[topic].search(target):
                return action
        if rules.nouns["slider"].search(target):
            return GuiAction.SEND_EDIT
        if rules.nouns["place"].search(target):
            return GuiAction.QUERY_STATE
    # "Click here to download": a target that names nothing takes its meaning from the clause.
    # So does a weak verb's ("select 1080p in the export dialog").
    if target is None or not hit.strong:
        for topic, action in by_topic:
            if rules.topics[topic].search(clause):
                return action
    default: Family = getattr(rules.data.families, family)
    # "Double-click the clip to edit it": no button to name; the edit is asked for in words.
    unnamed = target is None or not rules.nouns["control"].search(target)
    if default.action is GuiAction.EXECUTE and unnamed and rules.topics["edit"].search(clause):
        return GuiAction.SEND_EDIT
    return default.action


def _phrase_key(
    rules: Rules, action: GuiAction, family: str, target: str | None, target_raw: str, clause: str
) -> tuple[str, str | None]:
    """Which phrase answers the instruction, and the word filled into it."""
    topics = rules.topics
    if action is GuiAction.EXPORT:
        return "export", None
    if action is GuiAction.CREDITS:
        return ("top_up" if topics["top_up"].search(clause) else "credits"), None
    if action is GuiAction.SHOW_TIMELINE:
        return "timeline", None
    if action is GuiAction.QUERY_STATE:
        if topics["upload"].search(clause):
            return "upload", None
        return ("edit_generic" if topics["edit"].search(clause) else "state"), None
    if action is GuiAction.SEND_EDIT:
        for key in ("upload", "volume", "retime", "reorder", "add"):
            if topics[key].search(clause):
                return key, None
        shown = " ".join(target_raw.split()).strip(" *_`")
        if family == "drag" and shown and not rules.nouns["place"].search(shown):
            return "move", shown
        return "edit_generic", None
    if target is not None and (topics["upload"].search(target) or target.lower().startswith(("upload", "上传"))):
        return "upload", None
    spoken = _spoken(target, rules)
    return ("execute", spoken) if spoken else ("execute_generic", None)


def _spoken(target: str | None, rules: Rules) -> str | None:
    """A button's name as a user would say it: "Add Music button" -> "add music"."""
    if target is None:
        return None
    name = target
    for pattern in (rules.nouns["control"], rules.nouns["place"]):
        name = pattern.sub(" ", name)
    # Keep letters, digits and a few joiners: "✨ Magic" is said "magic".
    name = " ".join(re.sub(r"[^\w\s'’:.+-]", " ", name).split()).strip(" .:-")
    if not name:
        return None
    if rules.lang == "en":
        if len(name.split()) > _MAX_SPOKEN_WORDS:
            return None
        return name.lower()
    return name if len(name) <= _MAX_SPOKEN_CHARS else None


def _phrase(found: _Found, *, at_sentence_start: bool, exporting: bool = False, credits_shown: bool = False) -> str:
    phrases = found.hit.rules.data.phrases
    key = found.phrase_key
    if exporting and key == "export":
        key = "exporting"
    elif credits_shown and key in ("credits", "top_up"):
        key = f"{key}_shown"
    template: str = getattr(phrases, key)
    phrase = template.replace("{target}", found.spoken or "")
    if found.hit.rules.lang == "en" and phrase:
        phrase = (phrase[0].upper() if at_sentence_start else phrase[0].lower()) + phrase[1:]
    return phrase


def _removal(text: str, start: int, content_start: int, end: int) -> tuple[int, int, str]:
    """Remove a sentence that would only repeat an earlier phrase; a list item goes with its line."""
    line_start = text.rfind("\n", 0, content_start) + 1
    line_end = text.find("\n", content_start)
    line_end = len(text) if line_end < 0 else line_end
    own_line = not text[line_start:content_start].strip(" \t-*•+#>0123456789.)_") and end >= line_end
    if own_line and line_start > 0:
        return line_start - 1, line_end, ""
    if own_line:
        return line_start, min(line_end + 1, len(text)), ""
    return start, end, ""


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    pieces: list[str] = []
    position = 0
    for start, end, replacement in sorted(edits):
        if start < position:
            continue
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)
