"""OAuth resource-server mode: access tokens from the company's identity provider.

``serve --http --oauth-issuer URL`` accepts JWT access tokens (RFC 9068) signed by that issuer, checked
here against its published keys (JWKS), and serves the RFC 9728 metadata that sends a client (Claude
Code, Cursor) to the issuer to log in. Why JWT and not RFC 7662 introspection: every mainstream
identity provider (Entra ID, Okta, Auth0, Keycloak, Google) issues JWT access tokens and publishes
its keys, so a token is checked locally — no round trip to the issuer per request, and no client
secret for this server to hold. Introspection would need both.

A token passes when its signature verifies with one of the issuer's keys (asymmetric algorithms
only: ``none`` and shared-secret HMAC are refused), ``iss`` is the issuer, ``aud`` names this
server (``--oauth-audience``, default the server's public URL: an ID token or a token for another
API is refused), and it has not expired. The subject becomes the principal: a readable prefix of
``sub`` plus a hash of (issuer, subject), so it is a valid project-store name and two subjects never
share one (``principal_for_subject``).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
import jwt

from ..errors import ConfigError
from ..policy import (
    JWKS_REFETCH_MIN_S,
    OAUTH_CLOCK_LEEWAY_S,
    OAUTH_METADATA_TIMEOUT_S,
    OAUTH_PRINCIPAL_HASH_CHARS,
    OAUTH_PRINCIPAL_PREFIX_CHARS,
)
from ..timing import Clock
from .http_hosts import is_loopback
from .principals import PrincipalToken

log = logging.getLogger(__name__)

# Public-key signatures only: with a shared secret (HS*) anyone holding the JWKS could mint tokens.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.-]+")


def check_issuer_url(url: str) -> str:
    """The issuer URL, refused unless https (plain http only on loopback, for a local test issuer)."""
    parts = urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname:
        return url.strip().rstrip("/")
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return url.strip().rstrip("/")
    raise ConfigError(f"--oauth-issuer must be an https:// URL (got {url[:80]!r}): tokens must not cross in the clear.")


def principal_for_subject(issuer: str, subject: str) -> str:
    """A project-store name for the issuer's ``subject``: ``<cleaned subject prefix>-<hash>``."""
    cleaned = _UNSAFE_NAME_CHARS.sub("-", subject).strip("-._")[:OAUTH_PRINCIPAL_PREFIX_CHARS].rstrip("-._")
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:OAUTH_PRINCIPAL_HASH_CHARS]
    return f"{cleaned or 'user'}-{digest}"


class IssuerKeys:
    """The issuer's signing keys, found through its metadata (OpenID discovery, else RFC 8414)."""

    def __init__(self, issuer: str, *, monotonic: Clock = time.monotonic) -> None:
        self.issuer = issuer
        self._monotonic = monotonic
        self._jwks_uri: str | None = None
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = anyio.Lock()

    async def load(self) -> None:
        """Read the issuer's metadata and keys; a ``ConfigError`` says what to fix."""
        metadata = await self._metadata()
        jwks_uri = metadata.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ConfigError(f"The issuer {self.issuer} publishes no jwks_uri: it cannot be used for JWT tokens.")
        self._jwks_uri = jwks_uri
        await self._fetch_keys()

    async def key(self, key_id: str | None) -> jwt.PyJWK | None:
        """The key a token names; an unknown id re-reads the keys (rotation), at most once a minute."""
        found = self._find(key_id)
        if found is not None:
            return found
        async with self._lock:
            if self._monotonic() - self._fetched_at >= JWKS_REFETCH_MIN_S:
                try:
                    await self._fetch_keys()
                except ConfigError as exc:
                    log.warning("could not re-read the issuer's keys: %s", exc)
        return self._find(key_id)

    def _find(self, key_id: str | None) -> jwt.PyJWK | None:
        if key_id is None and len(self._keys) == 1:
            return next(iter(self._keys.values()))  # a single key may be used without naming it
        return self._keys.get(key_id)

    async def _metadata(self) -> dict[str, Any]:
        parts = urlsplit(self.issuer)
        oidc = f"{self.issuer}/.well-known/openid-configuration"
        rfc8414 = f"{parts.scheme}://{parts.netloc}/.well-known/oauth-authorization-server{parts.path}"
        for url in (oidc, rfc8414):
            data = await _get_json(url, missing_ok=True)
            if data is None:
                continue
            if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                raise ConfigError(
                    f"The metadata at {url} names another issuer ({str(data.get('issuer'))[:80]!r}): "
                    "pass --oauth-issuer exactly as the identity provider writes it."
                )
            return data
        raise ConfigError(f"The issuer {self.issuer} publishes no OpenID or OAuth metadata: check --oauth-issuer.")

    async def _fetch_keys(self) -> None:
        assert self._jwks_uri is not None
        data = await _get_json(self._jwks_uri)
        assert data is not None
        try:
            key_set = jwt.PyJWKSet.from_dict(data)
        except jwt.PyJWKSetError as exc:
            raise ConfigError(f"The issuer's key set at {self._jwks_uri} has no usable keys ({exc}).") from None
        self._keys = {key.key_id: key for key in key_set.keys}
        self._fetched_at = self._monotonic()
        log.info("read %d signing key(s) of the issuer %s", len(self._keys), self.issuer)


class JwtVerifier:
    """The SDK's ``TokenVerifier`` for the issuer's JWT access tokens."""

    def __init__(self, keys: IssuerKeys, *, audience: str) -> None:
        self._keys = keys
        self._audience = audience

    async def verify_token(self, token: str) -> PrincipalToken | None:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return None
        algorithm = header.get("alg")
        if algorithm not in SIGNING_ALGORITHMS:
            log.info("refused a token signed with %r", str(algorithm)[:20])
            return None
        kid = header.get("kid")
        key = await self._keys.key(kid if isinstance(kid, str) else None)
        if key is None:
            log.info("refused a token signed with a key the issuer does not publish")
            return None
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._keys.issuer,
                leeway=OAUTH_CLOCK_LEEWAY_S,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            log.info("refused a token: %s", type(exc).__name__)
            return None
        subject = str(claims["sub"])
        if not subject:
            return None
        client = claims.get("client_id") or claims.get("azp") or subject
        return PrincipalToken(
            token=token,
            client_id=str(client),
            scopes=_scopes(claims),
            expires_at=int(claims["exp"]),
            resource=self._audience,
            subject=subject,
            claims={"iss": self._keys.issuer},
            principal=principal_for_subject(self._keys.issuer, subject),
        )


def _scopes(claims: dict[str, Any]) -> list[str]:
    """RFC 9068 ``scope`` (space-separated), or the ``scp`` list some providers use instead."""
    raw = claims.get("scope", claims.get("scp"))
    if isinstance(raw, str):
        return raw.split()
    if isinstance(raw, list):
        return [str(item) for item in raw]
    return []


async def _get_json(url: str, *, missing_ok: bool = False) -> dict[str, Any] | None:
    try:
        async with httpx.AsyncClient(timeout=OAUTH_METADATA_TIMEOUT_S, follow_redirects=True) as client:
            response = await client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ConfigError(f"Cannot reach {url} ({type(exc).__name__}): check --oauth-issuer and the network.") from None
    if missing_ok and response.status_code == 404:
        return None
    if response.status_code != 200:
        raise ConfigError(f"{url} answered HTTP {response.status_code}: check --oauth-issuer.")
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ConfigError(f"{url} did not answer with a JSON object: check --oauth-issuer.")
    return data
