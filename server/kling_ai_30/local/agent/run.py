"""One /run_sse run: the agent's plan for a message, executed on its own thread.

A run executes independently of the HTTP response: it pushes framed events
(:mod:`~kling_ai_30.local.agent.events`) into a :class:`~kling_ai_30.local.agent.channel.Channel`,
makes the files its tools produce, changes the session state and settles the credits reserved for
it. When the client goes away, or a fault drops the stream, the run carries on to the end; that is
what lets a client recover by polling state instead of re-sending (api notes §5.6).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from kling_ai_30.local.agent import replies
from kling_ai_30.local.agent.channel import Channel, Control
from kling_ai_30.local.agent.events import HEARTBEATS, EventBuilder, error_frame
from kling_ai_30.local.agent.intent import Intent
from kling_ai_30.local.agent.plan import PlanContext, Say, Source, Tool, plan
from kling_ai_30.local.media.files import MediaFiles, cdn_rel_path
from kling_ai_30.local.media.synthesis import MediaMaker, Produce, make_media, produce_cached
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.fault_spec import Phase
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import MediaRecord, Session
from kling_ai_30.local.state.store import Store

logger = logging.getLogger(__name__)

BACKDROP_MARGIN = 1.5  # source stills are this much taller than the render, for zooms and pans
BACKDROP_MIN_HEIGHT = 360


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
        intent: Intent,
        reservation: str,
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
        self._intent = intent
        self._reservation = reservation  # the credits frozen for this run, settled when it ends
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
                self._store.count_run(self._session)
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
            self._store.settle(self._reservation, spend)
            self._channel.put(Control.END)

    def _execute(self) -> int:
        config = self._config()
        state = self._store.state_of(self._session)
        silent_override = self._faults.take_silent_override() if self._intent.kind == "edit" else None
        context = PlanContext(
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
        planned = plan(self._intent, state, context)
        self._phase("before_first_event")
        said = False
        for step in planned.steps:
            self._check_stop()
            if isinstance(step, Say):
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
        return planned.charge

    def _tool(self, step: Tool) -> None:
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

    def _latest_source(self, state: Mapping[str, Any]) -> Source | None:
        """The newest uploaded image or video that can actually be read."""
        for info in reversed(state.get("video_infos") or []):
            url = str(info.get("cdn_url") or "")
            rel = cdn_rel_path(url)
            record = self._store.media(rel) if rel else None
            if record is None or not record.readable or record.kind not in ("image", "video"):
                continue
            # Described only by what the file says it shows; its name says nothing reliable.
            return Source(
                url=url,
                kind="image" if record.kind == "image" else "video",
                description=record.description,
                width=record.width,
                height=record.height,
            )
        return None
