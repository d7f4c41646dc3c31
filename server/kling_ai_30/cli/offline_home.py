"""The offline project's folder: what ``--local`` commands keep from one command to the next.

Every ``--local`` command runs the local backend in its own process, over the same folder, so
``generate --local`` then ``state --local``, ``credits --local`` and ``export --local`` see one
project (``local_run``). Both sides of the conversation are kept, apart from the real backend's::

    <user data dir>/kling-ai-30/offline/
        backend/     the local backend's memory (state.json: users, sessions, credits, renders),
                     its uploads, generated media and rendered MP4s
        client/      the program's own state for it: the token cache (config/), the client id
                     (nemovideo/), projects and jobs (state/)
        home.json    the loopback port the offline backend answers on, chosen once (under
                     home.json.lock, so two first commands agree on it)
        home.lock    held by the process answering on it

The program's state for the offline backend lives here and not in the usual folders so the real
backend's token cache and projects are never touched, and ``kling-ai-30 local reset`` removes one
folder. Exported MP4s are not here: they go to the usual videos folder, and a reset keeps them.

The port is fixed because the client files a project under its backend's address: with a new
port each command, every command would find an empty project again. It is picked once from a
range no operating system hands out for outgoing connections, and kept in ``home.json``.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..config import APP_DIR_NAME
from ..storage import PRIVATE_FILE_MODE, atomic_write_json, ensure_private_dir, load_json

OFFLINE_DIR_NAME = "offline"
LOOPBACK = "127.0.0.1"
# Below every system's ephemeral range (Linux 32768+, macOS and Windows 49152+) and above the
# well-known servers', so a port picked here is rarely taken later by someone else.
HOME_PORTS = range(20000, 32000)
PORT_TRIES = 50


@dataclass(frozen=True)
class OfflineHome:
    """The folders and files of the offline project under ``root``."""

    root: Path

    @classmethod
    def default(cls) -> OfflineHome:
        return cls(Path(platformdirs.user_data_dir(APP_DIR_NAME)) / OFFLINE_DIR_NAME)

    @property
    def backend_dir(self) -> Path:
        return self.root / "backend"

    @property
    def client_dir(self) -> Path:
        return self.root / "client"

    @property
    def home_lock(self) -> Path:
        return self.root / "home.lock"

    def home_url(self) -> str:
        """The offline backend's address: the same for every command (the port is chosen on first use)."""
        return f"http://{LOOPBACK}:{self._home_port()}"

    def _home_port(self) -> int:
        path = self.root / "home.json"
        ensure_private_dir(self.root)
        # Two first commands at once must not pick two ports: one would file its project elsewhere.
        from filelock import FileLock  # not for `serve`'s first tool call: only --local commands come here

        with FileLock(self.root / "home.json.lock", mode=PRIVATE_FILE_MODE, thread_local=False):
            saved = load_json(path).value
            port = saved.get("port") if isinstance(saved, dict) else None
            if isinstance(port, int) and not isinstance(port, bool) and port in HOME_PORTS:
                return port
            port = _free_port()
            atomic_write_json(path, {"port": port})
            return port

    def contents(self) -> OfflineContents:
        """What the offline project holds now."""
        cdn = self.backend_dir / "cdn"
        return OfflineContents(
            projects=_count(self.client_dir.glob("state/backends/*/projects/*/*.json")),
            renders=_count((cdn / "render-result").glob("*.mp4")),
            uploads=_count(path for path in (cdn / "uploads").rglob("*") if path.is_file()),
            size=sum(path.stat().st_size for path in self.root.rglob("*") if path.is_file() and not path.is_symlink()),
        )


@dataclass(frozen=True)
class OfflineContents:
    """Projects, rendered videos and uploaded files in the offline project, and its bytes in all."""

    projects: int
    renders: int
    uploads: int
    size: int


def _free_port() -> int:
    """A port in ``HOME_PORTS`` nothing listens on now (the last one tried if all are taken)."""
    port = HOME_PORTS[0]
    for _ in range(PORT_TRIES):
        port = random.choice(HOME_PORTS)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    return port


def _count(paths: Iterable[Path]) -> int:
    return sum(1 for _ in paths)
