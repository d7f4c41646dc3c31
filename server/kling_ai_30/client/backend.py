"""The NemoVideo backend client: one ``httpx.AsyncClient``, every endpoint the skill uses.

Cross-cutting behaviour lives here once (DESIGN.md "Backend client"):

- attribution headers on every request, ``Authorization`` on all but the anonymous-token call;
- envelopes unwrapped and errors mapped in ``envelope.unwrap``;
- recovery, at most once per request: 1001 -> a new anonymous token with the same client id;
  1002 -> a new session (replacing the caller's ``Session`` in place); on the token call itself,
  400 -> a new client id, 429 -> wait 30 s and try once more;
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

import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
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
    MissingClientIdError,
    RateLimitedError,
    ServerError,
    SessionNotFoundError,
    StreamError,
    TokenExpiredError,
)
from ..policy import (
    APP_NAME,
    CONNECT_TIMEOUT_S,
    RATE_LIMIT_RETRY_DELAY_S,
    READ_TIMEOUT_S,
    SSE_READ_GAP_S,
    USER_PLACEHOLDER,
)
from ..skill import SkillIdentity
from ..timing import Clock, Sleep
from .auth import ClientIdStore, Credentials, TokenCache, credentials_from_grant, env_credentials
from .envelope import ErrorContext, unwrap
from .models import ClaimToken, Credits, RenderStatus, SessionInfo, SessionState, UploadResult, WireModel, is_plain_id
from .retry import RequestKind
from .sender import Sender
from .session import Session
from .sse import check_content_type
from .transfers import ProgressFn, close_files, multipart_files, stream_to_file
from .uploads import check_media_url, check_upload_file

log = logging.getLogger(__name__)

SessionListener = Callable[[Session], None]

_Wire = TypeVar("_Wire", bound=WireModel)


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
    ) -> None:
        self.settings = settings
        self.identity = identity
        self._sleep = sleep
        self._clock = clock
        self._tokens = token_cache if token_cache is not None else TokenCache(settings.token_cache_path)
        self._client_ids = (
            client_ids
            if client_ids is not None
            else ClientIdStore(settings.client_id_path, from_env=settings.client_id)
        )
        self._on_session_replaced = on_session_replaced
        self._credentials: Credentials | None = None
        self._token_lock = anyio.Lock()
        self._http = httpx.AsyncClient(
            base_url=settings.api_url,
            transport=transport,
            headers=identity.headers(),
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
            follow_redirects=False,
        )
        self._sender = Sender(self._http, api_url=settings.api_url, sleep=sleep)
        # Downloads go to CDNs: no base URL, no attribution or auth headers, redirects allowed.
        self._cdn = httpx.AsyncClient(
            transport=transport,
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
        return self._credentials.user_id if self._credentials else None

    @property
    def anonymous(self) -> bool:
        creds = self._credentials
        if creds is None:
            return self.settings.token is None
        if creds.from_env and creds.user_id:
            return creds.user_id.startswith("anon_")
        return creds.anonymous

    def take_notices(self) -> list[str]:
        """Notes for the user about the token cache (a damaged one set aside); cleared once taken."""
        found, self._tokens.notices = self._tokens.notices, []
        return found

    async def ensure_credentials(self) -> Credentials:
        """The current credentials: ``NEMO_TOKEN``, else a cached anonymous token, else a new one."""
        async with self._token_lock:
            if self._credentials is not None and not self._credentials.expired(self._clock()):
                return self._credentials
            if self.settings.token is not None:
                self._credentials = env_credentials(self.settings.token)
                return self._credentials
            cached = self._tokens.load(self.settings.api_url)
            if cached is not None and not cached.expired(self._clock()):
                self._credentials = cached
                return cached
            self._credentials = await self._issue_anonymous_token()
            return self._credentials

    async def _renew_after_rejection(self, rejected: Credentials) -> None:
        async with self._token_lock:
            if self._credentials is not None and self._credentials.token != rejected.token:
                return  # another request already renewed it
            self._tokens.forget(self.settings.api_url)
            self._credentials = await self._issue_anonymous_token()

    async def _issue_anonymous_token(self) -> Credentials:
        """``POST /api/auth/anonymous-token`` with the persisted client id; 400 and 429 recovered once each.

        Only a failed connection is retried: after a timeout or a 5xx the backend may have issued the
        token (one per client every 7 days) and lost the answer, so asking again could burn the quota.
        """
        fixed_client_id = False
        waited = False
        while True:
            client_id = self._client_ids.get()
            try:
                request = self._sender.build("POST", "/api/auth/anonymous-token", headers={"X-Client-Id": client_id})
                response = await self._sender.send(request, kind=RequestKind.WRITE)
                data = unwrap(response, self._error_context(token_call=True))
            except MissingClientIdError:
                if fixed_client_id:
                    raise
                fixed_client_id = True
                self._client_ids.regenerate()
                continue
            except RateLimitedError as exc:
                if waited:
                    # Waiting 30 s did not help: the quota is per client (one token every 7 days) and
                    # per network, so only time or the user's own token will.
                    raise RateLimitedError(
                        "NemoVideo refused a new free token even after waiting (one per client every 7 days, "
                        "a few per network). Set NEMO_TOKEN to a token from your NemoVideo account, or try "
                        "again later.",
                        retry_after=None,
                        status_code=exc.status_code,
                    ) from None
                waited = True
                log.info("token issue rate-limited; retrying once in %.0f s", RATE_LIMIT_RETRY_DELAY_S)
                await self._sleep(RATE_LIMIT_RETRY_DELAY_S)
                continue
            credentials = credentials_from_grant(data, now=self._clock())
            self._tokens.store(self.settings.api_url, credentials)
            return credentials

    def _error_context(self, *, token_call: bool = False) -> ErrorContext:
        creds = self._credentials
        return ErrorContext(
            web_url=self.settings.web_url,
            user_id=self.user_id,
            anonymous=self.anonymous,
            token_from_env=bool(creds and creds.from_env),
            token_call=token_call,
        )

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
        self._learn_user_id(info.user_id)
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

    def _learn_user_id(self, user_id: str | None) -> None:
        creds = self._credentials
        if user_id and creds is not None and creds.user_id is None:
            self._credentials = Credentials(
                token=creds.token,
                user_id=user_id,
                anonymous=user_id.startswith("anon_") if creds.from_env else creds.anonymous,
                expires_at=creds.expires_at,
                from_env=creds.from_env,
            )

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
        """The web link that opens this project in the browser."""
        claim = await self.claim_token(session)
        return f"{self.settings.web_url}/workspace/claim?ct={claim.claim_token}"

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
        self, session: Session, paths: Sequence[str | os.PathLike[str]], *, on_progress: ProgressFn | None = None
    ) -> UploadResult:
        """Upload local files (multipart field ``files``), streamed from disk, after local checks."""
        if not paths:
            raise InputError("No file was given to upload: pass the path of an image, video or audio file.")
        checked = [check_upload_file(p) for p in paths]
        data = await self._call(
            "POST",
            f"/api/upload-video/{APP_NAME}/{USER_PLACEHOLDER}/{{sid}}",
            session=session,
            files=lambda: multipart_files(checked, on_progress),
        )
        return _wire(UploadResult, data or {}, "upload")

    async def upload_urls(self, session: Session, urls: Sequence[str]) -> UploadResult:
        """Upload media by URL (``{"urls": [...], "source_type": "url"}``)."""
        if not urls:
            raise InputError("No URL was given to upload: pass an http(s) link to an image, video or audio file.")
        cleaned = [check_media_url(u) for u in urls]
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
        renewed = resessioned = False
        while True:
            credentials = await self.ensure_credentials()
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
                try:
                    yield response.aiter_bytes()
                finally:
                    await response.aclose()
                return
            try:
                await response.aread()
            except httpx.HTTPError as exc:
                raise self._sender.unavailable(exc, kind=RequestKind.CHAT_MESSAGE) from None
            finally:
                await response.aclose()
            try:
                unwrap(response, self._error_context())
            except ServerError as exc:
                # A gateway may answer 5xx after passing the message on (a 504 usually means exactly that).
                raise self._sender.in_flight(f"it answered HTTP {exc.status_code}") from None
            except TokenExpiredError:
                if renewed or credentials.from_env:
                    raise
                renewed = True
                await self._renew_after_rejection(credentials)
                continue
            except SessionNotFoundError:
                if resessioned:
                    raise
                resessioned = True
                await self._replace_session(session)
                continue
            # A 2xx that is not a stream: something accepted the message, and may be acting on it.
            raise self._sender.in_flight(f"it answered HTTP {response.status_code} without an event stream")

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
        on_progress: ProgressFn | None = None,
    ) -> Path:
        """Stream ``url`` into ``dest_dir``: temp file, size and MP4 checks, atomic rename, never overwrite."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise APIError("The backend gave a download link that is not http(s); export again.")
        if _same_origin(url, self.settings.api_url):
            # Only the backend itself gets our token; a CDN never does.
            return await self._download_from_backend(url, dest_dir, filename, on_progress)
        return await stream_to_file(
            self._cdn, url, {}, dest_dir, filename, context=self._error_context(), on_progress=on_progress
        )

    async def download_render_fallback(
        self, render_id: str, dest_dir: Path, filename: str, *, on_progress: ProgressFn | None = None
    ) -> Path:
        """``GET /api/render/proxy/<id>/download`` with auth, for when the output URL is not reachable."""
        url = f"{self.settings.api_url}/api/render/proxy/{_path_part(render_id)}/download"
        return await self._download_from_backend(url, dest_dir, filename, on_progress)

    async def _download_from_backend(
        self, url: str, dest_dir: Path, filename: str, on_progress: ProgressFn | None
    ) -> Path:
        """A download with the token and attribution headers; a rejected token is renewed once (1001)."""
        renewed = False
        while True:
            credentials = await self.ensure_credentials()
            headers = {"Authorization": credentials.bearer(), **self.identity.headers()}
            try:
                return await stream_to_file(
                    self._cdn,
                    url,
                    headers,
                    dest_dir,
                    filename,
                    context=self._error_context(),
                    on_progress=on_progress,
                )
            except TokenExpiredError:
                if renewed or credentials.from_env:
                    raise
                renewed = True
                await self._renew_after_rejection(credentials)

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
        renewed = resessioned = False
        while True:
            credentials = await self.ensure_credentials()
            url = path.replace("{sid}", _path_part(session.session_id)) if session is not None else path
            form = files() if files is not None else None
            body = json() if callable(json) else json
            try:
                try:
                    request = self._sender.build(
                        method, url, headers={"Authorization": credentials.bearer()}, json=body, files=form
                    )
                    response = await self._sender.send(request, kind=RequestKind.of_method(method))
                finally:
                    close_files(form)
                return unwrap(response, self._error_context())
            except TokenExpiredError:
                if renewed or credentials.from_env:
                    raise
                renewed = True
                await self._renew_after_rejection(credentials)
            except SessionNotFoundError:
                if session is None or resessioned:
                    raise
                resessioned = True
                await self._replace_session(session)


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


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


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
