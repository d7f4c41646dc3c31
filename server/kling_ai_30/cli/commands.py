"""The commands: each builds a ``Workspace`` (the same one the MCP server uses) and reports."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from ..config import load_settings
from ..errors import ConfigError, InputError, KlingError
from ..jobs.job import Job, JobKind, JobStatus
from ..jobs.manager import JobUpdate
from .main import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNNING, EXIT_USAGE
from .progress import ProgressLine

if TYPE_CHECKING:
    # The workspace pulls in the whole client and chat stack: imported when a command needs it,
    # so `serve` (whose workspace is built on the first tool call) starts fast.
    from ..actions.workspace import Workspace

ACCEPT_WAIT_S = 60.0
"""How long ``--wait`` may be stretched for the backend to accept a message (a slow connect)."""


@dataclass
class RunState:
    """What an interrupted command needs to tell the user."""

    job: Job | None = None
    local: bool = False


def run(args: argparse.Namespace) -> int:
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
        if command == "route":
            return _route(args)
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
    (configured by ``sim``)."""
    with local_backend_url(args, **(sim or {})) as local_url:
        if local_url is not None:
            overrides = {"api_url": local_url, "web_url": local_url, **overrides}
        from ..actions.workspace import Workspace

        settings = load_settings(None, **overrides)
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


@contextlib.contextmanager
def local_backend_url(args: argparse.Namespace, **config: Any) -> Iterator[str | None]:
    if not getattr(args, "local", False):
        yield None
        return
    local = _local_module()
    backend = local.LocalBackend(local.SimConfig(**config))
    try:
        with local.run_in_thread(backend) as url:
            yield url
    finally:
        backend.close()


def _local_module() -> Any:
    try:
        from .. import local
    except ImportError as exc:  # av / pillow / numpy missing
        raise ConfigError(
            f"The local backend needs the 'local' extra ({exc.name} is missing): pip install 'kling-ai-30[local]'."
        ) from None
    return local


# --------------------------------------------------------------- commands


def _route(args: argparse.Namespace) -> int:
    from ..router import route

    text = " ".join(args.text)
    plan = route(text, args.attach)
    data = plan.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for number, step in enumerate(plan.steps, start=1):
            detail = step.source or step.text or ""
            skip = "answered directly" if step.skip_sse else "sent to the video assistant"
            print(f"{number}. {step.action.value} ({skip}){': ' + detail if detail else ''}")
    return EXIT_OK


async def _serve(args: argparse.Namespace) -> int:
    from ..mcp_server.server import build_server

    with local_backend_url(args) as local_url:
        overrides = {"api_url": local_url, "web_url": local_url} if local_url else {}
        server = build_server(load_settings(None, **overrides))
        if args.http:
            await server.run_streamable_http_async(host=args.host, port=args.port)
        else:
            await server.run_stdio_async()
    return EXIT_OK


def _sim(args: argparse.Namespace) -> int:
    try:
        local = _local_module()
    except ConfigError as exc:
        emit_error(args, exc)
        return EXIT_USAGE
    with local.LocalBackend(local.SimConfig()) as backend:
        local.serve(backend, host=args.host, port=args.port, on_ready=partial(_sim_ready, args))
    return EXIT_OK


def _sim_ready(args: argparse.Namespace, url: str) -> None:
    if args.json:
        print(json.dumps({"url": url}), flush=True)
    else:
        print(f"Local NemoVideo backend on {url}", flush=True)
        print(f"Use it with: NEMO_API_URL={url} NEMO_WEB_URL={url} kling-ai-30 …   (Ctrl-C stops it)", flush=True)


async def _credits(args: argparse.Namespace, workspace: Workspace, state: RunState) -> int:
    from ..actions.workspace import credits_view

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
    if outcome.reused_job:
        progress.done(f"Your previous request is still running (job {outcome.job.id}); not sending it again.")
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
    if finished.status is JobStatus.RUNNING:
        return EXIT_RUNNING
    return EXIT_OK if finished.status is JobStatus.DONE else EXIT_FAILED


# ---------------------------------------------------------------- output


def job_view(job: Job) -> dict[str, Any]:
    data: dict[str, Any] = {"job_id": job.id, "kind": job.kind.value, "status": job.status.value, "phase": job.phase}
    if job.status is JobStatus.DONE and job.result:
        data.update(job.result)
    elif job.status is JobStatus.FAILED:
        data["error"] = job.error
        data["message"] = (job.error or {}).get("message", job.message)
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
