"""One turn of the conversation with the backend agent, as the user should experience it.

The skill text's "SSE Event Handling", in order:

- text is collected and GUI-translated; tool calls and results stay internal (they only drive
  progress: "Generating video…", and the raw video is reported as soon as it exists);
- while only heartbeats arrive, "⏳ Still working..." every 2 minutes;
- a trailing "I encountered a temporary issue" after a normal reply is dropped;
- a silent reply (~30 % of edits) is answered from the state: poll it, diff it with the state
  from before the message, and say concretely what changed;
- a model error (a safety refusal, say) is reported as what the backend said, with the next step;
- a dropped stream is never answered by sending the message again (that would charge twice):
  the state is polled at 30 s, then every 60 s, and the first change is reported; after five
  unchanged polls the turn is reported as failed, with a retry offered. The same holds when the
  message may have reached the backend but no stream came back (a timeout, a dropped connection,
  a gateway's 5xx): "not sent, nothing charged" is said only when no connection was ever made;
- once the stream has finished, the turn has happened (and may have been paid for): a state read
  that fails afterwards never fails the turn.

Clock and sleep are injected, so every wait above is instant in tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx

from .. import timeline
from ..client.backend import BackendClient
from ..client.events import Heartbeat, ModelError, TextPart, ToolCall, ToolResult, aiter_chat_events
from ..client.models import SessionState
from ..client.session import Session
from ..errors import (
    BackendUnavailableError,
    InputError,
    KlingError,
    MessageInFlightError,
    StreamError,
    TurnFailedError,
)
from ..language import Language, language_of
from ..policy import (
    MAX_MESSAGE_CHARS,
    RECOVERY_FIRST_POLL_S,
    RECOVERY_MAX_UNCHANGED_POLLS,
    RECOVERY_POLL_EVERY_S,
    SILENT_REPLY_POLL_EVERY_S,
    SILENT_REPLY_POLLS,
    SSE_MAX_DURATION_S,
    STILL_WORKING_EVERY_S,
)
from ..timing import Clock, Sleep
from .gui import GuiAction, GuiInstruction, translate
from .trailing_issue import strip_trailing_temporary_issue

log = logging.getLogger(__name__)

STILL_WORKING = "⏳ Still working..."

# Substrings of backend tool names -> what the user is told while it runs (the official CLI's labels).
_TOOL_LABELS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("generate_video", "seedance", "kling", "text_to_video", "image_to_video"), "Generating the video (1-3 min)"),
    (("music", "suno", "bgm"), "Generating music"),
    (("voiceover", "tts", "speech"), "Recording the voiceover"),
    (("audio",), "Working on the audio"),
    (("understand", "analy"), "Looking at your media"),
    (("edit", "draft", "multitrack", "timeline"), "Editing the timeline"),
)
_GENERATION_HINTS = ("generate_video", "seedance", "kling", "text_to_video", "image_to_video")
QUESTION_TOOLS = ("ask_question", "ask_user")
# ADK finish reasons that mean a content filter stopped the model (google.genai FinishReason).
_FILTER_CODES = frozenset({"SAFETY", "IMAGE_SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "RECITATION"})
UNREAD_NOTE = "(The project's timeline could not be read just now; ask to see it again in a moment.)"


@dataclass(frozen=True)
class Status:
    """A progress report while a turn runs."""

    phase: str
    """``sending``, ``thinking``, ``tool``, ``still_working``, ``raw_video``, ``recovering``, ``checking``."""
    message: str


StatusFn = Callable[[Status], None]


@dataclass(frozen=True)
class Reply:
    """What one message to the backend came to."""

    text: str
    """What the user reads: the translated reply, or the change summary of a silent one."""
    silent: bool
    """The backend sent no text (the text above is then built from the state diff)."""
    changes: tuple[timeline.Change, ...]
    state: SessionState
    instructions: tuple[GuiInstruction, ...] = ()
    """GUI instructions found in the reply; the caller decides which to carry out (export)."""
    tools_used: tuple[str, ...] = ()
    recovered: bool = False
    """The stream dropped and the outcome was learned by polling the state."""
    question: str | None = None
    """The backend asked something back; ``text`` holds it, ready to show."""
    raw_video: str | None = None
    """Two-stage generation: the summary reported when the raw clip first appeared."""
    model_error: str | None = None
    """The backend's model stopped with this error (``text`` says so, and what to do next)."""

    @property
    def wants_export(self) -> bool:
        return any(i.action is GuiAction.EXPORT for i in self.instructions)


@dataclass
class _Collected:
    language: Language = "en"
    """The request's, for the sentences we write ourselves (a silent reply's change lines)."""
    texts: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    question: str | None = None
    model_error: ModelError | None = None
    raw_video: str | None = None
    events: int = 0
    """Events other than heartbeats: a finished turn always has some."""
    opened: bool = False
    """The stream started, so the backend has the message (before that, nothing was sent)."""
    open_calls: list[tuple[str | None, str]] = field(default_factory=list)
    """(id, name) of tool calls whose result has not arrived."""

    @property
    def cut_short(self) -> bool:
        """The stream closed cleanly but the turn cannot have finished: nothing arrived at all, or a
        tool was still running (a proxy or load balancer ending the response looks like this)."""
        return self.events == 0 or bool(self.open_calls)


@dataclass(frozen=True)
class _Lost:
    """Why a turn's outcome has to be learned from the state, in the words the user is shown."""

    status: str
    """Leads the progress line: "<status>; your request was not sent again. Checking…"."""
    failure: str
    """Leads the failure when the state shows no change; empty when the turn is known to have finished."""

    @property
    def finished(self) -> bool:
        """The backend ended the turn; only its outcome could not be read."""
        return not self.failure


_DROPPED = _Lost("The connection dropped", "The connection to the backend dropped")
_UNREAD = _Lost("The project could not be read", "")


def _no_reply(reason: str) -> _Lost:
    return _Lost("No reply came back", f"Your message may have reached the backend, but no reply came back ({reason})")


class Conversation:
    """Sends messages in one session, one at a time, and turns the stream into a ``Reply``."""

    def __init__(
        self,
        client: BackendClient,
        session: Session,
        *,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.monotonic,
        max_duration_s: float = SSE_MAX_DURATION_S,
    ) -> None:
        self.client = client
        self.session = session
        self._sleep = sleep
        self._clock = clock
        self._max_duration_s = max_duration_s
        self._in_flight = anyio.Lock()

    async def send(
        self,
        text: str,
        *,
        on_status: StatusFn | None = None,
        before: SessionState | None = None,
        export_follows: bool = False,
    ) -> Reply:
        """Send ``text`` once and return what came of it (see the module docstring).

        ``export_follows``: the caller exports when the reply asks for it, so the reply says so.
        """
        message = check_message(text)
        report = on_status or (lambda status: None)
        if self._in_flight.locked():
            raise InputError("A message is already being processed in this session; wait for it to finish.")
        async with self._in_flight:
            state_before = before if before is not None else await self.client.state(self.session)
            collected = _Collected(language=language_of(message))
            report(Status("sending", "Sending your request…"))
            lost: _Lost | None = None
            try:
                await self._consume(message, collected, report)
            except StreamError:
                raise
            except MessageInFlightError as exc:
                # No stream, but the message may be on the backend and its work going on there.
                lost = _no_reply(exc.reason)
            except BackendUnavailableError as exc:
                if not collected.opened:
                    # The client raises MessageInFlightError whenever the message itself may have
                    # arrived; this one failed before it left (no connection, or the token or session
                    # call it waited for), so the backend never had it.
                    raise BackendUnavailableError(
                        f"{exc} Your request was not sent, so nothing was charged; send it again when the "
                        "backend is reachable.",
                        may_have_arrived=False,
                    ) from None
                lost = _DROPPED  # the stream had started: the backend has the message
            except httpx.HTTPError as exc:
                # Raised by the open stream; anything before it is unforeseen, so assume the message left.
                lost = _DROPPED if collected.opened else _no_reply(f"the connection failed ({type(exc).__name__})")
            if lost is None and collected.cut_short:
                lost = _DROPPED
            if lost is not None:
                log.info("no complete reply (%s); recovering from state", lost.failure or lost.status)
                return await self._watch(state_before, collected, report, lost=lost)
            return await self._finish(state_before, collected, report, export_follows)

    async def _consume(self, message: str, collected: _Collected, report: StatusFn) -> None:
        last_status = self._clock()
        timed_out = True
        with anyio.move_on_after(self._max_duration_s):
            async with self.client.chat_stream(self.session, message) as chunks:
                collected.opened = True
                report(Status("thinking", "Working on it…"))
                async for event in aiter_chat_events(chunks):
                    now = self._clock()
                    if isinstance(event, Heartbeat):
                        if now - last_status >= STILL_WORKING_EVERY_S:
                            report(Status("still_working", STILL_WORKING))
                            last_status = now
                        continue
                    last_status = now
                    collected.events += 1
                    if isinstance(event, TextPart):
                        _add_text(collected, event)
                    elif isinstance(event, ToolCall):
                        await self._on_tool_call(event, collected, report)
                    elif isinstance(event, ToolResult):
                        await self._on_tool_result(event, collected, report)
                    elif isinstance(event, ModelError):
                        collected.model_error = event
            timed_out = False
        if timed_out:
            late = f"did not finish within {self._max_duration_s / 60:.0f} minutes"
            if not collected.opened:
                # Cut off while the message was being sent: it may have arrived.
                raise MessageInFlightError(f"The backend {late}; checking what it did.", reason=f"it {late}")
            raise BackendUnavailableError(f"The backend {late}; checking what it did.")

    async def _on_tool_call(self, call: ToolCall, collected: _Collected, report: StatusFn) -> None:
        collected.tools.append(call.name)
        if call.name in QUESTION_TOOLS:
            # The run ends here, waiting for the user's answer: no result follows.
            collected.question = format_question(call.args)
            return
        collected.open_calls.append((call.id, call.name))
        report(Status("tool", tool_label(call.name) + "…"))

    async def _on_tool_result(self, result: ToolResult, collected: _Collected, report: StatusFn) -> None:
        _close_call(collected.open_calls, result)
        if collected.raw_video is None and any(hint in result.name for hint in _GENERATION_HINTS):
            # Two-stage generation: show the raw clip now; music and titles follow.
            try:
                state = await self.client.state(self.session)
            except KlingError:
                return
            video_tracks = [t for t in timeline.read_tracks(state.state.draft) if t.kind is timeline.TrackKind.VIDEO]
            if video_tracks:
                collected.raw_video = "; ".join(timeline.describe_track(t) for t in video_tracks)
                line = f"🎬 Raw video ready ({collected.raw_video}). Adding the finishing touches…"
                report(Status("raw_video", line))

    async def _finish(
        self, before: SessionState, collected: _Collected, report: StatusFn, export_follows: bool = False
    ) -> Reply:
        # Separate model turns ("Sure, generating…", later "Done!") read as separate paragraphs.
        text = "\n\n".join(t.strip() for t in collected.texts if t.strip()) or "".join(collected.partial).strip()
        text = strip_trailing_temporary_issue(text)
        if collected.model_error is not None:
            # Before the empty-text check: an error-only stream is not a silent edit.
            return await self._model_error(before, collected, text, collected.model_error)
        if collected.question is not None:
            state = await self._state_after()
            shown = f"{text}\n\n{collected.question}".strip() if text else collected.question
            return Reply(
                text=shown,
                silent=False,
                changes=(),
                state=state or before,
                tools_used=tuple(collected.tools),
                question=collected.question,
            )
        if not text:
            return await self._silent(before, collected, report)
        translated = translate(text, exporting=export_follows)
        balance = await self._balance_if_asked(translated.instructions)
        if balance is not None:
            translated = translate(text, exporting=export_follows, credits_shown=True)
        after = await self._state_after()
        if after is None:
            return Reply(
                text=_paragraphs(translated.text, balance, UNREAD_NOTE),
                silent=False,
                changes=(),
                state=before,
                instructions=translated.instructions,
                tools_used=tuple(collected.tools),
                raw_video=collected.raw_video,
            )
        return Reply(
            text=_paragraphs(translated.text, self._timeline_if_asked(translated.instructions, after), balance),
            silent=False,
            changes=state_changes(before, after),
            state=after,
            instructions=translated.instructions,
            tools_used=tuple(collected.tools),
            raw_video=collected.raw_video,
        )

    async def _model_error(self, before: SessionState, collected: _Collected, text: str, error: ModelError) -> Reply:
        """The model stopped on an error: what the backend said, what changed anyway, and the next step."""
        after = await self._state_after()
        changes = state_changes(before, after) if after is not None else ()
        said = error.message.strip().rstrip(".")
        lines = [translate(text).text] if text else []
        lines.append(f"The backend could not do that: {said}.")
        if changes:
            assert after is not None
            lines.append(f"{timeline.describe_changes(changes)}\n{timeline.summarize(after.state.draft)}")
            lines.append("Part of it was done (above): ask for what is still missing rather than the whole request.")
        elif after is None:
            lines.append(
                "The timeline could not be read just now to see whether anything changed: look at it before "
                "sending the request again."
            )
        elif error.code in _FILTER_CODES:
            lines.append(
                "Nothing changed: a content filter stopped it. Describe what you want differently and send that."
            )
        else:
            lines.append("Nothing changed. Rephrase or simplify the request and send it again.")
        return Reply(
            text="\n\n".join(line for line in lines if line),
            silent=False,
            changes=changes,
            state=after or before,
            tools_used=tuple(collected.tools),
            raw_video=collected.raw_video,
            model_error=error.message,
        )

    async def _state_after(self) -> SessionState | None:
        """The state once the stream has finished, or None when it cannot be read just now. The turn
        has happened (and may have been paid for), so a failed read must never fail it: that would
        invite sending the message, and paying, again."""
        try:
            return await self.client.state(self.session)
        except KlingError as exc:
            log.info("the state could not be read after the turn (%s)", type(exc).__name__)
            return None

    # "Click Export" is carried out by the caller (it knows the output folder) and "click [button]"
    # never is: that would send a paid request the user did not make. The rest are read-only, so
    # they are answered here.

    def _timeline_if_asked(self, instructions: Sequence[GuiInstruction], state: SessionState) -> str | None:
        """The track summary, when the reply said to open the timeline or preview in it."""
        wanted = {i.action for i in instructions}
        if wanted & {GuiAction.SHOW_TIMELINE, GuiAction.QUERY_STATE}:
            return timeline.summarize(state.state.draft)
        return None

    async def _balance_if_asked(self, instructions: Sequence[GuiInstruction]) -> str | None:
        """The balance, read through the API, when the reply said to check the account or billing
        page. None when not asked or not readable just now (the reply then offers to check it)."""
        if not any(i.action is GuiAction.CREDITS for i in instructions):
            return None
        try:
            return (await self.client.credits()).describe()
        except KlingError as exc:
            log.info("the balance could not be read after the turn (%s)", type(exc).__name__)
            return None

    async def _silent(self, before: SessionState, collected: _Collected, report: StatusFn) -> Reply:
        report(Status("checking", "Checking what changed…"))
        after = await self._state_after()
        if after is None:
            # Finished, but its outcome is unreadable for now: learn it the way a dropped stream's is.
            return await self._watch(before, collected, report, lost=_UNREAD)
        changes = state_changes(before, after)
        polls = 1
        while not changes and polls < SILENT_REPLY_POLLS:
            # The edit may land a moment after the stream closes.
            await self._sleep(SILENT_REPLY_POLL_EVERY_S)
            later = await self._state_after()
            if later is None:
                break  # report what the last read showed
            after = later
            changes = state_changes(before, after)
            polls += 1
        text = timeline.describe_changes(changes, collected.language)
        if changes:
            text = f"{text}\n{timeline.summarize(after.state.draft)}"
        return Reply(
            text=text,
            silent=True,
            changes=changes,
            state=after,
            tools_used=tuple(collected.tools),
            raw_video=collected.raw_video,
        )

    async def watch(
        self,
        before: SessionState,
        *,
        on_status: StatusFn | None = None,
        first_poll_s: float = RECOVERY_FIRST_POLL_S,
        language: Language = "en",
    ) -> Reply:
        """Learn a message's outcome without its stream (dropped, or lost with a restarted server):
        poll the state against ``before``; never re-send. ``first_poll_s`` shortens the first wait
        when part of it has already passed (a job resumed long after it was cut); ``language`` is the
        message's, for the change lines."""
        collected = _Collected(language=language)
        return await self._watch(before, collected, on_status or (lambda status: None), first_poll_s)

    async def _watch(
        self,
        before: SessionState,
        collected: _Collected,
        report: StatusFn,
        first_poll_s: float = RECOVERY_FIRST_POLL_S,
        lost: _Lost = _DROPPED,
    ) -> Reply:
        """Poll the state at 30 s, then every 60 s; the first change is the outcome."""
        delays = [max(0.0, first_poll_s)] + [RECOVERY_POLL_EVERY_S] * (RECOVERY_MAX_UNCHANGED_POLLS - 1)
        last_read: SessionState | None = None
        unread = 0
        for number, delay in enumerate(delays, start=1):
            report(
                Status(
                    "recovering",
                    f"{lost.status}; your request was not sent again. Checking the project ({number}/{len(delays)})…",
                )
            )
            await self._sleep(delay)
            try:
                after = await self.client.state(self.session)
            except KlingError as exc:
                # A failed check is one more unanswered check; failing the turn would invite a re-send.
                log.info("state check %d failed (%s)", number, type(exc).__name__)
                unread += 1
                continue
            last_read = after
            changes = state_changes(before, after)
            if changes:
                text = "".join(collected.texts).strip()
                lead = translate(strip_trailing_temporary_issue(text)).text if text else ""
                summary = (
                    f"{timeline.describe_changes(changes, collected.language)}\n{timeline.summarize(after.state.draft)}"
                )
                return Reply(
                    text=f"{lead}\n\n{summary}".strip() if lead else summary,
                    silent=not text,
                    changes=changes,
                    state=after,
                    tools_used=tuple(collected.tools),
                    recovered=True,
                    raw_video=collected.raw_video,
                )
        if lost.finished:
            # The backend ended the turn without a word: unchanged is its outcome, as for any silent reply.
            return Reply(
                text=timeline.describe_changes((), collected.language) if last_read is not None else UNREAD_NOTE,
                silent=True,
                changes=(),
                state=last_read or before,
                tools_used=tuple(collected.tools),
                recovered=True,
                raw_video=collected.raw_video,
            )
        minutes = f"{len(delays)} checks (about {sum(delays) / 60:.0f} minutes)"
        if unread:
            raise TurnFailedError(
                f"{lost.failure}, and the project could not be read in {unread} of {minutes}, so whether it was "
                "carried out is not known. Your request was not sent twice; look at the project's timeline "
                "before sending it again."
            )
        raise TurnFailedError(
            f"{lost.failure} and the project has not changed after {minutes}. Your request was not sent twice; "
            "send it again to retry."
        )


def state_changes(before: SessionState, after: SessionState) -> tuple[timeline.Change, ...]:
    """What changed on the timeline (and canvas) between two states of the session."""
    return timeline.diff(
        before.state.draft,
        after.state.draft,
        canvas_before=before.state.canvas_config,
        canvas_after=after.state.canvas_config,
    )


def check_message(text: str) -> str:
    """A message fit to send: not empty, not huge, no control characters; else ``InputError``."""
    if not isinstance(text, str):
        raise InputError("The message must be text.")
    cleaned = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32).strip()
    if not cleaned:
        raise InputError("The message is empty: describe the video or the edit you want.")
    if len(cleaned) > MAX_MESSAGE_CHARS:
        raise InputError(
            f"The message is {len(cleaned)} characters; keep it under {MAX_MESSAGE_CHARS} "
            "(describe the video, not a whole script)."
        )
    return cleaned


def tool_label(name: str) -> str:
    """What the user is told while a backend tool runs."""
    lowered = name.lower()
    for hints, label in _TOOL_LABELS:
        if any(hint in lowered for hint in hints):
            return label
    return "Working"


def format_question(args: Any) -> str:
    """The backend's ``ask_question`` arguments as a question the user can answer in words."""
    lines: list[str] = []
    if isinstance(args, dict):
        title = args.get("title") or args.get("question") or args.get("prompt")
        if isinstance(title, str) and title.strip():
            lines.append(title.strip())
        questions = args.get("questions")
        for number, item in enumerate(questions if isinstance(questions, list) else [], start=1):
            if not isinstance(item, dict):
                continue
            prompt = item.get("prompt") or item.get("question") or ""
            options = [o.get("label") for o in item.get("options", []) if isinstance(o, dict) and o.get("label")]
            line = f"{number}. {prompt}".strip()
            if options:
                line += " (" + " / ".join(str(o) for o in options) + ")"
            lines.append(line)
    return "\n".join(lines) or "The backend needs more detail: describe what you want in a sentence or two."


def _close_call(open_calls: list[tuple[str | None, str]], result: ToolResult) -> None:
    """Pair a result with its call: by id when both have one, else by name (backends differ)."""
    by_id = [c for c in open_calls if result.id is not None and c[0] == result.id]
    by_name = [c for c in open_calls if c[1] == result.name]
    for call in by_id or by_name or open_calls[:1]:
        open_calls.remove(call)
        return


def _add_text(collected: _Collected, part: TextPart) -> None:
    if part.partial:
        collected.partial.append(part.text)
        return
    # ADK streaming sends deltas, then the whole text once more: the full text replaces the deltas.
    collected.partial.clear()
    collected.texts.append(part.text)


def _paragraphs(*blocks: str | None) -> str:
    return "\n\n".join(block.strip() for block in blocks if block and block.strip())
