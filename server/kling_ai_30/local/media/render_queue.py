"""The render queue: renders run on worker threads and report progress and results into the store.

Rendering is CPU-bound (PyAV encoding), so it runs on a small thread pool beside the event loop.
Faults can fail a render or stall it at 37 % until released, for clients that must cope with a
render slower than whoever waited for it; a cancelled render stops at its next progress report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from urllib.parse import quote

from kling_ai_30.local.media.files import MediaFiles
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.faults import Faults
from kling_ai_30.local.state.store import Store

logger = logging.getLogger(__name__)


class _RenderCancelled(Exception):
    pass


class RenderQueue:
    """Runs renders on worker threads (CPU-bound) and reports progress into the store."""

    def __init__(
        self,
        *,
        store: Store,
        faults: Faults,
        config: Callable[[], SimConfig],
        files: MediaFiles,
        clock: Clock,
        stop: threading.Event,
    ) -> None:
        self._store = store
        self._faults = faults
        self._config = config
        self._files = files
        self._clock = clock
        self._stop = stop  # set when the backend closes: a render in progress stops at its next report
        self._pool = ThreadPoolExecutor(config().render_workers, thread_name_prefix="sim-render")
        self._futures: set[Future[None]] = set()
        self._stalled: list[str] = []
        self._lock = threading.Lock()

    def submit(self, render_id: str) -> None:
        fault = self._faults.take_render_fault()
        store = self._store
        if fault is not None and fault[0] == "stall":
            store.update_render(render_id, status="processing", progress=37)
            with self._lock:
                self._stalled.append(render_id)
            return
        self._start(render_id, fault[1] if fault is not None else None)

    def release_stalled(self) -> int:
        """Let every stalled render run to completion (a render slower than whoever waited for it)."""
        with self._lock:
            stalled, self._stalled = self._stalled, []
        for render_id in stalled:
            self._start(render_id, None)
        return len(stalled)

    def _start(self, render_id: str, injected_error: str | None) -> None:
        future = self._pool.submit(self._run, render_id, injected_error)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def busy(self) -> bool:
        with self._lock:
            return any(not f.done() for f in self._futures)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, render_id: str, injected_error: str | None) -> None:
        store = self._store
        clock = self._clock
        job = store.update_render(render_id, status="processing", progress=10)
        if job is None:  # cancelled before it started
            return
        if injected_error is not None:
            store.update_render(render_id, status="failed", error=injected_error, completed_at_ms=clock.now_ms())
            return
        out_dir = self._files.cdn_root / "render-result"
        out_dir.mkdir(parents=True, exist_ok=True)
        final = out_dir / f"{render_id}.mp4"  # render_draft writes it atomically
        config = self._config()

        def progress(fraction: float) -> None:
            current = store.render_job(render_id)
            if self._stop.is_set() or current is None or current.cancelled:
                raise _RenderCancelled
            store.update_render(render_id, progress=max(10, min(99, 10 + int(fraction * 89))))

        try:
            from kling_ai_30.local.media.render.renderer import RenderError, render_draft

            try:
                result = render_draft(
                    job.draft,
                    final,
                    resolve_media=self._files.resolve,
                    max_height=config.render_max_height,
                    fps=config.render_fps,
                    on_progress=progress,
                )
            except RenderError as exc:
                current = store.render_job(render_id)
                if current is not None and current.cancelled:
                    return
                store.update_render(render_id, status="failed", error=str(exc), completed_at_ms=clock.now_ms())
                return
            store.update_render(
                render_id,
                status="completed",
                progress=100,
                output_rel=f"render-result/{quote(render_id)}.mp4",
                size=final.stat().st_size,
                duration_s=result.duration_s,
                completed_at_ms=clock.now_ms(),
            )
        except _RenderCancelled:
            pass
        except Exception:
            logger.exception("render %s crashed", render_id)
            store.update_render(
                render_id, status="failed", error="Internal render error.", completed_at_ms=clock.now_ms()
            )
