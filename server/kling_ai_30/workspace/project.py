"""An open project: its saved record and the conversation over its backend session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..client.backend import BackendClient
from ..client.models import Credits
from ..client.session import Session
from ..conversation.turn import Conversation
from ..errors import KlingError
from ..progress import OnProgress, byte_progress
from ..results import UploadView
from .projects import ProjectRecord, ProjectRef


@dataclass
class Project:
    ref: ProjectRef
    record: ProjectRecord
    conversation: Conversation

    @property
    def session(self) -> Session:
        return self.conversation.session

    @property
    def client(self) -> BackendClient:
        """The backend client on the account the project's principal uses (``accounts``)."""
        return self.conversation.client

    async def upload(self, *, path: str | None, url: str | None, on_progress: OnProgress) -> UploadView:
        """Upload one checked file or link into the session and note it in the record (the caller saves it)."""
        if path is not None:
            async with byte_progress(f"Uploading {Path(path).name}", "uploading", on_progress) as on_bytes:
                result = await self.client.upload_files(self.session, [path], on_progress=on_bytes)
        else:
            result = await self.client.upload_urls(self.session, [str(url)])
        self.record.uploads.extend(result.files)
        return UploadView.of(result)

    async def spent_since(self, balance: Credits) -> int | None:
        """Credits spent since ``balance`` was read (None when the balance cannot be read now)."""
        try:
            now = await self.client.credits()
        except KlingError:
            return None  # the work is done; what it cost is only a detail
        return max(0, balance.available - now.available)
