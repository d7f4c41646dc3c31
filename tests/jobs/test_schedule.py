"""The render polling schedule, measured against the skill text's fixed 30 s and against itself
before issue 16 (``lead_in=()``: the same schedule without its first quick polls)."""

from __future__ import annotations

import itertools

import pytest

from kling_ai_30.jobs.schedule import render_poll_delays


def polls_until(delays: list[float], done_at: float) -> tuple[float, int]:
    """(when the finished render is first seen, how many polls it took)."""
    elapsed = 0.0
    for count, delay in enumerate(delays, start=1):
        elapsed += delay
        if elapsed >= done_at:
            return elapsed - done_at, count
    raise AssertionError("schedule ran out")


def poll_times(delays: list[float]) -> list[float]:
    return list(itertools.accumulate(delays))


BEFORE = {"lead_in": ()}
"""The schedule as it was before issue 16: the benchmark's "before"."""


def test_the_schedule_polls_every_second_while_renders_usually_finish() -> None:
    first = list(itertools.islice(render_poll_delays(**BEFORE), 90))
    assert first == [1.0] * 90
    after_the_lead_in = list(itertools.islice(render_poll_delays(), 92))[3:]
    assert after_the_lead_in == [1.0] * 89  # at 2, 3, ... 90 s


def test_after_the_fast_window_it_backs_off_to_the_cap() -> None:
    delays = list(itertools.islice(render_poll_delays(**BEFORE), 120))
    later = delays[90:]
    assert later == sorted(later) and later[-1] == 10.0 and later[0] > 1.0


def test_the_first_back_off_polls_are_not_made_and_the_rest_grow_to_the_cap() -> None:
    later = list(itertools.islice(render_poll_delays(), 122))[92:]
    assert later[0] == 1.5 + 2.25 + 3.375  # the two polls paying for the quick ones, then the third
    assert later[1:] == sorted(later[1:]) and later[-1] == 10.0


def test_a_new_render_is_polled_at_a_quarter_second_half_a_second_and_a_second() -> None:
    assert poll_times(list(itertools.islice(render_poll_delays(), 5))) == [0.25, 0.5, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("done_at", [0.1, 0.24, 0.3, 0.45])
def test_a_render_done_within_half_a_second_is_seen_within_a_quarter_second(done_at: float) -> None:
    ours, _ = polls_until(list(itertools.islice(render_poll_delays(), 10)), done_at)
    before, _ = polls_until(list(itertools.islice(render_poll_delays(**BEFORE), 10)), done_at)
    assert ours <= 0.25 < 0.5 <= before


def test_once_the_first_back_off_polls_have_paid_for_the_quick_ones_the_polls_are_those_of_before() -> None:
    ours = poll_times(list(itertools.islice(render_poll_delays(), 300)))
    before = poll_times(list(itertools.islice(render_poll_delays(**BEFORE), 300)))
    assert [t for t in ours if t > 95] == pytest.approx([t for t in before if t > 95])


@pytest.mark.parametrize("done_at", [97.2, 120.0, 300.0, 899.0])
def test_a_long_render_costs_no_more_polls_than_before(done_at: float) -> None:
    _, ours = polls_until(list(itertools.islice(render_poll_delays(), 1000)), done_at)
    _, before = polls_until(list(itertools.islice(render_poll_delays(**BEFORE), 1000)), done_at)
    assert ours == before


@pytest.mark.parametrize("done_at", [12.5, 30.2, 45.0, 89.9])
def test_renders_that_finish_in_the_usual_window_are_seen_within_a_second(done_at: float) -> None:
    ours, _ = polls_until(list(itertools.islice(render_poll_delays(), 500)), done_at)
    theirs, _ = polls_until([30.0] * 50, done_at)  # the skill text: a poll every 30 s
    assert ours <= 1.0
    assert theirs >= ours


def test_a_fifteen_minute_render_costs_a_bounded_number_of_polls() -> None:
    _, count = polls_until(list(itertools.islice(render_poll_delays(), 1000)), 15 * 60)
    assert count < 90 + 90  # the fast window, then at most one poll per ~10 s
