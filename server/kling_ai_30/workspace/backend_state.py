"""Where each backend's projects, jobs and project locks live: one folder per backend.

A project is a session *on one backend*. With one file per project key for every backend, a run
against another backend (``--local``, ``demo``, ``sim``) would replace the real backend's session
and its timeline with it. So the state directory holds::

    backends/<host>[_<port>]/projects/<key>.json
                             jobs/<job id>.json
                             locks/<key>.lock

``mega-api-prod.nemovideo.ai`` for the default backend, ``127.0.0.1_8787`` for a local one. Loopback
backends (``--local``, ``demo``, a ``sim``, tests) get a new port on most runs, so their folders are
removed after a day unused (``policy.IDLE_LOOPBACK_STATE_S``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlsplit

from ..policy import IDLE_LOOPBACK_STATE_S
from ..storage import ensure_private_dir

log = logging.getLogger(__name__)

BACKENDS_DIR = "backends"
_UNSAFE = re.compile(r"[^a-z0-9.-]")


def backend_slug(api_url: str) -> str:
    """``https://mega-api-prod.nemovideo.ai`` → ``mega-api-prod.nemovideo.ai``;
    ``http://127.0.0.1:8787`` → ``127.0.0.1_8787``; ``http://[::1]:9`` → ``--1_9``."""
    parts = urlsplit(api_url)
    host = _UNSAFE.sub("_", (parts.hostname or "").lower().replace(":", "-")) or "backend"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}_{port}" if port else host


def backend_state_dir(state_dir: Path, api_url: str) -> Path:
    """The folder holding this backend's projects, jobs and locks."""
    return state_dir / BACKENDS_DIR / backend_slug(api_url)


def open_backend_state_dir(state_dir: Path, api_url: str) -> Path:
    """``backend_state_dir``, created private (0700) when it can be: a later save creates only the
    last folder of its path private, and the ones above it would be left open to other users."""
    folder = backend_state_dir(state_dir, api_url)
    try:
        ensure_private_dir(folder.parent)
        ensure_private_dir(folder)
    except OSError as exc:  # reported where it matters: the first save that needs the folder
        log.warning("cannot create %s: %s", folder, exc)
    return folder


def is_loopback_slug(slug: str) -> bool:
    host, _, port = slug.rpartition("_")
    if not (host and port.isdigit()):
        host = slug
    if host == "localhost":
        return True
    for candidate in (host, host.replace("-", ":")):
        try:
            return ipaddress.ip_address(candidate).is_loopback
        except ValueError:
            continue
    return False


def prune_loopback_backends(state_dir: Path, *, keep: Path, now: float | None = None) -> None:
    """Remove loopback backends' folders unused for a day (all but ``keep``, the one in use)."""
    cutoff = (time.time() if now is None else now) - IDLE_LOOPBACK_STATE_S
    root = state_dir / BACKENDS_DIR
    try:
        folders = [p for p in root.iterdir() if p.is_dir()]
    except OSError:
        return
    for folder in folders:
        if folder == keep or not is_loopback_slug(folder.name):
            continue
        if _last_used(folder) < cutoff:
            log.info("removing the state of loopback backend %s (unused for a day)", folder.name)
            shutil.rmtree(folder, ignore_errors=True)


def _last_used(folder: Path) -> float:
    """The newest change in a backend folder: every save renames a file into one of its subfolders."""
    newest = 0.0
    for path in (folder, *(folder / sub for sub in ("projects", "jobs", "locks"))):
        with contextlib.suppress(OSError):
            newest = max(newest, path.stat().st_mtime)
    return newest
