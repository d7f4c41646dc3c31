"""The upload endpoint: multipart files or URLs in, `video_infos` entries out (api notes §3.5-3.6).

Multipart bodies stream to disk through :class:`~kling_ai_30.local.media.multipart.MultipartReceiver`
(hashed, size-capped) and are probed for size and duration. A URL naming one of this server's own
`/cdn/` files is copied; any other URL cannot be fetched offline, so a generated stand-in (a
backdrop for images and video, music for audio) takes its place, described as the real file would be.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import anyio
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kling_ai_30 import policy
from kling_ai_30.local.http.wire import authed, base_url, fail, ok, owned_session, parse
from kling_ai_30.local.media import intake
from kling_ai_30.local.media.files import MediaFiles
from kling_ai_30.local.media.multipart import MultipartReceiver
from kling_ai_30.local.media.probe import probe
from kling_ai_30.local.media.synthesis import Produce, produce_cached
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.records import MediaRecord, Session, User
from kling_ai_30.local.state.store import Store

URL_PLACEHOLDER_VIDEO_SECONDS = 10.0  # a URL we cannot fetch offline stands for a 10 s clip
URL_PLACEHOLDER_SIZE = (960, 540)


class _UrlUpload(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=20)
    source_type: str = "url"


def upload_route(*, store: Store, config: Callable[[], SimConfig], files: MediaFiles) -> Route:
    """`POST /api/upload-video/{app}/{user}/{sid}`."""

    async def upload(request: Request, user: User) -> Response:
        """Multipart `files` parts, or a JSON list of URLs; each becomes a `video_infos` entry."""
        session = owned_session(store, request, user)
        content_type = request.headers.get("content-type", "")
        try:
            if content_type.lower().startswith("multipart/form-data"):
                entries = await _upload_multipart(request, session, content_type)
            else:
                body = await parse(request, _UrlUpload)
                if isinstance(body, JSONResponse):
                    return body
                entries = [await _upload_url(request, session, url) for url in body.urls]
        except intake.UploadRejected as exc:
            return fail(config(), exc.code, exc.message, 413 if exc.code == 4002 else 400)
        except intake.MalformedUpload as exc:
            return JSONResponse(
                {"detail": [{"type": "missing", "loc": ["body", "files"], "msg": str(exc), "input": None}]},
                status_code=422,
            )
        store.add_video_infos(session, entries)
        return ok({"files": entries, "session_state_applied": True})

    async def _upload_multipart(request: Request, session: Session, content_type: str) -> list[dict[str, Any]]:
        workdir = files.incoming_dir / uuid.uuid4().hex
        workdir.mkdir(parents=True)
        try:
            receiver = MultipartReceiver(content_type, workdir, config().max_upload_bytes)
            try:
                async for chunk in request.stream():
                    receiver.feed(chunk)
            except BaseException:
                receiver.discard()
                raise
            received = receiver.finish()
            entries = []
            for item in received:
                rel = _upload_rel(session, item.filename)
                intake.move_into(item.path, files.cdn_root / rel)
                entries.append(
                    await _describe(request, rel, item.filename, item.file_type, item.sha256, placeholder=False)
                )
            return entries
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _upload_url(request: Request, session: Session, url: str) -> dict[str, Any]:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise intake.UploadRejected(4001, f"Unsupported URL: {url!r} (http or https only).")
        name = intake.safe_filename(unquote(PurePosixPath(parts.path).name) or "remote")
        file_type = intake.file_type_for(name)
        if file_type is None:
            if PurePosixPath(name).suffix:
                raise intake.UploadRejected(4001, intake.unsupported_message(name))
            file_type, name = "image", name + ".jpg"
        source = files.resolve(parts.path) if _same_server(parts.netloc, request) else None
        limit = config().max_upload_bytes
        if source is not None:
            rel = _upload_rel(session, name)
            _size, digest = await anyio.to_thread.run_sync(
                intake.copy_file, source, files.cdn_root / rel, limit, abandon_on_cancel=False
            )
            return await _describe(request, rel, name, file_type, digest, placeholder=False)
        # Offline: the remote file cannot be fetched, so a generated stand-in takes its place.
        stem = PurePosixPath(name).stem
        words = " ".join(re.split(r"[_\-.\s]+", stem)) or "remote media"
        suffix = ".wav" if file_type == "audio" else ".jpg"
        rel = _upload_rel(session, stem + suffix)
        target = files.cdn_root / rel
        item = Produce(
            "music" if file_type == "audio" else "backdrop",
            rel,
            prompt="Lo-fi" if file_type == "audio" else words,
            width=URL_PLACEHOLDER_SIZE[0],
            height=URL_PLACEHOLDER_SIZE[1],
            seconds=URL_PLACEHOLDER_VIDEO_SECONDS,
        )
        await anyio.to_thread.run_sync(produce_cached, item, target, files.cache_dir, abandon_on_cancel=False)
        digest = await anyio.to_thread.run_sync(_sha256, target, abandon_on_cancel=False)
        return await _describe(request, rel, name, file_type, digest, placeholder=True)

    async def _describe(
        request: Request, rel: str, filename: str, file_type: str, digest: str, *, placeholder: bool
    ) -> dict[str, Any]:
        path = files.cdn_root / rel
        probed = await anyio.to_thread.run_sync(probe, path, file_type, abandon_on_cancel=False)
        store.add_media(
            MediaRecord(
                rel,
                probed.kind,
                probed.width,
                probed.height,
                probed.duration,
                probed.readable,
                description=probed.description,
            )
        )
        duration, fps = probed.duration, probed.fps
        if placeholder and file_type == "video":
            duration, fps = URL_PLACEHOLDER_VIDEO_SECONDS, 30.0
        return {
            "filename": filename,
            "file_type": file_type,
            "cdn_url": f"{base_url(request)}/cdn/{quote(rel)}",
            "duration": duration,
            "width": probed.width,
            "height": probed.height,
            "fps": fps,
            "hash": digest,
        }

    def _upload_rel(session: Session, filename: str) -> str:
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "file"
        return f"uploads/{session.session_id}/{uuid.uuid4().hex[:8]}-{safe}"

    def _same_server(netloc: str, request: Request) -> bool:
        if netloc == request.headers.get("host", request.url.netloc):
            return True
        loopback = ("127.0.0.1", "localhost", "[::1]")
        host, _, port = netloc.rpartition(":")
        return (
            host in loopback
            and request.url.hostname in ("127.0.0.1", "localhost", "::1")
            and (port == str(request.url.port))
        )

    app_user = "/{user}"
    return Route("/api/upload-video/{app}" + app_user + "/{sid}", authed(store, config, upload), methods=["POST"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(policy.UPLOAD_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
