"""The principal behind an HTTP request: who a bearer token says the caller is.

Both ways of checking a token — the static tokens of ``bearer_tokens`` and the issuer-signed ones of
``oauth`` — answer with a ``PrincipalToken``: the SDK's ``AccessToken`` plus the name under which
this server keeps the caller's projects, jobs and videos. The SDK's bearer middleware puts it on the
request (``scope["user"]``), the SDK ties each MCP session to it, and a tool call reads it back with
``token_principal``; nothing else decides who is calling.
"""

from __future__ import annotations

from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver.exceptions import ToolError


class PrincipalToken(AccessToken):
    """A verified bearer token and the principal it belongs to (a valid project-store name)."""

    principal: str


def token_principal(request: Any) -> str | None:
    """The principal an HTTP request was authenticated as, or None when this server checks no tokens
    (``--no-auth``: the caller is the local user).

    Fails closed: a request that went through the token check without a verified token never gets
    this far (the SDK answers 401), and if one ever did it is refused rather than taken as local.
    """
    scope = getattr(request, "scope", None)
    if not isinstance(scope, dict) or "user" not in scope:
        return None  # no authentication middleware on this server
    user = scope["user"]
    if isinstance(user, AuthenticatedUser) and isinstance(user.access_token, PrincipalToken):
        return user.access_token.principal
    raise ToolError("This request is not authenticated: send the server's token as 'Authorization: Bearer <token>'.")
