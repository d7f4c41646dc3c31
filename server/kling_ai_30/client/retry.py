"""Which failed requests go again, and after how long: a pure decision over two small tables.

A request is repeated only where a repeat cannot double anything (DESIGN.md "Backend client"):

- one that never reached the server (no connection was made) may always go again;
- a read (GET) may also go again after a timeout or a transient answer (408, 5xx);
- one that does work (a new session, an upload, a render, the anonymous-token call, whose lost
  answer may have used up the one token per 7 days) and a chat message never go again once they
  may have arrived.

Waits double from ``TRANSIENT_RETRY_BASE_S`` up to ``TRANSIENT_RETRY_CAP_S``, for at most
``MAX_TRANSIENT_RETRIES`` repeats (policy.py: the anthropic SDK's defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import httpx

from ..policy import MAX_TRANSIENT_RETRIES, TRANSIENT_RETRY_BASE_S, TRANSIENT_RETRY_CAP_S


class RequestKind(StrEnum):
    """What repeating a request could do."""

    READ = "read"
    """A GET: repeating it changes nothing."""
    WRITE = "write"
    """Does work on the backend; a repeat after it arrived would do the work twice."""
    CHAT_MESSAGE = "chat_message"
    """A message to the agent: paid, so never repeated once it may have arrived. A failure after it
    may have left is a ``MessageInFlightError`` rather than a plain ``BackendUnavailableError``."""

    @classmethod
    def of_method(cls, method: str) -> RequestKind:
        return cls.READ if method.upper() == "GET" else cls.WRITE


class TransportFailure(StrEnum):
    """How a request failed, as far as repeating it is concerned."""

    NOT_CONNECTED = "not_connected"
    """No connection was made (refused, DNS, connect timeout): nothing was sent."""
    TIMED_OUT = "timed_out"
    """Sent, or partly sent, and no answer came in time."""
    BROKEN = "broken"
    """The connection failed some other way once made (dropped, protocol error)."""
    TRANSIENT_STATUS = "transient_status"
    """The backend or a gateway answered with a status that often passes (408, 5xx)."""


TRANSIENT_STATUSES = frozenset({408, 500, 502, 503, 504})

RETRIED: Mapping[RequestKind, frozenset[TransportFailure]] = {
    RequestKind.READ: frozenset(
        {TransportFailure.NOT_CONNECTED, TransportFailure.TIMED_OUT, TransportFailure.TRANSIENT_STATUS}
    ),
    RequestKind.WRITE: frozenset({TransportFailure.NOT_CONNECTED}),
    RequestKind.CHAT_MESSAGE: frozenset({TransportFailure.NOT_CONNECTED}),
}
"""The failures after which each kind of request goes again."""


def failure_of_error(exc: httpx.HTTPError) -> TransportFailure:
    """The failure an httpx exception stands for."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return TransportFailure.NOT_CONNECTED
    if isinstance(exc, httpx.TimeoutException):
        return TransportFailure.TIMED_OUT
    return TransportFailure.BROKEN


def failure_of_status(status_code: int) -> TransportFailure | None:
    """``TRANSIENT_STATUS`` for an answer worth waiting out, else None (the answer stands)."""
    return TransportFailure.TRANSIENT_STATUS if status_code in TRANSIENT_STATUSES else None


def retry_delay(kind: RequestKind, failure: TransportFailure, repeats_so_far: int) -> float | None:
    """Seconds to wait before sending the request again, or None when it must not go again."""
    if failure not in RETRIED[kind] or repeats_so_far >= MAX_TRANSIENT_RETRIES:
        return None
    return float(min(TRANSIENT_RETRY_BASE_S * 2**repeats_so_far, TRANSIENT_RETRY_CAP_S))
