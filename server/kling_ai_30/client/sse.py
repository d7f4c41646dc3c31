"""Server-sent events: bytes -> lines -> ``ServerSentEvent``, per the WHATWG rules.

The chat endpoint ``/run_sse`` is a Google ADK stream (reference/nemo-api.md §5): one
``data: <json>`` line and a blank line per event, no ``event:``/``id:`` fields, no sentinel.
The NemoVideo proxy may add heartbeats, possibly as ``: keepalive`` comments, so comments are
surfaced (as records with ``comment`` set) instead of being dropped as a browser would.

The decoder is pure and incremental: chunks may be split anywhere, even inside a UTF-8
character or between the ``\\r`` and ``\\n`` of a CRLF. It never raises: bytes that are not
UTF-8 become U+FFFD, and lines it does not understand are ignored, as the spec says.

End of stream. The spec drops an event whose blank line never came. ADK sends no sentinel, so
a proxy that trims the final blank line would make us lose the last reply; ``aiter_sse``
therefore delivers that event by default (``SSEDecoder.flush``). A genuinely cut event then
reaches the typed layer as broken JSON and becomes a ``StreamError`` instead of vanishing.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

from ..errors import StreamError
from ..redaction import clean_message

__all__ = ["SSEDecoder", "ServerSentEvent", "aiter_sse", "check_content_type"]

_EVENT_STREAM = "text/event-stream"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event, or one comment line when ``comment`` is not ``None``.

    A comment record keeps the other fields at their defaults, so code that looks only at
    ``data`` sees an empty event (which the chat layer reads as a heartbeat anyway).
    """

    event: str = "message"
    data: str = ""
    #: The last event id seen on the stream (it persists across events, as in the spec).
    id: str = ""
    #: A valid ``retry:`` value given in this event's block, if any.
    retry: int | None = None
    comment: str | None = None


class SSEDecoder:
    """Incremental event-stream decoder: ``feed`` chunks, then ``flush`` once at the end.

    Linear in the input however it is split: a line is kept as a list of pieces until its end
    arrives, so a long line in many small chunks is joined once.
    """

    __slots__ = ("_after_cr", "_at_start", "_data", "_event", "_last_id", "_retry", "_tail", "_utf8")

    _utf8: codecs.IncrementalDecoder
    _at_start: bool
    _after_cr: bool
    _tail: list[str]
    _data: list[str]
    _event: str
    _last_id: str
    _retry: int | None

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._at_start = True  # a BOM is ignored only as the stream's very first character
        self._after_cr = False  # the last chunk ended with "\r": a leading "\n" belongs to it
        self._tail = []  # pieces of the line not yet terminated
        self._data = []  # data lines of the event being built
        self._event = ""
        self._last_id = ""
        self._retry = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode one chunk; returns the events and comments it completed, in order."""
        return self._feed_text(self._utf8.decode(chunk))

    def flush(self) -> list[ServerSentEvent]:
        """End of stream: returns the unterminated last line and event, then resets for a new stream.

        A spec-conforming reader discards the result; see the module docstring for why
        ``aiter_sse`` keeps it.
        """
        out = self._feed_text(self._utf8.decode(b"", final=True))
        last = "".join(self._tail)
        out += self._lines([last, ""] if last else [""])
        self._reset()
        return out

    def _feed_text(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text[0] == "\ufeff":
                text = text[1:]
        if self._after_cr:
            self._after_cr = False
            if text[:1] == "\n":
                text = text[1:]
        if "\r" in text:
            self._after_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if len(lines) == 1:
            if text:
                self._tail.append(text)
            return []
        if self._tail:
            self._tail.append(lines[0])
            lines[0] = "".join(self._tail)
            self._tail.clear()
        last = lines.pop()
        if last:
            self._tail.append(last)
        return self._lines(lines)

    def _lines(self, lines: list[str]) -> list[ServerSentEvent]:
        out: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                # Spec: dispatch only when data lines were seen; an empty "data:" still counts.
                if self._data:
                    out.append(
                        ServerSentEvent(self._event or "message", "\n".join(self._data), self._last_id, self._retry)
                    )
                    self._data = []
                self._event = ""
                self._retry = None
                continue
            if line[0] == ":":
                out.append(ServerSentEvent(comment=line[2:] if line[1:2] == " " else line[1:]))
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                self._data.append(value)
            elif name == "event":
                self._event = value
            elif name == "id":
                if "\0" not in value:
                    self._last_id = value
            elif name == "retry" and value.isascii() and value.isdigit() and len(value) < 20:
                # The length bound keeps int() clear of Python's digit limit; no delay is that long.
                self._retry = int(value)
        return out


async def aiter_sse(chunks: AsyncIterable[bytes], *, keep_unterminated: bool = True) -> AsyncIterator[ServerSentEvent]:
    """Events and comments of a byte stream, as they complete.

    ``keep_unterminated=False`` follows the spec exactly and drops an event the stream ended
    inside; the default delivers it (module docstring).
    """
    decoder = SSEDecoder()
    async for chunk in chunks:
        for sse in decoder.feed(chunk):
            yield sse
    tail = decoder.flush()
    if keep_unterminated:
        for sse in tail:
            yield sse


def check_content_type(content_type: str | None) -> None:
    """Raise ``StreamError`` unless the ``Content-Type`` header names an event stream."""
    media_type = (content_type or "").partition(";")[0].strip().lower()
    if media_type != _EVENT_STREAM:
        shown = repr(clean_message(content_type[:200], limit=80, one_line=True)) if content_type else "no content type"
        raise StreamError(
            f"Expected a text/event-stream response, got {shown}; "
            "the chat endpoint may be wrong or down, so check NEMO_API_URL and try again."
        )
