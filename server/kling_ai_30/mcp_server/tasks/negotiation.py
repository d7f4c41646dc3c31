"""Whether a request may be answered with a task (ext-tasks spec, "Capability Negotiation").

Only on the 2026-07-28 wire, and only when the request itself declares the extension in its
``_meta`` client capabilities: "a server MUST NOT return CreateTaskResult to a client that did not
include the extension capability on its request, regardless of prior declarations". Everyone else,
and every 2025-11-25 connection, gets today's results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp.server.context import ServerRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

if TYPE_CHECKING:
    from ...workspace.outcome import JobResult

TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
TASK_TOOLS = frozenset({"generate", "export"})
"""The tools whose calls may become tasks: the two that start jobs (``job`` only follows one, and
``upload`` is one request, over in seconds)."""


def accepts_tasks(ctx: ServerRequestContext[Any, Any]) -> bool:
    """This request may be answered with a task handle."""
    if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
        return False
    capabilities = ctx.session.client_capabilities
    extensions = capabilities.extensions if capabilities is not None else None
    return extensions is not None and TASKS_EXTENSION in extensions


def is_task_call(ctx: ServerRequestContext[Any, Any]) -> bool:
    """This request is a call of a task tool that may be answered with a task handle."""
    params = ctx.params or {}
    return ctx.method == "tools/call" and params.get("name") in TASK_TOOLS and accepts_tasks(ctx)


def becomes_task(result: JobResult) -> bool:
    """A task call's result that a task handle replaces: its job was started by this call and is still
    running. Anything else — done at once, failed, or a busy project's earlier job (nothing of this
    request was sent, and the caller must hear that now) — goes back as it is."""
    return result.status == "running" and not result.reused
