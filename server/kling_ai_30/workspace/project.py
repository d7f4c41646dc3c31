"""An open project: its saved record and the conversation over its backend session."""

from __future__ import annotations

from dataclasses import dataclass

from ..client.backend import BackendClient
from ..client.session import Session
from ..conversation.turn import Conversation
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
