"""The store's memory as one JSON document: what a backend kept on disk saves and finds again.

Users, tokens, sessions (with their state), claim tokens, credit reservations, renders and the
media records; not the request log, which belongs to one run. Validated with pydantic on the way
in, so a file damaged by hand is refused as a whole instead of half-loaded.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kling_ai_30.local.state.records import MediaRecord, RenderJob, Reservation, Session, TokenRecord, User

SNAPSHOT_VERSION: Literal[1] = 1


class SavedSession(BaseModel):
    """A session without its per-process parts: the run lock, and the generator its replies are
    picked with (5 KB of numbers; reseeded from the session and its number of runs instead)."""

    model_config = ConfigDict(extra="ignore")

    session_id: str
    task_id: str
    task_name: str
    language: str | None = None
    user_id: str
    ordinal: int
    state: dict[str, Any]
    runs: int = 0

    @classmethod
    def of(cls, session: Session) -> SavedSession:
        return cls(
            session_id=session.session_id,
            task_id=session.task_id,
            task_name=session.task_name,
            language=session.language,
            user_id=session.user_id,
            ordinal=session.ordinal,
            state=session.state,
            runs=session.runs,
        )

    def restore(self, seed: int) -> Session:
        """The session, its generator seeded by where the session is (the same on every machine)."""
        return Session(
            session_id=self.session_id,
            task_id=self.task_id,
            task_name=self.task_name,
            language=self.language,
            user_id=self.user_id,
            ordinal=self.ordinal,
            rng=random.Random(f"{seed}:{self.ordinal}:{self.runs}"),
            state=self.state,
            runs=self.runs,
        )


class Snapshot(BaseModel):
    """Everything the store remembers across runs."""

    model_config = ConfigDict(extra="ignore")

    version: Literal[1] = SNAPSHOT_VERSION
    users: list[User] = Field(default_factory=list)
    tokens: list[TokenRecord] = Field(default_factory=list)
    anon_user_by_client: dict[str, str] = Field(default_factory=dict)
    issued_by_ip: dict[str, list[float]] = Field(default_factory=dict)
    sessions: list[SavedSession] = Field(default_factory=list)
    session_count: int = 0
    claims: dict[str, tuple[str, float]] = Field(default_factory=dict)
    reservations: list[Reservation] = Field(default_factory=list)
    renders: list[RenderJob] = Field(default_factory=list)
    media: list[MediaRecord] = Field(default_factory=list)
