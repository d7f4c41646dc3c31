"""When to poll a render: pure functions of elapsed time, so they can be measured and tested.

The skill text polls every 30 s, so a render that finishes just after a poll is noticed up to
30 s late. We poll sooner at first (a quick render is seen within a quarter of a second), then
every second while a render is likely to finish (renders take 30-90 s), then back off to a cap, so
a long render still costs few requests (policy.py has the numbers).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..policy import (
    RENDER_POLL_BACKOFF,
    RENDER_POLL_CAP_S,
    RENDER_POLL_FAST_S,
    RENDER_POLL_FAST_WINDOW_S,
    RENDER_POLL_LEAD_IN_S,
)


def render_poll_delays(
    *,
    lead_in: Sequence[float] = RENDER_POLL_LEAD_IN_S,
    fast_s: float = RENDER_POLL_FAST_S,
    fast_window_s: float = RENDER_POLL_FAST_WINDOW_S,
    backoff: float = RENDER_POLL_BACKOFF,
    cap_s: float = RENDER_POLL_CAP_S,
) -> Iterator[float]:
    """Delays before each poll: ``lead_in`` first, then ``fast_s`` until ``fast_window_s`` has
    passed, then growing by ``backoff`` up to ``cap_s``.

    The lead-in's polls beyond those ``fast_s`` would make in the same time are paid for by the
    first polls of the back-off, which are not made: from then on the polls fall at the very times
    of the schedule without a lead-in (``lead_in=()``, the schedule before issue 16), so a long
    render costs no more requests than it did.
    """
    owed = len(lead_in) - round(sum(lead_in) / fast_s)
    yield from lead_in
    skipped_s = 0.0
    for delay in _paced(sum(lead_in), fast_s, fast_window_s, backoff, cap_s):
        if owed > 0 and delay > fast_s:
            owed -= 1
            skipped_s += delay
            continue
        yield skipped_s + delay
        skipped_s = 0.0


def _paced(start_s: float, fast_s: float, fast_window_s: float, backoff: float, cap_s: float) -> Iterator[float]:
    """From ``start_s`` on: ``fast_s`` until ``fast_window_s`` has passed, then growing to ``cap_s``."""
    elapsed = start_s
    delay = fast_s
    while True:
        if elapsed >= fast_window_s:
            delay = min(delay * backoff, cap_s)
        yield delay
        elapsed += delay
