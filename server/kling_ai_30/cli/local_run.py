"""The settings a command runs with: the configured backend, or with ``--local`` (and ``demo``) a
local backend started in this process.

A local run gets its own config, state and data folders in a scratch folder under the user cache
dir, removed when the command ends: its backend is gone then, and so is everything it handed out
(an anonymous token, a session, jobs), so nothing of it belongs with the real backend's token cache
or projects (one token per run would otherwise pile up in ``tokens.json``). Its MP4s still go to the
usual videos folder, or the ``--output-dir`` given. Scratch folders of runs that were killed are
swept by the next local run.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs

from ..config import APP_DIR_NAME, Settings, load_settings
from ..errors import ConfigError
from ..processes import pid_alive

log = logging.getLogger(__name__)

SCRATCH_DIR_NAME = "local-runs"


@contextlib.contextmanager
def command_settings(
    args: argparse.Namespace, *, sim: dict[str, Any] | None = None, **overrides: Any
) -> Iterator[Settings]:
    """The settings for this command (``overrides`` win); with ``--local`` the local backend
    (configured by ``sim``) runs until the block ends."""
    if not getattr(args, "local", False):
        yield load_settings(None, **overrides)
        return
    local = local_module()
    backend = local.LocalBackend(local.SimConfig(**(sim or {})))
    scratch = _new_scratch_dir()
    try:
        with local.run_in_thread(backend) as url:
            usual = load_settings(None, **{**overrides, "api_url": url, "web_url": url})
            yield load_settings(
                None,
                **{
                    **overrides,
                    "api_url": url,
                    "web_url": url,
                    "config_dir": scratch / "config",
                    "nemo_config_dir": scratch / "nemovideo",
                    "state_dir": scratch / "state",
                    "data_dir": scratch / "data",
                    "output_dir": usual.videos_dir,
                },
            )
    finally:
        backend.close()
        shutil.rmtree(scratch, ignore_errors=True)


def local_module() -> Any:
    try:
        from .. import local
    except ImportError as exc:  # av / pillow / numpy missing
        raise ConfigError(
            f"The local backend needs the 'local' extra ({exc.name} is missing): pip install 'kling-ai-30[local]'."
        ) from None
    return local


def scratch_root() -> Path:
    return Path(platformdirs.user_cache_dir(APP_DIR_NAME)) / SCRATCH_DIR_NAME


def _new_scratch_dir() -> Path:
    root = scratch_root()
    _sweep(root)
    folder = root / f"{os.getpid()}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True, mode=0o700)
    return folder


def _sweep(root: Path) -> None:
    """Remove the scratch folders of local runs whose process is gone (killed before cleaning up)."""
    try:
        folders = list(root.iterdir())
    except OSError:
        return
    for folder in folders:
        pid = folder.name.split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            log.info("removing %s, left by a local run that was killed", folder)
            shutil.rmtree(folder, ignore_errors=True)
