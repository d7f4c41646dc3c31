"""A chat message whose answer is lost: "not sent, nothing charged" only when it truly never left.

Each test sends one message over a real loopback connection to the local backend. When the
backend received the message and the answer was lost (a dropped connection, a timeout, a
gateway's 5xx), the outcome is learned from the session's state and the message is never sent
again; only a refused connection lets the user be told that nothing was sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.config import load_settings
from kling_ai_30.conversation.turn import Conversation, Status
from kling_ai_30.errors import BackendUnavailableError, MessageInFlightError, TurnFailedError
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import load_identity

from ..client.wire import LossyWire
from .conftest import RUN_SSE, TOKEN, FakeTime, messages_sent, requests_to

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of a mountain lake"
NOT_SENT = "Your request was not sent, so nothing was charged"


class Retries:
    """The client's backoff sleep: instant, counted."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def wire() -> LossyWire:
    return LossyWire()


@pytest.fixture
def retries() -> Retries:
    return Retries()


@pytest.fixture
async def chat(base_url: str, wire: LossyWire, retries: Retries, fake_time: FakeTime) -> AsyncIterator[Conversation]:
    settings = load_settings({}, api_url=base_url, web_url=base_url)
    async with BackendClient(settings, load_identity(), transport=wire, sleep=retries) as client:
        session = await client.create_session()
        yield Conversation(client, session, sleep=fake_time.sleep, clock=fake_time.monotonic)


def told(statuses: list[Status], reply_or_error: object) -> str:
    return "\n".join([s.message for s in statuses] + [str(reply_or_error)])


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.RemoteProtocolError, id="connection-dropped"),
        pytest.param(httpx.ReadTimeout, id="read-timeout"),
        pytest.param(httpx.WriteError, id="write-error"),
        pytest.param(502, id="gateway-502"),
        pytest.param(504, id="gateway-504"),
    ],
)
async def test_a_message_the_backend_received_whose_answer_was_lost_is_recovered_from_state_without_resending(
    backend: LocalBackend,
    chat: Conversation,
    wire: LossyWire,
    fake_time: FakeTime,
    failure: type[httpx.TransportError] | int,
) -> None:
    wire.lose_answer(RUN_SSE, failure)
    statuses: list[Status] = []

    reply = await chat.send(GENERATE, on_status=statuses.append)

    assert reply.recovered and "Video" in {c.track for c in reply.changes}
    assert messages_sent(backend) == 1  # never re-sent: that would charge twice
    assert fake_time.sleeps[0] == 30.0  # learned by polling the state, as for a dropped stream
    said = told(statuses, reply.text)
    assert "nothing was charged" not in said and "not sent again" in said


async def test_a_lost_answer_to_a_message_that_did_nothing_fails_without_claiming_nothing_was_charged(
    backend: LocalBackend, chat: Conversation, wire: LossyWire, fake_time: FakeTime
) -> None:
    wire.lose_answer(RUN_SSE, httpx.ReadTimeout)
    statuses: list[Status] = []

    with pytest.raises(TurnFailedError) as caught:
        await chat.send("what can you do?", on_status=statuses.append)

    message = str(caught.value)
    assert "may have reached the backend" in message and "did not answer in time" in message
    assert "not sent twice" in message and "nothing was charged" not in told(statuses, message)
    assert fake_time.sleeps == [30.0, 60.0, 60.0, 60.0, 60.0]
    assert messages_sent(backend) == 1


async def test_a_refused_connection_says_the_message_was_not_sent_and_it_never_reached_the_backend(
    backend: LocalBackend, chat: Conversation, wire: LossyWire, retries: Retries
) -> None:
    wire.refuse(RUN_SSE)

    with pytest.raises(BackendUnavailableError, match=NOT_SENT) as caught:
        await chat.send(GENERATE)

    assert not caught.value.may_have_arrived and not isinstance(caught.value, MessageInFlightError)
    assert "connection was refused" in str(caught.value)
    assert messages_sent(backend) == 0
    assert len(retries.calls) == 2  # a refused connection is safe to retry: nothing left


async def test_a_token_call_that_times_out_before_the_message_leaves_says_the_message_was_not_sent(
    backend: LocalBackend, chat: Conversation, wire: LossyWire
) -> None:
    # The token call may have reached the backend, but the message never did: it was refused
    # (1001) and waited for a new token that never came.
    before = await chat.client.state(chat.session)
    backend.faults.expire_tokens()
    wire.lose_answer(TOKEN, httpx.ReadTimeout)

    with pytest.raises(BackendUnavailableError, match=NOT_SENT):
        await chat.send(GENERATE, before=before)

    assert [r.status for r in requests_to(backend, RUN_SSE)] == [401]
    assert len(requests_to(backend, TOKEN)) == 2  # the first token, then the renewal: not retried
