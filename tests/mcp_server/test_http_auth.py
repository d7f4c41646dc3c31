"""Who may call ``serve --http`` (CONTRACT.md "Streamable HTTP: who may call"), through a real server
process: MCP over HTTP with ``mcp.Client``, raw HTTP for what a client would never send.

The server's own token, ``--token-file`` / ``KLING_HTTP_TOKEN``, ``--tokens-file``, ``--no-auth``
only on loopback, the Host/Origin checks on every bind, and the OAuth resource-server mode against
an issuer running in the test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import pty
import re
import secrets
import socket
import stat
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from kling_ai_30.local import LocalBackend
from kling_ai_30.mcp_server.oauth import IssuerKeys, JwtVerifier

from ..http_server import http_client, run_to_exit, served_http, start_server, stop
from .fake_issuer import FakeIssuer, running_issuer

pytestmark = pytest.mark.anyio

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def own_token_file(home: Path) -> Path:
    return home / ".config/kling-ai-30/http-token"


def initialize(url: str, **headers: str) -> httpx.Response:
    """A raw ``initialize`` POST, as any HTTP client could send it."""
    return httpx.post(url, json=INITIALIZE, headers={**MCP_HEADERS, **headers}, timeout=10)


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def a_token() -> str:
    return secrets.token_urlsafe(32)


# ----------------------------------------------------------------------------- the server's own token


async def test_by_default_a_private_token_is_made_kept_across_restarts_and_required(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    path = own_token_file(private_home)
    with served_http(private_home, base_url, log=tmp_path / "first.log") as served:
        token = path.read_text(encoding="ascii").strip()
        assert private(path) and len(token) >= 40
        # Not a terminal: the snippet reads the token from its file; the token itself is printed nowhere.
        header = f'--header "Authorization: Bearer $(cat {path})"'
        assert f"claude mcp add --transport http kling-ai-30 {served.url} {header}" in served.stdout
        assert '"Authorization": "Bearer ${env:KLING_HTTP_TOKEN}"' in served.stdout
        assert f'export KLING_HTTP_TOKEN="$(cat {path})"' in served.stdout

        for refused in ({}, {"Authorization": f"Bearer {token[:-1]}"}, {"Authorization": f"Basic {token}"}):
            answer = initialize(served.url, **refused)
            assert answer.status_code == 401
            assert answer.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
            assert token not in answer.text
        assert initialize(served.url, Authorization=f"Bearer {token}").status_code == 200

        async with http_client(served.url, token) as client:
            credits = await client.call_tool("credits", {})
        assert not credits.is_error

        health = httpx.get(served.base + "/healthz", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        assert token not in served.stdout + served.log_text()

    with served_http(private_home, base_url, log=tmp_path / "second.log") as again:
        assert path.read_text(encoding="ascii").strip() == token  # configured clients keep working
        async with http_client(again.url, token, mode="auto") as client:
            assert not (await client.call_tool("state", {})).is_error


def test_the_literal_token_is_printed_only_to_a_terminal(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    main, terminal = pty.openpty()
    process = start_server(private_home, base_url, log=tmp_path / "server.log", stdout=terminal)
    os.close(terminal)
    seen: list[bytes] = []

    def read() -> None:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while b"mcpServers" not in b"".join(seen) or not b"".join(seen).rstrip().endswith(b"}"):
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()
            time.sleep(0.05)
    finally:
        assert stop(process) == 0
        os.close(main)
        reader.join(5)
    token = own_token_file(private_home).read_text(encoding="ascii").strip()
    shown = b"".join(seen).decode()
    assert f'--header "Authorization: Bearer {token}"' in shown
    assert f'"Authorization": "Bearer {token}"' in shown
    assert token not in (tmp_path / "server.log").read_text()  # never in a log line


@pytest.mark.parametrize("source", ["token-file", "env"])
async def test_a_token_file_or_kling_http_token_is_the_token_instead(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path, source: str
) -> None:
    token = a_token()
    file = tmp_path / "token"
    file.write_text(token + "\n", encoding="ascii")
    file.chmod(0o600)
    args, env = (("--token-file", str(file)), {}) if source == "token-file" else ((), {"KLING_HTTP_TOKEN": token})
    with served_http(private_home, base_url, *args, log=tmp_path / "server.log", **env) as served:
        assert initialize(served.url, Authorization=f"Bearer {a_token()}").status_code == 401
        async with http_client(served.url, token) as client:
            assert not (await client.call_tool("credits", {})).is_error
        assert ("$KLING_HTTP_TOKEN" if source == "env" else f"$(cat {file})") in served.stdout
        assert token not in served.stdout + served.log_text()
    assert not own_token_file(private_home).exists()


@pytest.mark.parametrize(
    ("content", "told"),
    [
        pytest.param("alice\n", "line 1: expected 'NAME TOKEN'", id="one-field"),
        pytest.param("# team\n\nal/ice {t1}\n", "line 3: A principal name may use letters", id="bad-name"),
        pytest.param("alice {t1}\nalice {t2}\n", "line 2: 'alice' is already on line 1", id="same-name"),
        pytest.param("alice {t1}\nbob {t1}\n", "line 2: the same token as line 1", id="same-token"),
        pytest.param("alice short-token\n", "line 1: a token must be 24 to", id="short-token"),
        pytest.param("alice {t1} nemo extra\n", "line 1: expected 'NAME TOKEN'", id="four-fields"),
        pytest.param("# nobody yet\n", "has no 'NAME TOKEN' lines", id="empty"),
    ],
)
def test_a_tokens_file_that_cannot_be_used_stops_the_server_naming_the_line(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path, content: str, told: str
) -> None:
    t1, t2 = a_token(), a_token()
    path = tmp_path / "tokens"
    path.write_text(content.format(t1=t1, t2=t2), encoding="ascii")
    code, out, err = run_to_exit(private_home, base_url, "--tokens-file", str(path), log=tmp_path / "server.log")
    assert code == 2, err
    assert f"{path}, line" in err or "has no" in err
    assert told in err, err
    assert t1 not in out + err and t2 not in out + err


def test_a_missing_tokens_file_and_mixed_ways_of_checking_callers_are_refused(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nope"
    code, _, err = run_to_exit(private_home, base_url, "--tokens-file", str(missing), log=tmp_path / "a.log")
    assert code == 2 and f"--tokens-file {missing} does not exist" in err
    code, _, err = run_to_exit(
        private_home, base_url, "--tokens-file", str(missing), "--no-auth", log=tmp_path / "b.log"
    )
    assert code == 2 and "--no-auth and --tokens-file cannot be used together" in err


# ----------------------------------------------------------------------------- --no-auth and binds


async def test_no_auth_is_refused_beyond_loopback_and_on_loopback_the_caller_is_the_local_user(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    code, _, err = run_to_exit(private_home, base_url, "--no-auth", "--host", "0.0.0.0", log=tmp_path / "a.log")
    assert code == 2 and "--no-auth is allowed only on a loopback --host" in err
    assert not list(private_home.rglob("backends"))  # nothing was started

    with served_http(private_home, base_url, "--no-auth", log=tmp_path / "b.log") as served:
        assert "WARNING: --no-auth: any program on this machine can call the tools as you" in served.stdout
        async with http_client(served.url, None) as client:
            assert not (await client.call_tool("state", {"project": "open-door"})).is_error
    # The local user's project, the one the command line and stdio use.
    assert list(private_home.glob(".local/state/kling-ai-30/backends/*/projects/local/open-door.json"))


async def test_host_and_origin_are_checked_on_every_bind_with_the_names_allowed(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    token = a_token()
    args = ("--host", "0.0.0.0", "--allow-host", "videos.example", "--token-file", str(tmp_path / "token"))
    (tmp_path / "token").write_text(token, encoding="ascii")
    with served_http(private_home, base_url, *args, log=tmp_path / "server.log") as served:
        port = served.url.split(":")[2].split("/")[0]
        assert "WARNING: other machines can reach this server" in served.stdout
        assert "videos.example" in served.stdout
        bearer = f"Bearer {token}"
        # Authentication comes first: a stranger learns nothing about the allowed names.
        assert initialize(served.url, Host="evil.example").status_code == 401
        assert initialize(served.url, Authorization=bearer, Host="evil.example").status_code == 421
        assert initialize(served.url, Authorization=bearer, Origin="http://evil.example").status_code == 403
        for host, origin in (
            (f"videos.example:{port}", "https://videos.example"),
            (f"{socket.gethostname().lower()}:{port}", f"http://{socket.gethostname().lower()}:{port}"),
            (f"localhost:{port}", f"http://localhost:{port}"),
        ):
            assert initialize(served.url, Authorization=bearer, Host=host, Origin=origin).status_code == 200, host
    with served_http(private_home, base_url, "--token-file", str(tmp_path / "token"), log=tmp_path / "lo.log") as lo:
        assert "other machines" not in lo.stdout
        assert initialize(lo.url, Authorization=bearer, Host="evil.example").status_code == 421
        assert initialize(lo.url, Authorization=bearer, Origin="http://evil.example").status_code == 403


def test_a_bad_allow_host_is_refused_with_the_fix(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    code, _, err = run_to_exit(private_home, base_url, "--allow-host", "https://x.example/mcp", log=tmp_path / "a.log")
    assert code == 2 and "is not a host name" in err and "no http://" in err


# ----------------------------------------------------------------------------- OAuth


def forged(issuer: FakeIssuer, payload: dict[str, Any], alg: str, kid: str | None = None) -> str:
    """A token no key of the issuer signed: ``none``, or HS256 keyed with the issuer's public key."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    head = part({"alg": alg, "typ": "JWT", "kid": kid or issuer.key_id}) + "." + part(payload)
    if alg == "none":
        return head + "."
    signature = hmac.new(issuer.public_pem(), head.encode(), hashlib.sha256).digest()
    return head + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


async def test_oauth_mode_takes_the_issuers_tokens_for_this_server_and_the_subject_is_the_principal(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    with running_issuer() as issuer:
        args = ("--oauth-issuer", issuer.url, "--oauth-scope", "videos")
        with served_http(private_home, base_url, *args, log=tmp_path / "server.log") as served:
            metadata = httpx.get(served.base + "/.well-known/oauth-protected-resource/mcp", timeout=10).json()
            assert metadata["authorization_servers"] == [issuer.url] and metadata["resource"] == served.url
            refused = initialize(served.url)
            assert refused.status_code == 401
            assert (
                f'resource_metadata="{served.base}/.well-known/oauth-protected-resource/mcp"'
                in (refused.headers["www-authenticate"])
            )
            assert f"claude mcp add --transport http kling-ai-30 {served.url}\n" in served.stdout

            good = issuer.token("auth0|Alice Smith", audience=served.url, scope="openid videos")
            claims = {"iss": issuer.url, "sub": "mallory", "aud": served.url, "exp": int(time.time()) + 600}
            for bad in (
                issuer.token("alice", audience="https://another-api.example", scope="videos"),
                issuer.token("alice", audience=served.url, scope="videos", ttl_s=-600),
                issuer.token("alice", audience=served.url, scope="videos", iss="https://other-idp.example"),
                forged(issuer, {**claims, "scope": "videos"}, "HS256"),
                forged(issuer, {**claims, "scope": "videos"}, "none"),
                "not-a-jwt-at-all",
            ):
                assert initialize(served.url, Authorization=f"Bearer {bad}").status_code == 401
            no_scope = issuer.token("alice", audience=served.url, scope="openid")
            assert initialize(served.url, Authorization=f"Bearer {no_scope}").status_code == 403

            async with http_client(served.url, good) as client:
                assert not (await client.call_tool("state", {"project": "launch"})).is_error
            assert good not in served.log_text()
    [folder] = private_home.glob(".local/state/kling-ai-30/backends/*/projects/*/launch.json")
    assert re.fullmatch(r"auth0-Alice-Smith-[0-9a-f]{12}", folder.parent.name), folder


async def test_new_issuer_keys_are_read_when_a_token_names_one_but_at_most_once_a_minute() -> None:
    now = [1000.0]
    with running_issuer() as issuer:
        keys = IssuerKeys(issuer.url, monotonic=lambda: now[0])
        await keys.load()
        verifier = JwtVerifier(keys, audience="https://videos.example/mcp")
        old = issuer.token("alice", audience="https://videos.example/mcp")
        assert (await verifier.verify_token(old)) is not None
        issuer.rotate()
        new = issuer.token("alice", audience="https://videos.example/mcp")
        now[0] += 5
        assert (await verifier.verify_token(new)) is None  # read a moment ago: not again yet
        assert issuer.jwks_reads == 1
        now[0] += 60
        verified = await verifier.verify_token(new)
        assert verified is not None and verified.principal.startswith("alice-")
        assert issuer.jwks_reads == 2
        for number in range(5):  # a flood of unknown key ids costs the issuer nothing more
            assert (await verifier.verify_token(forged(issuer, {"sub": "x"}, "RS256", kid=f"k{number}"))) is None
        assert issuer.jwks_reads == 2
        await anyio.sleep(0)


def test_an_issuer_that_cannot_be_used_stops_the_server_with_the_fix(
    backend: LocalBackend, base_url: str, private_home: Path, tmp_path: Path
) -> None:
    code, _, err = run_to_exit(
        private_home, base_url, "--oauth-issuer", "http://idp.example.com", log=tmp_path / "a.log"
    )
    assert code == 2 and "--oauth-issuer must be an https:// URL" in err
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    issuer = f"http://127.0.0.1:{port}"
    code, _, err = run_to_exit(private_home, base_url, "--oauth-issuer", issuer, log=tmp_path / "b.log")
    assert code == 2 and "Cannot reach" in err and "check --oauth-issuer" in err
