"""kling-ai-30: ~30-second AI videos from prompts or images through the NemoVideo backend.

The public surface, for programs that drive it directly rather than through the MCP server or
the command line::

    from kling_ai_30 import Workspace, load_settings

    async with Workspace(load_settings()) as workspace:
        outcome = await workspace.request("a 5-second preview of waves at sunset")
        ...

Names load on first use (PEP 562), so ``python -m kling_ai_30 serve`` does not pay for the
client stack before the first tool call.
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> module that defines it
_EXPORTS = {
    "BackendClient": "kling_ai_30.client.backend",
    "ConfigError": "kling_ai_30.errors",
    "Conversation": "kling_ai_30.conversation.turn",
    "InputError": "kling_ai_30.errors",
    "KlingError": "kling_ai_30.errors",
    "RoutePlan": "kling_ai_30.router",
    "Settings": "kling_ai_30.config",
    "SkillIdentity": "kling_ai_30.skill",
    "Workspace": "kling_ai_30.workspace.workspace",
    "build_server": "kling_ai_30.mcp_server.server",
    "load_identity": "kling_ai_30.skill",
    "load_settings": "kling_ai_30.config",
    "route": "kling_ai_30.router",
}

__all__ = sorted(_EXPORTS, key=str.casefold)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kling_ai_30' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
