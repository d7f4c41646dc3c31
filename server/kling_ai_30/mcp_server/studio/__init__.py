"""The studio: the MCP Apps view on the video tools (``app``), the dropped files it uploads
(``partial_uploads``) and the exported videos it plays (``video_parts``)."""
