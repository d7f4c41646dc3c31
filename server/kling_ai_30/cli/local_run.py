"""The backend a command talks to: the configured one, or with ``--local`` (and ``demo``) a local
backend started in this process.

``--local`` commands share one offline project (``offline_home``): each starts a persistent local
backend over the same folder, and the state the program keeps for it (token, projects, jobs) lives
beside it, so one command finds what the one before made — and the real backend's token cache and
projects are never touched. Several ``--local`` commands may run at once: the backend's state is
kept in step between them under a file lock (``kling_ai_30.local.state.shared_file``).

The offline backend has one address (``OfflineHome.home_url``), because the client files projects
and tokens under it. The first command to start answers on it, and the links the others print (the
project page, registration) point there; any other command runs its own server on a free port,
and a transport sends its requests for the home address there.

``demo`` is the exception: it runs in a scratch folder under the user cache dir, removed when it
ends, so it always starts from fresh credits (``demo.DEMO_BACKEND``) and never changes the offline project. Scratch
folders of demos that were killed are swept by the next one. Exported MP4s go to the usual videos
folder, or the ``--output-dir`` given.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import platformdirs

from ..config import APP_DIR_NAME, Settings, load_settings
from ..errors import ConfigError
from ..processes import pid_alive
from ..storage import PRIVATE_FILE_MODE, ensure_private_dir
from .offline_home import OfflineHome

if TYPE_CHECKING:
    import httpx

# httpx and filelock are imported where they are used: `serve` imports this module, and its first
# tool call must not wait for them (the workspace brings httpx in off the event loop).

log = logging.getLogger(__name__)

SCRATCH_DIR_NAME = "local-runs"


@dataclass(frozen=True)
class CommandBackend:
    """The settings a command runs with, and the transport its client must use (None: the network)."""

    settings: Settings
    transport: httpx.AsyncBaseTransport | None = None


@contextlib.contextmanager
def command_backend(
    args: argparse.Namespace, *, sim: dict[str, Any] | None = None, **overrides: Any
) -> Iterator[CommandBackend]:
    """The backend for this command (``overrides`` win over the settings); with ``--local`` the local
    backend (configured by ``sim``) runs until the block ends."""
    if not getattr(args, "local", False):
        yield CommandBackend(load_settings(None, **overrides))
        return
    local = local_module()
    usual = load_settings(None, **overrides)
    if getattr(args, "command", None) == "demo":
        with _scratch_backend(local, usual, sim, overrides) as backend:
            yield backend
        return
    with _offline_backend(local, usual, sim, overrides) as backend:
        yield backend


def saved_offline_job(job_id: str) -> bool:
    """Whether the offline project holds a job of that id (a command without --local looks elsewhere)."""
    if not job_id.replace("_", "").isalnum():
        return False
    backends = OfflineHome.default().client_dir / "state" / "backends"
    return backends.is_dir() and any(backends.glob(f"*/jobs/{job_id}.json"))


def local_module() -> Any:
    try:
        from .. import local
    except ImportError as exc:  # av / pillow / numpy missing
        raise ConfigError(
            f"The local backend needs the 'local' extra ({exc.name} is missing): pip install 'kling-ai-30[local]'."
        ) from None
    return local


# ------------------------------------------------------------------ the offline project


@contextlib.contextmanager
def _offline_backend(
    local: Any, usual: Settings, sim: dict[str, Any] | None, overrides: dict[str, Any]
) -> Iterator[CommandBackend]:
    home = OfflineHome.default()
    ensure_private_dir(home.root)
    with contextlib.ExitStack() as stack:
        config = local.SimConfig(**{**(sim or {}), "data_dir": home.backend_dir, "persistent": True})
        backend = local.LocalBackend(config)
        stack.callback(_close, backend)
        home_url = home.home_url()
        own_url, web_url = _serve(stack, local, backend, home, home_url)
        settings = _client_settings(home.client_dir, usual, overrides, api_url=home_url, web_url=web_url)
        if own_url is None:
            yield CommandBackend(settings)
        else:
            from .own_server_transport import ToOwnServer

            yield CommandBackend(settings, ToOwnServer(home_url, own_url))


def _close(backend: Any) -> None:
    if backend.runs.alive():
        # Closing waits for them (a message the backend accepted is answered): say why we wait.
        print("Finishing the offline backend's work in hand…", file=sys.stderr, flush=True)
    backend.close()


def _serve(
    stack: contextlib.ExitStack, local: Any, backend: Any, home: OfflineHome, home_url: str
) -> tuple[str | None, str]:
    """Serve `backend` until the stack closes: on the home address when no other offline command
    does, else on a free port. Returns the free port's URL (None on the home address) and where
    links should point."""
    from filelock import FileLock, Timeout

    holder = FileLock(home.home_lock, mode=PRIVATE_FILE_MODE, thread_local=False)
    try:
        holder.acquire(blocking=False)
    except Timeout:  # another offline command answers on the home address: links point there
        return str(stack.enter_context(local.run_in_thread(backend))), home_url
    port = urlsplit(home_url).port
    try:
        stack.enter_context(local.run_in_thread(backend, port=port))
    except OSError as exc:
        # Another program has taken the port: projects stay filed under the home address, and this
        # command's links point to its own server.
        holder.release()
        log.warning("the offline backend's port %s is taken by another program (%s)", port, exc.strerror)
        own_url = str(stack.enter_context(local.run_in_thread(backend)))
        return own_url, own_url
    stack.callback(holder.release)
    return None, home_url


def _client_settings(
    folder: Path, usual: Settings, overrides: dict[str, Any], *, api_url: str, web_url: str
) -> Settings:
    """The settings of a client of a local backend: its own token cache, client id, projects and
    jobs under `folder`; MP4s still go to the usual videos folder."""
    settings = load_settings(
        None,
        **{
            **overrides,
            "api_url": api_url,
            "web_url": web_url,
            "config_dir": folder / "config",
            "nemo_config_dir": folder / "nemovideo",
            "state_dir": folder / "state",
            "data_dir": folder / "data",
            "output_dir": usual.videos_dir,
        },
    )
    # The real backend's token and client id (NEMO_TOKEN, NEMO_CLIENT_ID) mean nothing here.
    return settings.model_copy(update={"token": None, "client_id": None})


# ------------------------------------------------------------------ the demo's scratch backend


@contextlib.contextmanager
def _scratch_backend(
    local: Any, usual: Settings, sim: dict[str, Any] | None, overrides: dict[str, Any]
) -> Iterator[CommandBackend]:
    scratch = _new_scratch_dir()
    backend = local.LocalBackend(local.SimConfig(**(sim or {})))
    try:
        with local.run_in_thread(backend) as url:
            yield CommandBackend(_client_settings(scratch, usual, overrides, api_url=url, web_url=url))
    finally:
        backend.close()
        shutil.rmtree(scratch, ignore_errors=True)


def scratch_root() -> Path:
    return Path(platformdirs.user_cache_dir(APP_DIR_NAME)) / SCRATCH_DIR_NAME


def _new_scratch_dir() -> Path:
    root = scratch_root()
    _sweep(root)
    folder = root / f"{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True, mode=0o700)
    return folder


def _sweep(root: Path) -> None:
    """Remove the scratch folders of demos whose process is gone (killed before cleaning up)."""
    try:
        folders = list(root.iterdir())
    except OSError:
        return
    for folder in folders:
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            log.info("removing %s, left by a demo that was killed", folder)
            shutil.rmtree(folder, ignore_errors=True)
