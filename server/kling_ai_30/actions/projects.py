"""Projects on disk: which backend session a conversation uses, and what it uploaded and exported.

A project is the skill text's "session": it keeps the timeline, so a restarted server continues
the same one instead of starting over. One file per project key (``default`` for a stdio server
or the CLI) in the backend's own folder (``backend_state``), written atomically.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..client.session import Session
from ..errors import InputError
from ..policy import IDLE_HTTP_PROJECT_S
from ..storage import atomic_write_json, load_json, sweep_temporary

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PROJECT = "default"
HTTP_PROJECT_PREFIX = "http-"
"""Projects of MCP sessions over streamable HTTP are named ``http-<session id>``."""


@dataclass
class ProjectRecord:
    key: str
    session: Session | None = None
    uploads: list[dict[str, Any]] = field(default_factory=list)
    exports: list[dict[str, Any]] = field(default_factory=list)
    api_url: str = ""
    updated_at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "session": self.session.to_dict() if self.session else None,
            "uploads": self.uploads[-100:],
            "exports": self.exports[-100:],
            "api_url": self.api_url,
            "updated_at": self.updated_at,
        }

    @classmethod
    def from_dict(cls, key: str, data: Any) -> ProjectRecord:
        if not isinstance(data, dict):
            return cls(key=key)
        uploads = data.get("uploads")
        exports = data.get("exports")
        api_url = data.get("api_url")
        return cls(
            key=key,
            session=Session.from_dict(data.get("session")),
            uploads=[u for u in uploads if isinstance(u, dict)] if isinstance(uploads, list) else [],
            exports=[e for e in exports if isinstance(e, dict)] if isinstance(exports, list) else [],
            api_url=api_url if isinstance(api_url, str) else "",
            updated_at=_seconds(data.get("updated_at")),
        )


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    try:
        return float(value)
    except OverflowError:  # an integer beyond any float: a damaged file
        return 0.0


class ProjectStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.notices: list[str] = []

    def load(self, key: str) -> ProjectRecord:
        loaded = load_json(self._path(key))
        problem = loaded.problem(f"The saved project {key!r}")
        if problem is not None:
            self.notices.append(f"{problem}; starting a new one.")
        return ProjectRecord.from_dict(key, loaded.value)

    def save(self, record: ProjectRecord) -> None:
        record.updated_at = time.time()
        atomic_write_json(self._path(record.key), record.to_dict())

    def prune(self) -> None:
        """Forget HTTP sessions' projects idle for a month (each MCP session over HTTP gets one, so
        they would pile up); named projects and ``default`` stay. Sweep killed writes' leftovers."""
        cutoff = time.time() - IDLE_HTTP_PROJECT_S
        for path in self.directory.glob(f"{HTTP_PROJECT_PREFIX}*.json") if self.directory.is_dir() else ():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue
        sweep_temporary(self.directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{check_project_key(key)}.json"


def check_project_key(key: str) -> str:
    if not _KEY.match(key):
        raise InputError("A project name may use letters, digits, '.', '_' and '-' (up to 64 characters).")
    return key
