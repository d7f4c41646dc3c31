"""The studio view as an MCP App (the ``io.modelcontextprotocol/ui`` extension, on the SDK's ``Apps``).

- The view, ``ui://kling-ai-30/studio.html`` (``kling_ai_30.studio``), served as
  ``text/html;profile=mcp-app`` with an empty CSP declaration: it loads nothing from anywhere (the
  App SDK and its code are inline; media arrives through the host).
- ``studio_meta()`` (``kling_ai_30.studio``): the ``_meta`` that binds a contract tool to the view
  (``upload``, ``generate``, ``state``, ``export``, ``job``). Hosts without Apps ignore it.
- Two app-only tools (``visibility: ["app"]``: the host hides them from the model and only the view
  may call them): ``studio_upload``, a dropped file in chunks (``partial_uploads``), and
  ``studio_video``, one part of an exported MP4 (``video_parts``).
- The resource template ``kling://video/{render_id}/{part}{?project}``: the same parts, for hosts that
  relay the view's resource reads (the view prefers it; ``Apps`` takes only ``ui://`` resources, so
  it is registered on the server itself by ``register_video_parts``).

Every call works in the caller's project, the one it names or else their last one, exactly as the
contract tools do (``tool_call``); the view passes on the ``project`` its tool call named.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import anyio
from mcp.server.apps import Apps, ResourceCsp, ResourcePermissions
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field

from ...policy import STUDIO_CHUNK_BYTES
from ...studio import STUDIO_URI, VIDEO_PART_URI, view_html
from ..tool_call import tool_call
from ..tools import ProjectName
from .partial_uploads import UPLOAD_ID, PartialUploads
from .video_parts import VideoPart, check_render_id, read_part, unknown_video
from .views import DroppedFileView, VideoPartView

if TYPE_CHECKING:
    from ...workspace.projects import ProjectRef
    from ...workspace.workspace import Workspace
    from ..host import WorkspaceHost

_BASE64_CHUNK_CHARS = -(-STUDIO_CHUNK_BYTES // 3) * 4

_RECEIVES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)
_READS = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def studio_apps() -> Apps:
    """The extension: the view and its app-only tools (one set per server)."""
    apps = Apps()
    apps.add_html_resource(
        STUDIO_URI,
        view_html(),
        name="studio",
        title="Kling studio",
        description="Drop in a photo, follow the work, read the timeline and play the exported video.",
        csp=ResourceCsp(),
        permissions=ResourcePermissions(clipboard_write={}),  # "Copy" of the timeline summary
        prefers_border=True,
    )
    partial_uploads: dict[Path, PartialUploads] = {}

    def partials_of(workspace: Workspace) -> PartialUploads:
        root = workspace.state_dir / "studio-uploads"
        return partial_uploads.setdefault(root, PartialUploads(root))

    @apps.tool(
        resource_uri=STUDIO_URI,
        visibility=["app"],
        name="studio_upload",
        title="Studio: receive a dropped file",
        description="The studio view only: one chunk of a file the user dropped into it. Offset 0 starts "
        "the file (checked like upload: format, content, 200 MB); the chunk that completes it uploads "
        "it into the project, and the result is then the upload's.",
        annotations=_RECEIVES,
    )
    async def studio_upload(
        ctx: Context,
        upload_id: Annotated[str, Field(pattern=UPLOAD_ID.pattern, description="The view's random id for this file.")],
        name: Annotated[str, Field(min_length=1, max_length=255, description="The file's name, with its extension.")],
        total_bytes: Annotated[int, Field(description="The whole file's size, declared with every chunk.")],
        offset: Annotated[int, Field(ge=0, description="Where this chunk starts: the bytes received so far.")],
        data: Annotated[
            str, Field(max_length=_BASE64_CHUNK_CHARS, description=f"The chunk, base64 (≤ {STUDIO_CHUNK_BYTES} bytes).")
        ],
        project: ProjectName = None,
    ) -> Annotated[CallToolResult, DroppedFileView]:
        async with tool_call(ctx, project) as call:
            partials = partials_of(call.workspace)
            partial = partials.add_chunk(call.project, upload_id, name, total_bytes, offset, data)
            if not partial.complete:
                received = f"Received {partial.received_bytes} of {partial.total_bytes} bytes of {name[:80]!r}."
                return call.result(
                    DroppedFileView(
                        message=received,
                        received_bytes=partial.received_bytes,
                        total_bytes=partial.total_bytes,
                        done=False,
                    )
                )
            try:
                uploaded = await call.workspace.upload_received(call.project, partial.path, on_progress=call.progress)
            finally:
                partials.release(partial)
            return call.result(
                DroppedFileView(
                    message=uploaded.message,
                    received_bytes=partial.received_bytes,
                    total_bytes=partial.total_bytes,
                    done=True,
                    files=uploaded.files,
                )
            )

    @apps.tool(
        resource_uri=STUDIO_URI,
        visibility=["app"],
        name="studio_video",
        title="Studio: read the exported video",
        description="The studio view only: one part of an MP4 this project exported (by render id), "
        "base64, for hosts that do not relay resource reads.",
        annotations=_READS,
    )
    async def studio_video(
        ctx: Context,
        render_id: Annotated[str, Field(min_length=1, max_length=128, description="The export's render_id.")],
        part: Annotated[int, Field(ge=0, description="0 to parts - 1.")],
        project: ProjectName = None,
    ) -> Annotated[CallToolResult, VideoPartView]:
        async with tool_call(ctx, project) as call:
            piece = await _read_part(call.workspace, call.project, render_id, part)
            return call.result(
                VideoPartView(
                    message=f"Part {piece.part + 1} of {piece.parts} of video {render_id}.",
                    render_id=render_id,
                    part=piece.part,
                    parts=piece.parts,
                    size_bytes=piece.size_bytes,
                    data=base64.b64encode(piece.data).decode("ascii"),
                )
            )

    return apps


def register_video_parts(server: MCPServer[WorkspaceHost]) -> None:
    """``kling://video/{render_id}/{part}{?project}``: a part of an MP4 the caller's project exported."""

    @server.resource(
        VIDEO_PART_URI,
        name="video_part",
        title="Exported video (one part)",
        description=f"Part {{part}} ({STUDIO_CHUNK_BYTES} bytes each) of an MP4 this project exported; "
        "the studio view reads these to play it.",
        mime_type="video/mp4",
    )
    async def video_part(render_id: str, part: int, ctx: Context, project: str | None = None) -> bytes:
        try:
            async with tool_call(ctx, project) as call:
                return (await _read_part(call.workspace, call.project, render_id, part)).data
        except ToolError as exc:
            raise ResourceError(str(exc)) from None


async def _read_part(workspace: Workspace, ref: ProjectRef, render_id: str, part: int) -> VideoPart:
    path = workspace.exported_video(ref, check_render_id(render_id))
    if path is None:
        raise unknown_video(render_id)
    return await anyio.to_thread.run_sync(read_part, path, render_id, part)
