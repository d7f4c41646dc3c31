"""``kling-ai-30 doctor``: is this machine ready? One line per check, each saying what to do.

The checks, in order: Python; ``uvx`` on the PATH (the hosts' configs start the server with it);
the backend, asked for any answer within a few seconds (with ``--local``, the local backend,
started for the check); the token, by where it comes from and when it expires, never itself; the
folders the program writes (config, client id, state, data, videos); the versions (kling-ai-30,
mcp) and whether the ``local`` extra is installed.

A check is ``ok``, ``warn`` (works, but something is missing for part of the job) or ``fail``.
The exit code is 0 when nothing failed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import httpx

from ..errors import ConfigError
from .exit_codes import EXIT_FAILED, EXIT_OK
from .local_run import command_backend
from .output import OFFLINE_HINT
from .terminal import Palette, colour_supported

if TYPE_CHECKING:
    from ..config import Settings

Status = Literal["ok", "warn", "fail"]

# Long enough for a slow network to answer once, short enough that a doctor never seems to hang.
BACKEND_TIMEOUT_S = 5.0
LOCAL_EXTRA = ("av", "PIL", "numpy")  # what `pip install 'kling-ai-30[local]'` brings
UV_INSTALL = "https://docs.astral.sh/uv/getting-started/installation/"
_MARKS: dict[Status, str] = {"ok": "✓", "warn": "!", "fail": "✗"}


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    """What to do about it (empty when there is nothing to do)."""


async def run_doctor(args: argparse.Namespace) -> int:
    """Run every check and print the report; 0 when nothing failed."""
    checks = [python_check(), uvx_check(shutil.which("uvx"))]
    try:
        with command_backend(args) as backend:
            settings = backend.settings
            checks.append(await backend_check(settings.api_url, local=args.local, transport=backend.transport))
            checks.append(token_check(settings))
            checks.extend(folder_checks(settings))
    except ConfigError as exc:  # settings that cannot be used, or --local without the local extra
        checks.append(Check("settings", "fail", str(exc)))
    checks.extend(version_checks())
    report(args, checks)
    return EXIT_FAILED if any(check.status == "fail" for check in checks) else EXIT_OK


# ------------------------------------------------------------------ checks


def python_check() -> Check:
    # Always new enough by the time this runs (the package requires 3.11); the line says which one
    # and where, since "which Python runs my command" is the usual question.
    return Check("Python", "ok", f"{platform.python_version()} ({sys.executable})")


def uvx_check(found: str | None) -> Check:
    if found:
        return Check("uvx", "ok", found)
    return Check(
        "uvx",
        "warn",
        "not on the PATH; the host configs in docs/install.md start the server with it",
        f"install uv ({UV_INSTALL}), or give your host the absolute path of kling-ai-30 (`which kling-ai-30`)",
    )


async def backend_check(api_url: str, *, local: bool, transport: httpx.AsyncBaseTransport | None = None) -> Check:
    """Any HTTP answer means reachable: the check sends no token and asks for nothing."""
    name = "local backend" if local else "backend"
    started = time.monotonic()
    try:
        async with httpx.AsyncClient(timeout=BACKEND_TIMEOUT_S, transport=transport) as client:
            await client.get(api_url)
    except httpx.TimeoutException:
        problem = f"no answer within {BACKEND_TIMEOUT_S:.0f} s"
    except httpx.HTTPError as exc:
        problem = "connection refused or host not found" if isinstance(exc, httpx.ConnectError) else type(exc).__name__
    else:
        elapsed_ms = (time.monotonic() - started) * 1000
        # Any status will do (the API's root has no page, so 404 is the usual one): it is not shown,
        # since "HTTP 404" beside a tick reads as a failure.
        return Check(name, "ok", f"{api_url} answers ({elapsed_ms:.0f} ms)")
    fix = "check the network and NEMO_API_URL"
    return Check(name, "fail", f"{api_url}: {problem}", fix if local else f"{fix}. {OFFLINE_HINT}")


def token_check(settings: Settings) -> Check:
    """Where the token comes from and how long it lasts; the token itself is never read out."""
    from ..client.auth import TokenCache

    if settings.token is not None:
        return Check("token", "ok", "from NEMO_TOKEN (not shown)")
    cached = TokenCache(settings.token_cache_path).load(settings.api_url)
    if cached is None:
        return Check("token", "ok", "none yet: a free anonymous one (100 credits, 7 days) is requested on first use")
    kind = "anonymous token" if cached.anonymous else "token"
    if cached.expires_at is None:
        return Check("token", "ok", f"cached {kind} (not shown), no expiry known")
    expiry = datetime.fromtimestamp(cached.expires_at).astimezone().strftime("%Y-%m-%d %H:%M")
    if cached.expired(time.time()):
        return Check(
            "token",
            "warn",
            f"cached {kind} (not shown) expired {expiry}",
            "nothing to do: a new one is requested with the same client id on next use (one per 7 days)",
        )
    days = (cached.expires_at - time.time()) / 86400
    return Check("token", "ok", f"cached {kind} (not shown), expires {expiry} (in {days:.1f} days)")


def folder_checks(settings: Settings) -> list[Check]:
    folders = (
        ("config folder", settings.config_dir, "set XDG_CONFIG_HOME to a folder you own"),
        ("client id folder", settings.nemo_config_dir, "set XDG_CONFIG_HOME to a folder you own"),
        ("state folder", settings.state_dir, "set XDG_STATE_HOME to a folder you own"),
        ("data folder", settings.data_dir, "set XDG_DATA_HOME to a folder you own"),
        ("videos folder", settings.videos_dir, "set KLING_OUTPUT_DIR (or pass --output-dir) to a folder you own"),
    )
    return [folder_check(name, path, fix) for name, path, fix in folders]


def folder_check(name: str, path: Path, fix: str) -> Check:
    """Whether the program could write there: a probe file when the folder exists, else whether the
    nearest existing folder above it lets it be made (doctor creates nothing that stays)."""
    if path.is_dir():
        try:
            handle, probe = tempfile.mkstemp(dir=path, prefix=".doctor-")
        except OSError as exc:
            return Check(name, "fail", f"{path} is not writable ({exc.strerror})", fix)
        os.close(handle)
        with contextlib.suppress(OSError):
            os.unlink(probe)
        return Check(name, "ok", f"{path} (writable)")
    above = next((parent for parent in path.parents if parent.exists()), None)
    if path.exists() or above is None or not above.is_dir() or not os.access(above, os.W_OK | os.X_OK):
        blocker = path if path.exists() else above
        return Check(name, "fail", f"{path} cannot be created ({blocker} is in the way or read-only)", fix)
    return Check(name, "ok", f"{path} (made on first use)")


def version_checks() -> list[Check]:
    from ..skill import load_identity

    try:
        mcp = importlib.metadata.version("mcp")
    except importlib.metadata.PackageNotFoundError:
        mcp = "not installed"
    checks = [Check("versions", "ok", f"kling-ai-30 {load_identity().version}, mcp {mcp}")]
    missing = [module for module in LOCAL_EXTRA if importlib.util.find_spec(module) is None]
    if missing:
        checks.append(
            Check(
                "local extra",
                "warn",
                f"not installed ({', '.join(missing)} missing): offline mode (--local, demo, sim) needs it",
                "pip install 'kling-ai-30[local]'",
            )
        )
    else:
        checks.append(Check("local extra", "ok", "installed (offline mode: --local, demo, sim)"))
    return checks


# ------------------------------------------------------------------ report


def report(args: argparse.Namespace, checks: list[Check]) -> None:
    failed = sum(check.status == "fail" for check in checks)
    if args.json:
        print(json.dumps({"ok": not failed, "checks": [asdict(check) for check in checks]}, ensure_ascii=False))
        return
    paint = Palette(colour_supported(sys.stdout))
    colour = {"ok": paint.green, "warn": paint.yellow, "fail": paint.red}
    width = max(len(check.name) for check in checks)
    for check in checks:
        if args.quiet and check.status == "ok":
            continue
        line = f"{colour[check.status](_MARKS[check.status])} {check.name.ljust(width)}  {check.detail}"
        print(f"{line} — {check.fix}" if check.fix else line)
    warned = sum(check.status == "warn" for check in checks)
    if failed:
        print(paint.red(f"{failed} problem{'s' if failed > 1 else ''}: see the ✗ lines above."))
    else:
        print(paint.green("Ready." if not warned else "Ready, with the notes above."))
