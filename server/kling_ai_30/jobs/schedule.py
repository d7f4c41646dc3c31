"""When to poll a render: pure functions of elapsed time, so they can be measured and tested.

The skill text polls every 30 s, so a render that finishes just after a poll is noticed up to
30 s late. We poll every second while a render is likely to finish (renders take 30-90 s), then
back off to a cap, so a long render still costs few requests (policy.py has the numbers).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..policy import (
    RENDER_POLL_BACKOFF,
    RENDER_POLL_CAP_S,
    RENDER_POLL_FAST_S,
    RENDER_POLL_FAST_WINDOW_S,
)


def render_poll_delays(
    *,
    fast_s: float = RENDER_POLL_FAST_S,
    fast_window_s: float = RENDER_POLL_FAST_WINDOW_S,
    backoff: float = RENDER_POLL_BACKOFF,
    cap_s: float = RENDER_POLL_CAP_S,
) -> Iterator[float]:
    """Delays before each poll: ``fast_s`` until ``fast_window_s`` has passed, then growing by
    ``backoff`` up to ``cap_s``."""
    elapsed = 0.0
    delay = fast_s
    while True:
        if elapsed >= fast_window_s:
            delay = min(delay * backoff, cap_s)
        yield delay
        elapsed += delay


def fixed_poll_delays(every_s: float = 30.0) -> Iterator[float]:
    """The skill text's schedule: every 30 s. Kept as the benchmark's baseline."""
    while True:
        yield every_s
