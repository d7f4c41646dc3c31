"""Typed chat events: ADK and simplified payloads -> text, tool calls, results, errors, heartbeats."""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_ai_30.client.events import (
    ChatEvent,
    Heartbeat,
    ModelError,
    TextPart,
    ToolCall,
    ToolResult,
    aiter_chat_events,
    parse_event,
)
from kling_ai_30.client.sse import ServerSentEvent
from kling_ai_30.errors import StreamError

pytestmark = pytest.mark.anyio

SSE = ServerSentEvent
CALL_ID = "adk-9b1c7e2a-4f0e-4c55-8d8e-2c1f7a9b3e11"
ENVELOPE = (
    '"invocationId":"e-3f6d7765-5287-419e-9991-5fffa1a75565","author":"nemo_agent",'
    '"actions":{"stateDelta":{},"artifactDelta":{},"requestedAuthConfigs":{}}'
)
# reference/nemo-api.md §5.3, byte for byte.
ADK_TEXT = (
    '{"content":{"parts":[{"text":"Sure — I\'ll generate a 10-second sunset timelapse for you now."}],"role":"model"},'
    f'{ENVELOPE},"id":"ptcjaZBa","timestamp":1743712255.313043}}'
)
ADK_CALL = (
    f'{{"content":{{"parts":[{{"functionCall":{{"id":"{CALL_ID}","args":{{"prompt":'
    '"golden-hour sunset over the sea, timelapse","duration":10,"aspect_ratio":"16:9"},"name":'
    f'"generate_video_with_seedance"}}}}],"role":"model"}},{ENVELOPE},'
    '"longRunningToolIds":[],"id":"5aocxjaq","timestamp":1743712256.101220}'
)
ADK_RESULT = (
    f'{{"content":{{"parts":[{{"functionResponse":{{"id":"{CALL_ID}","name":"generate_video_with_seedance",'
    '"response":{"status":"success","video_url":"https://cdn.example.com/gen/abc.mp4"}}}],"role":"user"},'
    f'{ENVELOPE},"id":"rAnWGSiV","timestamp":1743712431.391317}}'
)
ARGS = {"prompt": "golden-hour sunset over the sea, timelapse", "duration": 10, "aspect_ratio": "16:9"}
RESPONSE = {"status": "success", "video_url": "https://cdn.example.com/gen/abc.mp4"}
HEARTBEAT = [Heartbeat()]


def adk(*parts: dict[str, Any], **fields: Any) -> str:
    return json.dumps({"content": {"parts": list(parts), "role": "model"}, "author": "nemo_agent", **fields})


def text(value: str, *, author: str | None = "nemo_agent", partial: bool = False) -> TextPart:
    return TextPart(value, author, partial)


PARSED = [
    # --- ADK vocabulary
    pytest.param(
        ADK_TEXT, [text("Sure — I'll generate a 10-second sunset timelapse for you now.")], id="adk-text-real-line"
    ),
    pytest.param(ADK_CALL, [ToolCall(CALL_ID, "generate_video_with_seedance", ARGS)], id="adk-function-call-real-line"),
    pytest.param(
        ADK_RESULT,
        [ToolResult(CALL_ID, "generate_video_with_seedance", RESPONSE)],
        id="adk-function-response-real-line",
    ),
    pytest.param(
        adk({"text": "Planning…", "thought": True}, {"text": "Here it is."}),
        [text("Here it is.")],
        id="thought-skipped",
    ),
    pytest.param(adk({"text": "hmm", "thought": True, "thoughtSignature": "AAA="}), HEARTBEAT, id="only-thoughts"),
    pytest.param(adk({"text": "Gen"}, partial=True), [text("Gen", partial=True)], id="partial"),
    pytest.param(
        adk({"text": "Starting."}, {"functionCall": {"id": "a", "name": "edit_multitrack", "args": {}}}),
        [text("Starting."), ToolCall("a", "edit_multitrack", {})],
        id="several-parts-in-order",
    ),
    pytest.param(
        adk({"function_call": {"name": "x", "args": {"k": 1}}}, {"function_response": {"name": "x", "response": 2}}),
        [ToolCall(None, "x", {"k": 1}), ToolResult(None, "x", 2)],
        id="snake-case-parts",
    ),
    pytest.param(adk({"functionCall": {"name": "x"}}), [ToolCall(None, "x", {})], id="call-without-args"),
    pytest.param(
        adk({"functionCall": {"id": 5, "name": 7, "args": [1]}}), [ToolCall(None, "", {})], id="call-wrong-types"
    ),
    pytest.param(
        adk({"functionCall": {"name": "x", "args": '{"k": 1}'}}),
        [ToolCall(None, "x", {"k": 1})],
        id="args-as-json-string",
    ),
    pytest.param(
        adk({"inlineData": {"mimeType": "image/png", "data": "AA=="}}, {"text": "ok", "newPartField": 1}),
        [text("ok")],
        id="unknown-part-kind-and-keys-ignored",
    ),
    pytest.param(
        adk({"text": "ok"}, usageMetadata={"totalTokenCount": 9}, nodeInfo={}, somethingNew=[1, 2]),
        [text("ok")],
        id="unknown-event-keys-ignored",
    ),
    pytest.param(adk({"text": ""}), HEARTBEAT, id="empty-text-is-nothing"),
    pytest.param(json.dumps({"content": {"parts": [{"text": "hi"}]}}), [text("hi", author=None)], id="no-author"),
    pytest.param(json.dumps({"content": {"parts": "nope"}, "author": 3}), HEARTBEAT, id="parts-not-a-list"),
    pytest.param(json.dumps({"content": {"parts": [None, 1, "x", []]}}), HEARTBEAT, id="parts-not-objects"),
    pytest.param(
        f'{{{ENVELOPE},"actions":{{"stateDelta":{{"draft":{{}}}}}},"id":"x"}}', HEARTBEAT, id="state-only-event"
    ),
    pytest.param(
        json.dumps({"errorCode": "SAFETY", "errorMessage": "Blocked for safety.", "author": "nemo_agent"}),
        [ModelError("SAFETY", "Blocked for safety.")],
        id="model-error",
    ),
    pytest.param(
        json.dumps({"error_code": "MALFORMED_FUNCTION_CALL"}),
        [ModelError("MALFORMED_FUNCTION_CALL", "The model stopped with error MALFORMED_FUNCTION_CALL.")],
        id="model-error-code-only-snake-case",
    ),
    pytest.param(
        json.dumps({"errorMessage": "bad\n\x1b[31mthing\u2028"}),
        [ModelError(None, "bad [31mthing")],
        id="model-error-sanitised",
    ),
    pytest.param(
        adk({"text": "partial answer"}, errorCode="MAX_TOKENS"),
        [text("partial answer"), ModelError("MAX_TOKENS", "The model stopped with error MAX_TOKENS.")],
        id="text-then-model-error",
    ),
    pytest.param(
        json.dumps({"error": "ignored when there is content", "content": {"parts": [{"text": "hi"}]}}),
        [text("hi", author=None)],
        id="error-key-with-content-is-not-a-stream-error",
    ),
    pytest.param(json.dumps({"error": None, "id": "x"}), HEARTBEAT, id="null-error-is-no-error"),
    pytest.param(json.dumps({"error": False}), HEARTBEAT, id="false-error-is-no-error"),
    # --- simplified vocabulary
    pytest.param('{"type":"heartbeat"}', HEARTBEAT, id="heartbeat-object"),
    pytest.param('{"type":"text","content":"Done!"}', [text("Done!", author=None)], id="simple-text"),
    pytest.param('{"type":"text","text":"Done!"}', [text("Done!", author=None)], id="simple-text-key"),
    pytest.param('{"type":"text","content":""}', HEARTBEAT, id="simple-empty-text"),
    pytest.param(
        '{"type":"tool_call","name":"generate_video_with_seedance","args":{"duration":10}}',
        [ToolCall(None, "generate_video_with_seedance", {"duration": 10})],
        id="simple-tool-call",
    ),
    pytest.param(
        '{"type":"tool_result","name":"edit_multitrack","result":{"ok":true}}',
        [ToolResult(None, "edit_multitrack", {"ok": True})],
        id="simple-tool-result",
    ),
    pytest.param('{"type":"progress","percent":40}', HEARTBEAT, id="simple-unknown-type"),
]


@pytest.mark.parametrize(("data", "expected"), PARSED)
def test_payloads_become_typed_events(data: str, expected: list[ChatEvent]) -> None:
    assert parse_event(SSE(data=data)) == expected


@pytest.mark.parametrize(
    "sse",
    [
        pytest.param(SSE(data=""), id="empty-data"),
        pytest.param(SSE(data="  "), id="blank-data"),
        pytest.param(SSE(comment="keepalive"), id="comment"),
        pytest.param(SSE(data='{"type":"heartbeat"}'), id="heartbeat-object"),
        pytest.param(SSE(event="ping", data="ping"), id="named-ping-event"),
    ],
)
def test_heartbeats_in_every_form(sse: ServerSentEvent) -> None:
    assert parse_event(sse) == [Heartbeat()]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        pytest.param(
            '{"error": "Agent crashed: quota exceeded"}',
            "reported an error during the chat: Agent crashed: quota exceeded. ",
            id="adk-error-line",
        ),
        pytest.param('{"error": {"message": "Upstream timeout", "code": 504}}', "Upstream timeout", id="error-object"),
        pytest.param('{"type": "error", "message": "boom"}', "during the chat: boom. ", id="simple-error-type"),
        pytest.param('{"error": "line1\\nline2\\t\\u001b[0m\\u0000"}', "line1 line2 [0m. ", id="error-sanitised"),
        pytest.param(
            '{"error": "token nmv_usr_abcdef123456 rejected"}', "token [redacted] rejected", id="error-redacted"
        ),
        pytest.param('{"error": ["weird"]}', "during the chat: no details. ", id="error-not-text"),
        pytest.param('{"error": "bad "quote" here"}', "malformed event (not JSON", id="old-adk-f-string-error"),
        pytest.param('{"content": {"parts": [', "malformed event (not JSON", id="cut-json"),
        pytest.param("hello", "malformed event (not JSON: 'hello')", id="not-json"),
        pytest.param("[1, 2]", "malformed event (a JSON array, not an object", id="json-list"),
        pytest.param("42", "malformed event (a JSON number, not an object", id="json-number"),
        pytest.param('"text"', "malformed event (a JSON string, not an object", id="json-string"),
        pytest.param("null", "malformed event (a JSON null, not an object", id="json-null"),
        pytest.param("[" * 100_000, "malformed event (not JSON", id="deeply-nested"),
        pytest.param("1" * 5000, "malformed event (not JSON", id="huge-integer"),
    ],
)
def test_error_and_malformed_payloads_raise_stream_error(data: str, fragment: str) -> None:
    with pytest.raises(StreamError) as caught:
        parse_event(SSE(data=data))
    message = str(caught.value)
    assert fragment in message
    assert message.endswith(("before sending it again.", "before sending the message again."))


def test_backend_error_message_is_bounded() -> None:
    with pytest.raises(StreamError) as caught:
        parse_event(SSE(data=json.dumps({"error": "x" * 100_000})))
    assert len(str(caught.value)) < 500


def test_backend_error_keeps_a_numeric_code() -> None:
    with pytest.raises(StreamError) as caught:
        parse_event(SSE(data='{"error": {"message": "no credits", "code": 2001}}'))
    assert caught.value.code == 2001


def test_events_are_hashable_and_compare_by_value() -> None:
    call = ToolCall("a", "x", {"k": [1]})
    assert call == ToolCall("a", "x", {"k": [1]})
    assert len({call, ToolResult("a", "x", {"r": 1}), Heartbeat(), Heartbeat()}) == 3


async def chunks_of(pieces: Sequence[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def test_a_whole_adk_turn_streams_as_typed_events() -> None:
    wire = (
        f": keepalive\n\ndata: {ADK_TEXT}\n\ndata:\n\ndata: {ADK_CALL}\r\n\r\n"
        f'data: {{"type":"heartbeat"}}\n\ndata: {ADK_RESULT}\n\ndata: {adk({"text": "Your video is ready."})}\n'
    ).encode()
    pieces = [wire[i : i + 7] for i in range(0, len(wire), 7)]
    events = [event async for event in aiter_chat_events(chunks_of(pieces))]
    assert events == [
        Heartbeat(),
        text("Sure — I'll generate a 10-second sunset timelapse for you now."),
        Heartbeat(),
        ToolCall(CALL_ID, "generate_video_with_seedance", ARGS),
        Heartbeat(),
        ToolResult(CALL_ID, "generate_video_with_seedance", RESPONSE),
        text("Your video is ready."),  # the final blank line was cut: still delivered
    ]


async def test_stream_error_surfaces_after_the_events_before_it() -> None:
    wire = f'data: {adk({"text": "Working on it."})}\n\ndata: {{"error": "Runner failed"}}\n\n'.encode()
    seen: list[ChatEvent] = []
    with pytest.raises(StreamError, match="Runner failed"):
        async for event in aiter_chat_events(chunks_of([wire])):
            seen.append(event)  # noqa: PERF401 - a comprehension would lose what came before the error
    assert seen == [text("Working on it.")]


# --- properties ---------------------------------------------------------------------------

_KEYS = [
    "content", "parts", "text", "thought", "functionCall", "function_call", "functionResponse", "function_response",
    "id", "name", "args", "response", "partial", "author", "errorCode", "errorMessage", "error_code", "error", "type",
    "result", "message", "code", "arguments",
]  # fmt: skip
_TYPES = ["text", "tool_call", "tool_result", "heartbeat", "error", "other"]
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_shaped = st.recursive(
    json_scalars | st.sampled_from(_TYPES),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None)
@given(value=json_shaped)
def test_any_json_payload_gives_events_or_stream_error(value: Any) -> None:
    try:
        events = parse_event(SSE(data=json.dumps(value)))
    except StreamError as e:
        assert str(e)
    else:
        assert events
        assert all(isinstance(e, Heartbeat | TextPart | ToolCall | ToolResult | ModelError) for e in events)


@settings(max_examples=300, deadline=None)
@given(data=st.text(max_size=40), event=st.sampled_from(["message", "ping", "x"]))
def test_any_text_payload_gives_events_or_stream_error(data: str, event: str) -> None:
    with contextlib.suppress(StreamError):
        assert parse_event(SSE(event=event, data=data))


async def collect(pieces: Sequence[bytes]) -> tuple[list[ChatEvent], str | None]:
    """The events before the stream ends or fails, and the failure's message."""
    events: list[ChatEvent] = []
    try:
        async for event in aiter_chat_events(chunks_of(pieces)):
            events.append(event)  # noqa: PERF401 - a comprehension would lose what came before the error
    except StreamError as e:
        return events, str(e)
    return events, None


_WIRE_TOKENS = [
    b"data: ", b"data:", b": ka", b"\n", b"\r\n", b"\r", b"\n\n", b"{", b"}", b'"type"', b":", b'"text"', b",",
    b'"content"', b'"error"', b'"x"', b"[", b"]", "é".encode(), "日".encode()[:2], b"\xff",
]  # fmt: skip
wire_bytes = st.lists(st.sampled_from(_WIRE_TOKENS) | st.binary(max_size=4), max_size=40).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(wire=wire_bytes, cut_seed=st.data())
async def test_any_bytes_in_any_split_give_the_same_events_or_the_same_stream_error(
    wire: bytes, cut_seed: st.DataObject
) -> None:
    cuts = sorted(cut_seed.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    bounds = [0, *cuts, len(wire)]
    split = [wire[a:b] for a, b in itertools.pairwise(bounds)]
    assert await collect(split) == await collect([wire])


# Generated ADK events: (author, partial, parts); each part a text, call, result or thought.
_texts = st.text(min_size=1, max_size=30)
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=10,
)
_parts = st.one_of(
    _texts.map(lambda t: {"text": t}),
    _texts.map(lambda t: {"text": t, "thought": True}),
    st.builds(
        lambda id_, name, args: {"functionCall": {"id": id_, "name": name, "args": args}},
        st.text(max_size=10),
        _texts,
        st.dictionaries(st.text(max_size=6), _json_values, max_size=3),
    ),
    st.builds(
        lambda id_, name, response: {"functionResponse": {"id": id_, "name": name, "response": response}},
        st.text(max_size=10),
        _texts,
        _json_values,
    ),
)
adk_events = st.lists(st.tuples(st.none() | _texts, st.booleans(), st.lists(_parts, max_size=3)), max_size=6)


def expected_events(author: str | None, partial: bool, parts: list[dict[str, Any]]) -> list[ChatEvent]:
    out: list[ChatEvent] = []
    for part in parts:
        if part.get("thought"):
            continue
        if "text" in part:
            out.append(TextPart(part["text"], author, partial))
        elif "functionCall" in part:
            call = part["functionCall"]
            out.append(ToolCall(call["id"], call["name"], call["args"]))
        else:
            result = part["functionResponse"]
            out.append(ToolResult(result["id"], result["name"], result["response"]))
    return out or [Heartbeat()]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=adk_events, newline=st.sampled_from(["\n", "\r\n"]), cut_seed=st.data())
async def test_generated_adk_events_round_trip_through_any_chunking(
    events: list[tuple[str | None, bool, list[dict[str, Any]]]], newline: str, cut_seed: st.DataObject
) -> None:
    wire = b""
    expected: list[ChatEvent] = []
    for author, partial, parts in events:
        payload: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "invocationId": "e-1"}
        if author is not None:
            payload["author"] = author
        if partial:
            payload["partial"] = True
        wire += f"data: {json.dumps(payload, ensure_ascii=False)}{newline}{newline}".encode()
        expected += expected_events(author, partial, parts)
    cuts = sorted(cut_seed.draw(st.lists(st.integers(0, len(wire)), max_size=10)))
    bounds = [0, *cuts, len(wire)]
    assert await collect([wire[a:b] for a, b in itertools.pairwise(bounds)]) == (expected, None)
