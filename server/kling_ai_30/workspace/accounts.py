"""Whose NemoVideo account a principal's work is done with, so credits are pooled only on purpose.

By default every principal uses the server's own account — ``NEMO_TOKEN``, else the server's
anonymous token — which is what the person running the server set up (and the only choice on
stdio and the command line, where the caller is the local user). A shared HTTP server may instead
give each person their own:

- a principal with a ``NEMO_TOKEN`` of their own (the third column of ``--tokens-file``) always
  uses it: their credits, their plan;
- with ``separate`` anonymous accounts, everyone else but the local user gets an anonymous account
  of their own: its own client id and token cache under ``<config dir>/principals/<name>/``, so
  their free credits and registration link are theirs. (NemoVideo issues a few free tokens per
  network, so this suits a handful of people; a team wants NEMO_TOKENs.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from ..client.backend import BackendClient, SessionListener
from ..config import Settings
from ..notices import Notices
from ..skill import SkillIdentity
from ..timing import Clock, Sleep
from .projects import LOCAL_PRINCIPAL, check_name

PRINCIPALS_DIR = "principals"


@dataclass(frozen=True)
class Accounts:
    """Which principals get an account of their own (the rest use the server's)."""

    own_tokens: Mapping[str, SecretStr] = field(default_factory=dict)
    """Principal -> their NemoVideo API token."""
    separate: bool = False
    """Everyone else (but the local user) gets an anonymous account of their own."""

    def has_own(self, principal: str) -> bool:
        return principal in self.own_tokens or (self.separate and principal != LOCAL_PRINCIPAL)

    def settings_of(self, principal: str, settings: Settings) -> Settings:
        """``settings`` on ``principal``'s own account: their token, else their own client id and token
        cache (the client keeps both under its config folders)."""
        folder = settings.config_dir / PRINCIPALS_DIR / check_name(principal, "principal")
        update = {"token": self.own_tokens.get(principal), "client_id": None}
        return settings.model_copy(update={**update, "config_dir": folder, "nemo_config_dir": folder})


class AccountClients:
    """The backend clients in use: the server's own, and each principal's own account's, made on first use."""

    def __init__(
        self,
        settings: Settings,
        accounts: Accounts | None,
        *,
        identity: SkillIdentity,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Sleep,
        clock: Clock,
        notices: Notices,
        on_session_replaced: SessionListener,
    ) -> None:
        self._settings = settings
        self._accounts = accounts or Accounts()

        def make(settings: Settings) -> BackendClient:
            return BackendClient(
                settings,
                identity,
                transport=transport,
                sleep=sleep,
                clock=clock,
                notices=notices,
                on_session_replaced=on_session_replaced,
            )

        self._make = make
        self.server = make(settings)
        self._own: dict[str, BackendClient] = {}

    def of(self, principal: str) -> BackendClient:
        """The client on the account ``principal``'s work uses."""
        if not self._accounts.has_own(principal):
            return self.server
        if principal not in self._own:
            self._own[principal] = self._make(self._accounts.settings_of(principal, self._settings))
        return self._own[principal]

    async def aclose(self) -> None:
        for client in (self.server, *self._own.values()):
            await client.aclose()
