"""One status line on stderr: spinner, phase, bar and percentage (when a fraction is known) and
elapsed time.

On a terminal the line redraws in place: each frame starts at the line's start and erases what
is left of the previous one, and it is cut to the terminal's width (counted in cells, so CJK and
emoji take two) so it never wraps onto a second line that a redraw could not reach. When the work
reports a fraction, the bar carries the one percentage shown (the message's own "40%" is dropped).
Colour follows ``terminal.colour_supported`` (``NO_COLOR`` turns it off).

Otherwise (a pipe, a CI log, a ``dumb`` terminal) a line is printed only when the message changes,
so logs stay readable.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping
from typing import TextIO

from ..progress import Progress
from .terminal import Palette, colour_supported, columns, fit, is_live_terminal, one_line

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_BAR_WIDTH = 24
_NARROWEST_BAR = 8
_DIGITS = re.compile(r"\d+")
_PERCENT = re.compile(r"\s*\d{1,3}(?:\.\d+)?\s?%")
_ERASE_TO_END = "\x1b[K"


class ProgressLine:
    def __init__(
        self, stream: TextIO | None = None, *, enabled: bool = True, environ: Mapping[str, str] | None = None
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = enabled
        self._live = enabled and is_live_terminal(self._stream, environ)
        self._palette = Palette(self._live and colour_supported(self._stream, environ))
        self._started = time.monotonic()
        self._frame = 0
        self._drawn = False
        self._last_text = ""
        self._last_shape = ""
        self._last_line = 0.0

    async def show(self, update: Progress) -> None:
        """An ``OnProgress``: the work's progress, as this line."""
        self.update(update.message or update.phase, update.fraction)

    def update(self, message: str, fraction: float | None = None) -> None:
        """Show ``message`` (and a bar for ``fraction`` 0..1)."""
        if not self._enabled:
            return
        message = one_line(message).strip()
        elapsed = time.monotonic() - self._started
        if self._live:
            self._draw(message, fraction, elapsed)
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
        if self._drawn:
            self._stream.write("\r" + _ERASE_TO_END)
            self._drawn = False
        if message:
            self._stream.write(message + "\n")
        self._stream.flush()

    def _draw(self, message: str, fraction: float | None, elapsed: float) -> None:
        paint = self._palette
        self._frame = (self._frame + 1) % len(_SPINNER)
        clock = f"  {_elapsed(elapsed)}"
        # One cell short of the width: a line that fills the last column wraps on some terminals.
        room = columns(self._stream) - 1 - 2 - len(clock)
        bar = percent = ""
        if fraction is not None:
            message = _PERCENT.sub("", message).strip()
            share = max(0.0, min(1.0, fraction))
            percent = f" {share * 100:3.0f}%"
            bar_width = min(_BAR_WIDTH, (room - len(percent) - 3) // 2)
            if bar_width >= _NARROWEST_BAR:
                filled = int(share * bar_width)
                bar = f" {paint.green('█' * filled)}{paint.dim('░' * (bar_width - filled))}"
                room -= bar_width + 1
            room -= len(percent)
        shown = fit(message, room)
        line = f"{paint.cyan(_SPINNER[self._frame])} {shown}{bar}{paint.bold(percent)}{paint.dim(clock)}"
        self._stream.write("\r" + line + _ERASE_TO_END)
        self._stream.flush()
        self._drawn = True


def _elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"
