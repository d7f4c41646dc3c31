"""What the user must hear once, collected where it happens and handed out with the next result.

The part of the program that notices something the user should know (a damaged saved file set
aside, a token cache that could not be read, a session the backend lost) is rarely the part that
talks to the user. It adds a note to a ``Notices`` collector; the front end takes the notes with
its next result, success or error, and each is said once.

A note is either machine-wide (about this machine's saved state: whoever is told next may hear
it) or for one project only (its editing session was replaced): another project's user must not
hear that their timeline lost its edits.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    """One note for the user."""

    text: str
    """A sentence that says what happened and, where there is one, what to do."""
    project: str | None = None
    """The project whose user must hear it; None for a machine-wide note."""


class Notices:
    """Notes waiting to be said; each is handed out once, the same note pending twice is said once."""

    def __init__(self) -> None:
        self._pending: list[Notice] = []

    def add(self, text: str, *, project: str | None = None) -> None:
        """Keep ``text`` for the next result: every caller's (``project`` None) or ``project``'s only."""
        notice = Notice(text, project)
        if notice not in self._pending:
            self._pending.append(notice)

    def take(self, project: str | None = None) -> list[str]:
        """The machine-wide notes and ``project``'s, in the order they came, removed from the collector."""
        taken = [n for n in self._pending if n.project is None or n.project == project]
        self._pending = [n for n in self._pending if n not in taken]
        return [n.text for n in taken]

    def pending(self) -> tuple[Notice, ...]:
        """Every note not yet taken, for any project (nothing is removed)."""
        return tuple(self._pending)
