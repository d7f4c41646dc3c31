"""The NemoVideo backend client: one ``httpx.AsyncClient``, every endpoint the skill uses.

Cross-cutting behaviour lives here once (DESIGN.md "Backend client"):

- attribution headers on every request, ``Authorization`` on all but the anonymous-token call;
- envelopes unwrapped and errors mapped in ``envelope.unwrap``;
- recovery, at most once per request, on the one path REST calls, the chat stream and backend
  downloads share (``recovery``): 1001 -> a new anonymous token with the same client id; 1002 -> a
  new session (replacing the caller's ``Session`` in place); on the token call itself
  (``account``), 400 -> a new client id, 429 -> wait 30 s and try once more;
- transient failures (connection refused, 5xx, 408) retried with backoff, but only where a
  repeat cannot double anything: GETs, and requests that never reached the server (the
  anonymous-token call included: a lost answer may have used up the one token per 7 days): the
  decision is ``retry``'s, the sending ``sender``'s;
- a chat message whose answer is lost before its stream starts (dropped connection, timeout,
  a gateway's 5xx) raises ``MessageInFlightError``: it may be on the backend, so it is never
  sent again and the caller learns the outcome from the session's state;
- uploads streamed from disk and downloads streamed to disk (``transfers``), so memory stays flat.

Tests inject ``transport`` (the local backend over loopback, or ``httpx.MockTransport``) and
``sleep``/``clock``, so nothing waits for real.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import ssl
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import anyio
import httpx
from pydantic import ValidationError

from ..config import Settings
from ..errors import (
    APIError,
    InputError,
    ServerError,
    StreamError,
)
from ..notices import Notices
from ..policy import (
    APP_NAME,
    CLAIM_LINK_MIN_VALID_S,
    CONNECT_TIMEOUT_S,
    READ_TIMEOUT_S,
    SSE_READ_GAP_S,
    USER_PLACEHOLDER,
)
from ..progress import ByteCounts
from ..skill import SkillIdentity
from ..timing import Clock, Sleep
from .account import Account
from .auth import ClientIdStore, Credentials, TokenCache
from .envelope import unwrap
from .models import ClaimToken, Credits, RenderStatus, SessionInfo, SessionState, UploadResult, WireModel, is_plain_id
from .recovery import Attempt, recovering
from .retry import RequestKind
from .sender import Sender
from .session import Session
from .sse import check_content_type
from .tls import tls_context
from .transfers import multipart_files, stream_to_file
from .uploads import check_media_url, open_upload, same_origin

log = logging.getLogger(__name__)

SessionListener = Callable[[Session], None]

_Wire = TypeVar("_Wire", bound=WireModel)
T = TypeVar("T")


class BackendClient:
    """Async client for the NemoVideo mega-api (or the local backend that imitates it)."""

    def __init__(
        self,
        settings: Settings,
        identity: SkillIdentity,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        clock: Clock = time.time,
        token_cache: TokenCache | None = None,
        client_ids: ClientIdStore | None = None,
        on_session_replaced: SessionListener | None = None,
        notices: Notices | None = None,
    ) -> None:
        self.settings = settings
        self.identity = identity
        self._clock = clock
        self.notices = notices if notices is not None else Notices()
        """Machine-wide notes for the user (a damaged token cache set aside), said once."""
        self._on_session_replaced = on_session_replaced
        # One TLS context for every client of the process (``tls``): loading the trust store is most
        # of the cost of building a client, and it is paid before the first call can be answered.
        verify: ssl.SSLContext | bool = tls_context() if transport is None else True
        self._http = httpx.AsyncClient(
            base_url=settings.api_url,
            transport=transport,
            verify=verify,
            headers=identity.headers(),
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            follow_redirects=False,
        )
        self._sender = Sender(self._http, api_url=settings.api_url, sleep=sleep)
        self._account = Account(
            settings,
            self._sender,
            tokens=token_cache if token_cache is not None else TokenCache(settings.token_cache_path, self.notices),
            client_ids=(
                client_ids
                if client_ids is not None
                else ClientIdStore(settings.client_id_path, from_env=settings.client_id)
            ),
            sleep=sleep,
            clock=clock,
        )
        self._claims: dict[str, _HeldClaim] = {}
        """Claim tokens for task links, by session id."""
        # Downloads go to CDNs: no base URL, no attribution or auth headers, redirects allowed.
        self._cdn = httpx.AsyncClient(
            transport=transport,
            verify=verify,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            follow_redirects=True,
        )

    async def __aenter__(self) -> BackendClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._cdn.aclose()

    # ----------------------------------------------------------------- auth

    @property
    def user_id(self) -> str | None:
        return self._account.user_id

    @property
    def anonymous(self) -> bool:
        return self._account.anonymous

    async def ensure_credentials(self) -> Credentials:
        """The current credentials: ``NEMO_TOKEN``, else a cached anonymous token, else a new one."""
        return await self._account.credentials()

    # ------------------------------------------------------------- sessions

    async def create_session(self, *, task_name: str = "project", language: str | None = None) -> Session:
        """A new backend session (skill text §3.0)."""
        lang = language or self.settings.language
        data = await self._call(
            "POST",
            f"/api/tasks/{USER_PLACEHOLDER}/with-session/{APP_NAME}",
            json={
                "task_name": task_name,
                "language": lang,
            },
        )
        info = _wire(SessionInfo, data, "new session")
        self._account.learn_user_id(info.user_id)
        return Session(
            session_id=info.session_id,
            task_id=info.task_id,
            user_id=info.user_id or self.user_id,
            language=lang,
            task_name=task_name,
            created_at=self._clock(),
        )

    async def _replace_session(self, session: Session) -> None:
        fresh = await self.create_session(task_name=session.task_name, language=session.language)
        log.info("backend lost session %s; continuing in new session %s", session.session_id, fresh.session_id)
        session.session_id = fresh.session_id
        session.task_id = fresh.task_id
        session.user_id = fresh.user_id
        session.created_at = fresh.created_at
        session.replacements += 1
        if self._on_session_replaced is not None:
            self._on_session_replaced(session)

    async def claim_token(self, session: Session) -> ClaimToken:
        """A browser claim token for the session (skill 1.9: links carry ``ct=``, never the API token)."""
        data = await self._call(
            "POST",
            "/api/auth/claim-token",
            session=session,
            json=lambda: {"task_id": session.task_id, "session_id": session.session_id},
        )
        return _wire(ClaimToken, data, "project link")

    async def task_link(self, session: Session) -> str:
        """The web link that opens this project in the browser. Its claim token is reused while it
        has long enough left (``CLAIM_LINK_MIN_VALID_S``), so each delivered video does not ask for one."""
        held = self._claims.get(session.session_id)
        if held is None or self._clock() >= held.reuse_until:
            claim = await self.claim_token(session)  # may replace a lost session: key by the id after it
            held = _HeldClaim(
                claim.claim_token, reuse_until=self._clock() + (claim.expires_in or 0) - CLAIM_LINK_MIN_VALID_S
            )
            self._claims[session.session_id] = held
        return f"{self.settings.web_url}/workspace/claim?ct={held.claim_token}"

    # ------------------------------------------------------- simple queries

    async def credits(self) -> Credits:
        """``available``, ``frozen`` and ``total`` credits."""
        return _wire(Credits, await self._call("GET", "/api/credits/balance/simple") or {}, "credits")

    async def state(self, session: Session) -> SessionState:
        """The session's latest state: draft, uploaded media, generated media."""
        data = await self._call("GET", f"/api/state/{APP_NAME}/{USER_PLACEHOLDER}/{{sid}}/latest", session=session)
        return _wire(SessionState, data or {}, "session state")

    # --------------------------------------------------------------- upload

    async def upload_files(
        self, session: Session, paths: Sequence[str | os.PathLike[str]], *, on_progress: ByteCounts | None = None
    ) -> UploadResult:
        """Upload local files (multipart field ``files``): each opened once, checked, and sent from that descriptor."""
        if not paths:
            raise InputError("No file was given to upload: pass the path of an image, video or audio file.")
        with contextlib.ExitStack() as held:
            opened = [held.enter_context(open_upload(p)) for p in paths]
            data = await self._call(
                "POST",
                f"/api/upload-video/{APP_NAME}/{USER_PLACEHOLDER}/{{sid}}",
                session=session,
                files=lambda: multipart_files(opened, on_progress),
            )
        return _wire(UploadResult, data or {}, "upload")

    async def upload_urls(self, session: Session, urls: Sequence[str]) -> UploadResult:
        """Upload media by URL (``{"urls": [...], "source_type": "url"}``)."""
        if not urls:
            raise InputError("No URL was given to upload: pass an http(s) link to an image, video or audio file.")
        cleaned = [check_media_url(u, backend_url=self.settings.api_url) for u in urls]
        data = await self._call(
            "POST",
            f"/api/upload-video/{APP_NAME}/{USER_PLACEHOLDER}/{{sid}}",
            session=session,
            json={"urls": cleaned, "source_type": "url"},
        )
        return _wire(UploadResult, data or {}, "upload")

    # ----------------------------------------------------------------- chat

    @asynccontextmanager
    async def chat_stream(self, session: Session, text: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """Send one message to ``/run_sse`` and yield the raw event-stream bytes.

        Errors before the stream starts (bad token, lost session, no credits) are recovered or
        raised like any other call; the message was refused then, so sending it again is safe.
        So is a ``BackendUnavailableError`` raised from here: the message never left (no connection,
        or the token or session call it waited for failed). When the message may have reached the
        backend without a stream coming back (a dropped connection, a timeout, a 5xx from a gateway
        that may have passed it on, a 2xx that is not a stream) this raises ``MessageInFlightError``.
        Once the stream has started the message is in flight and is never sent again.
        """

        async def open_stream(credentials: Credentials) -> httpx.Response:
            body = {
                "app_name": APP_NAME,
                "user_id": USER_PLACEHOLDER,
                "session_id": session.session_id,
                "new_message": {"parts": [{"text": text}]},
            }
            request = self._sender.build(
                "POST",
                "/run_sse",
                json=body,
                headers={"Authorization": credentials.bearer(), "Accept": "text/event-stream"},
                timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S, read=SSE_READ_GAP_S),
            )
            response = await self._sender.send(request, kind=RequestKind.CHAT_MESSAGE, stream=True)
            if response.is_success and _is_event_stream(response):
                return response
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise self._sender.unavailable(exc, kind=RequestKind.CHAT_MESSAGE) from None
            finally:
                await response.aclose()
            try:
                unwrap(response, self._account.error_context())
            except ServerError as exc:
                # A gateway may answer 5xx after passing the message on (a 504 usually means exactly that).
                raise self._sender.in_flight(f"it answered HTTP {exc.status_code}") from None
            # A 2xx that is not a stream: something accepted the message, and may be acting on it.
            raise self._sender.in_flight(f"it answered HTTP {response.status_code} without an event stream")

        response = await self._recovering(open_stream, session)
        try:
            yield response.aiter_bytes()
        finally:
            await response.aclose()

    # --------------------------------------------------------------- render

    async def submit_render(
        self, session: Session, draft: Any, *, render_id: str | None = None, output: Mapping[str, Any] | None = None
    ) -> RenderStatus:
        """``POST /api/render/proxy/lambda`` with a client-chosen id (``sessionId`` is camelCase)."""
        rid = render_id or new_render_id(self._clock())
        body = {
            "id": rid,
            "sessionId": session.session_id,
            "draft": draft,
            "output": dict(output) if output else {"format": "mp4", "quality": "high"},
        }
        data = await self._call("POST", "/api/render/proxy/lambda", json=body)
        return RenderStatus.from_payload(data, render_id=rid)

    async def render_status(self, render_id: str) -> RenderStatus:
        """``GET /api/render/proxy/lambda/<id>``, either documented response shape."""
        data = await self._call("GET", f"/api/render/proxy/lambda/{_path_part(render_id)}")
        return RenderStatus.from_payload(data, render_id=render_id)

    async def cancel_render(self, render_id: str) -> None:
        await self._call("POST", f"/api/render/proxy/lambda/{_path_part(render_id)}/cancel")

    # ------------------------------------------------------------- download

    async def download(
        self,
        url: str,
        dest_dir: Path,
        filename: str,
        *,
        on_progress: ByteCounts | None = None,
    ) -> Path:
        """Stream ``url`` into ``dest_dir``: temp file, size and MP4 checks, atomic rename, never overwrite."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise APIError("The backend gave a download link that is not http(s); export again.")
        if same_origin(url, self.settings.api_url):
            # Only the backend itself gets our token; a CDN never does.
            return await self._download_from_backend(url, dest_dir, filename, on_progress)
        return await stream_to_file(
            self._cdn, url, {}, dest_dir, filename, context=self._account.error_context(), on_progress=on_progress
        )

    async def download_render_fallback(
        self, render_id: str, dest_dir: Path, filename: str, *, on_progress: ByteCounts | None = None
    ) -> Path:
        """``GET /api/render/proxy/<id>/download`` with auth, for when the output URL is not reachable."""
        url = f"{self.settings.api_url}/api/render/proxy/{_path_part(render_id)}/download"
        return await self._download_from_backend(url, dest_dir, filename, on_progress)

    async def _download_from_backend(
        self, url: str, dest_dir: Path, filename: str, on_progress: ByteCounts | None
    ) -> Path:
        """A download with the token and attribution headers, recovered like any other request."""

        async def attempt(credentials: Credentials) -> Path:
            headers = {"Authorization": credentials.bearer(), **self.identity.headers()}
            return await stream_to_file(
                self._cdn,
                url,
                headers,
                dest_dir,
                filename,
                context=self._account.error_context(),
                on_progress=on_progress,
            )

        return await self._recovering(attempt)

    # ------------------------------------------------------------ plumbing

    async def _call(
        self,
        method: str,
        path: str,
        *,
        session: Session | None = None,
        json: Any = None,
        files: Callable[[], Any] | None = None,
    ) -> Any:
        """One authenticated request with the once-each recoveries; returns the unwrapped payload.

        ``path`` may hold ``{sid}``, filled with the session id on every attempt (it changes
        when the backend lost the session and a new one took its place); for the same reason
        ``json`` may be a function, called on every attempt, when the body names the session.
        """

        async def attempt(credentials: Credentials) -> Any:
            url = path.replace("{sid}", _path_part(session.session_id)) if session is not None else path
            form = files() if files is not None else None
            body = json() if callable(json) else json
            request = self._sender.build(
                method, url, headers={"Authorization": credentials.bearer()}, json=body, files=form
            )
            response = await self._sender.send(request, kind=RequestKind.of_method(method))
            return unwrap(response, self._account.error_context())

        return await self._recovering(attempt, session)

    async def _recovering(self, attempt: Attempt[T], session: Session | None = None) -> T:
        """``attempt`` through the one recovery path (``recovery``): a new token, a new session, once each."""

        replace_session = functools.partial(self._replace_session, session) if session is not None else None
        return await recovering(attempt, account=self._account, replace_session=replace_session)


@dataclass(frozen=True)
class _HeldClaim:
    claim_token: str
    reuse_until: float
    """Wall-clock time after which a link made from it could expire too soon (a claim token without a
    stated lifetime is never reused)."""


def _wire(model: type[_Wire], data: Any, what: str) -> _Wire:
    """``data`` read as ``model``; an answer of the wrong shape is an ``APIError``, not a crash."""
    try:
        return model.model_validate(data)
    except ValidationError:
        raise APIError(
            f"The backend's answer to the {what} request had an unexpected shape; try again, and check "
            "NEMO_API_URL if it persists."
        ) from None


def new_render_id(now: float) -> str:
    """``render_<ms timestamp>_<random>``: unique even for renders started in the same millisecond."""
    return f"render_{int(now * 1000)}_{uuid.uuid4().hex[:6]}"


def _path_part(value: str) -> str:
    # Ids go into URL paths; anything but a plain id would change which route is hit.
    if not is_plain_id(value):
        raise InputError(f"{value[:40]!r} is not a valid id.")
    return value


def _is_event_stream(response: httpx.Response) -> bool:
    try:
        check_content_type(response.headers.get("content-type"))
    except StreamError:
        return False
    return True
