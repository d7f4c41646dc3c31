"""What ``serve --http`` prints at start: where it listens, and a ready-to-paste connection for
Claude Code (``claude mcp add --transport http … --header``) and Cursor (``mcp.json``).

The literal token is printed only to a terminal (``interactive``), where the person who started the
server reads it. Anywhere else — a log file, CI, a pipe, a service manager's journal — the snippet
reads the token where it is kept (``$(cat <token file>)``, ``${env:KLING_HTTP_TOKEN}``), so a token
never lands in a log that outlives the moment or that others can read.
"""

from __future__ import annotations

import json
import shlex

from .bearer_tokens import TOKEN_ENV, BearerTokens
from .http_access import Access

SERVER_NAME = "kling-ai-30"


def startup_text(
    endpoint: str, access: Access, *, interactive: bool, beyond_loopback: bool, allowed_hosts: list[str]
) -> str:
    """The lines to print once the server listens on ``endpoint`` (its public MCP URL)."""
    lines = [f"kling-ai-30 MCP server on {endpoint} (health check: {_health_url(endpoint)})"]
    if beyond_loopback:
        lines += [
            "WARNING: other machines can reach this server. It speaks plain HTTP: on any network you do not "
            "trust, put it behind TLS (a reverse proxy) and pass --public-url https://….",
            f"Requests must name one of these hosts: {', '.join(allowed_hosts)} (add more with --allow-host).",
        ]
    header: str | None = None
    cursor_header: str | None = None
    setup: list[str] = []
    if access.way == "none":
        lines.append(
            "WARNING: --no-auth: any program on this machine can call the tools as you (upload files you can "
            "read, spend your credits, write videos where you can write)."
        )
    elif access.way == "oauth":
        lines.append(f"Callers log in with {access.issuer}; each person's projects and videos are their own.")
    elif access.tokens is not None:
        header, cursor_header, setup, told = _token_header(access.tokens, interactive)
        lines += told
    lines.append(_accounts_line(access))
    lines += ["", "Claude Code:", "  " + _claude_code(endpoint, header), "", "Cursor (~/.cursor/mcp.json):"]
    lines += ["  " + line for line in [*setup, *_cursor(endpoint, cursor_header).splitlines()]]
    return "\n".join(lines)


def _token_header(tokens: BearerTokens, interactive: bool) -> tuple[str, str, list[str], list[str]]:
    """The Authorization value for Claude Code and for Cursor, set-up lines, and what to tell."""
    single = tokens.single
    if single is None:
        names = ", ".join(caller.principal for caller in tokens.callers)
        placeholder = "Bearer <your token>"
        told = [
            f"{len(tokens.callers)} people may call, each with their own token from {tokens.path}: {names}.",
            "Each person's projects, jobs and videos are their own. Give each person their line's token.",
        ]
        return placeholder, placeholder, [], told
    where = "KLING_HTTP_TOKEN" if tokens.path is None else str(tokens.path)
    told = [f"Callers must send 'Authorization: Bearer <token>'; the token is in {where}."]
    if interactive:
        value = f"Bearer {single.token.get_secret_value()}"
        return value, value, [], told
    if tokens.path is None:
        return f"Bearer ${TOKEN_ENV}", f"Bearer ${{env:{TOKEN_ENV}}}", [], told
    quoted = shlex.quote(str(tokens.path))
    setup = [f'export {TOKEN_ENV}="$(cat {quoted})"   # in the shell that starts Cursor']
    return f"Bearer $(cat {quoted})", f"Bearer ${{env:{TOKEN_ENV}}}", setup, told


def _accounts_line(access: Access) -> str:
    accounts = access.accounts
    own = sorted(accounts.own_tokens)
    several = access.way == "oauth" or (access.tokens is not None and access.tokens.single is None)
    if not several:
        return "NemoVideo account: this server's (NEMO_TOKEN, else its free anonymous token)."
    parts = [f"own NEMO_TOKEN: {', '.join(own)}"] if own else []
    if accounts.separate:
        parts.append("everyone else: a free anonymous account of their own")
    else:
        parts.append(
            "everyone else: this server's account, credits pooled (give each a NEMO_TOKEN as a third column "
            "in the tokens file, or pass --accounts separate)"
        )
    return "NemoVideo accounts: " + "; ".join(parts) + "."


def _claude_code(endpoint: str, header: str | None) -> str:
    command = f"claude mcp add --transport http {SERVER_NAME} {endpoint}"
    return command if header is None else f'{command} --header "Authorization: {header}"'


def _cursor(endpoint: str, header: str | None) -> str:
    entry: dict[str, object] = {"url": endpoint}
    if header is not None:
        entry["headers"] = {"Authorization": header}
    return json.dumps({"mcpServers": {SERVER_NAME: entry}}, indent=2)


def _health_url(endpoint: str) -> str:
    base = endpoint.rsplit("/", 1)[0] if endpoint.endswith("/mcp") else endpoint.rstrip("/")
    return f"{base}/healthz"
