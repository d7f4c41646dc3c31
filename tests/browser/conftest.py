"""A real browser for the tests that look at pages: headless Chromium, driven by Playwright.

The Chromium of the system (Debian's ``chromium`` package; ``.ci/run`` installs it), not one
Playwright downloads: the tests run offline. Run as root in CI, hence ``--no-sandbox``. Without a
Chromium the browser tests are skipped, saying how to get one.

Playwright's *async* API, on the test's own event loop (tests are ``anyio`` tests): its sync API
leaves an event loop running in the worker, and every async test that worker runs next fails.

``KLING_SCREENSHOTS=docs/img`` makes the tests that take a screenshot keep it there (that is how
the pictures in ``docs/img/`` are made); otherwise screenshots go to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("KLING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.fixture
async def chromium() -> AsyncIterator[Any]:
    """The browser, for one test."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (or set KLING_CHROMIUM)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test keeps its screenshots."""
    chosen = os.environ.get("KLING_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder
