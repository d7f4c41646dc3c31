"""A program run on a pseudo-terminal, and the screen a terminal (pyte's VT emulator) would show."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyte


@dataclass(frozen=True)
class TerminalRun:
    returncode: int
    output: bytes
    """Everything the program wrote to the terminal, escape codes included."""
    columns: int
    rows: int

    def screen(self) -> list[str]:
        """The terminal's lines after the run, trailing blanks removed."""
        screen = pyte.Screen(self.columns, self.rows)
        pyte.ByteStream(screen).feed(self.output)
        return [line.rstrip() for line in screen.display]


def run_in_terminal(
    argv: Sequence[str], *, env: Mapping[str, str], columns: int = 80, rows: int = 24, timeout: float = 120
) -> TerminalRun:
    """Run ``argv`` with stdin, stdout and stderr on a pseudo-terminal of the given size."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    process = subprocess.Popen(
        list(argv), stdin=terminal, stdout=terminal, stderr=terminal, env=dict(env), close_fds=True
    )
    os.close(terminal)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the program closed its side
                break
            if not chunk:
                break
            chunks.append(chunk)
        returncode = process.wait(timeout=timeout)
    finally:
        process.kill()
        os.close(controller)
    return TerminalRun(returncode, b"".join(chunks), columns, rows)
