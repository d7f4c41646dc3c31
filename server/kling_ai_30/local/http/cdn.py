"""`GET /cdn/{path}`: the backend's files (uploads, generated media, renders), no token needed.

The real CDN is public too: whoever has the URL gets the file. Paths that climb out of the CDN
folder, or name no file, are a plain 404.
"""

from __future__ import annotations

import mimetypes

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from kling_ai_30.local.media.files import MediaFiles

# Types a minimal platform mimetypes table may lack.
mimetypes.add_type("video/mp4", ".mp4")
mimetypes.add_type("audio/wav", ".wav")
mimetypes.add_type("image/webp", ".webp")


def cdn_route(files: MediaFiles) -> Route:
    """The route serving `files` under /cdn/ (GET and HEAD; byte ranges)."""

    async def cdn(request: Request) -> Response:
        path = files.resolve("/cdn/" + request.path_params["path"])
        if path is None:
            return JSONResponse({"detail": "Not Found"}, status_code=404)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return FileResponse(path, media_type=media_type)

    return Route("/cdn/{path:path}", cdn, methods=["GET", "HEAD"])
