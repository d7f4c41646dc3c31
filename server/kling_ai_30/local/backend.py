"""The local backend object: it builds the parts, hands each the few others it uses, and owns their life.

:class:`LocalBackend` is what tests and the CLI hold: steer it in-process (`configure`, `faults`,
`add_user`, `store`), serve its ASGI `app` with :mod:`~kling_ai_30.local.http.server`, and close it
so worker threads stop and the temporary data directory goes away. No part receives the backend
itself: the HTTP routes get the store, the faults, the settings, the runs and the render queue
they answer for, and nothing else.

A *persistent* backend (``SimConfig.persistent``) keeps its memory in its data directory instead
(:mod:`~kling_ai_30.local.state.shared_file`), shared with any other backend running over the same
folder at the same time: the CLI's ``--local`` commands each run one, and together they are one
offline project. Such a backend finishes the agent runs in hand before it closes (a message it
accepted is answered, as the real backend would), gives back the credits of runs a killed
process left frozen, and takes over renders a closed one left unfinished when they are next asked
about.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from starlette.types import ASGIApp

from kling_ai_30.local.agent.runs import AgentRuns
from kling_ai_30.local.http.app import build_app
from kling_ai_30.local.media.files import MediaFiles
from kling_ai_30.local.media.render_queue import RenderQueue
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.live_config import LiveConfig
from kling_ai_30.local.state.presence import Presence
from kling_ai_30.local.state.shared_file import SharedFile
from kling_ai_30.local.state.store import Store

RUN_STOP_TIMEOUT_S = 5.0  # closing waits this long for each agent run
# A persistent backend lets the runs in hand finish first: a generation's simulated work plus its
# media (a 1080p still and a music loop take a few seconds on a slow machine).
RUN_FINISH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class RegisteredUser:
    """A registered (non-anonymous) account made through the admin API."""

    user_id: str
    token: str
    credits: int


class LocalBackend:
    """The local NemoVideo-compatible backend: state, faults, workers and the ASGI app.

    Use as a context manager (or call :meth:`close`) so worker threads stop and the temporary
    data directory is removed.
    """

    def __init__(self, config: SimConfig | None = None) -> None:
        self._config = LiveConfig(config or SimConfig())
        self._owned_dir: Path | None = None
        data_dir = self._config.current().data_dir
        if data_dir is None:
            # Under the user cache dir, not /tmp: the program writes only to the user's own
            # directories (CONTRACT.md), and a cache is what this is — removed on close.
            scratch = Path(platformdirs.user_cache_dir("kling-ai-30")) / "local-backend"
            scratch.mkdir(parents=True, exist_ok=True)
            self._owned_dir = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
            self.data_dir = self._owned_dir
        else:
            self.data_dir = data_dir
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.files = MediaFiles(self.data_dir)
        self.cdn_root = self.files.cdn_root
        self.cdn_root.mkdir(parents=True, exist_ok=True)
        self.clock = Clock()
        self._persistent = self._config.current().persistent
        self.presence = Presence(self.data_dir if self._persistent else None)
        shared = SharedFile(self.data_dir) if self._persistent else None
        self.store = Store(self._config.current, self.clock, shared=shared, presence=self.presence)
        if self._persistent:
            self.store.release_abandoned()
        self.faults = Faults(self.store)
        # One stop signal for every worker: runs and renders in progress end at their next step.
        self._stop = threading.Event()
        self.runs = AgentRuns(
            store=self.store,
            faults=self.faults,
            config=self._config.current,
            clock=self.clock,
            files=self.files,
            stop=self._stop,
        )
        self.renders = RenderQueue(
            store=self.store,
            faults=self.faults,
            config=self._config.current,
            clock=self.clock,
            files=self.files,
            stop=self._stop,
        )
        self.app: ASGIApp = build_app(
            store=self.store,
            faults=self.faults,
            config=self._config,
            clock=self.clock,
            files=self.files,
            runs=self.runs,
            renders=self.renders,
            reset=self.reset,
        )
        self._closed = False

    # --- configuration ---

    @property
    def config(self) -> SimConfig:
        return self._config.current()

    def configure(self, **changes: Any) -> SimConfig:
        """Change settings at run time (timings, vocabulary, poll shape, ...); data_dir is fixed."""
        return self._config.change(**changes)

    # --- admin ---

    def add_user(self, credits: int = 1000) -> RegisteredUser:
        """Create a registered (non-anonymous) user; returns its id and bearer token."""
        record, user = self.store.create_registered_user(credits)
        return RegisteredUser(user.user_id, record.token, user.available)

    def reset(self) -> None:
        """Back to a fresh start: no users, sessions, renders, faults or recorded requests."""
        self.faults.clear()
        self.store.reset()
        self.clock.reset()
        self._config.restore()

    def resolve_media(self, url: str) -> Path | None:
        """The local file behind one of this backend's `/cdn/...` URLs (any host), or None."""
        return self.files.resolve(url)

    # --- life ---

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every agent run and render has finished (stalled renders excepted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            alive = self.runs.alive()
            if not alive and not self.renders.busy():
                return True
            if alive:
                alive[0].join(min(0.05, max(0.0, deadline - time.monotonic())))
            else:
                time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop runs and renders and remove the temporary data directory (if this backend made it);
        a persistent backend first lets its runs finish, and saves what is still unsaved."""
        if self._closed:
            return
        self._closed = True
        if self._persistent:
            self.runs.join(timeout_each=RUN_FINISH_TIMEOUT_S)
        self._stop.set()
        threads = self.runs.join(timeout_each=RUN_STOP_TIMEOUT_S)
        self.renders.shutdown()
        self.store.flush()
        self.presence.close()
        if self._owned_dir is not None:
            shutil.rmtree(self._owned_dir, ignore_errors=True)
            stragglers = [t for t in threads if t.is_alive()]
            if stragglers:
                # A run still synthesising media would write its file into a fresh copy of the
                # directory; remove that too once it is done, instead of leaving it in /tmp.
                threading.Thread(
                    target=_remove_after, args=(stragglers, self._owned_dir), name="sim-cleanup", daemon=True
                ).start()

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _remove_after(threads: list[threading.Thread], directory: Path) -> None:
    for thread in threads:
        thread.join()
    shutil.rmtree(directory, ignore_errors=True)
