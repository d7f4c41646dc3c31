"""The project as it was before a message: what a generate job recognises the message's effect
against after a restart (the message is never sent again, so its effect is read from the project)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, JsonValue

from ..client.models import SessionState, StateBody


class Snapshot(BaseModel):
    """The parts of a session's state a message changes; saved with the job."""

    model_config = ConfigDict(extra="forbid")

    draft: JsonValue = None
    canvas: JsonValue = None

    def as_state(self) -> SessionState:
        """The session state this snapshot was taken from, as far as it was kept."""
        return SessionState(state=StateBody(draft=self.draft, canvas_config=self.canvas))


def snapshot(state: SessionState) -> Snapshot:
    """What a message's effect is recognised against after a restart."""
    return Snapshot(draft=state.state.draft, canvas=state.state.canvas_config)
