"""The render polling schedule, measured against the skill text's fixed 30 s."""

from __future__ import annotations

import itertools

import pytest

from kling_ai_30.jobs.schedule import fixed_poll_delays, render_poll_delays


def polls_until(delays: list[float], done_at: float) -> tuple[float, int]:
    """(when the finished render is first seen, how many polls it took)."""
    elapsed = 0.0
    for count, delay in enumerate(delays, start=1):
        elapsed += delay
        if elapsed >= done_at:
            return elapsed - done_at, count
    raise AssertionError("schedule ran out")


def test_the_schedule_polls_every_second_while_renders_usually_finish() -> None:
    first = list(itertools.islice(render_poll_delays(), 90))
    assert first == [1.0] * 90


def test_after_the_fast_window_it_backs_off_to_the_cap() -> None:
    delays = list(itertools.islice(render_poll_delays(), 120))
    later = delays[90:]
    assert later == sorted(later) and later[-1] == 10.0 and later[0] > 1.0


@pytest.mark.parametrize("done_at", [12.5, 30.2, 45.0, 89.9])
def test_renders_that_finish_in_the_usual_window_are_seen_within_a_second(done_at: float) -> None:
    ours, _ = polls_until(list(itertools.islice(render_poll_delays(), 500)), done_at)
    theirs, _ = polls_until(list(itertools.islice(fixed_poll_delays(), 50)), done_at)
    assert ours <= 1.0
    assert theirs >= ours


def test_a_fifteen_minute_render_costs_a_bounded_number_of_polls() -> None:
    _, count = polls_until(list(itertools.islice(render_poll_delays(), 1000)), 15 * 60)
    assert count < 90 + 90  # the fast window, then at most one poll per ~10 s
