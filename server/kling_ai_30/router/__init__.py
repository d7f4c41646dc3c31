"""The intent router: a pure function from an utterance and its attachments to a plan of actions.

``route("add music and then export")`` gives an SSE step (the edit) followed by an export step.
The phrase tables live in ``intents.yaml`` and the learned layer's weights in ``learned.json``
(package data), compiled on the first call (``kling-ai-30 route`` keeps them compiled in the user
cache directory).

What a caller must honour, step by step (``RoutePlan.steps``, in order):

``action``
    One of the skill table's five: ``export``, ``credits``, ``state``, ``upload``, ``sse``.
``skip_sse``
    The table's "Skip SSE?": true when the step is answered without the paid video chat.
``source`` / ``text``
    UPLOAD: the file or link (``None``: ask the user for one). SSE: the message for the chat.
``answer``
    When set, the step is not run: show this text and send nothing (``skip_sse`` is true). Given
    for a question about an action ("what does export cost?", "is it safe to upload this?",
    ``action`` ``sse``), approval with nothing to do ("looks great"), and a file the user kept
    back ("don't upload this": no upload step at all, the file stays on the machine).
``question``
    When set, the step is not run either: ask this and wait (``skip_sse`` is true). ``action`` is
    the router's best reading (run it if the user says yes). Given when no table phrase matched
    and only the learned layer reads the message as a free action.
``confidence``, ``reasons``
    How sure (0-1) and why, in words. They explain; they never change what to do. Not part of a
    step's equality.

``Step.runs`` is false exactly when ``answer`` or ``question`` is set. ``RoutePlan.to_json()``
adds the first step's ``answer`` / ``question`` at the top level when present;
``RoutePlan.explain()`` (``kling-ai-30 route --json``) adds ``confidence`` and ``reasons``.
"""

from .plan import Action, RoutePlan, Step
from .route import route

__all__ = ["Action", "RoutePlan", "Step", "route"]
