"""JSON log lines for ``serve --http``: one object per line on stderr, each saying whose call (the
principal), which tool and which job it is about, so an operator can follow one person or one job.

    {"time": "2026-12-01T10:00:00.123Z", "level": "INFO", "logger": "kling_ai_30.mcp_server.tool_call",
     "message": "answered running", "principal": "alice", "tool": "generate", "job_id": "gen_…", "status": "running"}

The principal and tool come from ``log_context``, which a tool call enters; a job started inside a
call is a task spawned in that context, so its own lines carry the principal too. Never a token:
the redaction filter (``redaction``) rewrites each record before any formatter sees it, the message
and traceback are redacted again here, and the added fields are names and ids only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace

from ..redaction import install_log_redaction, redact

_FIELDS = ("principal", "tool", "job_id", "status")


@dataclass(frozen=True)
class LogContext:
    principal: str | None = None
    tool: str | None = None


_NONE = LogContext()
_current: ContextVar[LogContext | None] = ContextVar("kling_ai_30_log_context", default=None)


@contextlib.contextmanager
def log_context(*, principal: str | None = None, tool: str | None = None) -> Iterator[None]:
    """Lines logged inside (and in tasks started inside) carry ``principal`` and ``tool``."""
    token = _current.set(replace(_current.get() or _NONE, principal=principal, tool=tool))
    try:
        yield
    finally:
        _current.reset(token)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        context = _current.get() or _NONE
        data: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for field in _FIELDS:
            value = getattr(record, field, None) or getattr(context, field, None)
            if value is not None:
                data[field] = value
        error = record.exc_text or (self.formatException(record.exc_info) if record.exc_info else None)
        if error:
            data["error"] = redact(error)
        return json.dumps(data, ensure_ascii=False)


def use_json_logs() -> None:
    """Every handler of the root logger writes JSON lines, redacted."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter())
    install_log_redaction()
