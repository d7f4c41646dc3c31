"""The contract's tools. Each is thin: its arguments (the SDK builds the schemas from these
signatures), one workspace call, and the result (``tool_call``: progress, errors, shaping)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver import AcceptedElicitation, Context, ElicitationResult, MCPServer, Resolve
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from ..policy import MAX_MESSAGE_CHARS, WAIT_ARGUMENT_MAX_S
from ..results import CreditsView, StateView, UploadView
from ..studio import studio_meta
from ..workspace.history import HistoryView, ProjectsView
from ..workspace.outcome import JobResult
from .spend import SpendConfirmation, confirm_spend
from .tool_call import tool_call

if TYPE_CHECKING:
    from .host import WorkspaceHost

ProjectName = Annotated[
    str | None,
    Field(
        description="Which of the user's projects (a name; letters, digits, '.', '_', '-'). Default: the last "
        "one used. A new name starts a new project.",
        max_length=64,
    ),
]

WaitBeforeJobId = Annotated[
    float | None,
    Field(description="How long to wait before returning a job_id (default ~45 s).", ge=0, le=WAIT_ARGUMENT_MAX_S),
]
"""``generate``, ``export`` and ``job``: past it the job keeps running and the call returns its id."""

_READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True, destructive_hint=False)
_SPENDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
# Each call renders again and writes a new file ("name (2).mp4"): not idempotent, though free.
_RENDERS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
# Asking again only waits again; resuming an interrupted export writes its one MP4.
_FOLLOWS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)


def _tool(server: MCPServer[WorkspaceHost], **options: Any) -> Callable[[Any], Any]:
    """``server.tool`` with the docstring as the description, its indentation removed (Python 3.11
    keeps it, and clients show the description as written)."""

    def register(function: Any) -> Any:
        server.tool(description=inspect.cleandoc(function.__doc__ or ""), **options)(function)
        return function

    return register


def register_tools(server: MCPServer[WorkspaceHost]) -> None:
    @_tool(server, title="Upload media", annotations=_SPENDS, meta=studio_meta())
    async def upload(
        ctx: Context,
        path: Annotated[
            str | None,
            Field(
                description="Absolute path of an image, video or audio file on the server's machine (max 200 MB); "
                "on a shared HTTP server only its own user may name one: others give a url."
            ),
        ] = None,
        url: Annotated[str | None, Field(description="Public http(s) link to an image, video or audio file.")] = None,
        project: ProjectName = None,
    ) -> Annotated[CallToolResult, UploadView]:
        """Upload one photo, clip or audio file (a local path or a URL) into the current video project.
        Formats: mp4 mov avi webm mkv jpg png gif webp mp3 wav m4a aac."""
        async with tool_call(ctx, project) as call:
            view = await call.workspace.upload(call.project, path=path, url=url, on_progress=call.progress)
            return call.result(view)

    @_tool(server, title="Generate or edit the video", annotations=_SPENDS, meta=studio_meta())
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
        confirm: Annotated[ElicitationResult[SpendConfirmation], Resolve(confirm_spend)],
        wait_seconds: WaitBeforeJobId = None,
        project: ProjectName = None,
    ) -> Annotated[CallToolResult, JobResult]:
        """Send a request to the video assistant: generate a clip from a prompt or the uploaded image,
        edit it (music, titles, captions, trim, aspect ratio), or ask anything. SPENDS CREDITS:
        about 100 per generated clip and 50 per edit; checked against the balance first. Export,
        credits and status requests are answered directly, for free, without the chat. Returns
        status "running" and a job_id when it takes longer than the wait."""
        async with tool_call(ctx, project) as call:
            if not (isinstance(confirm, AcceptedElicitation) and confirm.data.go_ahead):
                return await call.follow(call.workspace.not_sent(message, call.project), 0)
            outcome = await call.workspace.request(message, call.project, on_progress=call.progress)
            return await call.follow(outcome, wait_seconds)

    @_tool(server, title="Credit balance", annotations=_READ_ONLY)
    async def credits(ctx: Context, project: ProjectName = None) -> Annotated[CallToolResult, CreditsView]:
        """The account's credits: available, frozen (reserved for work in progress) and total."""
        async with tool_call(ctx, project) as call:
            return call.result(await call.workspace.credits(call.project, on_progress=call.progress))

    @_tool(server, title="Timeline state", annotations=_READ_ONLY, meta=studio_meta())
    async def state(ctx: Context, project: ProjectName = None) -> Annotated[CallToolResult, StateView]:
        """The current project's timeline: a one-line summary plus its tracks and segments."""
        async with tool_call(ctx, project) as call:
            return call.result(await call.workspace.state(call.project, on_progress=call.progress))

    @_tool(server, title="Export the MP4", annotations=_RENDERS, meta=studio_meta())
    async def export(
        ctx: Context,
        output_dir: Annotated[
            str | None,
            Field(
                description="Absolute folder for the MP4 (default: the user's kling-ai-30 videos folder); "
                "on a shared HTTP server only its own user may choose one."
            ),
        ] = None,
        wait_seconds: WaitBeforeJobId = None,
        project: ProjectName = None,
        new_render: Annotated[
            bool, Field(description="Render again even if this timeline was already exported unchanged.")
        ] = False,
    ) -> Annotated[CallToolResult, JobResult]:
        """Render the current timeline to an MP4 (free, ~30-90 s), download it and return its absolute
        path, the download URL and a link to the project. A timeline already exported unchanged is not
        rendered again: its MP4 is returned. Returns status "running" and a job_id when it takes longer
        than the wait."""
        async with tool_call(ctx, project) as call:
            folder = Path(output_dir) if output_dir else None  # the workspace checks it (absolute, writable)
            outcome = await call.workspace.export(
                call.project, output_dir=folder, fresh=new_render, on_progress=call.progress
            )
            return await call.follow(outcome, wait_seconds)

    @_tool(server, title="Follow a job", annotations=_FOLLOWS, meta=studio_meta())
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
        async with tool_call(ctx) as call:
            return await call.follow(await call.workspace.job(job_id, call.principal), wait_seconds)

    @_tool(server, title="History of work", annotations=_READ_ONLY)
    async def history(
        ctx: Context,
        project: Annotated[
            str | None, Field(description="Only this project's work (default: all of the user's projects).")
        ] = None,
        limit: Annotated[
            int | None, Field(description="How many jobs, newest first (default 20).", ge=1, le=200)
        ] = None,
    ) -> Annotated[CallToolResult, HistoryView]:
        """The user's recent jobs and delivered videos: what was asked, status, when, credits spent, the
        MP4's path and whether it still exists. Free, instant, read from this machine. Use it when the
        user asks what they made, where a video is, or for a job whose id was lost."""
        async with tool_call(ctx) as call:
            return call.result(call.workspace.history(call.principal, project=project, limit=limit or 20))

    @_tool(server, title="Projects", annotations=_READ_ONLY)
    async def projects(ctx: Context) -> Annotated[CallToolResult, ProjectsView]:
        """The user's video projects (each keeps its own timeline) and the one used when none is named.
        Pass project=<name> to other tools to work in another one."""
        async with tool_call(ctx) as call:
            return call.result(call.workspace.projects(call.principal))
