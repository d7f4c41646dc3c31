"""An open project: its saved record and the conversation over its backend session."""

from __future__ import annotations

from dataclasses import dataclass

from ..chat.conversation import Conversation
from ..client.session import Session
from .projects import ProjectRecord


@dataclass
class Project:
    record: ProjectRecord
    conversation: Conversation

    @property
    def key(self) -> str:
        return self.record.key

    @property
    def session(self) -> Session:
        return self.conversation.session
