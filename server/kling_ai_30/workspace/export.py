"""§3.5 Export: state -> render -> poll -> download, delivered with the task link.

- Pre-check: the draft needs a track with segments, else there is nothing to render. The draft
  is read from the state, unless the caller has just read it (a reply that asks for the export).
- Never the same timeline twice: a draft already exported unchanged (same content, and its MP4
  still on disk) is delivered from the earlier export, unless a fresh render is asked for; so
  ``generate``'s automatic export and an explicit ``export`` right after it make one render.
- Submit with a client-chosen id (``sessionId`` camelCase); a failed submit or a failed render
  gets a new id and one more try (skill text). 402 is a plan problem and is never retried.
- Poll on ``jobs.schedule`` (at 0.25 s, 0.5 s, then 1 s while renders usually finish, then backing
  off), not the skill text's fixed 30 s; transient poll errors keep polling the same render, never
  resubmit.
- Download streamed into the output directory (``BackendClient.download``: temp file, checks,
  atomic rename, no overwrite); if the output URL fails, the authenticated fallback route.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from .. import timeline
from ..client.backend import BackendClient, new_render_id
from ..client.models import RenderStatus, SessionState
from ..client.session import Session
from ..client.transfers import safe_filename
from ..errors import (
    APIError,
    BackendUnavailableError,
    ExportBlockedError,
    InputError,
    KlingError,
    RenderFailedError,
    RenderTimeoutError,
    ServerError,
)
from ..jobs.schedule import render_poll_delays
from ..mp4info import read_mp4_info
from ..policy import RENDER_MAX_WAIT_S, RENDER_SUBMIT_RETRIES
from ..results import ExportView
from ..timing import Clock, Sleep

log = logging.getLogger(__name__)

Report = Callable[[str, str, float | None], None]
"""(phase, message, progress 0..1 or None)"""


@dataclass
class ExportRun:
    """One export: everything it needs, injected."""

    client: BackendClient
    session: Session
    dest_dir: Path
    report: Report
    remember_render: Callable[[str], None]
    sleep: Sleep = anyio.sleep
    clock: Clock = time.monotonic
    max_wait_s: float = RENDER_MAX_WAIT_S
    poll_delays: Callable[[], Iterator[float]] = render_poll_delays
    exported_before: Callable[[str], ExportView | None] = lambda digest: None
    """The earlier export of a draft with this digest whose file is still there, if any. Called in a
    worker thread: delivering it into another folder copies the MP4, which must not hold up the loop."""
    digest: str | None = None
    """The exported draft's digest, once known (a resumed render's is not)."""

    async def run(
        self, *, resume_render_id: str | None = None, fresh: bool = False, state: SessionState | None = None
    ) -> ExportView:
        """Export the session's current draft (or finish the render ``resume_render_id``); ``fresh``
        renders again even when this very draft was exported before; ``state``: the session's state
        as the caller has just read it (a reply's), whose draft is exported without reading it again.

        A render that ends as failed is started again once with a new id; a resumed render's
        original submit counts as the first.
        """
        draft: Any = None
        renders_left = RENDER_SUBMIT_RETRIES + (0 if resume_render_id else 1)
        render_id = resume_render_id
        while True:
            if render_id is None:
                if draft is None:
                    draft = await self._exportable_draft(state)
                    self.digest = draft_digest(draft)
                    earlier = None if fresh else await anyio.to_thread.run_sync(self.exported_before, self.digest)
                    if earlier is not None:
                        said = f"✅ Already exported, and the timeline has not changed since: {earlier.path}"
                        return earlier.model_copy(update={"message": said})
                render_id = await self._submit(draft)
                renders_left -= 1
            status = await self._poll(render_id)
            if status.status == "completed" and status.output_url:
                return await self._deliver(status, draft)
            reason = status.error or status.status
            if renders_left <= 0:
                raise RenderFailedError(
                    f"The render failed ({reason}), and so did the retry. Try exporting again in a few minutes; "
                    "if it keeps failing, simplify the edit (for example a shorter clip)."
                )
            log.info("render %s failed (%s); starting it again with a new id", render_id, reason)
            self.report("rendering", f"The render failed ({reason}); trying once more…", None)
            render_id = None

    async def _exportable_draft(self, state: SessionState | None) -> Any:
        self.report("checking", "Checking the timeline…", None)
        if state is None:
            state = await self.client.state(self.session)
        draft = state.state.draft
        if not timeline.is_exportable(draft):
            raise InputError(
                "There is nothing to export yet: the timeline has no clips. Generate a video first, e.g. "
                '"generate a 5-second preview of a mountain landscape".'
            )
        return draft

    async def _submit(self, draft: Any) -> str:
        last_error: KlingError | None = None
        for attempt in range(RENDER_SUBMIT_RETRIES + 1):
            render_id = new_render_id(time.time())
            self.report("submitting", "Starting the render (~30-90 s)…", 0.0)
            try:
                status = await self.client.submit_render(self.session, draft, render_id=render_id)
            except ExportBlockedError:
                raise
            except (APIError, BackendUnavailableError) as exc:
                if await self._was_accepted(render_id, exc):
                    # The answer was lost, not the submit: the render we named is running. Starting
                    # another with a new id would render the same video twice.
                    self.remember_render(render_id)
                    return render_id
                last_error = exc
                log.info("render submit failed (%s); attempt %d", type(exc).__name__, attempt + 1)
                continue
            self.remember_render(status.id or render_id)
            return status.id or render_id
        assert last_error is not None
        raise last_error

    async def _was_accepted(self, render_id: str, error: KlingError) -> bool:
        """After a submit whose answer never came (a dropped connection, a timeout, a gateway's 5xx),
        ask for the render by the id we chose: the backend may well have started it."""
        unanswered = isinstance(error, ServerError) or (
            isinstance(error, BackendUnavailableError) and error.may_have_arrived
        )
        if not unanswered:
            return False
        try:
            await self.client.render_status(render_id)
        except KlingError:
            return False
        return True

    async def _poll(self, render_id: str) -> RenderStatus:
        started = self.clock()
        delays = self.poll_delays()
        while True:
            await self.sleep(next(delays))
            try:
                status = await self.client.render_status(render_id)
            except (BackendUnavailableError, ServerError) as exc:
                log.info("render poll failed (%s); polling the same render again", type(exc).__name__)
                status = None
            if status is not None:
                if status.finished:
                    return status
                if status.progress is not None:
                    pct = max(0.0, min(100.0, status.progress))
                    self.report("rendering", f"⏳ Rendering… {pct:.0f}%", pct / 100)
                else:
                    self.report("rendering", "⏳ Rendering…", None)
            if self.clock() - started > self.max_wait_s:
                raise RenderTimeoutError(
                    f"The render has not finished after {self.max_wait_s / 60:.0f} minutes. It may still "
                    "complete: ask for this job again to keep waiting (nothing is rendered twice)."
                )

    async def _deliver(self, status: RenderStatus, draft: Any) -> ExportView:
        assert status.output_url is not None
        self.report("downloading", "Downloading the MP4…", 0.0)
        if draft is None:
            draft = await self._draft_for_name()  # a resumed render: the file is still named after its title
        name = safe_filename(f"{_title_of(draft)}-{status.id}")

        def progress(done: int, total: int | None) -> None:
            if total:
                self.report("downloading", f"Downloading… {done * 100 // total}%", done / total)

        try:
            path = await self.client.download(status.output_url, self.dest_dir, name, on_progress=progress)
        except (APIError, BackendUnavailableError) as exc:
            log.info("output URL download failed (%s); using the fallback route", type(exc).__name__)
            path = await self.client.download_render_fallback(status.id, self.dest_dir, name, on_progress=progress)
        link: str | None
        try:
            link = await self.client.task_link(self.session)
        except KlingError:
            link = None  # the video is delivered; a missing link is not worth failing for
        info = read_mp4_info(path)
        size_bytes = path.stat().st_size
        shape = f"{info.width}×{info.height}, " if info.width and info.height else ""
        length = f"{info.duration_s:.1f} s, " if info.duration_s else ""
        return ExportView(
            message=f"✅ Video ready: {path} ({shape}{length}{size_bytes / 1e6:.1f} MB)",
            path=str(path),
            url=status.output_url,
            render_id=status.id,
            task_link=link,
            size_bytes=size_bytes,
            duration_s=info.duration_s,
            width=info.width,
            height=info.height,
        )

    async def _draft_for_name(self) -> Any:
        try:
            return (await self.client.state(self.session)).state.draft
        except KlingError:
            return None  # the video is what matters; a generic name will do


def draft_digest(draft: Any) -> str:
    """What a timeline is, as one string: equal drafts (whatever the key order) have equal digests."""
    canonical = json.dumps(draft, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _title_of(draft: Any) -> str:
    meta = draft.get("m") if isinstance(draft, dict) else None
    title = meta.get("title") if isinstance(meta, dict) else None
    return title if isinstance(title, str) and title.strip() else "kling-video"
