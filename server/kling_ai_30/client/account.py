"""Who the client speaks as: the credentials in use, where they come from, and their renewal.

``NEMO_TOKEN`` when it is set; else the cached anonymous token (one per client id every 7 days,
skill text, so a restart reuses it); else a new one from ``POST /api/auth/anonymous-token`` with
the persisted client id. On that call, a 400 gets a new client id and a 429 a 30-second wait, once
each. A token the backend rejects (1001) is renewed with the same client id; a user's own token
never is (it is theirs to replace).
"""

from __future__ import annotations

import logging

import anyio

from ..config import Settings
from ..errors import MissingClientIdError, RateLimitedError
from ..policy import RATE_LIMIT_RETRY_DELAY_S
from ..timing import Clock, Sleep
from .auth import ClientIdStore, Credentials, TokenCache, credentials_from_grant, env_credentials
from .envelope import ErrorContext, unwrap
from .retry import RequestKind
from .sender import Sender

log = logging.getLogger(__name__)

TOKEN_PATH = "/api/auth/anonymous-token"


class Account:
    """The credentials of one client, obtained once and shared by its concurrent requests."""

    def __init__(
        self,
        settings: Settings,
        sender: Sender,
        *,
        tokens: TokenCache,
        client_ids: ClientIdStore,
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._sender = sender
        self._tokens = tokens
        self._client_ids = client_ids
        self._sleep = sleep
        self._clock = clock
        self._credentials: Credentials | None = None
        self._lock = anyio.Lock()

    @property
    def user_id(self) -> str | None:
        return self._credentials.user_id if self._credentials else None

    @property
    def anonymous(self) -> bool:
        creds = self._credentials
        if creds is None:
            return self._settings.token is None
        if creds.from_env and creds.user_id:
            return creds.user_id.startswith("anon_")
        return creds.anonymous

    def error_context(self, *, token_call: bool = False) -> ErrorContext:
        """What an error message needs to name the next step for this account."""
        creds = self._credentials
        return ErrorContext(
            web_url=self._settings.web_url,
            user_id=self.user_id,
            anonymous=self.anonymous,
            token_from_env=bool(creds and creds.from_env),
            token_call=token_call,
        )

    async def credentials(self) -> Credentials:
        """The current credentials: ``NEMO_TOKEN``, else a cached anonymous token, else a new one."""
        async with self._lock:
            if self._credentials is not None and not self._credentials.expired(self._clock()):
                return self._credentials
            if self._settings.token is not None:
                self._credentials = env_credentials(self._settings.token)
                return self._credentials
            cached = self._tokens.load(self._settings.api_url)
            if cached is not None and not cached.expired(self._clock()):
                self._credentials = cached
                return cached
            self._credentials = await self._issue_anonymous_token()
            return self._credentials

    async def renew(self, rejected: Credentials) -> None:
        """A new anonymous token in place of ``rejected`` (unless another request already renewed it)."""
        async with self._lock:
            if self._credentials is not None and self._credentials.token != rejected.token:
                return
            self._tokens.forget(self._settings.api_url)
            self._credentials = await self._issue_anonymous_token()

    def learn_user_id(self, user_id: str | None) -> None:
        """Remember whose token this is when only a later answer says (a ``NEMO_TOKEN``'s owner)."""
        creds = self._credentials
        if user_id and creds is not None and creds.user_id is None:
            self._credentials = Credentials(
                token=creds.token,
                user_id=user_id,
                anonymous=user_id.startswith("anon_") if creds.from_env else creds.anonymous,
                expires_at=creds.expires_at,
                from_env=creds.from_env,
            )

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
                request = self._sender.build("POST", TOKEN_PATH, headers={"X-Client-Id": client_id})
                response = await self._sender.send(request, kind=RequestKind.WRITE)
                data = unwrap(response, self.error_context(token_call=True))
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
            self._tokens.store(self._settings.api_url, credentials)
            return credentials
