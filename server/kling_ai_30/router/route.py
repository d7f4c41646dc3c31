"""route(): one utterance and its attachments in, the ordered plan of the skill's actions out
(plan.py: the types, and what a caller must honour).

The skill text maps what the user says to five actions ("Matching Input to Actions"): export,
credits, state and upload are answered directly; everything else goes to the backend chat (SSE).
Keywords alone are not enough ("add a caption that says 'Download now'" is an edit), so the text
goes through a short pipeline, one function per stage:

1. normalise (normalize.py), keeping a map back to the user's own characters;
2. attachments first: the caller's files, then media links and file paths written in the text,
   one UPLOAD step each; every link and path is masked afterwards, so its words are never read
   (:func:`_mask_links`);
3. mask quoted text: what goes *into* a title or caption is content (:func:`_mask_quotes`);
4. split into clauses at connectors ("then", "and export", "然后", "上传后", "导出前"), noting how
   each connector orders the clauses around it (:func:`_split`);
5. in each clause keep only real requests (:func:`_requests`): a phrase of ``intents.yaml`` that is
   not negated ("don't export yet", "先别导出"), not after a making/editing verb or a topic marker
   ("make the status text red", "a video about uploading photos") and not a noun modifier
   ("export settings", "end credits", "上传速度"); then a retraction ("export? no, ...",
   "check my credits, scratch that") cancels the request it follows (:func:`_take_back`);
6. order the requests (text order, "X after Y", "X前先Y", "first"), drop repeats, and send what
   else the user said to the chat as one SSE step (:func:`_plan`).

Pure: the tables are read once per process; nothing global changes; the same input always gives
the same plan.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..policy import SUPPORTED_EXTENSIONS
from .compiled import grammar
from .grammar import ABOUT, WITHHOLD, Grammar, Role
from .normalize import Normalized, normalize_with_origin
from .plan import Action, RoutePlan, Step
from .spelling import respell

__all__ = ["Action", "RoutePlan", "Step", "route"]


def route(text: str, attachments: Sequence[str] = ()) -> RoutePlan:
    """Classify an utterance (English, Chinese or mixed) and its attachments into an ordered plan."""
    g = grammar()
    norm = _normalized(text, g)
    masked, media = _mask_links(norm.text, g)
    sources = _unique([*(a for a in attachments if a.strip()), *(norm.original(a, b) for a, b in media)])
    masked = _mask_quotes(masked)
    clauses = _split(masked, g)
    for clause in clauses:
        words = masked[clause.start : clause.end]
        _classify(clause, words, g)
        if len(clauses) > 1:  # the order of one clause needs no "first"
            clause.first = clause.role is Role.FIRST or g.first_marker.search(words) is not None
    _take_back(clauses, masked, g)
    _drop_talk(clauses, masked, g)
    plan = _plan(norm, clauses, sources, media, g)
    if not sources and not any(clause.matched for clause in clauses) and _only_chat(plan):
        return _second_opinion(plan, masked, g)
    return plan


def masked_text(text: str, g: Grammar) -> str:
    """The text as the tables and the learned layer read it: normalised, respelt, links and
    quotes masked (what the learned layer is trained on)."""
    return _mask_quotes(_mask_links(_normalized(text, g).text, g)[0])


def _normalized(text: str, g: Grammar) -> Normalized:
    norm = normalize_with_origin(text)
    if not norm.text.isascii():
        norm = norm.simplified(g.traditional)
    return respell(norm, g)


# ------------------------------------------------------------------ the learned layer

ASK_AT = 0.5
"""The learned layer's least probability for a free action before the router asks about it."""


def _only_chat(plan: RoutePlan) -> bool:
    return len(plan.steps) == 1 and plan.first.action is Action.SSE and plan.first.runs


def _second_opinion(plan: RoutePlan, masked: str, g: Grammar) -> RoutePlan:
    """No table phrase anywhere, so the message would go to the paid chat. If it holds no
    instruction either (no making verb, nothing an edit is about) and the learned layer reads it
    as a free action, ask instead of spending: "影片輸出給我" is likelier an export than an edit."""
    if _instructs(masked, g):
        return plan
    guess = g.learned.predict(masked)
    if guess.label == Action.SSE.value or guess.probability < ASK_AT:
        chat = guess.probability if guess.label == Action.SSE.value else 1 - guess.probability
        reason = f"no table phrase; the learned layer also reads a chat message (p={chat:.2f})"
        step = dataclasses.replace(plan.first, confidence=chat, reasons=(*plan.first.reasons, reason))
        return RoutePlan((step,))
    evidence = ", ".join(f'"{feature}"' for feature in guess.evidence) or "no known word"
    reason = f"no table phrase; the learned layer reads {guess.label} (p={guess.probability:.2f}: {evidence}): asked"
    action = Action(guess.label)
    question = g.answers[f"ask_{action.value}"]
    return RoutePlan((Step.asked(action, question, confidence=guess.probability, reasons=(reason,)),))


# ------------------------------------------------------------------ 2-3: links and quotes

# Placeholders in the masked text: \x01 is content (quoted text, an ordinary link), \x02 a
# media link or path that becomes an upload, \x03 a neutral idiom. Normalisation turns any
# control character the user typed into a space, so these cannot come from the input.
_CONTENT, _MEDIA, _NEUTRAL = "\x01", "\x02", "\x03"
_LINK_TAIL = ".,;:!?'\")]}>"
_INTRO_WINDOW = 60


def _mask_links(text: str, g: Grammar) -> tuple[str, list[tuple[int, int]]]:
    """Mask every link and path; return the masked text and the spans of the media ones."""
    if "/" not in text and "\\" not in text:
        return text, []
    media: list[tuple[int, int]] = []
    pieces: list[str] = []
    pos = 0
    for m in g.link.finditer(text):
        start, end = m.start(), m.start() + len(m.group().rstrip(_LINK_TAIL))
        link = text[start:end]
        is_path = not link.startswith(("http://", "https://"))
        # A link is a file to upload when its path names a media file, or when the words right
        # before it introduce it as one ("here is the clip: https://...").
        if is_path or _has_media_extension(link) or g.url_intro.search(text, max(0, start - _INTRO_WINDOW), start):
            media.append((start, end))
            pieces += [text[pos:start], _MEDIA * (end - start)]
        else:
            pieces += [text[pos:start], _CONTENT * (end - start)]
        pos = end
    if not pieces:
        return text, []
    pieces.append(text[pos:])
    return "".join(pieces), media


def _has_media_extension(url: str) -> bool:
    from urllib.parse import urlsplit  # a few ms at start-up, for the few texts with a link

    _, _, extension = urlsplit(url).path.rpartition(".")
    return extension in SUPPORTED_EXTENSIONS


_QUOTE_PAIRS = dict(zip('"「『《〈«‹【〔`', '"」』》〉»›】〕`', strict=True))
# A single quote opens only at a word start and closes only at a word end: "don't" is no quote.
_QUOTE_OPEN = re.compile("[\"「『《〈«‹【〔`]|(?<![a-z0-9])'(?=[^\\s'])")
_SINGLE_CLOSE = re.compile(r"(?<=\S)'(?![a-z0-9])")


def _mask_quotes(text: str) -> str:
    """Replace quoted passages, quotes included, with content placeholders.

    An unclosed double or bracket quote runs to the end of the text (everything after it is
    what the user wants written); an unclosed single quote is an apostrophe.
    """
    pieces: list[str] = []
    pos = 0
    while (m := _QUOTE_OPEN.search(text, pos)) is not None:
        opening = m.group()
        if opening == "'":
            close = _SINGLE_CLOSE.search(text, m.end())
            if close is None:
                break
            end = close.end()
        else:
            found = text.find(_QUOTE_PAIRS[opening], m.end())
            end = len(text) if found < 0 else found + 1
        pieces += [text[pos : m.start()], _CONTENT * (end - m.start())]
        pos = end
    if not pieces:
        return text
    pieces.append(text[pos:])
    return "".join(pieces)


# ------------------------------------------------------------------ 4: clauses


@dataclass(slots=True)
class _Clause:
    start: int  # span in the normalised, masked text, trimmed of spaces and punctuation
    end: int
    role: Role  # of the connector that introduced it
    actions: tuple[Action, ...] = ()  # direct requests (export, credits, state), in order
    upload: bool = False  # asks to upload a file, sent or not
    chat: bool = False  # holds something for the backend chat
    cut: bool = False  # its words are a request we answer ourselves: not sent to the chat
    first: bool = False  # "add music first", "先加字幕"
    answer: str | None = None  # the key of the answer to a question about an action
    withheld: bool = False  # a file the user said not to send ("don't upload this")
    keeps_file: bool = False  # words that keep an attached file back, if there is one ("don't send this")
    found: tuple[tuple[str, str], ...] = ()  # (action name, phrase) behind each request: the plan's reasons
    talk: bool = False  # words around a request, not an instruction: left out of the chat
    matched: bool = False  # some table phrase is in it, whatever the rules then made of it


# When connectors meet around an empty clause ("but first, ..."), the one that says most about
# order is kept.
_ROLE_STRENGTH = {Role.KEEP: 0, Role.WEAK: 1, Role.SEQUENCE: 2, Role.BEFORE: 3, Role.AFTER: 4, Role.FIRST: 5}
_TRIM = " \n,:;.!?-—–"


def _split(masked: str, g: Grammar) -> list[_Clause]:
    """Cut the text into clauses at connectors; each clause remembers the connector before it."""
    clauses: list[_Clause] = []
    role, start = Role.SEQUENCE, 0
    for m in g.splitter.finditer(masked):
        found = _role_of(m, g)
        if found is Role.KEEP:
            continue
        # The text before the connector becomes a clause (the connector then introduces the next
        # one), or it was empty and the stronger of the two connectors is kept.
        if _add_clause(clauses, masked, start, m.start(), role) or _ROLE_STRENGTH[found] > _ROLE_STRENGTH[role]:
            role = found
        start = m.end()
    _add_clause(clauses, masked, start, len(masked), role)
    return clauses


def _role_of(connector: re.Match[str], g: Grammar) -> Role:
    start, end = connector.span()
    for role, pattern in g.split_roles:
        m = pattern.match(connector.string, start)
        if m is not None and m.end() == end:
            return role
    return Role.SEQUENCE  # not reached: every connector found belongs to a role


def _add_clause(clauses: list[_Clause], masked: str, start: int, end: int, role: Role) -> bool:
    while start < end and masked[start] in _TRIM:
        start += 1
    while end > start and masked[end - 1] in _TRIM:
        end -= 1
    if start == end:
        return False
    clauses.append(_Clause(start, end, role))
    return True


# ------------------------------------------------------------------ 5: requests in a clause


def _classify(clause: _Clause, text: str, g: Grammar) -> None:
    """Fill in what ``clause`` (whose masked text is ``text``) asks for."""
    valid, negated, plain = _requests(clause, text, g)
    if not valid and not negated:  # most clauses: an edit or a prompt for the chat
        clause.chat = _has_content(text, g) and g.prohibition.match(text) is None
        return
    name, start, end = valid[0] if valid else negated[0]
    if name.startswith(ABOUT):
        # "what does export cost?": the keyword is what the question is about, not a request.
        clause.answer = name.removeprefix(ABOUT)
        clause.found = (("about", text[start:end]),)
        clause.cut = True
        # "is it safe to upload this?": the file waits on the machine until the user asks for it.
        clause.withheld = clause.answer.startswith(UPLOAD)
        return
    if negated:
        clause.withheld = any(name in (UPLOAD, WITHHOLD) for name, _, _ in negated)
        # "do not send this file" reads as a negated export too; with a file attached, it keeps the file.
        clause.keeps_file = any(name == "export" and g.withhold.match(text, start) for name, start, _ in negated)
    clause.found = tuple((name, text[start:end]) for name, start, end in valid)
    names = _unique([name for name, _, _ in valid])
    clause.actions = tuple(_ACTIONS[name] for name in names if name != "upload")
    clause.upload = "upload" in names
    if clause.actions:
        clause.cut = True
    elif clause.upload:
        # "use this picture" is only the upload; "use this picture as the background" also
        # tells the chat what to do with it.
        rest = _blank(plain, [(s, e) for name, s, e in valid if name == "upload"])
        clause.chat = g.instruction.search(rest) is not None
        clause.cut = not clause.chat
    elif (negated or clause.withheld) and not _has_content(
        _without_negation(_blank(plain, [(s, e) for _, s, e in negated]), g), g
    ):
        clause.cut = True  # "don't export yet": nothing to do, nothing to say
    else:
        # "don't add music" next to a request we answer adds nothing; alone, it still reaches the
        # chat (a plan with no step sends the whole text).
        clause.chat = _has_content(text, g) and g.prohibition.match(text) is None


def _take_back(clauses: list[_Clause], masked: str, g: Grammar) -> None:
    """Cancel what a retraction takes back: a clause that is only one ("export? no, add music
    first") cancels the requests of the clause before it; one at a clause's end ("check my
    credits, scratch that") its own. What was taken back stays cut: it never reaches the chat."""
    for i, clause in enumerate(clauses):
        text = masked[clause.start : clause.end]
        if (clause.actions or clause.upload) and g.retraction_tail.search(text):
            clause.withheld = clause.withheld or clause.upload
            clause.actions, clause.upload = (), False
        elif i > 0 and (clauses[i - 1].actions or clauses[i - 1].upload) and g.retraction.fullmatch(text):
            before = clauses[i - 1]
            before.withheld = before.withheld or before.upload
            before.actions, before.upload = (), False
            clause.chat, clause.cut = False, True


def _drop_talk(clauses: list[_Clause], masked: str, g: Grammar) -> None:
    """Next to a request we answer directly, a part that neither makes nor edits anything is talk
    around it ("my client loved it, so export it"): it is not sent to the paid chat."""
    if len(clauses) < 2 or not any(clause.actions or clause.withheld for clause in clauses):
        return
    for clause in clauses:
        if clause.chat and not _instructs(masked[clause.start : clause.end], g):
            clause.chat, clause.cut, clause.talk = False, True, True


def _instructs(text: str, g: Grammar) -> bool:
    """Does ``text`` hold a making/editing verb that is not negated, or a word edits are about?"""
    if g.edit.search(text):
        return True
    if g.talk.search(text):
        return False
    plain = _plain(text, g)
    return any(not _negated(plain, m.start(), m.end(), g) for m in g.creative.finditer(plain))


_LATIN = re.compile("[a-z0-9]")
_MODIFIER_REACH = 40  # longer than any modifier_before phrase: no need to scan the whole clause


_ACTIONS = {action.value: action for action in Action}  # faster than calling the enum
_Found = list[tuple[str, int, int]]  # (kind, start, end) in the clause; see Grammar.trigger_groups
UPLOAD = "upload"


def _requests(clause: _Clause, text: str, g: Grammar) -> tuple[_Found, _Found, str]:
    """The real requests in a clause, the negated ones, and the clause with idioms masked."""
    # One script only (most clauses): its half of the pattern, skipping the other half's checks.
    triggers = g.triggers_en if text.isascii() else g.triggers if _LATIN.search(text) else g.triggers_zh
    matches = list(triggers.finditer(text))
    if not matches:
        return [], [], text
    clause.matched = True
    plain = _plain(text, g)
    valid: _Found = []
    negated: _Found = []
    for m in matches:
        name, immune = g.trigger_groups[m.lastgroup or ""]
        start, end = m.span()
        if name.startswith(ABOUT):
            return [(name, start, end)], [], plain  # a question about an action: nothing else counts
        if name == WITHHOLD:
            if _negated(plain, start, end, g):
                negated.append((name, start, end))
            continue
        before = g.modifier_before[name].search(plain, max(0, start - _MODIFIER_REACH), start)
        if before or g.modifier_after[name].match(plain, end):
            continue  # a noun modifier: "export settings", "end credits", "上传速度"
        if _negated(plain, start, end, g):
            negated.append((name, start, end))
        elif not _in_content_context(plain, start, end, g, is_question=immune):
            valid.append((name, start, end))
    return valid, negated, plain


def _plain(text: str, g: Grammar) -> str:
    """``text`` with idioms that only look like negations or making verbs masked ("make sure")."""
    return g.neutral.sub(lambda m: _NEUTRAL * len(m.group()), text)


def _negated(text: str, start: int, end: int, g: Grammar) -> bool:
    if g.negator_en.search(text, 0, start) or g.deferral.search(text, end):
        return True
    return any(m.end() >= start - g.negation_reach_zh for m in g.negator_zh.finditer(text, 0, start))


def _in_content_context(text: str, start: int, end: int, g: Grammar, *, is_question: bool = False) -> bool:
    """Is the keyword part of what to make rather than a request of its own?

    A question phrase ("how many credits does it take to make ...") survives a making verb,
    not a topic marker ("教大家怎么下载": teach everyone how to download).
    """
    if g.topic.search(text, 0, start):
        return True  # "a video about uploading photos"
    if is_question:
        return False
    creative = g.creative.search(text, 0, start) and _last(g.creative, text, start)
    if creative and not g.opener.search(text, creative.end(), start):
        return True  # "make the status text red"; not "use it for the launch, so please export it"
    # "把导出按钮改成红色": the keyword is the object of a making verb that comes after it.
    return g.object_marker.search(text, 0, start) is not None and g.creative.search(text, end) is not None


def _last(pattern: re.Pattern[str], text: str, end: int) -> re.Match[str] | None:
    """The last match of ``pattern`` that ends by ``end``."""
    last = None
    for m in pattern.finditer(text, 0, end):
        last = m
    return last


# Words (English letters and digits, apostrophes inside), runs of other letters (Chinese), and
# quoted content. Punctuation, emoji and placeholders for links and idioms are not words.
_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|[^\W_a-z0-9]+|\x01")


def _has_content(text: str, g: Grammar) -> bool:
    """Does ``text`` say anything beyond politeness, approval, pronouns and names of media?
    (The approval words are fillers too; ``approvals`` only tells approval alone from silence.)"""
    for word in _WORDS.findall(text):
        if word == _CONTENT:
            return True
        if word[0].isascii():
            if word not in g.fillers_en:
                return True
        elif g.fillers_zh.sub("", word):
            return True
    return False


def _without_negation(text: str, g: Grammar) -> str:
    for pattern in (g.deferral, g.negator_zh, g.negator_en):  # longest phrases first
        text = pattern.sub("", text)
    return text


def _blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


# ------------------------------------------------------------------ 6: the plan


def _plan(
    norm: Normalized, clauses: list[_Clause], sources: list[str], link_spans: list[tuple[int, int]], g: Grammar
) -> RoutePlan:
    withheld = upload = False
    for clause in clauses:
        withheld = withheld or clause.withheld or bool(sources and clause.keeps_file)
        upload = upload or clause.upload
    if withheld:
        sources = []  # "don't upload this": the file stays on the machine, whatever else is asked
    steps = [Step.of(Action.UPLOAD, source=source, reasons=(_source_reason(source, link_spans),)) for source in sources]
    if not sources and upload and not withheld:
        # "upload a video" with nothing attached: the caller asks for the file.
        steps.append(Step.of(Action.UPLOAD, reasons=_found_reasons(clauses, "upload")))
    seen: set[Action | str] = set()
    for clause in _in_run_order(clauses):
        if clause.answer is not None and clause.answer not in seen:
            seen.add(clause.answer)
            reason = f'a question about an action ("{clause.found[0][1]}"): answered, nothing run'
            steps.append(Step.answered(g.answers[clause.answer], reasons=(reason,)))
        requested = [*clause.actions, *([Action.SSE] if clause.chat else [])]
        for action in requested:
            if action not in seen:
                seen.add(action)
                if action is Action.SSE:
                    reasons = ("no request answered directly in these words: sent to the video chat",)
                    steps.append(Step.of(action, text=_chat_text(norm, clauses, link_spans), reasons=reasons))
                else:
                    steps.append(Step.of(action, reasons=_found_reasons(clauses, action.value)))
    if steps:
        if withheld:
            first = steps[0]
            steps[0] = dataclasses.replace(first, reasons=(_WITHHELD_REASON, *first.reasons))
        return RoutePlan(tuple(steps))
    if withheld:
        return RoutePlan((Step.answered(g.answers["upload_withheld"], reasons=(_WITHHELD_REASON,)),))
    if _approval_only(norm.text, g):
        reason = "approval with no request in it: nothing to send"
        return RoutePlan((Step.answered(g.answers["approval"], reasons=(reason,)),))
    # Everything else goes to the chat.
    reason = "no request answered directly: sent to the video chat"
    return RoutePlan((Step.of(Action.SSE, text=norm.source.strip(), reasons=(reason,)),))


_WITHHELD_REASON = "nothing is uploaded: the user kept the file back, or asked about uploading first"


def _source_reason(source: str, link_spans: list[tuple[int, int]]) -> str:
    return "a media link or path in the text" if link_spans and "/" in source else "a file sent with the message"


def _found_reasons(clauses: list[_Clause], name: str) -> tuple[str, ...]:
    for clause in clauses:
        for found, phrase in clause.found:
            if found == name:  # the first phrase that asked for it says enough
                return (f'"{phrase}" asks for {name}',)
    return (f"asks for {name}",)


def _approval_only(text: str, g: Grammar) -> bool:
    """Praise or closure and nothing else ("looks great!", "就这样"): no request, nothing to send."""
    rest, approvals = g.approval.subn(" ", text)
    return approvals > 0 and not _has_content(rest, g)


def _in_run_order(clauses: list[_Clause]) -> list[_Clause]:
    """Text order, except "X after Y" / "X前先Y" (Y first), "before X, Y" (Y first) and "first"."""
    if len(clauses) < 2:
        return clauses
    keys: list[float] = []
    for i, clause in enumerate(clauses):
        key = float(i)
        if clause.role is Role.AFTER and i > 0:
            key = keys[i - 1] - 0.5
        elif clause.role is Role.BEFORE and i + 1 < len(clauses) and clauses[i + 1].role is Role.WEAK:
            key = i + 1.5  # "before exporting, add a title"; not "add music before exporting, then ..."
        keys.append(key)
    order = sorted(range(len(clauses)), key=lambda i: (not clauses[i].first, keys[i], i))
    return [clauses[i] for i in order]


_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+(?=[,.;:!?，。；：！？、])")
_EDGE = " \t\n,;:，；：、-—–"


def _chat_text(norm: Normalized, clauses: list[_Clause], link_spans: list[tuple[int, int]]) -> str:
    """The user's own words minus the requests answered directly and the uploaded links."""
    cuts = list(link_spans)
    for i, clause in enumerate(clauses):
        if clause.cut:
            # A cut takes its connector with it: the one before it, or after it when it comes first.
            if i == 0:
                cuts.append((0, clauses[1].start if len(clauses) > 1 else clause.end))
            else:
                cuts.append((clauses[i - 1].end, clause.end))
    if not cuts:
        return norm.source.strip()
    text = _without(norm, cuts)
    if _bare(text):
        # "create and export a video of waves": the cut took the object both verbs share, leaving
        # "create". The backend needs the whole request; the export step still runs after it.
        return _without(norm, list(link_spans)) if link_spans else norm.source.strip()
    return text


def _without(norm: Normalized, cuts: list[tuple[int, int]]) -> str:
    pieces: list[str] = []
    pos = 0
    for start, end in sorted(norm.original_span(a, b) for a, b in cuts if a < b):
        pieces.append(norm.source[pos:start])
        pos = max(pos, end)
    pieces.append(norm.source[pos:])
    text = re.sub(r"[ \t]{2,}", " ", "".join(pieces))
    return _SPACE_BEFORE_PUNCTUATION.sub("", text).strip(_EDGE)


def _bare(text: str) -> bool:
    """A lone verb left over ("create", "生成"): not a request the backend can act on."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return len(text.split()) < 2 and cjk <= 2


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
