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

import anyio
import httpx
from pydantic import SecretStr

from ..client.auth import ClientIdStore, TokenCache
from ..client.backend import BackendClient, SessionListener
from ..config import Settings
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

    def client(
        self,
        principal: str,
        settings: Settings,
        identity: SkillIdentity,
        *,
        transport: httpx.AsyncBaseTransport | None,
        sleep: Sleep = anyio.sleep,
        clock: Clock,
        on_session_replaced: SessionListener,
    ) -> BackendClient:
        """A backend client on ``principal``'s own account (``has_own`` must hold)."""
        folder = settings.config_dir / PRINCIPALS_DIR / check_name(principal, "principal")
        token = self.own_tokens.get(principal)
        return BackendClient(
            settings.model_copy(update={"token": token, "client_id": None}),
            identity,
            transport=transport,
            sleep=sleep,
            clock=clock,
            token_cache=TokenCache(folder / "tokens.json"),
            client_ids=ClientIdStore(folder / "client_id"),
            on_session_replaced=on_session_replaced,
        )
