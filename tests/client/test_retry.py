"""The retry decision as tables: which failures go again, for which kind of request, after how long."""

from __future__ import annotations

import httpx
import pytest

from kling_ai_30.client.retry import (
    RETRIED,
    RequestKind,
    TransportFailure,
    failure_of_error,
    failure_of_status,
    retry_delay,
)
from kling_ai_30.policy import MAX_TRANSIENT_RETRIES

REQUEST = httpx.Request("POST", "http://backend.test/run_sse")
READ, WRITE, CHAT = RequestKind.READ, RequestKind.WRITE, RequestKind.CHAT_MESSAGE


@pytest.mark.parametrize(
    ("kind", "failure", "goes_again"),
    [
        # Nothing was sent: any request may go again.
        (READ, TransportFailure.NOT_CONNECTED, True),
        (WRITE, TransportFailure.NOT_CONNECTED, True),
        (CHAT, TransportFailure.NOT_CONNECTED, True),
        # It may have arrived: only a read may go again, never work or a paid message.
        (READ, TransportFailure.TIMED_OUT, True),
        (WRITE, TransportFailure.TIMED_OUT, False),
        (CHAT, TransportFailure.TIMED_OUT, False),
        (READ, TransportFailure.TRANSIENT_STATUS, True),
        (WRITE, TransportFailure.TRANSIENT_STATUS, False),
        (CHAT, TransportFailure.TRANSIENT_STATUS, False),
        # A connection that broke some other way is not waited out, even for a read.
        (READ, TransportFailure.BROKEN, False),
        (WRITE, TransportFailure.BROKEN, False),
        (CHAT, TransportFailure.BROKEN, False),
    ],
)
def test_a_request_goes_again_only_where_a_repeat_cannot_double_anything(
    kind: RequestKind, failure: TransportFailure, goes_again: bool
) -> None:
    assert (retry_delay(kind, failure, 0) is not None) is goes_again
    assert (failure in RETRIED[kind]) is goes_again


def test_waits_double_from_half_a_second_and_stop_after_two_repeats() -> None:
    delays = [retry_delay(READ, TransportFailure.TRANSIENT_STATUS, n) for n in range(MAX_TRANSIENT_RETRIES + 2)]
    assert delays == [0.5, 1.0, None, None]


@pytest.mark.parametrize(
    ("method", "kind"),
    [("GET", READ), ("get", READ), ("POST", WRITE), ("PUT", WRITE), ("DELETE", WRITE)],
)
def test_only_a_get_is_a_read(method: str, kind: RequestKind) -> None:
    assert RequestKind.of_method(method) is kind


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (httpx.ConnectError("refused", request=REQUEST), TransportFailure.NOT_CONNECTED),
        (httpx.ConnectTimeout("slow connect", request=REQUEST), TransportFailure.NOT_CONNECTED),
        (httpx.ReadTimeout("no answer", request=REQUEST), TransportFailure.TIMED_OUT),
        (httpx.WriteTimeout("stuck sending", request=REQUEST), TransportFailure.TIMED_OUT),
        (httpx.PoolTimeout("no free connection", request=REQUEST), TransportFailure.TIMED_OUT),
        (httpx.ReadError("dropped", request=REQUEST), TransportFailure.BROKEN),
        (httpx.RemoteProtocolError("garbled", request=REQUEST), TransportFailure.BROKEN),
    ],
)
def test_httpx_errors_are_read_as_the_failure_they_stand_for(error: httpx.HTTPError, failure: TransportFailure) -> None:
    assert failure_of_error(error) is failure


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (408, TransportFailure.TRANSIENT_STATUS),
        (500, TransportFailure.TRANSIENT_STATUS),
        (502, TransportFailure.TRANSIENT_STATUS),
        (503, TransportFailure.TRANSIENT_STATUS),
        (504, TransportFailure.TRANSIENT_STATUS),
        (200, None),
        (400, None),
        (401, None),
        (402, None),
        (429, None),  # the token call's 429 has its own rule: wait 30 s, once (skill text)
        (501, None),
    ],
)
def test_only_answers_that_often_pass_are_waited_out(status: int, failure: TransportFailure | None) -> None:
    assert failure_of_status(status) is failure
