"""Sending one request to the backend: repeated where ``retry`` allows, and a clear error when no
answer comes.

A request that gets no answer says whether it may have arrived: only a connection that was never
made proves nothing was sent. A chat message that may have arrived becomes a
``MessageInFlightError``, so the conversation learns its outcome from the state instead of sending
it (and paying) twice.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from ..errors import BackendUnavailableError, MessageInFlightError
from ..timing import Sleep
from .retry import RequestKind, TransportFailure, failure_of_error, failure_of_status, retry_delay

log = logging.getLogger(__name__)


class Sender:
    """The backend's ``httpx.AsyncClient`` with the retry decision applied."""

    def __init__(self, http: httpx.AsyncClient, *, api_url: str, sleep: Sleep) -> None:
        self._http = http
        self._api_url = api_url
        self._sleep = sleep

    def build(self, method: str, url: str, **options: Any) -> httpx.Request:
        """A request to the backend (base URL and attribution headers added); ``options`` as httpx's."""
        return self._http.build_request(method, url, **options)

    async def send(self, request: httpx.Request, *, kind: RequestKind, stream: bool = False) -> httpx.Response:
        """The backend's answer to ``request``; raises ``BackendUnavailableError`` when none came."""
        repeats = 0
        while True:
            try:
                response = await self._http.send(request, stream=stream)
            except httpx.HTTPError as exc:
                delay = retry_delay(kind, failure_of_error(exc), repeats)
                if delay is None:
                    raise self.unavailable(exc, kind=kind) from None
            else:
                failure = failure_of_status(response.status_code)
                delay = retry_delay(kind, failure, repeats) if failure is not None else None
                if delay is None:
                    return response
                await response.aclose()
            repeats += 1
            log.debug("retrying %s %s in %.1f s (attempt %d)", request.method, request.url.path, delay, repeats + 1)
            # The same request can go again: JSON bodies are bytes and multipart bodies re-read
            # their files from the start.
            await self._sleep(delay)

    def unavailable(self, exc: httpx.HTTPError, *, kind: RequestKind) -> BackendUnavailableError:
        """The error for a request that got no answer; it records whether the request may have arrived."""
        failure = failure_of_error(exc)
        if isinstance(exc, httpx.TimeoutException):
            reason = "it did not answer in time"
        elif isinstance(exc, httpx.ConnectError):
            reason = "the connection was refused or the host was not found"
        else:
            reason = f"the connection failed ({type(exc).__name__})"
        # After a connection was made (a write, a read, a drop) the backend may have the request.
        may_have_arrived = failure is not TransportFailure.NOT_CONNECTED
        if kind is RequestKind.CHAT_MESSAGE and may_have_arrived:
            return self.in_flight(reason)
        return BackendUnavailableError(
            f"Cannot reach the NemoVideo backend at {self._api_url}: {reason}. Check the network "
            "connection (and NEMO_API_URL), then try again.",
            may_have_arrived=may_have_arrived,
        )

    def in_flight(self, reason: str) -> MessageInFlightError:
        """The error for a chat message that may be on the backend although no stream came back."""
        return MessageInFlightError(
            f"Your message may have reached the NemoVideo backend at {self._api_url}, but no reply came "
            f"back ({reason}). It was not sent again, since that could charge twice: check the project's state "
            "to see whether it was carried out, and the network connection (and NEMO_API_URL) if this repeats.",
            reason=reason,
        )
