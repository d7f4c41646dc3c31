"""The MCP server: the contract's six tools over one ``Workspace``.

Tools are thin: validate arguments (the SDK builds the schemas from these signatures), call
the workspace, wait on jobs within a budget while sending progress, and shape the result.
Failures are ``isError`` results whose text says what to do next: ``ToolError`` when there is no
job, and a failed job's ``JobResult`` (job id, error type and code) when there is one.

Waiting: a tool call may be cut at ~60 s (Claude Desktop), backgrounded at 120 s (Claude Code) or
cut at 5 min (Cursor), and a cut cancels the tool's coroutine. The work itself runs as a job in
the lifespan's task group, so the cut never reaches it; the tool returns ``running`` and a
``job_id`` when its budget runs out, and ``job`` picks it up.
"""

from __future__ import annotations

import inspect
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.abc
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import Field

from ..actions.projects import DEFAULT_PROJECT, HTTP_PROJECT_PREFIX
from ..config import Settings, load_settings
from ..errors import KlingError
from ..jobs.job import Job, JobKind, JobStatus, is_job_id
from ..jobs.manager import JobUpdate
from ..policy import CLAUDE_CODE_WAIT_S, DEFAULT_WAIT_S, MAX_MESSAGE_CHARS, WAIT_ARGUMENT_MAX_S
from ..redaction import install_log_redaction
from ..skill import SkillIdentity
from ..timing import Clock, Sleep
from .results import CreditsResult, JobResult, StateResult, UploadResult, job_result

if TYPE_CHECKING:
    import httpx

    from ..actions.workspace import Outcome, Workspace

log = logging.getLogger(__name__)

WaitBeforeJobId = Annotated[
    float | None,
    Field(description="How long to wait before returning a job_id (default ~45 s).", ge=0, le=WAIT_ARGUMENT_MAX_S),
]
"""``generate`` and ``export``: past it the job keeps running and the call returns its id."""

INSTRUCTIONS = """\
Makes ~30-second AI videos through the NemoVideo backend. Use `generate` for anything the user
asks in words (it routes: export/credits/status requests are answered directly; media paths or
URLs in the message are uploaded first); `upload` for a local file path or URL; `export` for the
MP4. Long work returns status "running" with a job_id: tell the user it is still working and call
`job` with that id until status is "done". Never call generate twice for the same request while a
job runs (that would charge twice). Suggest a 5-second preview before a costly 30-second clip.
Show the `message` field to the user; never show tokens or raw JSON."""


class ServerState:
    """What the lifespan owns: the jobs' task group from the start, the workspace from first use.

    The workspace (settings, the backend client, the chat stack and its imports) is built by the
    first tool call, not at start-up: the host gets its ``initialize`` answer fast, and a server
    with bad settings, no network or a bad token still starts, and the tool says what is wrong.
    """

    def __init__(self, make: Callable[[], Workspace], group: anyio.abc.TaskGroup) -> None:
        self._make = make
        self._group = group
        self._workspace: Workspace | None = None
        self._lock = anyio.Lock()

    async def workspace(self) -> Workspace:
        """The workspace, built on first use; a ``ConfigError`` is raised again on each try until fixed."""
        if self._workspace is None:
            async with self._lock:
                if self._workspace is None:
                    workspace = self._make()
                    workspace.jobs.attach(self._group)
                    self._workspace = workspace
        return self._workspace

    async def aclose(self) -> None:
        if self._workspace is not None:
            await self._workspace.aclose()


def build_server(
    settings: Settings | None = None,
    *,
    identity: SkillIdentity | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Sleep = anyio.sleep,
    monotonic: Clock = time.monotonic,
) -> MCPServer[ServerState]:
    """The MCP server. Tests pass ``transport`` (the local backend without sockets), ``sleep``
    (so the backend's "wait 30 s" policies take no time) and ``monotonic`` (so bounded waits, such
    as the 15-minute render limit, run out on a fake clock)."""

    def make_workspace() -> Workspace:
        from ..actions.workspace import Workspace

        return Workspace(settings or load_settings(), identity, transport=transport, sleep=sleep, monotonic=monotonic)

    @asynccontextmanager
    async def lifespan(server: MCPServer[ServerState]) -> AsyncIterator[ServerState]:
        state: ServerState | None = None
        try:
            async with anyio.create_task_group() as group:
                state = ServerState(make_workspace, group)
                try:
                    yield state
                finally:
                    group.cancel_scope.cancel()
        finally:
            # Only after every job task has stopped: one still running would fail on a closed client.
            if state is not None:
                with anyio.CancelScope(shield=True):
                    await state.aclose()

    server: MCPServer[ServerState] = MCPServer(
        name="kling-ai-30",
        title="Kling AI 30-second video (NemoVideo)",
        instructions=INSTRUCTIONS,
        lifespan=lifespan,
        version=_version(identity),
    )
    _register_tools(server)
    install_log_redaction()
    # httpx logs every request at INFO; on stdio that is noise in the host's log, not news.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return server


def _tool(server: MCPServer[ServerState], **options: Any) -> Callable[[Any], Any]:
    """``server.tool`` with the docstring as the description, its indentation removed (Python 3.11
    keeps it, and clients show the description as written)."""

    def register(function: Any) -> Any:
        server.tool(description=inspect.cleandoc(function.__doc__ or ""), **options)(function)
        return function

    return register


def _register_tools(server: MCPServer[ServerState]) -> None:
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True, destructive_hint=False)
    spends = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
    # Each call renders again and writes a new file ("name (2).mp4"): not idempotent, though free.
    renders = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
    # Asking again only waits again; resuming an interrupted export writes its one MP4.
    follows = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

    @_tool(server, title="Upload media", annotations=spends)
    async def upload(
        ctx: Context,
        path: Annotated[
            str | None, Field(description="Absolute path of a local image, video or audio file (max 200 MB).")
        ] = None,
        url: Annotated[str | None, Field(description="Public http(s) link to an image, video or audio file.")] = None,
    ) -> Annotated[CallToolResult, UploadResult]:
        """Upload one photo, clip or audio file (a local path or a URL) into the current video project.
        Formats: mp4 mov avi webm mkv jpg png gif webp mp3 wav m4a aac."""
        workspace = await _workspace(ctx)
        progress = _Progress(ctx)
        try:
            result = await workspace.upload(_key(ctx), path=path, url=url, on_status=progress.say)
        except KlingError as exc:
            raise ToolError(_told(workspace, str(exc), _key(ctx))) from None
        model = UploadResult.model_validate(result)
        return _result(ctx, workspace, model)

    @_tool(server, title="Generate or edit the video", annotations=spends)
    async def generate(
        ctx: Context,
        message: Annotated[
            str,
            Field(
                description="What the user wants, in their words: generate, edit, add music or titles… "
                "Local file paths and media URLs in it are uploaded first.",
                min_length=1,
                max_length=MAX_MESSAGE_CHARS,
            ),
        ],
        wait_seconds: WaitBeforeJobId = None,
    ) -> Annotated[CallToolResult, JobResult]:
        """Send a request to the video assistant: generate a clip from a prompt or the uploaded image,
        edit it (music, titles, captions, trim, aspect ratio), or ask anything. Export, credits and
        status requests are answered directly without the chat. Generating costs credits (~2 per
        second of video); returns status "running" and a job_id when it takes longer than the wait."""
        workspace = await _workspace(ctx)
        progress = _Progress(ctx)
        try:
            outcome = await workspace.handle(message, key=_key(ctx), on_status=progress.say)
        except KlingError as exc:
            raise ToolError(_told(workspace, str(exc), _key(ctx))) from None
        return await _outcome_result(ctx, workspace, outcome, wait_seconds, progress)

    @_tool(server, title="Credit balance", annotations=read_only)
    async def credits(ctx: Context) -> Annotated[CallToolResult, CreditsResult]:
        """The account's credits: available, frozen (reserved for work in progress) and total."""
        workspace = await _workspace(ctx)
        try:
            from ..actions.views import credits_view

            view = credits_view(await workspace.credits())
        except KlingError as exc:
            raise ToolError(_told(workspace, str(exc), _key(ctx))) from None
        return _result(ctx, workspace, CreditsResult.model_validate(view))

    @_tool(server, title="Timeline state", annotations=read_only)
    async def state(ctx: Context) -> Annotated[CallToolResult, StateResult]:
        """The current project's timeline: a one-line summary plus its tracks and segments."""
        workspace = await _workspace(ctx)
        progress = _Progress(ctx)
        try:
            view = await workspace.state(_key(ctx), on_status=progress.say)
        except KlingError as exc:
            raise ToolError(_told(workspace, str(exc), _key(ctx))) from None
        return _result(ctx, workspace, StateResult.model_validate(view))

    @_tool(server, title="Export the MP4", annotations=renders)
    async def export(
        ctx: Context,
        output_dir: Annotated[
            str | None,
            Field(description="Absolute folder for the MP4 (default: the user's kling-ai-30 videos folder)."),
        ] = None,
        wait_seconds: WaitBeforeJobId = None,
    ) -> Annotated[CallToolResult, JobResult]:
        """Render the current timeline to an MP4 (free, ~30-90 s), download it and return its absolute
        path, the download URL and a link to the project. Returns status "running" and a job_id when
        it takes longer than the wait."""
        workspace = await _workspace(ctx)
        progress = _Progress(ctx)
        try:
            folder = Path(output_dir) if output_dir else None  # the workspace checks it (absolute, a folder)
            job, _ = await workspace.start_export(key=_key(ctx), output_dir=folder, on_status=progress.say)
        except KlingError as exc:
            raise ToolError(_told(workspace, str(exc), _key(ctx))) from None
        return await _wait_and_report(ctx, workspace, job, wait_seconds, progress, routed_to=["export"])

    @_tool(server, title="Follow a job", annotations=follows)
    async def job(
        ctx: Context,
        job_id: Annotated[str, Field(description="The job_id from generate or export.", min_length=1, max_length=64)],
        wait_seconds: Annotated[
            float | None,
            Field(description="How long to wait for it to finish (default ~45 s).", ge=0, le=WAIT_ARGUMENT_MAX_S),
        ] = None,
    ) -> Annotated[CallToolResult, JobResult]:
        """Wait for a generate or export job that was still running, and return its result. Jobs keep
        running on the server even after a call returns, and survive a server restart."""
        workspace = await _workspace(ctx)
        if not is_job_id(job_id):
            raise ToolError(f"{job_id[:40]!r} is not a job id; use the job_id a generate or export call returned.")
        try:
            found = await workspace.job(job_id)
        except KlingError as exc:
            raise ToolError(_told(workspace, str(exc), _key(ctx))) from None
        return await _wait_and_report(ctx, workspace, found, wait_seconds, _Progress(ctx))


async def _outcome_result(
    ctx: Context, workspace: Workspace, outcome: Outcome, wait_seconds: float | None, progress: _Progress
) -> CallToolResult:
    routed = [step.action.value for step in outcome.plan.steps]
    extra: dict[str, Any] = {}
    for step in outcome.steps:
        if step["action"] == "credits":
            extra["credits"] = CreditsResult.model_validate({k: v for k, v in step.items() if k != "action"})
        elif step["action"] == "state":
            extra["state"] = StateResult.model_validate({k: v for k, v in step.items() if k != "action"})
        elif step["action"] == "upload":
            extra.setdefault("uploads", []).extend(step.get("files", []))
    if outcome.job is None:
        done = workspace.jobs.record(
            JobKind.GENERATE, _key(ctx), {"message": outcome.message or "Done."}, request={"routed_to": routed}
        )
        return _result(ctx, workspace, job_result(done, routed_to=routed, extra=extra))
    if outcome.message:
        extra["lead"] = outcome.message
    if outcome.reused_job:
        extra["reused"] = True
        if outcome.same_request:
            told = f"This request is already being worked on (job {outcome.job.id}); this message was not sent again."
        else:
            told = (
                f"Your new request was not sent: the previous one (job {outcome.job.id}) was still running in this "
                "project. Send it again when that one finishes."
            )
        extra["lead"] = f"{extra.get('lead', '')}\n{told}".strip()
    return await _wait_and_report(ctx, workspace, outcome.job, wait_seconds, progress, routed_to=routed, extra=extra)


async def _wait_and_report(
    ctx: Context,
    workspace: Workspace,
    job: Job,
    wait_seconds: float | None,
    progress: _Progress,
    *,
    routed_to: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> CallToolResult:
    budget = wait_seconds if wait_seconds is not None else _default_wait(ctx)
    finished = await workspace.jobs.wait(job.id, budget, on_update=progress.send)
    model = job_result(finished, routed_to=routed_to, extra=extra)
    failed = finished.status is JobStatus.FAILED
    if failed and (finished.kind is JobKind.EXPORT or workspace.can_retry(finished)):
        # The id the message's "ask for this job again" needs (a render that outlived the wait).
        model.message += f" (job {finished.id})"
    video = Path(model.export.path) if model.export else None
    return _result(ctx, workspace, model, video=video, is_error=failed)


class _Progress:
    """One tool call's progress notifications: values only ever go up (the spec requires it)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._last = 0.0

    async def say(self, message: str) -> None:
        """A status line with no percentage ("Setting things up...")."""
        self._last += 1
        await self._ctx.report_progress(self._last, None, message)

    async def send(self, update: JobUpdate) -> None:
        if update.progress is not None and update.job.kind is JobKind.EXPORT:
            value = max(self._last + 0.01, update.progress * 100)
            total: float | None = 100.0 if value <= 100 else None
        else:
            value, total = self._last + 1, None
        self._last = value
        await self._ctx.report_progress(value, total, update.message or update.phase)


def _told(workspace: Workspace, message: str, key: str) -> str:
    """``message`` after anything the user must know that no result says (a damaged saved file set
    aside, a session the backend lost), on success and failure alike; project ``key``'s only."""
    notices = workspace.notices(key)
    return "\n".join(notices) + "\n\n" + message if notices else message


def _result(
    ctx: Context, workspace: Workspace, model: Any, *, video: Path | None = None, is_error: bool = False
) -> CallToolResult:
    """The tool's result: the message as text (plus a link to the MP4) and the model as structured
    content, on failure too (``is_error``), so a client always gets the job id and the error type."""
    model.message = _told(workspace, model.message, _key(ctx))
    content: list[Any] = [TextContent(type="text", text=model.message)]
    if video is not None and video.exists():
        content.append(
            ResourceLink(
                type="resource_link",
                uri=video.as_uri(),
                name=video.name,
                title="Exported video",
                mime_type="video/mp4",
                size=video.stat().st_size,
            )
        )
    return CallToolResult(content=content, structured_content=model.model_dump(mode="json"), is_error=is_error)


async def _workspace(ctx: Context) -> Workspace:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, ServerState)
    try:
        return await state.workspace()
    except KlingError as exc:  # settings unusable: say so on every call until they are fixed
        raise ToolError(str(exc)) from None


def _key(ctx: Context) -> str:
    """One project per MCP session over HTTP (clients must not share a timeline); ``default`` on stdio."""
    session_id = (ctx.headers or {}).get("mcp-session-id")
    if session_id:
        cleaned = re.sub(r"[^A-Za-z0-9]", "", str(session_id))[:40]
        if cleaned:
            return f"{HTTP_PROJECT_PREFIX}{cleaned}"
    return DEFAULT_PROJECT


def _default_wait(ctx: Context) -> float:
    client = ""
    params = getattr(ctx.session, "client_params", None)
    if params is not None and getattr(params, "client_info", None) is not None:
        client = params.client_info.name.lower()
    if "claude-code" in client or client == "claude code":
        return CLAUDE_CODE_WAIT_S
    return DEFAULT_WAIT_S


def _version(identity: SkillIdentity | None) -> str:
    if identity is not None:
        return identity.version
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kling-ai-30")
    except PackageNotFoundError:
        return "0"
