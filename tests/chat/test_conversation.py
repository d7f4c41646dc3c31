"""One conversation turn against the local backend: replies, heartbeats, silence, errors, drops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

from kling_ai_30.chat.conversation import STILL_WORKING, Conversation, Status, TurnFailedError
from kling_ai_30.client.backend import BackendClient
from kling_ai_30.config import load_settings
from kling_ai_30.errors import InputError, StreamError
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import load_identity

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


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[BackendClient]:
    settings = load_settings({}, api_url=base_url, web_url=base_url)
    async with BackendClient(settings, load_identity()) as backend_client:
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

    async def second() -> None:
        await anyio.sleep(0.1)
        try:
            await chat.send("add music")
        except InputError as exc:
            errors.append(exc)

    async with anyio.create_task_group() as group:
        group.start_soon(second)
        await chat.send(GENERATE)
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
