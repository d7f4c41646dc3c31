"""The intent router: a pure function from an utterance and its attachments to a plan of actions.

``route("add music and then export")`` gives an SSE step (the edit) followed by an export step.
The phrase tables live in ``intents.yaml`` (package data), read on the first call.
"""

from .route import Action, RoutePlan, Step, route

__all__ = ["Action", "RoutePlan", "Step", "route"]
