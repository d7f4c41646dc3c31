"""Projects on disk: which backend session a project uses, and what it uploaded and exported.

A project is the skill text's "session": it keeps the timeline, so a restarted server continues
the same one instead of starting over. A project belongs to a *principal* — the person calling:
the local user on stdio and the command line, the authenticated caller over HTTP — never to a
connection, so a reconnect, a restart or an expired MCP session loses nothing. Each principal has
named projects (``default`` unless they name one) and a last-used one, the default for their next
request. In the backend's own folder (``backend_state``)::

    projects/<principal>/<name>.json      the record, written atomically with ``model_dump``
    projects/<principal>/last             the name of the principal's last project

A record that does not validate is set aside and the user told.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..client.models import UploadedFile
from ..client.session import Session
from ..errors import InputError
from ..policy import KEEP_PROJECT_HISTORY
from ..results import ExportView
from ..storage import atomic_write_json, atomic_write_text, load_json, read_small_text, set_aside, sweep_temporary

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
DEFAULT_PROJECT = "default"
LOCAL_PRINCIPAL = "local"
"""The person at this machine: the caller on stdio and on the command line."""

Tell = Callable[[str], None]


@dataclass(frozen=True)
class ProjectRef:
    """Which project: a principal's project of that name."""

    principal: str
    name: str

    @property
    def key(self) -> str:
        """One string for the pair (in-memory maps, lock files): ``<principal>/<name>`` (neither
        holds a ``/``)."""
        return f"{self.principal}/{self.name}"


class ExportRecord(ExportView):
    """A delivered video, remembered with its project (and what it was rendered from)."""

    draft_digest: str | None = None
    """``export.draft_digest`` of the timeline it was rendered from, when known."""
    at: float = Field(default_factory=time.time, allow_inf_nan=False)


class ProjectRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    session: Session | None = None
    uploads: list[UploadedFile] = Field(default_factory=list)
    exports: list[ExportRecord] = Field(default_factory=list)
    api_url: str = ""
    created_at: float = Field(default_factory=time.time, allow_inf_nan=False)
    updated_at: float = Field(default_factory=time.time, allow_inf_nan=False)


class ProjectStore:
    def __init__(self, directory: Path, *, tell: Tell) -> None:
        self.directory = directory
        self._tell = tell

    def load(self, ref: ProjectRef) -> ProjectRecord:
        """Project ``ref`` as saved, or a new record (a damaged one is set aside and told)."""
        path = self._path(ref)
        loaded = load_json(path)
        problem = loaded.problem(f"The saved project {ref.name!r}")
        if problem is not None:
            self._tell(f"{problem}; starting a new one.")
        if loaded.value is None and not path.exists():
            return ProjectRecord(name=ref.name)
        try:
            record = ProjectRecord.model_validate(loaded.value)
        except ValidationError:
            try:
                where = f" and was moved to {set_aside(path)}"
            except OSError:
                where = ""  # left where it is: it is read (and refused) again next time
            self._tell(f"The saved project {ref.name!r} was damaged{where}; starting a new one.")
            return ProjectRecord(name=ref.name)
        return record.model_copy(update={"name": ref.name})

    def save(self, ref: ProjectRef, record: ProjectRecord) -> None:
        record.updated_at = time.time()
        # Bounded: a long conversation must not grow the file (and every save) without end.
        record.uploads = record.uploads[-KEEP_PROJECT_HISTORY:]
        record.exports = record.exports[-KEEP_PROJECT_HISTORY:]
        atomic_write_json(self._path(ref), record.model_dump(mode="json"))

    def names(self, principal: str) -> list[str]:
        """The principal's projects, by name."""
        folder = self.directory / check_name(principal, "principal")
        try:
            return sorted(path.stem for path in folder.glob("*.json") if path.is_file() and _NAME.match(path.stem))
        except OSError:
            return []

    def last(self, principal: str) -> str | None:
        """The principal's last project, if they have one."""
        name = read_small_text(self.directory / check_name(principal, "principal") / "last")
        return name if name is not None and _NAME.match(name) else None

    def remember_last(self, ref: ProjectRef) -> None:
        if self.last(ref.principal) != ref.name:
            atomic_write_text(self.directory / ref.principal / "last", ref.name)

    def prune(self) -> None:
        """Sweep killed writes' leftovers."""
        for folder in (self.directory, *self._principal_folders()):
            sweep_temporary(folder)

    def _principal_folders(self) -> list[Path]:
        try:
            return [path for path in self.directory.iterdir() if path.is_dir()]
        except OSError:
            return []

    def _path(self, ref: ProjectRef) -> Path:
        return self.directory / check_name(ref.principal, "principal") / f"{check_name(ref.name)}.json"


def check_name(name: str, what: str = "project") -> str:
    if not _NAME.match(name):
        raise InputError(f"A {what} name may use letters, digits, '.', '_' and '-' (up to 64 characters).")
    return name
