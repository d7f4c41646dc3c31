"""The options of ``serve --http``, checked before anything listens.

One way of checking callers at a time: the server's own token (the default), ``--token-file`` /
``KLING_HTTP_TOKEN``, ``--tokens-file``, ``--oauth-issuer``, or ``--no-auth`` — and ``--no-auth``
only on a loopback ``--host``: a server other machines can reach never runs without authentication.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..policy import DEFAULT_HTTP_PORT
from .http_hosts import check_allow_host, is_loopback

AccountsMode = Literal["shared", "separate"]


@dataclass(frozen=True)
class HttpOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_HTTP_PORT
    public_url: str | None = None
    """The URL clients use, when it is not ``http://<host>:<port>/mcp`` (a TLS proxy in front)."""
    token_file: Path | None = None
    tokens_file: Path | None = None
    env_token: str | None = None
    """``KLING_HTTP_TOKEN``, as the environment had it."""
    no_auth: bool = False
    oauth_issuer: str | None = None
    oauth_audience: str | None = None
    oauth_scopes: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    accounts: AccountsMode = "shared"
    token_dir: Path | None = None
    """Where the server's own token is kept (default: the settings' config folder). ``--local`` runs
    in a scratch folder, but the token must outlive it: clients are configured with it."""

    def check(self) -> None:
        """Refuse combinations that cannot work, or that would expose the server; a ``ConfigError``
        says which option to change."""
        ways = [
            option
            for option, given in (
                ("--no-auth", self.no_auth),
                ("--token-file", self.token_file is not None),
                ("--tokens-file", self.tokens_file is not None),
                ("--oauth-issuer", self.oauth_issuer is not None),
            )
            if given
        ]
        if len(ways) > 1:
            raise ConfigError(f"{' and '.join(ways)} cannot be used together: pick one way of checking callers.")
        if self.no_auth and not is_loopback(self.host):
            raise ConfigError(
                f"--no-auth is allowed only on a loopback --host (127.0.0.1, ::1, localhost), not {self.host}: "
                "anyone who can reach the port could use your files and credits. Drop --no-auth (callers then "
                "need the token printed at start) or bind 127.0.0.1."
            )
        if (self.oauth_audience is not None or self.oauth_scopes) and self.oauth_issuer is None:
            raise ConfigError("--oauth-audience and --oauth-scope need --oauth-issuer.")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port {self.port} is not a port: pass 1-65535 (or 0 to pick a free one).")
        for name in self.allow_hosts:
            check_allow_host(name)
        if self.public_url is not None:
            parts = urlsplit(self.public_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ConfigError(
                    f"--public-url {self.public_url[:80]!r} must be the http(s) URL clients use, "
                    "such as https://videos.example.com/mcp."
                )

    @property
    def beyond_loopback(self) -> bool:
        return not is_loopback(self.host)

    @property
    def way(self) -> str:
        """How callers are checked: ``oauth``, ``none``, or ``tokens`` (any static token)."""
        if self.oauth_issuer is not None:
            return "oauth"
        return "none" if self.no_auth else "tokens"
