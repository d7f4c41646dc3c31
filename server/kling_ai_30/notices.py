"""What the user must hear once that no result says: one collector for the whole program.

Machine-wide notes (a damaged saved file set aside, a token cache that could not be read) may be
told to anyone; a project's notes (its backend session was lost and replaced) only to that
project's user. Each note is told once, with the next result.
"""

from __future__ import annotations


class Notices:
    def __init__(self) -> None:
        self._anyone: list[str] = []
        self._by_project: dict[str, list[str]] = {}

    def tell(self, text: str, *, project: str | None = None) -> None:
        """Keep ``text`` for the next result (of ``project`` only, when given)."""
        pending = self._anyone if project is None else self._by_project.setdefault(project, [])
        if text not in pending:
            pending.append(text)

    def take(self, project: str | None = None) -> list[str]:
        """The notes for the next result shown to ``project``'s user (machine-wide ones included); each once."""
        found, self._anyone = self._anyone, []
        if project is not None:
            found += self._by_project.pop(project, [])
        return found
