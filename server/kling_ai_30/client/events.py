"""Typed chat events: one ``ServerSentEvent`` -> the text, tool calls and errors it carries.

Two vocabularies reach us (reference/nemo-api.md §5.2-5.4), told apart by a string ``type``
without an object ``content``:

- ADK events (what ``/run_sse`` is): ``content.parts[]`` holding ``text`` (``thought`` parts
  are hidden reasoning and skipped), ``functionCall`` or ``functionResponse``; ``partial``;
  ``errorCode``/``errorMessage``. Keys are camelCase; snake_case is accepted too, because
  ADK's models accept both and a proxy could re-serialise either way.
- The simplified ``{"type": "text" | "tool_call" | "tool_result" | "heartbeat", ...}`` shape
  of the withdrawn API reference, in case the proxy really speaks it.

Unknown keys, part kinds and types are ignored: ADK keeps adding fields. An event that leaves
nothing else becomes a ``Heartbeat`` (the backend is alive, nothing to show), so every event
yields at least one ``ChatEvent`` and liveness can be read from this layer alone. A stream
that carries an error, or a payload that is not a JSON object, raises ``StreamError``; no other
exception escapes, whatever the input.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from ..errors import StreamError
from ..redaction import clean_message
from .sse import ServerSentEvent, aiter_sse

__all__ = [
    "ChatEvent",
    "Heartbeat",
    "ModelError",
    "TextPart",
    "ToolCall",
    "ToolResult",
    "aiter_chat_events",
    "parse_event",
]

_MESSAGE_LIMIT = 300  # a backend message shown to a person: one sentence, not a dump
_EXCERPT_LIMIT = 60  # enough of a malformed payload to recognise it in a bug report
_MODEL_ERROR_KEYS = frozenset({"errorCode", "errorMessage", "error_code", "error_message"})
# Names a proxy might give an SSE keep-alive event whose data is not JSON.
_HEARTBEAT_NAMES = frozenset({"heartbeat", "ping", "keepalive", "keep-alive"})
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean", type(None): "null"}


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The backend is alive and has nothing to show: an empty payload, ``{"type": "heartbeat"}``,
    an SSE comment, or an event with nothing modelled here (state-only, thoughts, unknown type)."""


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text from the agent; ``partial`` marks a streaming chunk that a full text will repeat."""

    text: str
    author: str | None
    partial: bool


@dataclass(frozen=True, slots=True)
class ToolCall:
    """The agent started a tool (``functionCall``); ``id`` pairs it with its ``ToolResult``."""

    id: str | None
    name: str
    args: Mapping[str, Any] = field(hash=False)


@dataclass(frozen=True, slots=True)
class ToolResult:
    """A tool finished (``functionResponse``); ``response`` is the tool's JSON, as sent."""

    id: str | None
    name: str
    response: Any = field(hash=False)


@dataclass(frozen=True, slots=True)
class ModelError:
    """The model stopped on an error it reported in an event (safety, malformed call, ...)."""

    code: str | None
    message: str


ChatEvent: TypeAlias = Heartbeat | TextPart | ToolCall | ToolResult | ModelError

_HEARTBEAT = Heartbeat()


def parse_event(sse: ServerSentEvent) -> list[ChatEvent]:
    """The chat events one server-sent event carries, in order; never empty.

    Raises ``StreamError`` for an error payload or a payload that is not a JSON object.
    """
    if sse.comment is not None:
        return [_HEARTBEAT]
    data = sse.data
    if not data or data.isspace():
        return [_HEARTBEAT]
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        if sse.event in _HEARTBEAT_NAMES:  # "event: ping" + "data: ping" is a keep-alive, not garbage
            return [_HEARTBEAT]
        raise StreamError(_malformed("not JSON", data)) from None
    if not isinstance(payload, dict):
        raise StreamError(_malformed(f"a JSON {_JSON_KINDS.get(type(payload), 'value')}, not an object", data))

    error = payload.get("error")
    if error and "content" not in payload:
        raise _backend_error(error)
    kind = payload.get("type")
    if isinstance(kind, str) and not isinstance(payload.get("content"), dict):
        events = _simplified_event(kind, payload)
    else:
        events = _adk_event(payload)
    return events or [_HEARTBEAT]


async def aiter_chat_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[ChatEvent]:
    """Typed chat events of a ``/run_sse`` byte stream, as they arrive."""
    async for sse in aiter_sse(chunks):
        for event in parse_event(sse):
            yield event


def _adk_event(payload: dict[str, Any]) -> list[ChatEvent]:
    events: list[ChatEvent] = []
    content = payload.get("content")
    parts = content.get("parts") if isinstance(content, dict) else None
    if isinstance(parts, list):
        author = _opt_str(payload.get("author"))
        partial = payload.get("partial") is True
        for part in parts:
            if not isinstance(part, dict) or part.get("thought") is True:
                continue
            text = part.get("text")
            if isinstance(text, str) and text:
                events.append(TextPart(text, author, partial))
            call = _either(part, "functionCall", "function_call")
            if isinstance(call, dict):
                events.append(ToolCall(_opt_str(call.get("id")), _str(call.get("name")), _args(call.get("args"))))
            result = _either(part, "functionResponse", "function_response")
            if isinstance(result, dict):
                events.append(ToolResult(_opt_str(result.get("id")), _str(result.get("name")), result.get("response")))
    if not _MODEL_ERROR_KEYS.isdisjoint(payload):  # rare; the check keeps the common event cheap
        error = _model_error(payload)
        if error is not None:
            events.append(error)
    return events


def _model_error(payload: dict[str, Any]) -> ModelError | None:
    code = _either(payload, "errorCode", "error_code")
    message = _either(payload, "errorMessage", "error_message")
    if code in (None, "") and message in (None, ""):
        return None
    shown_code = _clean(code, 100) if _is_scalar(code) and code != "" else None
    shown = _clean(message, _MESSAGE_LIMIT) if _is_scalar(message) and message != "" else ""
    return ModelError(shown_code, shown or f"The model stopped with error {shown_code or 'unknown'}.")


def _simplified_event(kind: str, payload: dict[str, Any]) -> list[ChatEvent]:
    if kind == "text":
        text = payload.get("content")
        if not isinstance(text, str):
            text = payload.get("text")
        if isinstance(text, str) and text:
            return [TextPart(text, _opt_str(payload.get("author")), payload.get("partial") is True)]
    elif kind == "tool_call":
        args = payload["args"] if "args" in payload else payload.get("arguments")
        return [ToolCall(_opt_str(payload.get("id")), _str(payload.get("name")), _args(args))]
    elif kind == "tool_result":
        response = payload["result"] if "result" in payload else payload.get("response")
        return [ToolResult(_opt_str(payload.get("id")), _str(payload.get("name")), response)]
    elif kind == "error":
        # Not in the reference, but an error must never pass as an ignored unknown type.
        raise _backend_error(payload.get("message") or payload.get("error") or payload.get("content") or kind)
    # "heartbeat" and unknown types carry nothing; the caller turns that into a Heartbeat.
    return []


def _backend_error(error: object) -> StreamError:
    code: int | None = None
    if isinstance(error, dict):
        raw_code = error.get("code")
        if isinstance(raw_code, int) and not isinstance(raw_code, bool):
            code = raw_code
        error = error.get("message") or error.get("detail") or error.get("error") or "no details"
    message = _clean(error, _MESSAGE_LIMIT) if _is_scalar(error) else "no details"
    return StreamError(
        f"The backend reported an error during the chat: {message.rstrip('. ') or 'no details'}. "
        "The message may still have been processed, so check the session state before sending it again.",
        code=code,
    )


def _malformed(reason: str, data: str) -> str:
    return (
        f"The chat stream sent a malformed event ({reason}: {_clean(data, _EXCERPT_LIMIT)!r}); "
        "the reply may be incomplete, so check the session state before sending the message again."
    )


def _clean(value: object, limit: int) -> str:
    # Cut first so a huge payload costs little; the margin keeps redaction patterns whole.
    return clean_message(str(value)[: 4 * limit], limit=limit, one_line=True)


def _is_scalar(value: object) -> bool:
    # Only these have a short, safe str(); a nested object could be huge or too deep to print.
    return isinstance(value, str | int | float)


def _either(mapping: dict[str, Any], camel: str, snake: str) -> Any:
    return mapping[camel] if camel in mapping else mapping.get(snake)


def _opt_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _args(value: object) -> Mapping[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        # OpenAI-style proxies send arguments as a JSON string; anything else is no arguments.
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}
