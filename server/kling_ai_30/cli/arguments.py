"""Argument types the parser checks, so bad values are refused before anything runs."""

from __future__ import annotations

import argparse
import math

_DAY_S = 24 * 3600.0
DEMO_MAX_SECONDS = 60  # the local backend's longest generation (``local.agent.plan``)


def wait_seconds(text: str) -> float:
    """``--wait``: a finite number of seconds, 0 to a day (the job goes on after it either way)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. --wait 30)") from None
    if not math.isfinite(value) or not 0 <= value <= _DAY_S:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a wait between 0 and {_DAY_S:.0f} seconds; leave --wait out to wait until the job ends"
        )
    return value


def demo_seconds(text: str) -> int:
    """``demo --seconds``: a whole number of seconds the offline backend can make (1 to 60)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds (e.g. --seconds 30)") from None
    if not 1 <= value <= DEMO_MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"{value} seconds is not a length the offline backend makes: choose 1 to {DEMO_MAX_SECONDS}"
        )
    return value
