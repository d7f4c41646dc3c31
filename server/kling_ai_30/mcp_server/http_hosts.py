"""The names a ``serve --http`` answers to: which binds are loopback, and the Host/Origin allow-list.

The SDK checks ``Host`` and ``Origin`` (its DNS-rebinding protection: a web page whose name
resolves to this machine must not reach the server through the user's browser) only when bound to
loopback. Here the check is on for every bind, with these names allowed:

- the loopback names (``127.0.0.1``, ``localhost``, ``[::1]``, any port): this machine's own clients;
- the address bound, when it is one address; the machine's host name, when it is all of them
  (``0.0.0.0`` / ``::``);
- the host of ``--public-url``, and every ``--allow-host NAME`` (``NAME`` or ``NAME:PORT``).

An ``Origin`` is allowed for the same names, over http or https.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from mcp.server.transport_security import TransportSecuritySettings

from ..errors import ConfigError

_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_WILDCARD_BINDS = ("0.0.0.0", "::", "")
_HOST_NAME = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(:[0-9]{1,5})?$")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server on this machine."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return bare == "localhost"


def url_host(host: str) -> str:
    """``host`` as it appears in a URL or a Host header (IPv6 addresses in brackets)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def check_allow_host(name: str) -> str:
    """An ``--allow-host`` value: a host name or address, optionally with ``:PORT``; never a URL."""
    if not _HOST_NAME.match(name):
        raise ConfigError(
            f"--allow-host {name[:80]!r} is not a host name: give the name clients use, such as "
            "videos.example.com or videos.example.com:8443 (no http://, no path)."
        )
    return name.lower()


def transport_security(bind_host: str, allow_hosts: Sequence[str], public_url: str | None) -> TransportSecuritySettings:
    """The Host/Origin checks for a server bound to ``bind_host``."""
    names: list[str] = [check_allow_host(name) for name in allow_hosts]
    if bind_host in _WILDCARD_BINDS:
        names.append(socket.gethostname().lower())
    elif not is_loopback(bind_host):
        names.append(url_host(bind_host).lower())
    if public_url is not None:
        names.append(urlsplit(public_url).netloc.lower())
    hosts: list[str] = []
    origins: list[str] = []
    for name in (*_LOOPBACK_HOSTS, *names):
        with_port = bool(re.search(r":[0-9]+$", name)) and not name.endswith("]")
        hosts.extend([name] if with_port else [name, f"{name}:*"])
        for scheme in ("http", "https"):
            origins.extend([f"{scheme}://{name}"] if with_port else [f"{scheme}://{name}", f"{scheme}://{name}:*"])
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=list(dict.fromkeys(hosts)),
        allowed_origins=list(dict.fromkeys(origins)),
    )


def allowed_names(settings: TransportSecuritySettings) -> list[str]:
    """The host names the checks let through, for the start-up warning."""
    return [host for host in settings.allowed_hosts if not host.endswith(":*")]
