"""The agent runs in flight: one worker thread per /run_sse message, outliving its HTTP response.

A run keeps going when its client leaves (api notes §5.6), so the backend needs to know which runs
are still busy: to wait until it is idle between tests, and to stop them all when it closes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from kling_ai_30.local.agent.channel import Channel
from kling_ai_30.local.agent.intent import Intent
from kling_ai_30.local.agent.run import AgentRun
from kling_ai_30.local.media.files import MediaFiles
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import Session
from kling_ai_30.local.state.store import Store


class AgentRuns:
    """Starts agent runs on worker threads and keeps track of them until they end."""

    def __init__(
        self,
        *,
        store: Store,
        faults: Faults,
        config: Callable[[], SimConfig],
        clock: Clock,
        files: MediaFiles,
        stop: threading.Event,
    ) -> None:
        self._store = store
        self._faults = faults
        self._config = config
        self._clock = clock
        self._files = files
        self._stop = stop
        self._threads: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def start(self, session: Session, intent: Intent, reservation: str, channel: Channel, base_url: str) -> None:
        """Run the agent for one /run_sse message in a worker thread that outlives the response."""
        run = AgentRun(
            store=self._store,
            faults=self._faults,
            config=self._config,
            clock=self._clock,
            files=self._files,
            session=session,
            intent=intent,
            reservation=reservation,
            channel=channel,
            base_url=base_url,
            stop=self._stop,
        )
        with self._lock:
            self._threads = {t for t in self._threads if t.is_alive()}
            self._threads.add(run.thread)
        run.start()

    def alive(self) -> list[threading.Thread]:
        """The runs still going."""
        with self._lock:
            return [t for t in self._threads if t.is_alive()]

    def join(self, timeout_each: float) -> list[threading.Thread]:
        """Wait for every run, at most `timeout_each` seconds apiece; returns the runs waited for."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout=timeout_each)
        return threads
