"""One status line on stderr: spinner, phase, bar (when a fraction is known) and elapsed time.

On a terminal the line redraws in place; otherwise (a pipe, a CI log) a line is printed only
when the message changes, so logs stay readable.
"""

from __future__ import annotations

import re
import sys
import time
from typing import TextIO

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_BAR_WIDTH = 24
_DIGITS = re.compile(r"\d+")


class ProgressLine:
    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._tty = enabled and self._stream.isatty()
        self._started = time.monotonic()
        self._frame = 0
        self._last_text = ""
        self._last_shape = ""
        self._last_line = 0.0
        self._width = 0

    def update(self, message: str, fraction: float | None = None) -> None:
        """Show ``message`` (and a bar for ``fraction`` 0..1)."""
        if not self._enabled:
            return
        elapsed = time.monotonic() - self._started
        if self._tty:
            self._frame = (self._frame + 1) % len(_SPINNER)
            bar = f" [{_bar(fraction)}] {fraction * 100:3.0f}%" if fraction is not None else ""
            text = f"{_SPINNER[self._frame]} {message}{bar}  {_elapsed(elapsed)}"
            pad = max(0, self._width - len(text))
            self._stream.write("\r" + text + " " * pad)
            self._width = len(text)
            self._stream.flush()
        else:
            # A log, not a screen: print a line when the phase changes, and a "42%" refresh at most
            # every few seconds.
            shape = _DIGITS.sub("#", message)
            if shape != self._last_shape or (message != self._last_text and elapsed - self._last_line >= 5):
                self._stream.write(f"[{_elapsed(elapsed)}] {message}\n")
                self._stream.flush()
                self._last_shape, self._last_line = shape, elapsed
        self._last_text = message

    def done(self, message: str | None = None) -> None:
        """Finish the line (and print ``message`` on its own line)."""
        if not self._enabled:
            return
        if self._tty and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._width = 0
        if message:
            self._stream.write(message + "\n")
        self._stream.flush()


def _bar(fraction: float) -> str:
    filled = int(max(0.0, min(1.0, fraction)) * _BAR_WIDTH)
    return "█" * filled + "░" * (_BAR_WIDTH - filled)


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
