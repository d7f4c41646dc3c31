"""Projects on disk: which backend session a conversation uses, and what it uploaded and exported.

A project is the skill text's "session": it keeps the timeline, so a restarted server continues
the same one instead of starting over. One file per project key (``default`` for a stdio server
or the CLI) in the backend's own folder (``backend_state``), written atomically with
``model_dump``; a record that does not validate is set aside and the user told.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..client.models import UploadedFile
from ..client.session import Session
from ..errors import InputError
from ..policy import IDLE_HTTP_PROJECT_S, KEEP_PROJECT_HISTORY
from ..storage import atomic_write_json, load_json, set_aside, sweep_temporary

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PROJECT = "default"
HTTP_PROJECT_PREFIX = "http-"
"""Projects of MCP sessions over streamable HTTP are named ``http-<session id>``."""

Tell = Callable[[str], None]


class ExportRecord(BaseModel):
    """A delivered video, remembered with its project."""

    path: str
    url: str | None = None
    render_id: str | None = None
    task_link: str | None = None


class ProjectRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key: str
    session: Session | None = None
    uploads: list[UploadedFile] = Field(default_factory=list)
    exports: list[ExportRecord] = Field(default_factory=list)
    api_url: str = ""
    updated_at: float = Field(default_factory=time.time, allow_inf_nan=False)


class ProjectStore:
    def __init__(self, directory: Path, *, tell: Tell) -> None:
        self.directory = directory
        self._tell = tell

    def load(self, key: str) -> ProjectRecord:
        """Project ``key`` as saved, or a new record (a damaged one is set aside and told)."""
        path = self._path(key)
        loaded = load_json(path)
        problem = loaded.problem(f"The saved project {key!r}")
        if problem is not None:
            self._tell(f"{problem}; starting a new one.")
        if loaded.value is None and not path.exists():
            return ProjectRecord(key=key)
        try:
            record = ProjectRecord.model_validate(loaded.value)
        except ValidationError:
            aside = set_aside(path)
            where = f" and was moved to {aside}" if aside is not None else ""
            self._tell(f"The saved project {key!r} was damaged{where}; starting a new one.")
            return ProjectRecord(key=key)
        return record.model_copy(update={"key": key})

    def save(self, record: ProjectRecord) -> None:
        record.updated_at = time.time()
        # Bounded: a long conversation must not grow the file (and every save) without end.
        record.uploads = record.uploads[-KEEP_PROJECT_HISTORY:]
        record.exports = record.exports[-KEEP_PROJECT_HISTORY:]
        atomic_write_json(self._path(record.key), record.model_dump(mode="json"))

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
