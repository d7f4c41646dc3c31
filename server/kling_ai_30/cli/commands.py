"""The commands: each builds a ``Workspace`` (the same one the MCP server uses) and reports."""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from .. import errors
from ..actions.projects import DEFAULT_PROJECT
from ..errors import ConfigError, InputError, JobError, KlingError
from ..jobs.job import Job, JobKind, JobStatus
from ..jobs.manager import JobUpdate
from ..policy import ACCEPT_WAIT_S
from .local_run import command_settings, local_module
from .main import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNNING, EXIT_USAGE
from .progress import ProgressLine

if TYPE_CHECKING:
    # The workspace pulls in the whole client and chat stack: imported when a command needs it,
    # so `serve` (whose workspace is built on the first tool call) starts fast.
    from ..actions.workspace import Workspace


@dataclass
class RunState:
    """What an interrupted command needs to tell the user."""

    job: Job | None = None
    local: bool = False


def run(args: argparse.Namespace) -> int:
    if getattr(args, "project", None) is None:
        args.project = DEFAULT_PROJECT
    state = RunState(local=bool(getattr(args, "local", False)))
    if args.command == "sim":
        # uvicorn installs its Ctrl-C/SIGTERM handlers only on the main thread, outside any event loop.
        return _sim(args)
    try:
        return anyio.run(partial(_dispatch, args, state))
    except KeyboardInterrupt:
        _interrupted(args, state)
        return EXIT_INTERRUPTED


async def _dispatch(args: argparse.Namespace, state: RunState) -> int:
    command = args.command
    try:
        if command == "serve":
            return await _serve(args)
        if command == "demo":
            from .demo import run_demo

            return await run_demo(args, state)
        if command == "chat":
            from .claude import run_chat

            return await run_chat(args)
        async with open_workspace(args) as workspace:
            handler = {
                "credits": _credits,
                "state": _state,
                "upload": _upload,
                "generate": _generate,
                "export": _export,
                "job": _job,
            }[command]
            return await handler(args, workspace, state)
    except KlingError as exc:
        return _failed(args, exc)
    except BaseExceptionGroup as group:
        # The jobs' task group wraps whatever the command raised; one known error is still just that.
        sole = _sole_error(group)
        if sole is None:
            raise
        return _failed(args, sole)


def _failed(args: argparse.Namespace, exc: KlingError) -> int:
    emit_error(args, exc)
    return EXIT_USAGE if isinstance(exc, InputError | ConfigError) else EXIT_FAILED


def _sole_error(group: BaseExceptionGroup[BaseException]) -> KlingError | None:
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        else:
            leaves.append(current)
    return leaves[0] if len(leaves) == 1 and isinstance(leaves[0], KlingError) else None


# ------------------------------------------------------------------ setup


@contextlib.asynccontextmanager
async def open_workspace(
    args: argparse.Namespace, *, sim: dict[str, Any] | None = None, **overrides: Any
) -> AsyncIterator[Workspace]:
    """A workspace for the command: the real backend, or with ``--local`` one started in-process
    (configured by ``sim``; see ``local_run``)."""
    with command_settings(args, sim=sim, **overrides) as settings:
        from ..actions.workspace import Workspace

        workspace = Workspace(settings, auto_export=not getattr(args, "no_export", False))
        try:
            async with anyio.create_task_group() as group:
                workspace.jobs.attach(group)
                try:
                    yield workspace
                finally:
                    _print_notices(workspace, args)
                    group.cancel_scope.cancel()
        finally:
            # Only once the jobs' group has finished: a job cancelled on exit must not meet a closed
            # client and be saved as failed; it stays "running" for `kling-ai-30 job` to pick up.
            with anyio.CancelScope(shield=True):
                await workspace.aclose()


# --------------------------------------------------------------- commands


async def _serve(args: argparse.Namespace) -> int:
    from ..mcp_server.server import build_server

    with command_settings(args) as settings:
        server = build_server(settings)
        if args.http:
            await server.run_streamable_http_async(host=args.host, port=args.port)
        else:
            await server.run_stdio_async()
    return EXIT_OK


def _sim(args: argparse.Namespace) -> int:
    try:
        local = local_module()
    except ConfigError as exc:
        emit_error(args, exc)
        return EXIT_USAGE
    listening = False

    def ready(url: str) -> None:
        nonlocal listening
        listening = True
        _sim_ready(args, url)

    try:
        with local.LocalBackend(local.SimConfig()) as backend:
            local.serve(backend, host=args.host, port=args.port, on_ready=ready)
    except OSError as exc:
        if listening:
            raise
        emit_error(args, ConfigError(_cannot_listen(args.host, args.port, exc)))
        return EXIT_USAGE
    return EXIT_OK


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"Port {port} is in use: pass --port with a free one (--port 0 picks one)."
    if exc.errno == errno.EACCES:
        return f"Port {port} needs special permissions here: pass --port with one above 1023 (--port 0 picks one)."
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine: pass --host 127.0.0.1."
    return f"Cannot listen on {host}:{port} ({exc.strerror or exc}): pass another --host or --port."


def _sim_ready(args: argparse.Namespace, url: str) -> None:
    if args.json:
        print(json.dumps({"url": url}), flush=True)
    else:
        print(f"Local NemoVideo backend on {url}", flush=True)
        print(f"Use it with: NEMO_API_URL={url} NEMO_WEB_URL={url} kling-ai-30 …   (Ctrl-C stops it)", flush=True)


async def _credits(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    from ..actions.views import credits_view

    view = credits_view(await workspace.credits())
    emit(args, view)
    return EXIT_OK


async def _state(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    progress = _progress(args)
    view = await workspace.state(args.project, on_status=_say(progress))
    progress.done()
    emit(args, view)
    return EXIT_OK


async def _upload(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    progress = _progress(args)
    files: list[dict[str, Any]] = []
    messages: list[str] = []
    for source in args.sources:
        is_url = "://" in source  # ftp:// and friends are refused by the URL checks, not taken as paths
        name = source.rsplit("/", 1)[-1]

        def show(done: int, total: int | None, name: str = name) -> None:
            progress.update(f"Uploading {name}", done / total if total else None)

        result = await workspace.upload(
            args.project,
            path=None if is_url else str(Path(source).expanduser().absolute()),
            url=source if is_url else None,
            on_status=_say(progress),
            on_progress=show,
        )
        files.extend(result["files"])
        messages.append(result["message"])
    progress.done()
    emit(args, {"files": files, "message": "\n".join(messages)})
    return EXIT_OK


async def _generate(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    progress = _progress(args)
    attachments = [str(Path(a).expanduser().absolute()) for a in args.attach]
    outcome = await workspace.handle(
        " ".join(args.text),
        key=args.project,
        attachments=attachments,
        output_dir=_output_dir(args),
        on_status=_say(progress),
    )
    if outcome.job is None:
        progress.done()
        emit(args, {"message": outcome.message, "steps": outcome.steps})
        return EXIT_OK
    if outcome.message and not args.json:
        # Uploads and direct answers that came before the long work: show them as they happen.
        progress.done()
        print(outcome.message, flush=True)
    if outcome.reused_job and not outcome.same_request:
        progress.done()
        job_id = outcome.job.id
        emit_error(
            args,
            JobError(
                f"Your new request was not sent: the previous one (job {job_id}) is still running. Send it again "
                f"when that finishes; follow it with: kling-ai-30 job {job_id}"
            ),
        )
        return EXIT_FAILED
    if outcome.reused_job:
        progress.done(f"This request is already running (job {outcome.job.id}); not sending it again.")
    return await _follow(args, workspace, state, outcome.job, progress, steps=outcome.steps)


async def _export(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    progress = _progress(args)
    job, _ = await workspace.start_export(key=args.project, output_dir=_output_dir(args), on_status=_say(progress))
    return await _follow(args, workspace, state, job, progress)


async def _job(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    progress = _progress(args)
    job = await workspace.job(args.job_id)
    return await _follow(args, workspace, state, job, progress)


async def _follow(
    args: argparse.Namespace,
    workspace: Workspace,
    state: RunState,
    job: Job,
    progress: ProgressLine,
    *,
    steps: list[dict[str, Any]] | None = None,
) -> int:
    """Wait for a job with a live status line; ``--wait`` bounds the wait (the job keeps going)."""

    async def show(update: JobUpdate) -> None:
        fraction = update.progress if update.job.kind is JobKind.EXPORT else None
        progress.update(update.message or update.phase, fraction)

    state.job = job
    budget = args.wait if getattr(args, "wait", None) is not None else float("inf")
    if job.kind is JobKind.GENERATE and not job.accepted:
        # `--wait` counts from when the backend has the message: exiting before that would cut the
        # request off unsent, and `kling-ai-30 job` could then only say so.
        with anyio.move_on_after(ACCEPT_WAIT_S):
            while not (job.accepted or job.finished):
                job = await workspace.jobs.wait(job.id, 0.2, on_update=show)

    finished = await workspace.jobs.wait(job.id, budget, on_update=show)
    progress.done()
    state.job = None if finished.finished else finished
    data = job_view(finished)
    if steps and args.json:
        data["steps"] = steps
    emit(args, data)
    return exit_code(finished)


def exit_code(job: Job) -> int:
    """0 done, 3 still running, 2 failed on the input or the settings (as a usage error), else 1."""
    if job.status is JobStatus.RUNNING:
        return EXIT_RUNNING
    if job.status is JobStatus.DONE:
        return EXIT_OK
    name = (job.error or {}).get("type")
    error = getattr(errors, name, None) if isinstance(name, str) else None
    refused = isinstance(error, type) and issubclass(error, InputError | ConfigError)
    return EXIT_USAGE if refused else EXIT_FAILED


# ---------------------------------------------------------------- output


def job_view(job: Job) -> dict[str, Any]:
    data: dict[str, Any] = {"job_id": job.id, "kind": job.kind.value, "status": job.status.value, "phase": job.phase}
    if job.status is JobStatus.DONE and job.result:
        data.update(job.result)
    elif job.status is JobStatus.FAILED:
        data.update(job.result or {})  # what the job did before it failed (a paid reply is never hidden)
        data["error"] = job.error
        data["message"] = job.failure_text()
    else:
        data["message"] = (
            f"{job.message or 'Still working.'}\nIt keeps running; check on it with: kling-ai-30 job {job.id}"
        )
    return data


def emit(args: argparse.Namespace, data: dict[str, Any]) -> None:
    """The command's result on stdout: the message, or the whole result as JSON."""
    if args.json:
        print(json.dumps(data, ensure_ascii=False, default=str))
        return
    message = data.get("message")
    if message:
        print(message)
    export = data.get("export") if isinstance(data.get("export"), dict) else None
    link = (export or data).get("task_link")
    if link:
        print(f"Open the project: {link}")


def emit_error(args: argparse.Namespace, exc: KlingError) -> None:
    if getattr(args, "json", False):
        print(json.dumps({"error": {"type": type(exc).__name__, "code": exc.code, "message": str(exc)}}))
    else:
        print(f"error: {exc}", file=sys.stderr)


def _print_notices(workspace: Workspace, args: argparse.Namespace) -> None:
    for notice in workspace.notices(getattr(args, "project", None)):
        print(f"note: {notice}", file=sys.stderr)


def _interrupted(args: argparse.Namespace, state: RunState) -> None:
    lines = ["Interrupted."]
    if state.job is not None and not state.local:
        lines.append(
            f"The backend keeps working on it (nothing was cancelled or sent twice). Pick it up with: "
            f"kling-ai-30 job {state.job.id}"
        )
    elif state.local:
        lines.append("The local backend stopped with this command, so its work stopped too.")
    print("\n" + "\n".join(lines), file=sys.stderr)


def _progress(args: argparse.Namespace) -> ProgressLine:
    return ProgressLine(enabled=not (args.quiet or args.json))


def _say(progress: ProgressLine) -> Any:
    async def say(message: str) -> None:
        progress.update(message)

    return say


def _output_dir(args: argparse.Namespace) -> Path | None:
    raw = getattr(args, "output_dir", None)
    return Path(raw).expanduser().absolute() if raw else None
