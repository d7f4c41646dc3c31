"""The /run_sse stream: ADK events, SSE framing, heartbeats, and the run that produces them.

A run executes in its own thread, independent of the HTTP response: it pushes framed events into
a :class:`Channel`, and the response (:class:`SseResponse`) relays whatever arrives. When the
client goes away, or a fault drops the stream, the channel is detached and the run carries on to
the end, changing the session state and settling credits. That is what lets a client recover by
polling state instead of re-sending (api notes §5.6).

Wire format (api notes §5.1-5.4): each event is `data: <compact JSON>\\n\\n`, camelCase, no
`event:`/`id:` fields and no end sentinel; heartbeats rotate through the three documented forms.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import random
import string
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kling_ai_30.local import agent, replies
from kling_ai_30.local.intents import Intent
from kling_ai_30.local.media.files import MediaFiles, cdn_rel_path
from kling_ai_30.local.media.synthesis import MediaMaker, Produce, make_media, produce_cached
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig, Vocabulary
from kling_ai_30.local.state.fault_spec import Phase
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import MediaRecord, Session
from kling_ai_30.local.state.store import Store

logger = logging.getLogger(__name__)

AUTHOR = "nemo_agent"
# api notes §5.4: blank `data:`, `{"type":"heartbeat"}` and SSE comments are all seen in the wild.
HEARTBEATS = (b"data: \n\n", b'data: {"type":"heartbeat"}\n\n', b": keepalive\n\n")
_ALNUM = string.ascii_letters + string.digits
BACKDROP_MARGIN = 1.5  # source stills are this much taller than the render, for zooms and pans
BACKDROP_MIN_HEIGHT = 360
_ids = random.SystemRandom()


def frame(payload: Mapping[str, Any]) -> bytes:
    """One SSE event: `data: <compact single-line JSON>` and a blank line."""
    return b"data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def error_frame(message: str) -> bytes:
    """The mid-stream error line newer ADK writes (`json.dumps`, default separators)."""
    return b"data: " + json.dumps({"error": message}, ensure_ascii=False).encode() + b"\n\n"


class EventBuilder:
    """Builds the events of one invocation in the ADK or the simplified ("typed") vocabulary."""

    def __init__(self, vocabulary: Vocabulary, clock: Callable[[], float] = time.time) -> None:
        self.vocabulary = vocabulary
        self.invocation_id = f"e-{uuid.uuid4()}"
        self._clock = clock

    def _adk(self, content: dict[str, Any], long_running: list[str] | None = None) -> bytes:
        event: dict[str, Any] = {
            "content": content,
            "invocationId": self.invocation_id,
            "author": AUTHOR,
            "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
        }
        if long_running is not None:
            event["longRunningToolIds"] = long_running
        event["id"] = "".join(_ids.choice(_ALNUM) for _ in range(8))
        event["timestamp"] = round(self._clock(), 6)
        return frame(event)

    def text(self, text: str, thought: str | None = None) -> bytes | None:
        """A model text event (with a leading hidden `thought` part when given)."""
        if self.vocabulary == "typed":
            return frame({"type": "text", "content": text}) if text else None
        parts: list[dict[str, Any]] = []
        if thought:
            parts.append({"text": thought, "thought": True})
        if text:
            parts.append({"text": text})
        return self._adk({"parts": parts, "role": "model"}) if parts else None

    def call(self, call_id: str, name: str, args: Mapping[str, Any]) -> bytes:
        if self.vocabulary == "typed":
            return frame({"type": "tool_call", "name": name, "args": dict(args)})
        part = {"functionCall": {"id": call_id, "args": dict(args), "name": name}}
        return self._adk({"parts": [part], "role": "model"}, long_running=[])

    def result(self, call_id: str, name: str, response: Mapping[str, Any]) -> bytes:
        if self.vocabulary == "typed":
            return frame({"type": "tool_result", "name": name, "result": dict(response)})
        part = {"functionResponse": {"id": call_id, "name": name, "response": dict(response)}}
        return self._adk({"parts": [part], "role": "user"})


class Control(enum.Enum):
    """Non-data items a run puts in its channel."""

    END = "end"  # normal end: close the response cleanly
    ABORT = "abort"  # drop: cut the connection without finishing the body
    CLOSE = "close"  # drop: end the response cleanly, though the run goes on


class Channel:
    """Thread → event loop hand-off of one run's frames; silently drops items once detached."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[bytes | Control] = asyncio.Queue()
        self._lock = threading.Lock()
        self._attached = True

    @property
    def attached(self) -> bool:
        with self._lock:
            return self._attached

    def put(self, item: bytes | Control) -> None:
        """Queue an item for the response (any thread)."""
        with self._lock:
            if not self._attached:
                return
            try:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
            except RuntimeError:  # the loop is gone: nobody is listening any more
                self._attached = False

    def detach(self) -> None:
        """Stop relaying; the run keeps going."""
        with self._lock:
            self._attached = False

    async def get(self) -> bytes | Control:
        return await self._queue.get()


class _RunFailed(Exception):
    """A mid-stream error ended the run."""


class _Stopped(Exception):
    """The backend is shutting down."""


class AgentRun:
    """One /run_sse invocation, executed in a worker thread."""

    def __init__(
        self,
        *,
        store: Store,
        faults: Faults,
        config: Callable[[], SimConfig],
        clock: Clock,
        files: MediaFiles,
        session: Session,
        user_id: str,
        intent: Intent,
        frozen: int,
        channel: Channel,
        base_url: str,
        stop: threading.Event,
        make: MediaMaker = make_media,
    ) -> None:
        self._store = store
        self._faults = faults
        self._config = config
        self._files = files
        self._session = session
        self._user_id = user_id
        self._intent = intent
        self._frozen = frozen
        self._channel = channel
        self._base_url = base_url
        self._stop = stop
        self._make = make
        self._events = EventBuilder(config().vocabulary, clock.now)
        self._heartbeat = 0
        self._seen: set[Phase] = set()
        self.thread = threading.Thread(target=self._run, name=f"sim-run-{session.session_id}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        spend = 0
        try:
            with self._session.run_lock:
                self._check_stop()
                spend = self._execute()
        except _RunFailed:
            spend = 0
        except _Stopped:
            spend = 0
        except Exception as exc:  # a bug must still end the stream and give the credits back
            logger.exception("agent run failed")
            self._emit(error_frame(f"Internal error: {exc}"))
            spend = 0
        finally:
            self._store.settle(self._user_id, self._frozen, spend)
            self._channel.put(Control.END)

    def _execute(self) -> int:
        config = self._config()
        state = self._store.state_of(self._session)
        silent_override = self._faults.take_silent_override() if self._intent.kind == "edit" else None
        context = agent.PlanContext(
            base_url=self._base_url,
            session_id=self._session.session_id,
            rng=self._session.rng,
            costs=config.costs,
            generation_seconds=config.generation_seconds,
            edit_seconds=config.edit_seconds,
            silent_edit_ratio=config.silent_edit_ratio,
            thought_ratio=config.thought_ratio,
            max_generation_seconds=config.max_generation_seconds,
            source=self._latest_source(state),
            silent_override=silent_override,
        )
        plan = agent.plan(self._intent, state, context)
        self._phase("before_first_event")
        said = False
        for step in plan.steps:
            self._check_stop()
            if isinstance(step, agent.Say):
                event = self._events.text(step.text, step.thought)
                if event is not None:
                    self._emit(event)
                if step.text:
                    said = True
                    self._phase("after_text")
            else:
                self._tool(step)
        if said and self._faults.take_trailing_issue():
            trailing = self._events.text(replies.TEMPORARY_ISSUE)
            if trailing is not None:
                self._emit(trailing)
        return plan.charge

    def _tool(self, step: agent.Tool) -> None:
        call_id = f"adk-{uuid.uuid4()}"
        self._emit(self._events.call(call_id, step.name, step.args))
        self._phase("mid_tool_call")
        # Files are made on a helper thread so heartbeats keep flowing however long that takes.
        done = threading.Event()
        failures: list[BaseException] = []

        def produce_all() -> None:
            try:
                for item in step.produce:
                    self._produce(item)
            except BaseException as exc:
                failures.append(exc)
            finally:
                done.set()

        if step.produce:
            threading.Thread(target=produce_all, name="sim-produce", daemon=True).start()
        else:
            done.set()
        self._work(step.seconds, done)
        if failures:
            raise failures[0]
        if step.state is not None:
            self._store.update_state(self._session, step.state)
        self._emit(self._events.result(call_id, step.name, step.response))

    def _produce(self, item: Produce) -> None:
        path = self._files.cdn_root / item.rel_path
        width, height = item.width, item.height
        if item.kind == "backdrop" and height > 0:
            # A still only needs to cover the render size (with room for camera motion).
            scale = min(1.0, max(self._config().render_max_height * BACKDROP_MARGIN, BACKDROP_MIN_HEIGHT) / height)
            width, height = max(16, round(width * scale)), max(16, round(height * scale))
        sized = Produce(item.kind, item.rel_path, item.prompt, width, height, item.seconds)
        produce_cached(sized, path, self._files.cache_dir, self._make)
        kind = "image" if item.kind == "backdrop" else "audio"
        self._store.add_media(MediaRecord(item.rel_path, kind, width=width, height=height, duration=item.seconds))

    def _work(self, seconds: float, done: threading.Event) -> None:
        """Let a tool run for at least `seconds` and until `done`, with a heartbeat every interval."""
        deadline = time.monotonic() + max(0.0, seconds)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 and done.is_set():
                return
            interval = self._config().heartbeat_every_s
            if remaining > 0:
                stopped = self._stop.wait(min(interval, remaining))
            else:
                done.wait(interval)
                stopped = self._stop.is_set()
            if stopped:
                raise _Stopped
            if time.monotonic() < deadline or not done.is_set():
                self._emit(HEARTBEATS[self._heartbeat % len(HEARTBEATS)])
                self._heartbeat += 1

    def _phase(self, phase: Phase) -> None:
        """Fire the faults armed for this point of the stream (once per run and phase)."""
        if phase in self._seen or not self._channel.attached:
            return
        self._seen.add(phase)
        if (message := self._faults.take_stream_error(phase)) is not None:
            self._emit(error_frame(message))
            raise _RunFailed(message)
        if (mode := self._faults.take_drop(phase)) is not None:
            self._channel.put(Control.ABORT if mode == "abort" else Control.CLOSE)
            self._channel.detach()

    def _emit(self, item: bytes) -> None:
        self._channel.put(item)

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Stopped

    def _latest_source(self, state: Mapping[str, Any]) -> agent.Source | None:
        """The newest uploaded image or video that can actually be read."""
        for info in reversed(state.get("video_infos") or []):
            url = str(info.get("cdn_url") or "")
            rel = cdn_rel_path(url)
            record = self._store.media(rel) if rel else None
            if record is None or not record.readable or record.kind not in ("image", "video"):
                continue
            name = Path(str(info.get("filename") or rel)).stem.replace("_", " ").replace("-", " ").strip()
            return agent.Source(
                url=url,
                kind="image" if record.kind == "image" else "video",
                name=" ".join(name.split()[:6]),
                width=record.width,
                height=record.height,
            )
        return None
