"""The studio view: one self-contained HTML file (``studio.html``), served by the MCP server as the
``ui://`` resource of its video tools.

``studio.html`` is built from ``src/`` and the vendored App SDK (``vendor/ext-apps``, unmodified,
with its licence and third-party notices) by ``scripts/build_studio.py``; a test keeps the checked-in
file up to date. The wheel ships the built file and the notices, not the sources.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

STUDIO_URI = "ui://kling-ai-30/studio.html"
"""Where hosts find the view (the ``_meta.ui.resourceUri`` of the video tools)."""
VIDEO_PART_URI = "kling://video/{render_id}/{part}{?project}"
"""The view reads an exported MP4 through this resource template, one bounded part at a time."""


def studio_meta() -> dict[str, Any]:
    """A tool's ``_meta`` binding it to the view. The flat ``ui/resourceUri`` key too: it is what
    claude.ai once read (anthropics/claude-ai-mcp#71), and the official TS helper writes both."""
    return {"ui": {"resourceUri": STUDIO_URI}, "ui/resourceUri": STUDIO_URI}


def view_html() -> str:
    """The built view, as the host receives it."""
    return files(__name__).joinpath("studio.html").read_text(encoding="utf-8")
