"""The renderer's one error: the draft or its media cannot be rendered, and the message says what was wrong."""

from __future__ import annotations


class RenderError(Exception):
    """The draft or its media cannot be rendered; the message says what was wrong."""
