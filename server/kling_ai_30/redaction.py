"""Keep secrets out of everything the program emits.

Two nets: every token this process has seen is registered and replaced wherever it appears
(NemoVideo tokens, and the bearer tokens ``serve --http`` accepts), and anything shaped
like a NemoVideo token, a bearer header, a JWT or a ``token=`` query value is replaced even if it
was never registered (a backend error could echo one back). Claim tokens
(``clm_…``) are left alone: they exist to be put in browser links and carry no API access. The logging
filter applies both to every record, at every level, before any handler formats it.
"""

from __future__ import annotations

import logging
import re
import threading

REDACTED = "[redacted]"
_PATTERNS = (
    re.compile(r"nmv_usr_[A-Za-z0-9_\-]+"),
    re.compile(r"sk-ant-[A-Za-z0-9_\-]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"(?i)((?:nemo_)?token=)[^&\s\"']+"),
    # A JWT (an OAuth access token for ``serve --http --oauth-issuer``), header and payload in base64url.
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# An error sentence wants no tab or newline either, nor C1 controls or Unicode line separators.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

_known: set[str] = set()
_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret so it is redacted wherever it shows up later."""
    if value and len(value) >= 8:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    """``text`` with every known or token-shaped secret replaced."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + REDACTED, text)
    return text


def clean_message(text: object, *, limit: int = 300, one_line: bool = False) -> str:
    """A backend-supplied message made safe to show: redacted, no control characters, bounded.
    ``one_line`` also turns tabs, newlines and line separators into spaces."""
    cleaned = (_LINE_BREAKING if one_line else _CONTROL).sub(" ", redact(str(text))).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class RedactingFilter(logging.Filter):
    """Redacts secrets from a record's message and arguments before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters only format a traceback when exc_text is empty, so format it here, redacted.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to ``logger``'s handlers (root by default), once each."""
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
