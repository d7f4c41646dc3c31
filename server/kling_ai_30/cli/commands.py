"""The commands: each opens a ``Workspace`` (the same one the MCP server uses) and reports."""

from __future__ import annotations

import argparse
import errno
import json
import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from ..client.tls import preload as preload_tls
from ..config import Settings
from ..errors import ConfigError, InputError, JobError, KlingError
from .exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, exit_code_for
from .local_run import command_backend, local_module, saved_offline_job
from .output import emit, emit_error
from .progress import ProgressLine
from .running import RunState, follow, follow_up, hangup_as_interrupt, open_workspace, tell_interrupted

if TYPE_CHECKING:
    from ..mcp_server.http_options import HttpOptions
    from ..workspace.outcome import Outcome
    from ..workspace.projects import ProjectRef
    from ..workspace.workspace import Workspace


def run(args: argparse.Namespace) -> int:
    state = RunState(local=bool(getattr(args, "local", False)))
    with hangup_as_interrupt():
        if args.command == "sim":
            # uvicorn installs its Ctrl-C/SIGTERM handlers only on the main thread, outside any event loop.
            return _sim(args)
        if args.command == "local":
            from .local_command import run_local

            return run_local(args)
        try:
            return anyio.run(partial(_dispatch, args, state))
        except KeyboardInterrupt:
            pass
        except BaseExceptionGroup as group:
            # A hangup in a process that ignores Ctrl-C is raised where the code runs, and reaches
            # here inside the task groups it passed through.
            if group.split(KeyboardInterrupt)[1] is not None:
                raise
        tell_interrupted(state)
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
        if command == "doctor":
            from .doctor import run_doctor

            return await run_doctor(args)
        async with open_workspace(args) as (workspace, ref):
            handler = {
                "credits": _credits,
                "state": _state,
                "upload": _upload,
                "generate": _generate,
                "export": _export,
                "job": _job,
                "history": _history,
                "projects": _projects,
            }[command]
            return await handler(args, workspace, ref, state)
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


# --------------------------------------------------------------- commands


async def _serve(args: argparse.Namespace) -> int:
    preload_tls()  # overlaps the MCP SDK's import: the first tool call finds it loaded
    options = _http_options(args)
    if not args.http:
        given = [name for name, value in _http_only(args).items() if value]
        if given:
            raise ConfigError(f"Options for streamable HTTP only: {', '.join(given)}. Add --http to serve over HTTP.")
        from ..mcp_server.server import build_server

        with command_backend(args) as backend:
            await build_server(backend.settings, transport=backend.transport).run_stdio_async()
        return EXIT_OK
    from ..mcp_server.http_serve import serve_http

    # An HTTP server is operated, not watched in a chat host's log pane: its lines are worth keeping.
    logging.getLogger().setLevel(logging.DEBUG if args.verbose else logging.INFO)
    for chatty in ("mcp", "uvicorn.error"):  # a line per request and per session, said better by ours
        logging.getLogger(chatty).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    with command_backend(args) as backend:
        try:
            await serve_http(options, backend.settings, transport=backend.transport)
        except OSError as exc:
            raise ConfigError(_cannot_listen(args.host, args.port, exc)) from None
    return EXIT_OK


def _http_options(args: argparse.Namespace) -> HttpOptions:
    from ..mcp_server.bearer_tokens import token_from_environment
    from ..mcp_server.http_options import HttpOptions

    return HttpOptions(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        token_file=args.token_file,
        tokens_file=args.tokens_file,
        env_token=token_from_environment(),
        no_auth=args.no_auth,
        oauth_issuer=args.oauth_issuer,
        oauth_audience=args.oauth_audience,
        oauth_scopes=tuple(args.oauth_scope),
        allow_hosts=tuple(args.allow_host),
        accounts=args.accounts,
        token_dir=Settings().config_dir,  # the usual one, also under --local (its folders are the offline project's)
    )


def _http_only(args: argparse.Namespace) -> dict[str, object]:
    return {
        "--token-file": args.token_file,
        "--tokens-file": args.tokens_file,
        "--oauth-issuer": args.oauth_issuer,
        "--oauth-audience": args.oauth_audience,
        "--oauth-scope": args.oauth_scope,
        "--no-auth": args.no_auth,
        "--allow-host": args.allow_host,
        "--public-url": args.public_url,
        "--accounts": args.accounts != "shared",
    }


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


async def _credits(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    emit(args, await workspace.credits(ref))
    return EXIT_OK


async def _state(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    progress = _progress(args)
    view = await workspace.state(ref, on_progress=progress.show)
    progress.done()
    emit(args, view)
    return EXIT_OK


async def _upload(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    from ..results import UploadView

    progress = _progress(args)
    files = []
    messages: list[str] = []
    for source in args.sources:
        is_url = "://" in source  # ftp:// and friends are refused by the URL checks, not taken as paths
        view = await workspace.upload(
            ref,
            path=None if is_url else str(Path(source).expanduser().absolute()),
            url=source if is_url else None,
            on_progress=progress.show,
        )
        files.extend(view.files)
        messages.append(view.message)
    progress.done()
    emit(args, UploadView(files=files, message="\n".join(messages)))
    return EXIT_OK


async def _generate(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    progress = _progress(args)
    attachments = [str(Path(a).expanduser().absolute()) for a in args.attach]
    outcome = await workspace.request(
        " ".join(args.text),
        ref,
        attachments=attachments,
        output_dir=_output_dir(args),
        auto_export=not args.no_export,
        on_progress=progress.show,
    )
    lead = outcome.lead(follow_up(args))
    if outcome.reused and not outcome.same_request and lead:
        progress.done()
        emit_error(args, JobError(lead))  # nothing of this request was done: a failure for a script
        return EXIT_FAILED
    return await _follow(args, workspace, state, outcome, progress)


async def _export(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    progress = _progress(args)
    outcome = await workspace.export(
        ref, output_dir=_output_dir(args), fresh=args.new_render, on_progress=progress.show
    )
    return await _follow(args, workspace, state, outcome, progress)


async def _job(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    try:
        outcome = await workspace.job(args.job_id, ref.principal)
    except JobError as exc:
        if args.local or not saved_offline_job(args.job_id):
            raise
        # Offline jobs live in the offline project, apart from the real backend's.
        raise JobError(f"{exc} It is a job of the offline project: add --local.") from None
    return await _follow(args, workspace, state, outcome, _progress(args))


async def _history(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    emit(args, workspace.history(ref.principal, project=args.project, limit=args.limit))
    return EXIT_OK


async def _projects(args: argparse.Namespace, workspace: Workspace, ref: ProjectRef, state: RunState) -> int:
    emit(args, workspace.projects(ref.principal))
    return EXIT_OK


async def _follow(
    args: argparse.Namespace, workspace: Workspace, state: RunState, outcome: Outcome, progress: ProgressLine
) -> int:
    result = await follow(args, workspace, state, outcome, progress)
    emit(args, result)
    return exit_code_for(result.status, result.error_type)


def _progress(args: argparse.Namespace) -> ProgressLine:
    return ProgressLine(enabled=not (args.quiet or args.json))


def _output_dir(args: argparse.Namespace) -> Path | None:
    raw = getattr(args, "output_dir", None)
    return Path(raw).expanduser().absolute() if raw else None
