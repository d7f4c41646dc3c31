"""``kling-ai-30 chat``: a terminal conversation in which Claude drives the skill's tools."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

import anyio
import httpx

from ..assistant import ChatCallbacks, ClaudeChat, api_problem, default_model
from ..skill import read_skill_text, skill_body
from .exit_codes import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    import httpx2  # the anthropic SDK's HTTP stack (a fork of httpx)

NO_KEY = """\
kling-ai-30 chat needs an Anthropic API key: create one at https://console.anthropic.com/settings/keys
and run `export ANTHROPIC_API_KEY=...`, then try again.

No key? Use the skill inside Claude Desktop, Claude Code or Cursor instead (the MCP server:
`kling-ai-30 serve`, see the README), or drive the tools yourself: `kling-ai-30 generate "..."`."""

GREETING = "Send me your text prompts or images and I'll make the video. (Ctrl-D to quit)"


async def run_chat(
    args: argparse.Namespace,
    *,
    anthropic_http: httpx2.AsyncClient | None = None,
    backend_transport: httpx.AsyncBaseTransport | None = None,
    read_line: Any = None,
) -> int:
    """Run the chat; tests inject the Anthropic HTTP client, the backend transport and the input."""
    if not os.environ.get("ANTHROPIC_API_KEY") and anthropic_http is None:
        print(NO_KEY, file=sys.stderr)
        return EXIT_USAGE
    from anthropic import APIError, AsyncAnthropic
    from mcp import Client

    from ..mcp_server.server import build_server
    from .local_run import command_backend

    reader = read_line or _read_line
    with command_backend(args) as backend:
        server = build_server(backend.settings, transport=backend_transport or backend.transport)
        anthropic = AsyncAnthropic(http_client=anthropic_http) if anthropic_http else AsyncAnthropic()
        async with Client(server) as tools:
            chat = ClaudeChat(
                anthropic=anthropic,
                tools_client=tools,
                system=skill_body(read_skill_text()),
                model=args.model or default_model(),
            )
            print(GREETING)
            callbacks = ChatCallbacks(
                on_text=lambda text: print(text, end="", flush=True),
                on_tool=lambda name, tool_args: print(f"\n  ⚙ {name}…", file=sys.stderr, flush=True),
                on_tool_done=lambda name, message, is_error: print(
                    f"  {'✗' if is_error else '✓'} {name}", file=sys.stderr, flush=True
                ),
                on_progress=lambda message: print(f"    {message}", file=sys.stderr, flush=True),
            )
            while True:
                line = await reader("\nyou> ")
                if line is None:
                    print()
                    return EXIT_OK
                if not line.strip():
                    continue
                print("claude> ", end="", flush=True)
                try:
                    await chat.turn(line, callbacks)
                except APIError as exc:  # connection refused, 401, 529…: say so, keep the chat going
                    print(f"\n  ✗ {api_problem(exc, chat.model)}", file=sys.stderr, flush=True)
                    continue
                print()


async def _read_line(prompt: str) -> str | None:
    def read() -> str | None:
        try:
            return input(prompt)
        except EOFError:
            return None

    return await anyio.to_thread.run_sync(read, abandon_on_cancel=True)
