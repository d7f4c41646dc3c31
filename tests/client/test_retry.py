"""The retry decision as tables: which failures go again, for which kind of request, after how long."""

from __future__ import annotations

import httpx
import pytest

from kling_ai_30.client.retry import (
    RETRIED,
    Failure,
    RequestKind,
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
        (READ, Failure.NOT_CONNECTED, True),
        (WRITE, Failure.NOT_CONNECTED, True),
        (CHAT, Failure.NOT_CONNECTED, True),
        # It may have arrived: only a read may go again, never work or a paid message.
        (READ, Failure.TIMED_OUT, True),
        (WRITE, Failure.TIMED_OUT, False),
        (CHAT, Failure.TIMED_OUT, False),
        (READ, Failure.TRANSIENT_STATUS, True),
        (WRITE, Failure.TRANSIENT_STATUS, False),
        (CHAT, Failure.TRANSIENT_STATUS, False),
        # A connection that broke some other way is not waited out, even for a read.
        (READ, Failure.BROKEN, False),
        (WRITE, Failure.BROKEN, False),
        (CHAT, Failure.BROKEN, False),
    ],
)
def test_a_request_goes_again_only_where_a_repeat_cannot_double_anything(
    kind: RequestKind, failure: Failure, goes_again: bool
) -> None:
    assert (retry_delay(kind, failure, 0) is not None) is goes_again
    assert (failure in RETRIED[kind]) is goes_again


def test_waits_double_from_half_a_second_and_stop_after_two_repeats() -> None:
    delays = [retry_delay(READ, Failure.TRANSIENT_STATUS, n) for n in range(MAX_TRANSIENT_RETRIES + 2)]
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
        (httpx.ConnectError("refused", request=REQUEST), Failure.NOT_CONNECTED),
        (httpx.ConnectTimeout("slow connect", request=REQUEST), Failure.NOT_CONNECTED),
        (httpx.ReadTimeout("no answer", request=REQUEST), Failure.TIMED_OUT),
        (httpx.WriteTimeout("stuck sending", request=REQUEST), Failure.TIMED_OUT),
        (httpx.PoolTimeout("no free connection", request=REQUEST), Failure.TIMED_OUT),
        (httpx.ReadError("dropped", request=REQUEST), Failure.BROKEN),
        (httpx.RemoteProtocolError("garbled", request=REQUEST), Failure.BROKEN),
    ],
)
def test_httpx_errors_are_read_as_the_failure_they_stand_for(error: httpx.HTTPError, failure: Failure) -> None:
    assert failure_of_error(error) is failure


@pytest.mark.parametrize(
    ("status", "failure"),
    [
        (408, Failure.TRANSIENT_STATUS),
        (500, Failure.TRANSIENT_STATUS),
        (502, Failure.TRANSIENT_STATUS),
        (503, Failure.TRANSIENT_STATUS),
        (504, Failure.TRANSIENT_STATUS),
        (200, None),
        (400, None),
        (401, None),
        (402, None),
        (429, None),  # the token call's 429 has its own rule: wait 30 s, once (skill text)
        (501, None),
    ],
)
def test_only_answers_that_often_pass_are_waited_out(status: int, failure: Failure | None) -> None:
    assert failure_of_status(status) is failure
