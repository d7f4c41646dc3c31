"""Claude drives the skill's tools: the Anthropic Messages API on one side, our MCP server on the other.

The tools Claude sees are exactly the MCP server's (listed and called through an in-memory MCP
client), and its system prompt is SKILL.md's body, so ``kling-ai-30 chat`` behaves like the skill
inside Claude Desktop or Claude Code, from a plain terminal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.types import TextContent

from .config import CLAUDE_MODEL_ENV

if TYPE_CHECKING:
    from anthropic import APIError, AsyncAnthropic
    from mcp import Client

DEFAULT_MODEL = "claude-sonnet-5-5"
MAX_TOKENS = 2048
MAX_TOOL_ROUNDS = 24
"""Tool calls Claude may chain in one turn; a job followed with ``job`` takes a few (our choice)."""

TextFn = Callable[[str], None]
ToolFn = Callable[[str, dict[str, Any]], None]
ToolDoneFn = Callable[[str, str, bool], None]


def default_model() -> str:
    return os.environ.get(CLAUDE_MODEL_ENV, "").strip() or DEFAULT_MODEL


@dataclass
class ChatCallbacks:
    on_text: TextFn = lambda text: None
    on_tool: ToolFn = lambda name, args: None
    on_tool_done: ToolDoneFn = lambda name, message, is_error: None
    on_progress: Callable[[str], None] = lambda message: None


@dataclass
class ClaudeChat:
    """A conversation in which Claude may call the skill's tools."""

    anthropic: AsyncAnthropic
    tools_client: Client
    system: str
    model: str = field(default_factory=default_model)
    messages: list[dict[str, Any]] = field(default_factory=list)
    _tools: list[dict[str, Any]] | None = None

    async def tool_definitions(self) -> list[dict[str, Any]]:
        """The MCP tools as Anthropic tool definitions (name, description, JSON Schema)."""
        if self._tools is None:
            listed = await self.tools_client.list_tools()
            self._tools = [
                {"name": tool.name, "description": tool.description or tool.name, "input_schema": tool.input_schema}
                for tool in listed.tools
            ]
        return self._tools

    async def turn(self, user_text: str, callbacks: ChatCallbacks | None = None) -> str:
        """One user message; Claude answers, calling tools as often as it needs. Returns its final text.

        Raises ``anthropic.APIError`` when the API fails (``api_problem`` words it); the conversation
        stays usable: a message Claude never answered is taken back, tool results already had stay.
        """
        from anthropic import APIError

        start = len(self.messages)
        self.messages.append({"role": "user", "content": user_text})
        try:
            return await self._turn(callbacks or ChatCallbacks())
        except APIError:
            if len(self.messages) == start + 1:
                self.messages.pop()
            raise

    async def _turn(self, cb: ChatCallbacks) -> str:
        tools = await self.tool_definitions()
        final_text: list[str] = []
        for _round in range(MAX_TOOL_ROUNDS):
            async with self.anthropic.messages.stream(
                model=self.model,
                max_tokens=MAX_TOKENS,
                system=self.system,
                messages=self.messages,  # type: ignore[arg-type]  # plain dicts in the API's wire shape
                tools=tools,  # type: ignore[arg-type]
            ) as stream:
                async for event in stream:
                    if event.type == "content_block_delta" and event.delta.type == "text_delta":
                        cb.on_text(event.delta.text)
                message = await stream.get_final_message()
            content = [block.model_dump(exclude_none=True) for block in message.content]
            self.messages.append({"role": "assistant", "content": content})
            final_text = [block.text for block in message.content if block.type == "text"]
            uses = [block for block in message.content if block.type == "tool_use"]
            if message.stop_reason != "tool_use" or not uses:
                return "".join(final_text)
            results = []
            for use in uses:
                args = dict(use.input) if isinstance(use.input, dict) else {}
                cb.on_tool(use.name, args)
                text, is_error = await self._call_tool(use.name, args, cb)
                cb.on_tool_done(use.name, text, is_error)
                results.append({"type": "tool_result", "tool_use_id": use.id, "content": text, "is_error": is_error})
            self.messages.append({"role": "user", "content": results})
        return "".join(final_text)

    async def _call_tool(self, name: str, args: dict[str, Any], cb: ChatCallbacks) -> tuple[str, bool]:
        async def report(progress: float, total: float | None, message: str | None) -> None:
            if message:
                cb.on_progress(message)

        result = await self.tools_client.call_tool(name, args, progress_callback=report)
        texts = [block.text for block in result.content if isinstance(block, TextContent)]
        text = "\n".join(texts)
        if result.structured_content and not result.is_error:
            # Claude needs the ids and statuses (job_id, status) as well as the readable message.
            text += "\n\n" + json.dumps(result.structured_content, ensure_ascii=False)
        return text or "(no output)", bool(result.is_error)


def api_problem(exc: APIError, model: str) -> str:
    """One line for a failed Anthropic API call: what happened and what to do next."""
    from anthropic import APIConnectionError, APIStatusError, APITimeoutError

    if isinstance(exc, APIConnectionError):
        what = "timed out" if isinstance(exc, APITimeoutError) else "the connection failed"
        return f"Could not reach the Anthropic API ({what}): check the network, then send your message again."
    status = exc.status_code if isinstance(exc, APIStatusError) else None
    if status == 401:
        return (
            "The Anthropic API refused the API key (401): check ANTHROPIC_API_KEY "
            "(keys: https://console.anthropic.com/settings/keys), then start kling-ai-30 chat again."
        )
    if status == 403:
        return "The Anthropic API key may not do this (403): check the key's workspace and permissions."
    if status == 404:
        return f"The Anthropic API does not know the model {model!r} (404): pass --model or set {CLAUDE_MODEL_ENV}."
    if status == 429:
        return "The Anthropic API is rate limiting this key (429): wait a minute, then send your message again."
    if status == 529:
        return "The Anthropic API is overloaded right now (529): wait a minute, then send your message again."
    if status is not None and status >= 500:
        return f"The Anthropic API had a server error ({status}): wait a moment, then send your message again."
    shown = f" ({status})" if status is not None else ""
    return (
        f"The Anthropic API refused the request{shown}: {_api_message(exc)} "
        "Send your message again, or start a new chat if it keeps happening."
    )


def _api_message(exc: APIError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    message = error.get("message") if isinstance(error, dict) else None
    text = message if isinstance(message, str) and message else str(exc)
    return text.splitlines()[0][:200] if text else "no details."
