"""An OpenID issuer on loopback for tests: discovery metadata, a JWKS, and tokens it signs.

No network: it listens on 127.0.0.1 in a thread of the test process. ``rotate()`` switches to a new
signing key (the old one leaves the JWKS), as an identity provider does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class FakeIssuer:
    def __init__(self) -> None:
        self.url = ""
        self.key_id = "key-1"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwks_reads = 0
        self.app = Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._metadata),
                Route("/jwks", self._jwks),
            ]
        )

    def rotate(self) -> None:
        """A new signing key under a new id; the old key is withdrawn."""
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = f"key-{int(self.key_id.split('-')[1]) + 1}"

    def token(self, subject: str, *, audience: str, scope: str = "", ttl_s: float = 600, **claims: Any) -> str:
        """A JWT access token for ``subject``, signed with the current key (``claims`` override)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "exp": now + int(ttl_s),
            "scope": scope,
            "client_id": "test-client",
            **claims,
        }
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    async def _metadata(self, request: Request) -> JSONResponse:
        return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/jwks", "token_endpoint": f"{self.url}/t"})

    async def _jwks(self, request: Request) -> JSONResponse:
        self.jwks_reads += 1
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        return JSONResponse({"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]})


@contextmanager
def running_issuer() -> Iterator[FakeIssuer]:
    issuer = FakeIssuer()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    issuer.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(issuer.app, log_config=None, access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the fake issuer did not start"
        time.sleep(0.01)
    try:
        yield issuer
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
