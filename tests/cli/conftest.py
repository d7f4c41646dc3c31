"""The command line's fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kling_ai_30.local import LocalBackend


@pytest.fixture
def cli_env(backend: LocalBackend, base_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The CLI pointed at the shared local backend, the way a user points it at any backend."""
    monkeypatch.setenv("NEMO_API_URL", base_url)
    monkeypatch.setenv("NEMO_WEB_URL", base_url)
    yield base_url
