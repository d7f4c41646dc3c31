"""Throughput of the chat-stream parser on a realistic ADK ``/run_sse`` stream.

Run: ``python bench/bench_sse.py [--events 20000] [--chunk 4096] [--repeat 5]``.

The stream mimics reference/nemo-api.md §5.3: ADK text, functionCall and functionResponse
events (with the full envelope ADK always sends), plus empty-data and comment heartbeats.
Five measurements, each made ``--repeat`` times, interleaved (one of each in turn, so a busy
moment of a shared machine hits them alike), timed in CPU time (``time.process_time``: this
process's own work, what a quiet machine's wall clock would show); the best counts, and each
round's ratio to the baselines measured beside it gives the range:

- decoder: bytes -> ``ServerSentEvent`` (``SSEDecoder.feed``);
- decoder + parse: bytes -> typed ``ChatEvent`` (``feed`` + ``parse_event``);
- async pipeline: ``aiter_chat_events`` over an async chunk iterator, as the client uses it;
- baselines, over the same chunks in the same run: httpx's ``Response.aiter_lines`` with a
  naive ``data:`` prefix check, then either bare ``json.loads`` (what a quick client writes;
  it builds no typed events and ignores the SSE rules: multi-line data, CR line ends, and
  ``str.splitlines`` also breaks lines on U+2028, U+0085 and friends) or our ``parse_event``
  (same output as ours, so the ratio isolates the line/event decoding). A ratio above 1
  means the async pipeline is faster.

Target: >= 50,000 events/s for decoder + parse.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx
from _common import machine_line, median

from kling_ai_30.client.events import aiter_chat_events, parse_event
from kling_ai_30.client.sse import ServerSentEvent, SSEDecoder

TARGET_EVENTS_PER_S = 50_000
_SENTENCES = [
    "Sure — I'll generate a 10-second sunset timelapse for you now.",
    "Your clip is ready. I added gentle background music and a title card.",
    "正在为您生成视频，请稍候。",
    "I trimmed the intro to 3 seconds and boosted the colours slightly.",
]


def _envelope(rng: random.Random) -> dict[str, Any]:
    return {
        "invocationId": "e-3f6d7765-5287-419e-9991-5fffa1a75565",
        "author": "nemo_agent",
        "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
        "id": "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=8)),
        "timestamp": 1743712255.313043 + rng.random() * 300,
    }


def build_stream(n_events: int, seed: int = 7) -> bytes:
    """``n_events`` SSE events (comments included), in the proportions a generation turn has."""
    rng = random.Random(seed)
    out: list[str] = []
    for i in range(n_events):
        roll = rng.random()
        if roll < 0.05:
            out.append(": keepalive\n\n")
            continue
        if roll < 0.10:
            out.append("data:\n\n")
            continue
        call_id = f"adk-{rng.getrandbits(128):032x}"
        if roll < 0.55:
            text = " ".join(rng.choices(_SENTENCES, k=rng.randint(1, 4)))
            event = {"content": {"parts": [{"text": text}], "role": "model"}, **_envelope(rng)}
        elif roll < 0.78:
            args = {"prompt": f"golden-hour sunset over the sea, take {i}", "duration": 10, "aspect_ratio": "16:9"}
            part = {"functionCall": {"id": call_id, "args": args, "name": "generate_video_with_seedance"}}
            event = {"content": {"parts": [part], "role": "model"}, **_envelope(rng), "longRunningToolIds": []}
        else:
            response = {"status": "success", "video_url": f"https://cdn.example.com/gen/{call_id}.mp4"}
            part = {"functionResponse": {"id": call_id, "name": "generate_video_with_seedance", "response": response}}
            event = {"content": {"parts": [part], "role": "user"}, **_envelope(rng)}
        # ADK: model_dump_json(exclude_none=True, by_alias=True) -> compact, non-ASCII kept.
        out.append(f"data: {json.dumps(event, ensure_ascii=False, separators=(',', ':'))}\n\n")
    return "".join(out).encode()


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def decoder_only(chunks: Sequence[bytes]) -> int:
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        count += len(decoder.feed(chunk))
    return count + len(decoder.flush())


def decoder_and_parse(chunks: Sequence[bytes]) -> int:
    decoder = SSEDecoder()
    count = 0
    for chunk in chunks:
        for sse in decoder.feed(chunk):
            parse_event(sse)
            count += 1
    for sse in decoder.flush():
        parse_event(sse)
        count += 1
    return count


async def _aiter(chunks: Sequence[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


def async_pipeline(chunks: Sequence[bytes]) -> int:
    async def run() -> int:
        return len([event async for event in aiter_chat_events(_aiter(chunks))])

    return asyncio.run(run())


def httpx_baseline(chunks: Sequence[bytes]) -> int:
    """What a quick client would write: ``aiter_lines`` and ``json.loads`` on ``data:`` lines."""

    async def run() -> int:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_aiter(chunks))
        count = 0
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                payload = line[5:].strip()
                if payload:
                    json.loads(payload)
                count += 1
            elif line.startswith(":"):
                count += 1
        return count

    return asyncio.run(run())


def httpx_baseline_typed(chunks: Sequence[bytes]) -> int:
    """The baseline's line handling feeding our typed layer: isolates line/event decoding."""

    async def run() -> int:
        response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=_aiter(chunks))
        count = 0
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                count += len(parse_event(ServerSentEvent(data=line[5:].lstrip(" "))))
            elif line.startswith(":"):
                count += len(parse_event(ServerSentEvent(comment=line[1:])))
        return count

    return asyncio.run(run())


def cpu_seconds(fn: Callable[[Sequence[bytes]], int], chunks: Sequence[bytes]) -> tuple[float, int]:
    started = time.process_time()
    count = fn(chunks)
    return time.process_time() - started, count


MEASUREMENTS: tuple[tuple[str, Callable[[Sequence[bytes]], int]], ...] = (
    ("decoder", decoder_only),
    ("decoder + parse", decoder_and_parse),
    ("async pipeline", async_pipeline),
    ("baseline: aiter_lines + json.loads", httpx_baseline),
    ("baseline: aiter_lines + parse_event", httpx_baseline_typed),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=4096, help="bytes per network chunk")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    print(f"machine: {machine_line()}")
    stream = build_stream(args.events)
    mb = len(stream) / 1e6
    print(
        f"stream: {args.events} events, {mb:.2f} MB, {len(stream) / args.events:.0f} B/event, chunks of {args.chunk} B"
    )
    results: dict[str, float] = {}
    for chunk_size in (args.chunk, 64):
        chunks = chunked(stream, chunk_size)
        print(f"\n-- chunks of {chunk_size} B (events per CPU-second: best, and the range over {args.repeat} rounds)")
        rounds: dict[str, list[float]] = {name: [] for name, _ in MEASUREMENTS}
        for _ in range(args.repeat):
            for name, fn in MEASUREMENTS:
                elapsed, count = cpu_seconds(fn, chunks)
                assert count == args.events, (name, count)
                rounds[name].append(count / elapsed)
        for name, rates in rounds.items():
            results[f"{chunk_size}/{name}"] = max(rates)
            print(
                f"{name:>38}: {max(rates):>10,.0f} events/s  ({min(rates):,.0f}-{max(rates):,.0f})  "
                f"{mb * max(rates) / args.events:6.1f} MB/s"
            )
        for label, baseline in (
            ("async pipeline / json.loads baseline", "baseline: aiter_lines + json.loads"),
            ("async pipeline / parse_event baseline", "baseline: aiter_lines + parse_event"),
        ):
            ratios = [a / b for a, b in zip(rounds["async pipeline"], rounds[baseline], strict=True)]
            print(f"{label:>38}: {median(ratios):.2f}x  ({min(ratios):.2f}-{max(ratios):.2f} round by round)")

    print(f"machine after: {machine_line()}")
    parse_rate = results[f"{args.chunk}/decoder + parse"]
    verdict = "meets" if parse_rate >= TARGET_EVENTS_PER_S else "MISSES"
    print(f"\ndecoder + parse {verdict} the {TARGET_EVENTS_PER_S:,} events/s target ({parse_rate:,.0f})")
    return 0 if parse_rate >= TARGET_EVENTS_PER_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
