"""The TLS context every HTTP client of this process shares, loaded ahead of need.

Loading the trust store is the dearest part of building a client (~25-40 ms of CPU, here), and
the first tool call waits for it. OpenSSL reads the bundle with the GIL released, so a command
starts loading it in a thread at once (``preload``) and the load overlaps the imports before
the first call instead of adding to them.

The context is the one httpx makes by default (``httpx.create_ssl_context()``: ``SSL_CERT_FILE``,
else ``SSL_CERT_DIR``, else certifi's bundle), built here without importing httpx, which the
preload thread must not do (``mcp_server.host`` keeps httpx's command-line tool from loading).
"""

from __future__ import annotations

import os
import ssl
import threading

_lock = threading.Lock()
_context: ssl.SSLContext | None = None


def tls_context() -> ssl.SSLContext:
    """The shared context (loaded now if no preload did it yet; waits for one in progress)."""
    global _context
    with _lock:
        if _context is None:
            _context = _load()
        return _context


def preload() -> None:
    """Start loading the shared context in a background thread."""
    threading.Thread(target=tls_context, name="tls-preload", daemon=True).start()


def _load() -> ssl.SSLContext:
    if os.environ.get("SSL_CERT_FILE"):
        return ssl.create_default_context(cafile=os.environ["SSL_CERT_FILE"])
    if os.environ.get("SSL_CERT_DIR"):
        return ssl.create_default_context(capath=os.environ["SSL_CERT_DIR"])
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
