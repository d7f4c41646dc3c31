"""One conversation turn against the local backend: replies, heartbeats, silence, errors, drops."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.config import load_settings
from kling_ai_30.conversation.turn import STILL_WORKING, UNREAD_NOTE, Conversation, Status
from kling_ai_30.errors import InputError, StreamError, TurnFailedError
from kling_ai_30.local import LocalBackend
from kling_ai_30.policy import MAX_TRANSIENT_RETRIES
from kling_ai_30.skill import load_identity

from ..client.fake_backend import FakeBackend

pytestmark = pytest.mark.anyio

GENERATE = "generate a 5-second video of waves at sunset"


class FakeTime:
    """An injected clock and sleep: waits take no time and are recorded.

    With ``backend``, a sleep lets the local backend finish what it is doing first: "wait 30 s"
    then means "long enough for the server-side work to land", without waiting for real.
    """

    def __init__(self, step: float = 0.0, backend: LocalBackend | None = None) -> None:
        self.now = 0.0
        self.step = step
        self.backend = backend
        self.sleeps: list[float] = []

    def clock(self) -> float:
        self.now += self.step
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.backend is not None:
            await anyio.to_thread.run_sync(self.backend.wait_idle)


async def no_wait(seconds: float) -> None:
    """The client's backoff between retries of a failed read: instant."""


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[BackendClient]:
    settings = load_settings({}, api_url=base_url, web_url=base_url)
    async with BackendClient(settings, load_identity(), sleep=no_wait) as backend_client:
        yield backend_client


@pytest.fixture
def statuses() -> Iterator[list[Status]]:
    yield []


async def conversation(client: BackendClient, time: FakeTime | None = None, language: str = "en") -> Conversation:
    session = await client.create_session(language=language)
    t = time or FakeTime()
    return Conversation(client, session, sleep=t.sleep, clock=t.clock)


def run_sse_calls(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == "/run_sse")


async def test_a_plain_question_gets_a_translated_text_reply(backend: LocalBackend, client: BackendClient) -> None:
    chat = await conversation(client)
    reply = await chat.send("what can you do?")
    assert reply.text and not reply.silent
    assert "click" not in reply.text.lower()
    assert reply.changes == ()


async def test_a_generation_reports_tools_the_raw_video_and_what_changed(
    backend: LocalBackend, client: BackendClient, statuses: list[Status]
) -> None:
    chat = await conversation(client)
    reply = await chat.send(GENERATE, on_status=statuses.append)
    phases = [s.phase for s in statuses]
    assert phases[:2] == ["sending", "thinking"]
    assert "tool" in phases and "raw_video" in phases
    raw = next(s.message for s in statuses if s.phase == "raw_video")
    assert raw.startswith("🎬 Raw video ready (Video:")
    assert reply.raw_video is not None and reply.raw_video.startswith("Video:")
    assert {c.track for c in reply.changes} >= {"Video", "BGM", "Title"}
    assert reply.tools_used[0] == "generate_video_with_seedance"
    assert "functionCall" not in reply.text and "adk-" not in reply.text  # tool traffic stays internal
    assert reply.wants_export


async def test_only_heartbeats_for_two_minutes_says_still_working(
    backend: LocalBackend, client: BackendClient, statuses: list[Status]
) -> None:
    backend.configure(generation_seconds=0.3, heartbeat_every_s=0.01)
    # Every clock reading advances 30 s, so heartbeats span minutes of (fake) time.
    chat = await conversation(client, FakeTime(step=30.0))
    await chat.send(GENERATE, on_status=statuses.append)
    still = [s for s in statuses if s.phase == "still_working"]
    assert still and all(s.message == STILL_WORKING for s in still)


async def test_no_still_working_when_the_backend_answers_quickly(
    backend: LocalBackend, client: BackendClient, statuses: list[Status]
) -> None:
    chat = await conversation(client, FakeTime(step=0.001))
    await chat.send(GENERATE, on_status=statuses.append)
    assert not [s for s in statuses if s.phase == "still_working"]


async def test_a_silent_edit_is_summarised_from_the_state(backend: LocalBackend, client: BackendClient) -> None:
    chat = await conversation(client)
    await chat.send(GENERATE)
    backend.faults.force_silent(True, times=1)
    reply = await chat.send('add a title "Urban Dreams"')
    assert reply.silent
    assert '✅ Title added: "Urban Dreams"' in reply.text or '"Urban Dreams"' in reply.text
    assert "Timeline (" in reply.text


@pytest.mark.parametrize(
    ("language", "message"),
    [
        pytest.param("en", GENERATE, id="en"),
        pytest.param("zh-CN", "生成一段5秒的海边日落视频", id="zh"),
    ],
)
async def test_gui_phrasing_never_reaches_the_user(
    backend: LocalBackend, client: BackendClient, language: str, message: str
) -> None:
    chat = await conversation(client, language=language)
    reply = await chat.send(message)
    lowered = reply.text.lower()
    for gui in ("click", "drag", "点击", "拖拽", "open the timeline panel", "打开时间线面板"):
        assert gui not in lowered, reply.text
    assert reply.instructions  # the backend did talk as if there were buttons


async def test_a_mid_stream_error_is_a_stream_error_that_says_to_check_first(
    backend: LocalBackend, client: BackendClient
) -> None:
    chat = await conversation(client)
    backend.faults.stream_error("GPU pool exhausted", phase="mid_tool_call")
    with pytest.raises(StreamError, match="GPU pool exhausted"):
        await chat.send(GENERATE)
    assert run_sse_calls(backend) == 1


async def test_a_dropped_stream_is_recovered_from_state_without_resending(
    backend: LocalBackend, client: BackendClient, statuses: list[Status]
) -> None:
    time = FakeTime(backend=backend)
    chat = await conversation(client, time)
    backend.faults.drop_stream("mid_tool_call")
    reply = await chat.send(GENERATE, on_status=statuses.append)
    assert reply.recovered
    assert {c.track for c in reply.changes} & {"Video"}
    assert run_sse_calls(backend) == 1  # never re-sent: that would charge twice
    assert time.sleeps[0] == 30.0
    assert any(s.phase == "recovering" and "not sent again" in s.message for s in statuses)


async def test_a_drop_that_changed_nothing_fails_after_five_polls(backend: LocalBackend, client: BackendClient) -> None:
    time = FakeTime()
    chat = await conversation(client, time)
    backend.faults.drop_stream("before_first_event")
    with pytest.raises(TurnFailedError, match="not sent twice"):
        await chat.send("what can you do?")
    assert time.sleeps == [30.0, 60.0, 60.0, 60.0, 60.0]
    assert run_sse_calls(backend) == 1


async def test_a_trailing_temporary_issue_after_a_normal_reply_is_dropped(
    backend: LocalBackend, client: BackendClient
) -> None:
    chat = await conversation(client)
    backend.faults.trailing_issue()
    reply = await chat.send(GENERATE)
    assert "temporary issue" not in reply.text.lower()
    assert reply.text


async def test_a_second_message_while_one_is_in_flight_is_refused(backend: LocalBackend, client: BackendClient) -> None:
    backend.configure(generation_seconds=0.5)
    chat = await conversation(client)
    errors: list[Exception] = []
    streaming = anyio.Event()

    def on_status(status: Status) -> None:
        if status.phase == "thinking":  # the stream is open: the backend has the message
            streaming.set()

    async def second() -> None:
        with anyio.fail_after(10):
            await streaming.wait()
        try:
            await chat.send("add music")
        except InputError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(second)
        await chat.send(GENERATE, on_status=on_status)
    assert len(errors) == 1 and "already being processed" in str(errors[0])
    assert run_sse_calls(backend) == 1


@pytest.mark.parametrize(
    ("message", "hint"),
    [
        pytest.param("   ", "empty", id="blank"),
        pytest.param("\x00\x01\x02", "empty", id="only-control-characters"),
        pytest.param("x" * 5000, "under 4000", id="too-long"),
    ],
)
async def test_bad_messages_are_refused_before_anything_is_sent(
    backend: LocalBackend, client: BackendClient, message: str, hint: str
) -> None:
    chat = await conversation(client)
    with pytest.raises(InputError, match=hint):
        await chat.send(message)
    assert run_sse_calls(backend) == 0


async def test_the_typed_vocabulary_reads_the_same(backend: LocalBackend, client: BackendClient) -> None:
    backend.configure(vocabulary="typed")
    chat = await conversation(client)
    reply = await chat.send(GENERATE)
    assert reply.text and {c.track for c in reply.changes} >= {"Video"}


# ------------------------------------------------- after the stream: the turn has happened


async def test_a_finished_generation_is_reported_even_when_the_state_cannot_be_read_after_it(
    backend: LocalBackend, client: BackendClient
) -> None:
    chat = await conversation(client)
    before = await client.state(chat.session)
    backend.faults.http_error("/api/state", 503, times=None)

    reply = await chat.send(GENERATE, before=before)

    assert reply.text.endswith(UNREAD_NOTE) and len(reply.text) > len(UNREAD_NOTE)
    assert reply.changes == () and not reply.silent
    assert reply.wants_export  # the caller still exports what was generated
    assert run_sse_calls(backend) == 1


async def test_a_silent_edit_whose_state_cannot_be_read_at_first_is_learned_by_polling(
    backend: LocalBackend, client: BackendClient
) -> None:
    time = FakeTime(backend=backend)
    chat = await conversation(client, time)
    await chat.send(GENERATE)
    before = await client.state(chat.session)
    backend.faults.force_silent(True, times=1)
    backend.faults.http_error("/api/state", 503, times=MAX_TRANSIENT_RETRIES + 1)  # one read, retries and all

    reply = await chat.send('add a title "Urban Dreams"', before=before)

    assert reply.silent and reply.recovered and '"Urban Dreams"' in reply.text
    assert time.sleeps == [30.0]
    assert run_sse_calls(backend) == 2


async def test_a_silent_edit_whose_state_stays_unreadable_is_reported_as_done_but_unread(
    backend: LocalBackend, client: BackendClient
) -> None:
    time = FakeTime(backend=backend)
    chat = await conversation(client, time)
    await chat.send(GENERATE)
    before = await client.state(chat.session)
    backend.faults.force_silent(True, times=1)
    backend.faults.http_error("/api/state", 503, times=None)

    reply = await chat.send('add a title "Urban Dreams"', before=before)

    assert reply.silent and reply.text == UNREAD_NOTE
    assert run_sse_calls(backend) == 2


async def test_a_dropped_stream_whose_state_cannot_be_read_never_invites_a_resend(
    backend: LocalBackend, client: BackendClient
) -> None:
    time = FakeTime(backend=backend)
    chat = await conversation(client, time)
    before = await client.state(chat.session)
    backend.faults.drop_stream("mid_tool_call")
    backend.faults.http_error("/api/state", 503, times=None)

    with pytest.raises(TurnFailedError) as caught:
        await chat.send(GENERATE, before=before)

    message = str(caught.value)
    assert "could not be read in 5 of 5 checks" in message and "look at the project's timeline" in message
    assert "send it again to retry" not in message
    assert run_sse_calls(backend) == 1


# ------------------------------------------------------------------------- model errors


def adk_stream(*events: dict[str, Any]) -> httpx.Response:
    """A scripted ``/run_sse`` answer: ADK events, as the backend frames them."""
    body = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events)
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def adk_text(text: str) -> dict[str, Any]:
    return {"author": "nemo_agent", "content": {"role": "model", "parts": [{"text": text}]}, "partial": False}


def adk_error(code: str, message: str) -> dict[str, Any]:
    return {"author": "nemo_agent", "invocationId": "e-1", "errorCode": code, "errorMessage": message}


async def scripted_send(
    answer: httpx.Response, message: str = "make a video", fake: FakeBackend | None = None
) -> tuple[FakeBackend, Any]:
    fake = fake or FakeBackend()
    fake.queue("POST", "/run_sse", answer)
    settings = load_settings({}, api_url="http://backend.test")
    async with BackendClient(settings, load_identity(), transport=fake.transport(), sleep=no_wait) as scripted:
        session = await scripted.create_session()
        time = FakeTime()
        reply = await Conversation(scripted, session, sleep=time.sleep, clock=time.clock).send(message)
    return fake, reply


@pytest.mark.parametrize(
    ("events", "lead", "next_step"),
    [
        pytest.param(
            [adk_error("SAFETY", "The response was blocked by the safety filters.")],
            "The backend could not do that: The response was blocked by the safety filters.",
            "a content filter stopped it",
            id="safety-only",
        ),
        pytest.param(
            [adk_text("Sure, generating that now."), adk_error("MALFORMED_FUNCTION_CALL", "Malformed function call")],
            "Sure, generating that now.\n\nThe backend could not do that: Malformed function call.",
            "Rephrase or simplify the request",
            id="text-then-error",
        ),
    ],
)
async def test_a_model_error_is_reported_as_what_the_backend_said_with_the_next_step(
    events: list[dict[str, Any]], lead: str, next_step: str
) -> None:
    fake, reply = await scripted_send(adk_stream(*events))

    assert reply.text.startswith(lead) and next_step in reply.text and "Nothing changed" in reply.text
    assert "No visible change" not in reply.text and not reply.silent
    assert reply.model_error is not None and reply.changes == ()
    assert fake.paths().count("/run_sse") == 1


async def test_an_answer_that_is_not_a_stream_is_watched_like_a_lost_one_and_never_resent() -> None:
    # A 2xx means something accepted the message: "try again" could charge twice.
    fake = FakeBackend()
    fake.queue("POST", "/run_sse", httpx.Response(200, json={"code": 0, "data": None}))
    settings = load_settings({}, api_url="http://backend.test")
    time = FakeTime()
    async with BackendClient(settings, load_identity(), transport=fake.transport(), sleep=no_wait) as scripted:
        chat = Conversation(scripted, await scripted.create_session(), sleep=time.sleep, clock=time.clock)
        with pytest.raises(TurnFailedError, match="without an event stream") as caught:
            await chat.send("make a video")
    assert "not sent twice" in str(caught.value)
    assert time.sleeps == [30.0, 60.0, 60.0, 60.0, 60.0]
    assert fake.paths().count("/run_sse") == 1


# ------------------------------------------------------------------------- GUI instructions carried out


@pytest.mark.parametrize(
    ("said", "pointer", "gone"),
    [
        pytest.param(
            "Your video is ready! Check your account billing page to see your remaining credits.",
            "Your video is ready! Your credit balance is below.",
            "billing page",
            id="en-billing",
        ),
        pytest.param(
            "Done. Please top up your credits in your account settings.",
            "Done. Your credit balance is below; more credits can be bought in your NemoVideo account.",
            "account settings",
            id="en-top-up",
        ),
        pytest.param(
            "视频已生成！请查看您的账户余额。", "视频已生成！积分余额见下方。", "查看您的账户", id="zh-account"
        ),
    ],
)
async def test_check_your_billing_page_is_answered_with_the_balance(said: str, pointer: str, gone: str) -> None:
    fake, reply = await scripted_send(adk_stream(adk_text(said)))

    assert reply.text.startswith(pointer), reply.text
    assert reply.text.endswith("Credits: 90 available (10 reserved for work in progress), 100 in total.")
    assert gone not in reply.text
    assert fake.paths().count("/api/credits/balance/simple") == 1


async def test_an_unreadable_balance_leaves_the_offer_to_check_it() -> None:
    fake = FakeBackend()
    fake.queue("GET", "/api/credits", *[httpx.Response(503, text="busy")] * (MAX_TRANSIENT_RETRIES + 1))

    fake, reply = await scripted_send(adk_stream(adk_text("Check your billing page for credits.")), fake=fake)

    assert reply.text.startswith("Say “credits” and I'll check your balance."), reply.text
    assert "Credits:" not in reply.text and not reply.silent
    assert fake.paths().count("/run_sse") == 1


async def test_a_reply_that_does_not_mention_credits_does_not_read_them() -> None:
    fake, reply = await scripted_send(adk_stream(adk_text("Done! Preview in timeline to check the timing.")))

    assert reply.text.endswith("Timeline is empty: nothing has been generated yet.")  # the preview, answered
    assert "/api/credits/balance/simple" not in fake.paths()
