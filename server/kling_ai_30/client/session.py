"""A backend editing session (the skill text's "project"), as this program remembers it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


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
