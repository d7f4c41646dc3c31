"""A command's workspace and the job it follows: opened for the command, followed with a live
status line, and told to the user when the command is interrupted (Ctrl-C, or the terminal closed)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any

from ..client.tls import preload as preload_tls
from .local_run import command_backend
from .output import emit_notices
from .progress import ProgressLine

if TYPE_CHECKING:
    # The workspace pulls in the whole client and chat stack: imported when a command needs it,
    # so `--help` and `route` stay fast.
    from ..workspace.outcome import FollowUp, JobResult, Outcome
    from ..workspace.projects import ProjectRef
    from ..workspace.workspace import Workspace


@dataclass
class RunState:
    """What an interrupted command needs to tell the user."""

    job_id: str | None = None
    local: bool = False


@contextlib.asynccontextmanager
async def open_workspace(
    args: argparse.Namespace, *, sim: dict[str, Any] | None = None, **overrides: Any
) -> AsyncIterator[tuple[Workspace, ProjectRef]]:
    """A workspace for the command, and the project it works in (``--project``, else the user's last
    one): the real backend, or with ``--local`` one started in-process (configured by ``sim``; see
    ``local_run``). Its notes are printed when the command ends."""
    preload_tls()  # overlaps the workspace stack's import
    with command_backend(args, sim=sim, **overrides) as backend:
        from ..workspace.projects import LOCAL_PRINCIPAL
        from ..workspace.workspace import Workspace

        async with Workspace(backend.settings, transport=backend.transport) as workspace:
            ref = workspace.project_ref(LOCAL_PRINCIPAL, getattr(args, "project", None))
            try:
                yield workspace, ref
            finally:
                emit_notices(workspace.notices(ref))


async def follow(
    args: argparse.Namespace, workspace: Workspace, state: RunState, outcome: Outcome, progress: ProgressLine
) -> JobResult:
    """Wait for the outcome's job with a live status line; ``--wait`` bounds the wait (the job goes
    on, and ``kling-ai-30 job <id>`` follows it later)."""

    state.job_id = outcome.job.id
    budget = args.wait if getattr(args, "wait", None) is not None else float("inf")
    # `--wait` counts from when the backend has the message: exiting before that would cut the
    # request off unsent, and `kling-ai-30 job` could then only say so.
    result = await workspace.follow(outcome, budget, follow_up(args), on_progress=progress.show, until_sent=True)
    progress.done()
    state.job_id = None if result.status != "running" else result.job_id
    return result


def follow_up(args: argparse.Namespace) -> FollowUp:
    """The command that picks a job up again, with ``--local`` when this command ran offline (the
    offline project keeps its jobs apart from the real backend's)."""
    local = " --local" if getattr(args, "local", False) else ""

    def command(job_id: str) -> str:
        return f"it keeps running; check on it with: kling-ai-30 job {job_id}{local}"

    return command


@contextlib.contextmanager
def hangup_as_interrupt() -> Iterator[None]:
    """While the block runs, SIGHUP (the terminal was closed) stops the command the way Ctrl-C does.

    Its default would end the process on the spot, leaving the local backend's and a ``--local``
    run's temporary folders behind. Instead it goes to whichever Ctrl-C handler is in charge: the
    event loop's, uvicorn's (``sim``), or Python's KeyboardInterrupt; each unwinds, so every
    ``with`` that owns a folder removes it. A process started under ``nohup`` keeps ignoring it.
    """
    if (
        not hasattr(signal, "SIGHUP")  # Windows
        or threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGHUP) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGHUP, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # Called rather than raised as SIGINT: a process started in the background by a script ignores
    # SIGINT, and a hangup must still stop it.
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        raise KeyboardInterrupt


def tell_interrupted(state: RunState) -> None:
    lines = ["Interrupted."]
    if state.job_id is not None and not state.local:
        lines.append(
            f"The backend keeps working on it (nothing was cancelled or sent twice). Pick it up with: "
            f"kling-ai-30 job {state.job_id}"
        )
    elif state.job_id is not None:
        # The offline project keeps the job: a message in hand is answered before the local backend
        # stops, and a render it stopped is started again when the job is picked up.
        lines.append(f"Nothing is lost. Pick it up with: kling-ai-30 job {state.job_id} --local")
    # After SIGHUP the terminal may be gone: nobody to tell, and the cleanup has already run.
    with contextlib.suppress(OSError):
        print("\n" + "\n".join(lines), file=sys.stderr)
