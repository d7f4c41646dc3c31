"""App-only tools exist only for clients that render MCP Apps.

A host that renders the studio hides ``visibility: ["app"]`` tools from the model (the spec says it
must). A client without Apps does not know that key: it would offer ``studio_upload`` and
``studio_video`` to the model as ordinary tools, and they are useless there (nothing can show their
results). So such a client does not see them in ``tools/list``; everything else is untouched.
(Calling one by name still works as it would from the view: on the caller's own project only.)
The SDK's middleware is its documented place to scope ``tools/list`` to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mcp.server.apps import client_supports_apps
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import ToolBinding


def app_only_names(bindings: Iterable[ToolBinding]) -> frozenset[str]:
    """The names of the tools an extension binds with ``visibility: ["app"]``."""
    return frozenset(
        str(binding.kwargs.get("name") or binding.fn.__name__)
        for binding in bindings
        if (binding.meta or {}).get("ui", {}).get("visibility") == ["app"]
    )


class AppOnlyTools:
    """Server middleware: ``names`` are listed only to clients that negotiated Apps."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        listed = await call_next(ctx)
        if ctx.method != "tools/list" or client_supports_apps(ctx) or not isinstance(listed, dict):
            return listed
        tools = listed.get("tools")
        if isinstance(tools, list):  # the wire form: the chain has serialized the handler's result
            listed["tools"] = [
                tool for tool in tools if not (isinstance(tool, dict) and tool.get("name") in self.names)
            ]
        return listed
