"""Who may call this ``serve --http``, put into the SDK's terms: a ``TokenVerifier`` and ``AuthSettings``.

- Static tokens (``bearer_tokens``): the SDK's bearer middleware asks ``StaticTokenVerifier``;
  anything else gets 401 with ``WWW-Authenticate: Bearer error="invalid_token"``. No OAuth metadata
  is served: there is no authorization server to send a client to (a static token is configured by
  hand), and Cursor ignores the headers it was given for a server that answers OAuth discovery.
  ``AuthSettings`` needs an ``issuer_url`` even so; it is never used without a
  ``resource_server_url``.
- An OAuth issuer (``oauth``): ``JwtVerifier``, plus the RFC 9728 metadata that names the issuer;
  the 401 carries ``resource_metadata`` pointing at it, as the MCP authorization spec asks.
- ``--no-auth``: neither, and the caller is the local user.

It also says whose NemoVideo account each caller uses (``workspace.accounts``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from mcp.server.auth.provider import TokenVerifier
from mcp.server.auth.settings import AuthSettings

from ..config import Settings
from ..workspace.accounts import Accounts
from .bearer_tokens import BearerTokens, StaticTokenVerifier, load_bearer_tokens
from .http_options import HttpOptions
from .oauth import IssuerKeys, JwtVerifier, check_issuer_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Access:
    way: str
    """``tokens``, ``oauth`` or ``none``."""
    verifier: TokenVerifier | None = None
    auth: AuthSettings | None = None
    tokens: BearerTokens | None = None
    issuer: str | None = None
    accounts: Accounts = field(default_factory=Accounts)


async def open_access(options: HttpOptions, settings: Settings, public_url: str) -> Access:
    """The access rules for ``options`` (a ``ConfigError`` names what to fix: a bad token file, an
    issuer that cannot be read)."""
    separate = options.accounts == "separate"
    if options.env_token and (options.way != "tokens" or options.token_file or options.tokens_file):
        log.info("KLING_HTTP_TOKEN is set but not used: the command line chose another way of checking callers")
    if options.no_auth:
        return Access("none")
    if options.oauth_issuer is not None:
        issuer = check_issuer_url(options.oauth_issuer)
        keys = IssuerKeys(issuer)
        await keys.load()
        return Access(
            "oauth",
            verifier=JwtVerifier(keys, audience=options.oauth_audience or public_url),
            # Validated from strings, not AnyHttpUrl objects: the model keeps a path-less issuer as it is
            # written, and RFC 8414 compares issuers character for character.
            auth=AuthSettings.model_validate(
                {
                    "issuer_url": issuer,
                    "resource_server_url": public_url,
                    "required_scopes": list(options.oauth_scopes) or None,
                    # The verifier checks the audience itself (--oauth-audience may be an API name, not a URL).
                    "validate_token_resource": False,
                }
            ),
            issuer=issuer,
            accounts=Accounts(separate=separate),
        )
    tokens = load_bearer_tokens(
        options.token_dir or settings.config_dir,
        token_file=options.token_file,
        tokens_file=options.tokens_file,
        env_token=options.env_token,
    )
    own = {caller.principal: caller.nemo_token for caller in tokens.callers if caller.nemo_token is not None}
    return Access(
        "tokens",
        verifier=StaticTokenVerifier(tokens.callers),
        auth=AuthSettings.model_validate({"issuer_url": public_url, "resource_server_url": None}),
        tokens=tokens,
        accounts=Accounts(own_tokens=own, separate=separate),
    )
