"""Simulated time: the clock every expiry and timestamp of the backend reads, and its `expires_at` format."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Wall clock plus an offset the sim admin API can advance (token expiry without waiting)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the simulated backend sees them."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move simulated time forward; returns the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    def reset(self) -> None:
        """Back to wall-clock time."""
        with self._lock:
            self._offset = 0.0

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def now_ms(self) -> int:
        """:meth:`now` in whole milliseconds, the render proxy's time format."""
        return int(self.now() * 1000)


def iso_utc(epoch_s: float) -> str:
    """`2026-03-18T00:00:00Z`, the documented `expires_at` format."""
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
