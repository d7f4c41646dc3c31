"""The package's public surface: sorted, complete, and cheap to import."""

from __future__ import annotations

import subprocess
import sys

import kling_ai_30


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert kling_ai_30.__all__ == sorted(kling_ai_30.__all__, key=str.casefold)
    for name in kling_ai_30.__all__:
        assert getattr(kling_ai_30, name) is not None


def test_importing_the_package_loads_no_client_stack() -> None:
    probe = "import sys, kling_ai_30; print(sorted(m for m in ('httpx', 'kling_ai_30.client') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
