"""One tool call, the same way for every tool: its workspace and project, its progress
notifications, its failure as an ``isError`` result, and its result as text plus structured content.

    async with tool_call(ctx, project) as call:
        view = await call.workspace.state(call.project, on_progress=call.progress)
        return call.result(view)

Whose work it is: every call has a principal (``principal_of``) and works in one of their projects,
the one the call names or else their last one — never a project keyed by the MCP session, which a
reconnect, a restart or the stateless 2026-07-28 protocol would lose or let another caller present.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent

from ..errors import KlingError
from ..policy import CLAUDE_CODE_WAIT_S, DEFAULT_WAIT_S
from ..progress import Progress
from ..workspace.projects import LOCAL_PRINCIPAL
from .host import workspace_of
from .json_logs import log_context
from .principals import token_principal
from .studio.poster import poster_jpeg
from .tasks.negotiation import becomes_task, is_task_call

if TYPE_CHECKING:
    from ..results import View
    from ..workspace.outcome import JobResult, Outcome
    from ..workspace.projects import ProjectRef
    from ..workspace.workspace import Workspace

log = logging.getLogger(__name__)


class ToolCall:
    def __init__(self, ctx: Context, workspace: Workspace, principal: str, project: ProjectRef) -> None:
        self._ctx = ctx
        self.workspace = workspace
        self.principal = principal
        self.project = project
        self._last = 0.0

    async def progress(self, update: Progress) -> None:
        """A progress notification; values only ever go up (the spec requires it)."""
        if update.fraction is not None:
            value = max(self._last + 0.01, update.fraction * 100)
            total: float | None = 100.0 if value <= 100 else None
        else:
            value, total = self._last + 1, None
        self._last = value
        await self._ctx.report_progress(value, total, update.message or update.phase)

    async def follow(self, outcome: Outcome, wait_seconds: float | None) -> CallToolResult:
        """Wait for the outcome's job within the call's budget, and report it."""
        budget = wait_seconds if wait_seconds is not None else _default_wait(self._ctx)
        if is_task_call(self._ctx.request_context):
            budget = 0.0  # a task: the handle goes back at once (``tasks.extension``), the client polls
        result = await self.workspace.follow(outcome, budget, follow_up, on_progress=self.progress)
        if result.export is not None:  # the poster is decoded here, off the event loop; the result finds it cached
            await anyio.to_thread.run_sync(poster_jpeg, Path(result.export.path))
        return self.job_result(result)

    def job_result(self, result: JobResult) -> CallToolResult:
        if not (is_task_call(self._ctx.request_context) and becomes_task(result)):
            # A task handle replaces this result: what the user must hear waits for the task's result.
            result.message = self.told(result.message)
        _log_answer(result)
        return job_tool_result(result)

    def result(self, view: View, *, video: Path | None = None, is_error: bool = False) -> CallToolResult:
        view.message = self.told(view.message)
        _log_answer(view)
        return tool_result(view, video=video, is_error=is_error)

    def told(self, message: str) -> str:
        """``message`` after anything the user must know that no result says (a damaged saved file set
        aside, a session the backend lost), on success and failure alike; this project's only."""
        return with_notices(self.workspace.notices(self.project), message)


def with_notices(notices: list[str], message: str) -> str:
    return "\n".join(notices) + "\n\n" + message if notices else message


def job_tool_result(result: JobResult) -> CallToolResult:
    """A ``generate``, ``export`` or ``job`` result: the MP4 linked with its poster still, an error result
    when the job failed. A finished task's result is read through here too, so it is what ``job`` says."""
    video = Path(result.export.path) if result.export is not None else None
    poster = poster_jpeg(video) if video is not None else None
    return tool_result(result, video=video, poster=poster, is_error=result.status == "failed")


def tool_result(
    view: View, *, video: Path | None = None, poster: bytes | None = None, is_error: bool = False
) -> CallToolResult:
    """The message as text (plus a link to the MP4 and its ``poster`` still, so the assistant sees what
    it made) and the view as structured content, on failure too (``is_error``), so a client always
    gets the job id and the error type."""
    content: list[Any] = [TextContent(type="text", text=view.message)]
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
        if poster is not None:
            content.append(ImageContent(type="image", data=base64.b64encode(poster).decode(), mime_type="image/jpeg"))
    return CallToolResult(content=content, structured_content=view.model_dump(mode="json"), is_error=is_error)


@asynccontextmanager
async def tool_call(ctx: Context, project: str | None = None) -> AsyncIterator[ToolCall]:
    """The call's ``ToolCall`` (in ``project``, or the caller's last one); a ``KlingError`` raised
    inside becomes the tool's error result."""
    try:
        workspace = await workspace_of(ctx.request_context)
        principal = principal_of(ctx)
        ref = workspace.project_ref(principal, project)
    except KlingError as exc:  # settings unusable, a bad project name: say so
        raise ToolError(str(exc)) from None
    call = ToolCall(ctx, workspace, principal, ref)
    with log_context(principal=principal, tool=_tool_name(ctx)):
        try:
            yield call
        except KlingError as exc:
            log.info("failed: %s", type(exc).__name__)
            raise ToolError(call.told(str(exc))) from None


def principal_of(ctx: Context) -> str:
    """Who is calling: on stdio the local user; over HTTP the principal the bearer token belongs to
    (``principals``) — the local user for the server's own token, each person's name for a
    ``--tokens-file``, a name from the OAuth subject — and the local user under ``--no-auth``."""
    return request_principal(ctx.request_context)


def request_principal(ctx: ServerRequestContext[Any, Any]) -> str:
    """``principal_of`` from the request alone: the Tasks extension's methods have no tool context."""
    principal = token_principal(ctx.request)
    return principal if principal is not None else LOCAL_PRINCIPAL


def _log_answer(view: View) -> None:
    """One log line per answer (JSON under ``serve --http``), with its job and status when it has them."""
    status = getattr(view, "status", None)
    log.info("answered %s", status or "ok", extra={"job_id": getattr(view, "job_id", None), "status": status})


def _tool_name(ctx: Context) -> str | None:
    params = ctx.request_context.params
    name = params.get("name") if isinstance(params, Mapping) else None
    return name if isinstance(name, str) else None


def follow_up(job_id: str) -> str:
    """How an MCP client follows a running job up."""
    return "call the job tool with this id to keep waiting"


def _default_wait(ctx: Context) -> float:
    client = ""
    params = getattr(ctx.session, "client_params", None)
    if params is not None and getattr(params, "client_info", None) is not None:
        client = params.client_info.name.lower()
    if "claude-code" in client or client == "claude code":
        return CLAUDE_CODE_WAIT_S
    return DEFAULT_WAIT_S
