"""The studio: the MCP Apps view on the video tools (``app``), the dropped files it uploads
(``partial_uploads``), the exported videos it plays (``video_parts``), and the still every export
result carries where PyAV is installed (``poster``)."""
