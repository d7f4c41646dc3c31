"""Shared fixtures: every test runs with a private home and a clean environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Variables that would make a test talk to a real account or a real backend.
_ISOLATED_VARS = (
    "NEMO_TOKEN",
    "NEMO_API_URL",
    "NEMO_WEB_URL",
    "NEMO_CLIENT_ID",
    "SKILL_SOURCE",
    "KLING_SKILL_DIR",
    "KLING_OUTPUT_DIR",
    "ANTHROPIC_API_KEY",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME and the XDG directories at a fresh folder so no test reads or writes the real ones."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    for var in _ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    yield home
