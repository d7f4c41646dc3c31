"""The local backend object: it owns the settings, store, faults, agent runs, render workers and files.

:class:`LocalBackend` is what tests and the CLI hold: steer it in-process (`configure`, `faults`,
`add_user`, `store`), serve its ASGI `app` with :mod:`~kling_ai_30.local.server`, and close it so
worker threads stop and the temporary data directory goes away.
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

from kling_ai_30.local.intents import Intent
from kling_ai_30.local.media.files import cdn_rel_path, cdn_root
from kling_ai_30.local.render_queue import RenderQueue
from kling_ai_30.local.routes import build_app
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.records import Session
from kling_ai_30.local.state.store import Store
from kling_ai_30.local.stream import AgentRun, Channel


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
        self._initial_config = config or SimConfig()
        self._config = self._initial_config
        self._owned_dir: Path | None = None
        if self._config.data_dir is None:
            # Under the user cache dir, not /tmp: the program writes only to the user's own
            # directories (CONTRACT.md), and a cache is what this is — removed on close.
            scratch = Path(platformdirs.user_cache_dir("kling-ai-30")) / "local-backend"
            scratch.mkdir(parents=True, exist_ok=True)
            self._owned_dir = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
            self.data_dir = self._owned_dir
        else:
            self.data_dir = self._config.data_dir
            self.data_dir.mkdir(parents=True, exist_ok=True)
        self.cdn_root = cdn_root(self.data_dir)
        self.cdn_root.mkdir(parents=True, exist_ok=True)
        self.clock = Clock()
        self.store = Store(lambda: self._config, self.clock)
        self.faults = Faults(self.store)
        self._stop = threading.Event()
        self._runs: set[threading.Thread] = set()
        self._runs_lock = threading.Lock()
        self.renders = RenderQueue(self)
        self.app: ASGIApp = build_app(self)
        self._closed = False

    # --- configuration ---

    @property
    def config(self) -> SimConfig:
        return self._config

    def configure(self, **changes: Any) -> SimConfig:
        """Change settings at run time (timings, vocabulary, poll shape, ...); data_dir is fixed."""
        if "data_dir" in changes:
            raise ValueError("data_dir cannot change while the backend runs")
        self._config = SimConfig.model_validate({**self._config.model_dump(), **changes})
        return self._config

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

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
        self._config = self._initial_config

    # --- media ---

    def resolve_media(self, url: str) -> Path | None:
        """The local file behind one of this backend's `/cdn/...` URLs (any host), or None."""
        rel = cdn_rel_path(url)
        if rel is None:
            return None
        path = (self.cdn_root / rel).resolve()
        root = self.cdn_root.resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path

    # --- runs ---

    def start_run(
        self, session: Session, user_id: str, intent: Intent, frozen: int, channel: Channel, base_url: str
    ) -> None:
        """Run the agent for one /run_sse message in a worker thread that outlives the response."""
        run = AgentRun(
            store=self.store,
            faults=self.faults,
            config=lambda: self._config,
            clock=self.clock,
            cdn_root=self.cdn_root,
            session=session,
            user_id=user_id,
            intent=intent,
            frozen=frozen,
            channel=channel,
            base_url=base_url,
            stop=self._stop,
        )
        with self._runs_lock:
            self._runs = {t for t in self._runs if t.is_alive()}
            self._runs.add(run.thread)
        run.start()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every agent run and render has finished (stalled renders excepted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._runs_lock:
                alive = [t for t in self._runs if t.is_alive()]
            if not alive and not self.renders.busy():
                return True
            if alive:
                alive[0].join(min(0.05, max(0.0, deadline - time.monotonic())))
            else:
                time.sleep(0.01)
        return False

    def close(self) -> None:
        """Stop runs and renders and remove the temporary data directory (if this backend made it)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        with self._runs_lock:
            threads = list(self._runs)
        for thread in threads:
            thread.join(timeout=5)
        self.renders.shutdown()
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
