"""A backend editing session (the skill text's "project"), as this program remembers it."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Session:
    """One backend session. Mutable: when the backend loses it (1002) the client replaces it in place."""

    session_id: str
    task_id: str | None = None
    user_id: str | None = None
    language: str = "en"
    task_name: str = "project"
    created_at: float = field(default_factory=time.time)
    replacements: int = 0
    """How many times the backend lost this session and a new one took its place."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Session | None:
        """A session from persisted data, or None when the data is unusable."""
        if not isinstance(data, dict) or not isinstance(data.get("session_id"), str):
            return None
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        try:
            session = cls(**known)
        except TypeError:
            return None
        # A hand-edited or damaged file must not crash the server later, when a field is used.
        typed = (
            all(v is None or isinstance(v, str) for v in (session.task_id, session.user_id))
            and isinstance(session.language, str)
            and isinstance(session.task_name, str)
            and isinstance(session.created_at, int | float)
            and isinstance(session.replacements, int)
            and not isinstance(session.created_at, bool)
            and not isinstance(session.replacements, bool)
        )
        return session if typed else None
