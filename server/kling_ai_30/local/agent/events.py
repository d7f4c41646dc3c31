"""The /run_sse events: ADK (or the simplified "typed") JSON, framed as SSE, and the heartbeats between them.

Wire format (api notes §5.1-5.4): each event is `data: <compact JSON>\\n\\n`, camelCase, no
`event:`/`id:` fields and no end sentinel; heartbeats rotate through the three documented forms.
"""

from __future__ import annotations

import json
import random
import string
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from kling_ai_30.local.state.config import Vocabulary

AUTHOR = "nemo_agent"
# api notes §5.4: blank `data:`, `{"type":"heartbeat"}` and SSE comments are all seen in the wild.
HEARTBEATS = (b"data: \n\n", b'data: {"type":"heartbeat"}\n\n', b": keepalive\n\n")
_ALNUM = string.ascii_letters + string.digits
_ids = random.SystemRandom()


def frame(payload: Mapping[str, Any]) -> bytes:
    """One SSE event: `data: <compact single-line JSON>` and a blank line."""
    return b"data: " + json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def error_frame(message: str) -> bytes:
    """The mid-stream error line newer ADK writes (`json.dumps`, default separators)."""
    return b"data: " + json.dumps({"error": message}, ensure_ascii=False).encode() + b"\n\n"


class EventBuilder:
    """Builds the events of one invocation in the ADK or the simplified ("typed") vocabulary."""

    def __init__(self, vocabulary: Vocabulary, clock: Callable[[], float] = time.time) -> None:
        self.vocabulary = vocabulary
        self.invocation_id = f"e-{uuid.uuid4()}"
        self._clock = clock

    def _adk(self, content: dict[str, Any], long_running: list[str] | None = None) -> bytes:
        event: dict[str, Any] = {
            "content": content,
            "invocationId": self.invocation_id,
            "author": AUTHOR,
            "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
        }
        if long_running is not None:
            event["longRunningToolIds"] = long_running
        event["id"] = "".join(_ids.choice(_ALNUM) for _ in range(8))
        event["timestamp"] = round(self._clock(), 6)
        return frame(event)

    def text(self, text: str, thought: str | None = None) -> bytes | None:
        """A model text event (with a leading hidden `thought` part when given)."""
        if self.vocabulary == "typed":
            return frame({"type": "text", "content": text}) if text else None
        parts: list[dict[str, Any]] = []
        if thought:
            parts.append({"text": thought, "thought": True})
        if text:
            parts.append({"text": text})
        return self._adk({"parts": parts, "role": "model"}) if parts else None

    def call(self, call_id: str, name: str, args: Mapping[str, Any]) -> bytes:
        if self.vocabulary == "typed":
            return frame({"type": "tool_call", "name": name, "args": dict(args)})
        part = {"functionCall": {"id": call_id, "args": dict(args), "name": name}}
        return self._adk({"parts": [part], "role": "model"}, long_running=[])

    def result(self, call_id: str, name: str, response: Mapping[str, Any]) -> bytes:
        if self.vocabulary == "typed":
            return frame({"type": "tool_result", "name": name, "result": dict(response)})
        part = {"functionResponse": {"id": call_id, "name": name, "response": dict(response)}}
        return self._adk({"parts": [part], "role": "user"})
