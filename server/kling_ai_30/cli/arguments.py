"""Argument types the parser checks, so bad values are refused before anything runs."""

from __future__ import annotations

import argparse
import math

_DAY_S = 24 * 3600.0


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
