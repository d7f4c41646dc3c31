"""Arbitrary input where the program reads what others wrote: backend answers and its own files.

The SSE layer, the timeline reader/diff and the router are fuzzed in their own suites; this one
covers the envelope (any status, headers and body), the render poll payload, every client call
answered with arbitrary JSON, and the records read back from disk.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.client.envelope import ErrorContext, unwrap
from kling_ai_30.client.models import RenderStatus, is_plain_id
from kling_ai_30.client.session import Session
from kling_ai_30.config import load_settings
from kling_ai_30.errors import KlingError
from kling_ai_30.jobs.job import is_job_id
from kling_ai_30.jobs.store import JobStore
from kling_ai_30.skill import SkillIdentity
from kling_ai_30.workspace.outcome import Outcome, report
from kling_ai_30.workspace.projects import ProjectRef, ProjectStore

IDENTITY = SkillIdentity(name="kling-ai-30", version="1.2.3", platform="unknown", skill_dir=None)
LEAK = "nmv_usr_fuzzsecret0123456789"

# Keys the code looks for, so generated objects reach the interesting branches.
_KEYS = (
    "code",
    "message",
    "msg",
    "detail",
    "error",
    "data",
    "success",
    "status",
    "progress",
    "id",
    "taskId",
    "output",
    "outputUrl",
    "output_url",
    "url",
    "session_id",
    "task_id",
    "user_id",
    "token",
    "available",
    "frozen",
    "total",
    "state",
    "draft",
    "files",
    "claim_token",
)
_ODD_NUMBERS = st.sampled_from([10**400, -(10**400), 2**63, 0, -1, 1001, 1002, 2001, 4001, 4002, 402, 429])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | _ODD_NUMBERS
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["completed", "failed", "pending", "0", "1001", LEAK, "../../etc/passwd", ".."])
)
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), children, max_size=6)
    ),
    max_leaves=24,
)
_deep = st.integers(1_000, 50_000).map(lambda n: "[" * n + "]" * n)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


bodies = st.one_of(
    json_values.map(_dumps),
    st.binary(max_size=64),
    _deep.map(str.encode),
    st.just(b""),
    st.just(f'{{"code": 1, "message": "Bearer {LEAK} rejected"}}'.encode()),
)
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,14}", fullmatch=True).filter(
    lambda name: name.lower() not in {"content-encoding", "content-length", "transfer-encoding"}
)
header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30) | st.sampled_from(
    ["application/json", "text/html", "text/event-stream", "application/json; charset=utf-8"]
)


@settings(max_examples=400, deadline=None)
@given(
    status=st.integers(100, 599) | st.sampled_from([200, 400, 401, 402, 404, 413, 429, 500, 503]),
    headers=st.dictionaries(header_names, header_values, max_size=4),
    body=bodies,
    anonymous=st.booleans(),
    user_id=st.none() | st.text(max_size=10),
    token_from_env=st.booleans(),
)
def test_the_envelope_reads_any_response_or_raises_a_typed_actionable_error(
    status: int, headers: dict[str, str], body: bytes, anonymous: bool, user_id: str | None, token_from_env: bool
) -> None:
    response = httpx.Response(status, headers=headers, content=body)
    context = ErrorContext(
        "https://nemovideo.test", user_id=user_id, anonymous=anonymous, token_from_env=token_from_env
    )
    try:
        unwrap(response, context)
    except KlingError as exc:
        message = str(exc)
        assert message and message[0].isupper() and message.rstrip().endswith((".", ")"))
        assert LEAK not in message
        assert exc.code is None or isinstance(exc.code, int)


@settings(max_examples=400, deadline=None)
@given(payload=json_values)
def test_a_render_poll_payload_of_any_shape_reads_as_a_status(payload: Any) -> None:
    status = RenderStatus.from_payload(payload, render_id="render_1_abc")
    assert is_plain_id(status.id)
    assert status.progress is None or math.isfinite(status.progress)
    assert isinstance(status.finished, bool)
    assert status.error is None or (len(status.error) <= 200 and LEAK not in status.error)
    json.dumps(status.model_dump(), allow_nan=False)


# ------------------------------------------------------ every client call, any answer


Call = Callable[[BackendClient, Session], Awaitable[object]]
CALLS: dict[str, Call] = {
    "credits": lambda client, session: client.credits(),
    "state": lambda client, session: client.state(session),
    "create_session": lambda client, session: client.create_session(),
    "claim_token": lambda client, session: client.claim_token(session),
    "render_status": lambda client, session: client.render_status("render_1_abc"),
    "submit_render": lambda client, session: client.submit_render(session, {"t": [{"tt": 0, "sg": [{"d": 1}]}]}),
    "upload_url": lambda client, session: client.upload_urls(session, ["https://example.com/a.jpg"]),
}


async def _call_with_answer(call: Call, answer: httpx.Response) -> object:
    async def no_wait(seconds: float) -> None:
        pass

    settings_ = load_settings({"NEMO_TOKEN": "nmv_usr_usertoken"}, api_url="http://backend.test")
    transport = httpx.MockTransport(lambda request: answer)
    async with BackendClient(settings_, IDENTITY, transport=transport, sleep=no_wait) as client:
        return await call(client, Session(session_id="1234"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(sorted(CALLS)),
    status=st.sampled_from([200, 200, 200, 201, 400, 401, 402, 404, 429, 500, 502]),
    data=json_values,
    wrapped=st.sampled_from(["code", "success", "bare"]),
)
def test_every_client_call_answered_with_arbitrary_json_returns_or_raises_a_kling_error(
    name: str, status: int, data: Any, wrapped: str
) -> None:
    body = {"code": 0, "data": data} if wrapped == "code" else {"success": True, "data": data}
    answer = httpx.Response(status, content=_dumps(body if wrapped != "bare" else data))
    try:
        anyio.run(_call_with_answer, CALLS[name], answer)
    except KlingError as exc:
        assert str(exc) and LEAK not in str(exc)


# ------------------------------------------------------------ records read from disk


# Mostly well-formed records, any field possibly replaced by anything: the shapes a damaged or
# hand-edited file has. Each field is usually well typed, so records get past the type checks
# and reach the code that uses them.
def _mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.integers(0, 7).flatmap(lambda n: json_values if n == 0 else valid)


_RESULT_KEYS = ("message", "timeline", "changes", "question", "export", "path", "url", "render_id", "size_bytes")
_ERROR_KEYS = ("type", "code", "message")
_small_dicts = st.dictionaries(st.text(max_size=5), json_values, max_size=3)
job_dicts = st.fixed_dictionaries(
    {
        "id": _mostly(st.sampled_from(["gen_0123456789ab", "exp_0123456789ab"])),
        "kind": _mostly(st.sampled_from(["generate", "export"])),
        "project": _mostly(st.just("default")),
        "status": _mostly(st.sampled_from(["running", "done", "failed"])),
    },
    optional={
        "result": _mostly(
            st.dictionaries(
                st.sampled_from(_RESULT_KEYS),
                json_values | st.dictionaries(st.sampled_from(_RESULT_KEYS), json_values),
            )
        ),
        "error": _mostly(st.dictionaries(st.sampled_from(_ERROR_KEYS), json_values)),
        "phase": _mostly(st.text(max_size=8)),
        "message": _mostly(st.text(max_size=8)),
        "progress": _mostly(st.none() | st.floats(0, 1)),
        "created_at": _mostly(st.floats(0, 2e9)),
        "updated_at": _mostly(st.floats(0, 2e9)),
        "request": _mostly(_small_dicts),
        "render_ids": _mostly(st.lists(st.text(max_size=8), max_size=3)),
        "before": _mostly(st.none() | _small_dicts),
        "owner_pid": _mostly(st.none() | st.integers(1, 99_999)),
        "session_id": _mostly(st.none() | st.text(max_size=8)),
    },
)
session_dicts = st.fixed_dictionaries(
    {"session_id": _mostly(st.just("123"))},
    optional={
        "task_id": _mostly(st.none() | st.text(max_size=6)),
        "user_id": _mostly(st.none() | st.text(max_size=6)),
        "language": _mostly(st.sampled_from(["en", "zh-CN"])),
        "task_name": _mostly(st.just("project")),
        "created_at": _mostly(st.floats(0, 2e9)),
        "replacements": _mostly(st.integers(0, 3)),
        "extra": json_values,
    },
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=job_dicts | json_values)
def test_a_job_record_of_any_shape_reads_as_a_usable_job_or_none(data: Any, tmp_path: Path) -> None:
    told: list[str] = []
    store = JobStore(tmp_path / "jobs", tell=told.append)
    job_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else "gen_0123456789ab"
    if not is_job_id(job_id):
        return
    path = tmp_path / "jobs" / f"{job_id}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    job = store.load(job_id)
    if job is None:
        # Damaged: set aside (never read again) and told by name.
        assert not path.exists() and any(job_id in note for note in told)
        return
    # Everything the server later does with a loaded job works.
    assert job.render_id is None or isinstance(job.render_id, str)
    store.save(job)
    assert store.load(job_id) == job
    assert report(Outcome(job=job), job, lambda job_id: "follow it").job_id == job.id


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=session_dicts | json_values)
def test_a_session_record_of_any_shape_reads_as_a_session_or_none(data: Any, tmp_path: Path) -> None:
    store = ProjectStore(tmp_path / "projects", tell=lambda note: None)
    ref = ProjectRef("local", "default")
    path = tmp_path / "projects" / "local" / "default.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": "default", "session": data}), encoding="utf-8")
    session = store.load(ref).session
    if session is not None:
        assert isinstance(session.session_id, str) and isinstance(session.replacements, int)
        session.replacements += 1
        store.save(ref, store.load(ref).model_copy(update={"session": session}))
        assert store.load(ref).session == session


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.fixed_dictionaries(
        {},
        optional=dict.fromkeys(("session", "uploads", "exports", "api_url", "updated_at"), json_values | session_dicts),
    )
    | json_values
)
def test_a_project_record_of_any_shape_reads_as_a_record(data: Any, tmp_path: Path) -> None:
    store = ProjectStore(tmp_path / "projects", tell=lambda note: None)
    ref = ProjectRef("local", "default")
    path = tmp_path / "projects" / "local" / "default.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    record = store.load(ref)
    assert record.name == "default"
    store.save(ref, record)
    assert store.load(ref).session == record.session


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"progress": 10**400}, id="integer-too-big-for-a-float"),
        pytest.param({"progress": float("nan")}, id="nan"),
        pytest.param({"id": "../../etc/passwd", "status": "completed"}, id="path-in-id"),
        pytest.param({"id": "..", "status": "completed"}, id="dot-dot-id"),
        pytest.param({"error": "x" * 10_000 + LEAK, "status": "failed"}, id="huge-error-with-a-token"),
    ],
)
def test_render_payloads_found_by_fuzzing_stay_fixed(payload: dict[str, Any]) -> None:
    status = RenderStatus.from_payload(payload, render_id="render_1_abc")
    assert status.id == "render_1_abc" and status.progress is None
    assert status.error is None or (len(status.error) <= 200 and LEAK not in status.error)


@pytest.mark.parametrize("status", [200, 500])
def test_a_response_nested_thousands_deep_is_a_typed_error_not_a_recursion_crash(status: int) -> None:
    response = httpx.Response(status, content=b"[" * 100_000)
    with pytest.raises(KlingError):
        unwrap(response, ErrorContext("https://nemovideo.test"))
