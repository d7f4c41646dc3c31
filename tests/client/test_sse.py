"""The SSE layer: bytes in any split -> the events the WHATWG rules define, plus comments."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kling_ai_30.client.sse import ServerSentEvent, SSEDecoder, aiter_sse, check_content_type
from kling_ai_30.errors import StreamError

pytestmark = pytest.mark.anyio

SSE = ServerSentEvent

# reference/nemo-api.md §5.3, byte for byte.
ADK_TEXT = (
    '{"content":{"parts":[{"text":"Sure — I\'ll generate a 10-second sunset timelapse for you now."}],"role":"model"},'
    '"invocationId":"e-3f6d7765-5287-419e-9991-5fffa1a75565","author":"nemo_agent","actions":{"stateDelta":{},'
    '"artifactDelta":{},"requestedAuthConfigs":{}},"id":"ptcjaZBa","timestamp":1743712255.313043}'
)
ADK_CALL = (
    '{"content":{"parts":[{"functionCall":{"id":"adk-9b1c7e2a-4f0e-4c55-8d8e-2c1f7a9b3e11","args":{"prompt":'
    '"golden-hour sunset over the sea, timelapse","duration":10,"aspect_ratio":"16:9"},"name":'
    '"generate_video_with_seedance"}}],"role":"model"},"invocationId":"e-3f6d7765-5287-419e-9991-5fffa1a75565",'
    '"author":"nemo_agent","actions":{"stateDelta":{},"artifactDelta":{},"requestedAuthConfigs":{}},'
    '"longRunningToolIds":[],"id":"5aocxjaq","timestamp":1743712256.101220}'
)


def decode(pieces: Sequence[bytes]) -> list[ServerSentEvent]:
    """Everything a decoder yields for these chunks, including what ``flush`` delivers."""
    decoder = SSEDecoder()
    out = [sse for piece in pieces for sse in decoder.feed(piece)]
    return out + decoder.flush()


def split_at(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


async def chunks_of(pieces: Sequence[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


CASES = [
    pytest.param(f"data: {ADK_TEXT}\n\n".encode(), [SSE(data=ADK_TEXT)], id="adk-event"),
    pytest.param(
        f"data: {ADK_TEXT}\n\ndata: {ADK_CALL}\n\n".encode(), [SSE(data=ADK_TEXT), SSE(data=ADK_CALL)], id="adk-events"
    ),
    pytest.param(b"data: a\r\n\r\ndata: b\r\n\r\n", [SSE(data="a"), SSE(data="b")], id="crlf"),
    pytest.param(b"data: a\r\rdata: b\r\r", [SSE(data="a"), SSE(data="b")], id="cr"),
    pytest.param(b"data: a\r\ndata: b\n\r\n", [SSE(data="a\nb")], id="mixed-line-endings"),
    pytest.param(b"data: a\r\r\n", [SSE(data="a")], id="cr-then-crlf-is-two-line-ends"),
    pytest.param(b"data: line 1\ndata: line 2\ndata:\n\n", [SSE(data="line 1\nline 2\n")], id="multi-line-data"),
    pytest.param(b": keepalive\n\n", [SSE(comment="keepalive")], id="comment"),
    pytest.param(b":ping\n:\n", [SSE(comment="ping"), SSE(comment="")], id="bare-comments"),
    pytest.param(
        b"data: a\n: keepalive\ndata: b\n\n", [SSE(comment="keepalive"), SSE(data="a\nb")], id="comment-inside-event"
    ),
    pytest.param(b"data:\n\n", [SSE(data="")], id="empty-data-dispatches"),
    pytest.param(b"data: \n\n", [SSE(data="")], id="empty-data-with-space"),
    pytest.param(b"data\n\n", [SSE(data="")], id="field-without-colon"),
    pytest.param(b"\n\n\r\n\r", [], id="blank-lines-alone"),
    pytest.param(b"event: x\nid: 7\nretry: 5\n\n", [], id="no-data-no-dispatch"),
    pytest.param(b"event: status\ndata: x\n\ndata: y\n\n", [SSE("status", "x"), SSE(data="y")], id="event-name-resets"),
    pytest.param(
        b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n",
        [SSE(data="a", id="1"), SSE(data="b", id="1"), SSE(data="c")],
        id="id-persists",
    ),
    pytest.param(
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [SSE(data="a", id="1"), SSE(data="b", id="1")],
        id="id-with-nul-ignored",
    ),
    pytest.param(
        b"retry: 3000\ndata: a\n\nretry: 1.5\ndata: b\n\nretry: \xd9\xa3\ndata: c\n\n",
        [SSE(data="a", retry=3000), SSE(data="b"), SSE(data="c")],
        id="retry-ascii-digits-only",
    ),
    pytest.param(b"retry: " + b"9" * 5000 + b"\ndata: a\n\n", [SSE(data="a")], id="retry-huge-ignored"),
    pytest.param(b"foo: bar\nDATA: no\ndata: x\n\n", [SSE(data="x")], id="unknown-fields-ignored"),
    pytest.param(b"data:x\n\ndata:  x\n\n", [SSE(data="x"), SSE(data=" x")], id="one-leading-space-stripped"),
    pytest.param(b'data: {"a":"b:c"}\n\n', [SSE(data='{"a":"b:c"}')], id="colon-in-value"),
    pytest.param(b"\xef\xbb\xbfdata: x\n\n", [SSE(data="x")], id="bom-ignored"),
    pytest.param(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n", [], id="only-one-bom-ignored"),
    pytest.param(b"data: \xef\xbb\xbfx\n\n", [SSE(data="\ufeffx")], id="bom-mid-stream-kept"),
    pytest.param("data: 日本語 — ok\n\n".encode(), [SSE(data="日本語 — ok")], id="multibyte"),
    pytest.param(b"data: a\xffb\xe6\x97\n\n", [SSE(data="a\ufffdb\ufffd")], id="invalid-utf8-replaced"),
    pytest.param(b"data: a\n\ndata: b\n", [SSE(data="a"), SSE(data="b")], id="missing-final-blank-line-flushed"),
    pytest.param(b"data: a\n\ndata: b", [SSE(data="a"), SSE(data="b")], id="unterminated-line-flushed"),
    pytest.param(b"data: a\n\n: bye", [SSE(data="a"), SSE(comment="bye")], id="unterminated-comment-flushed"),
]


@pytest.mark.parametrize("split", [lambda b: [b], bytewise, lambda b: split_at(b, [len(b) // 2])])
@pytest.mark.parametrize(("stream", "expected"), CASES)
def test_decoder_follows_the_spec_however_the_stream_is_split(
    stream: bytes, expected: list[ServerSentEvent], split: object
) -> None:
    assert callable(split)
    assert decode(split(stream)) == expected


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert decode([b"data: a\r", b"\n\r", b"\n", b"data: b\r", b"\r"]) == [SSE(data="a"), SSE(data="b")]


def test_multibyte_character_split_across_chunks_is_decoded_whole() -> None:
    raw = "data: 日\n\n".encode()
    assert decode([raw[:7], raw[7:8], raw[8:]]) == [SSE(data="日")]


def test_bom_split_across_chunks_is_still_ignored() -> None:
    assert decode([b"", b"\xef", b"\xbb", b"\xbfdata: x\n\n"]) == [SSE(data="x")]


def test_feed_returns_events_as_soon_as_their_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\n: ka") == [SSE(data="a")]
    assert decoder.feed(b"\n") == [SSE(comment="ka")]
    assert decoder.feed(b"data: b\r") == []
    assert decoder.feed(b"\r") == [SSE(data="b")]


def test_flush_resets_the_decoder_for_a_new_stream() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 9\ndata: a\n\ndata: half")
    assert decoder.flush() == [SSE(data="half", id="9")]
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [SSE(data="b")]
    assert decoder.flush() == []


def test_long_line_in_tiny_chunks_is_decoded_in_linear_time() -> None:
    payload = b"x" * 200_000
    started = time.perf_counter()
    events = decode([b"data: ", *bytewise(payload), b"\n\n"])
    elapsed = time.perf_counter() - started
    assert events == [SSE(data=payload.decode())]
    # Linear takes ~0.1 s here; re-joining the line on every chunk would take tens of seconds.
    assert elapsed < 5


async def test_aiter_sse_delivers_events_and_the_unterminated_last_one() -> None:
    pieces = [b": keepalive\n\ndata: a\n", b"\ndata: b\n"]
    assert [sse async for sse in aiter_sse(chunks_of(pieces))] == [
        SSE(comment="keepalive"),
        SSE(data="a"),
        SSE(data="b"),
    ]


async def test_aiter_sse_can_drop_the_unterminated_event_as_the_spec_says() -> None:
    pieces = [b"data: a\n\ndata: b\n"]
    assert [sse async for sse in aiter_sse(chunks_of(pieces), keep_unterminated=False)] == [SSE(data="a")]


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/event-stream", id="plain"),
        pytest.param("text/event-stream; charset=utf-8", id="with-charset"),
        pytest.param(" Text/Event-Stream ;charset=UTF-8", id="case-and-spaces"),
    ],
)
def test_event_stream_content_types_are_accepted(content_type: str) -> None:
    check_content_type(content_type)


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [
        pytest.param(None, "got no content type", id="missing"),
        pytest.param("", "got no content type", id="empty"),
        pytest.param("application/json", "got 'application/json'", id="json"),
        pytest.param("text/html; charset=utf-8", "got 'text/html; charset=utf-8'", id="html"),
        pytest.param("text/event-streamx", "got 'text/event-streamx'", id="lookalike"),
        pytest.param("text/plain\r\nX-Evil: 1", "got 'text/plain X-Evil: 1'", id="control-characters-removed"),
    ],
)
def test_other_content_types_raise_stream_error(content_type: str | None, shown: str) -> None:
    with pytest.raises(StreamError) as caught:
        check_content_type(content_type)
    assert str(caught.value).startswith(f"Expected a text/event-stream response, {shown}; ")


# --- properties ---------------------------------------------------------------------------

# Bytes biased towards the syntax that matters, so examples reach the interesting paths.
_TOKENS = [
    b"data:",
    b"data: ",
    b"event: ",
    b"id: ",
    b"retry: ",
    b"retry: 10",
    b":",
    b": ka",
    b" ",
    b"\n",
    b"\r",
    b"\r\n",
    b"\n\n",
    b"\xef\xbb\xbf",
    "日".encode(),
    "é".encode()[:1],
    b"\x00",
    b"\xff",
    b'{"a": 1}',
    b"x",
]
stream_bytes = st.lists(st.sampled_from(_TOKENS) | st.binary(max_size=6), max_size=40).map(b"".join)


@settings(max_examples=400, deadline=None)
@given(data=stream_bytes, cut_seed=st.data())
def test_any_split_of_any_bytes_decodes_like_one_piece(data: bytes, cut_seed: st.DataObject) -> None:
    cuts = cut_seed.draw(st.lists(st.integers(0, len(data)), max_size=12))
    assert decode(split_at(data, cuts)) == decode([data])


@settings(max_examples=200, deadline=None)
@given(data=stream_bytes)
def test_byte_by_byte_decodes_like_one_piece(data: bytes) -> None:
    assert decode(bytewise(data)) == decode([data])


_no_newlines = st.text(st.characters(exclude_characters="\r\n", codec="utf-8"), max_size=12)
records = st.lists(
    st.one_of(
        st.builds(
            lambda event, data, id_: ("event", event, data, id_),
            _no_newlines,
            st.text(st.characters(exclude_characters="\r", codec="utf-8"), max_size=20),
            st.none() | _no_newlines.filter(lambda s: "\0" not in s),
        ),
        st.builds(lambda text: ("comment", text), _no_newlines),
    ),
    max_size=8,
)


def serialise(records: list[tuple[str, ...]], newline: str) -> tuple[bytes, list[ServerSentEvent]]:
    """The wire form of generated records, and the events a conforming decoder must give back."""
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id = ""
    for record in records:
        if record[0] == "comment":
            lines.append(f": {record[1]}")
            expected.append(SSE(comment=record[1]))
            continue
        _, event, data, id_ = record
        if event:
            lines.append(f"event: {event}")
        if id_ is not None:
            lines.append(f"id: {id_}")
            last_id = id_
        lines.extend(f"data: {line}" for line in data.split("\n"))
        lines.append("")
        expected.append(SSE(event or "message", data, last_id))
    return "".join(line + newline for line in lines).encode(), expected


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=records, newline=st.sampled_from(["\n", "\r\n", "\r"]), bom=st.booleans(), cut_seed=st.data())
def test_serialised_events_round_trip_through_any_chunking(
    records: list[tuple[str, ...]], newline: str, bom: bool, cut_seed: st.DataObject
) -> None:
    wire, expected = serialise(records, newline)
    wire = (b"\xef\xbb\xbf" if bom else b"") + wire
    cuts = cut_seed.draw(st.lists(st.integers(0, len(wire)), max_size=10))
    assert decode(split_at(wire, cuts)) == expected
