"""The studio in a real browser: Debian's Chromium (driven by Playwright), a chat-like host page on the
official AppBridge, the real ``kling-ai-30 serve --http`` and the local backend (``kling-ai-30 sim``),
each its own process, as a user meets them.

One backend, one server, one host site and one browser per module (per xdist worker that runs
one of its tests); each test opens its own page, hence its own MCP session and project.

Needs ``/usr/bin/chromium`` and, for the studio, the host bundle (``cd tests/browser/host && npm ci
&& npm run build``); without them the tests are skipped, unless ``KLING_BROWSER_TESTS=required``
(CI sets it): then they fail, so CI can never pass by skipping them. The ``browser`` fixture is
shared with the local backend's pages (``test_local_pages``).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from ..reliability.test_crash_safety import server_env
from .host_site import HOST_JS, HostSite

CHROMIUM = Path(os.environ.get("KLING_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [  # headless as root on a machine without outside network
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A backend fast enough for a test, slow enough that a job shows more than one phase.
SIM_CONFIG = {
    "generation_seconds": 2.5,
    "edit_seconds": 0.5,
    "heartbeat_every_s": 0.1,
    # Small renders keep the suite fast; the README's screenshots want a picture one can see.
    "render_max_height": 360 if os.environ.get("KLING_STUDIO_SHOTS") else 144,
    "render_fps": 8,
}
START_TIMEOUT_S = 30.0


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    return None


def _require(missing: str | None) -> None:
    if missing is not None:
        if os.environ.get("KLING_BROWSER_TESTS") == "required":
            pytest.fail(f"browser tests are required here, but {missing}")
        pytest.skip(missing)


@pytest.fixture(scope="module", autouse=True)
def _browser_prerequisites() -> None:
    _require(_missing())


@dataclass(frozen=True)
class Sim:
    url: str
    token: str
    """The registered user's backend token: it must never reach the host page or the view."""

    def configure(self, **changes: Any) -> None:
        _post(f"{self.url}/_sim/config", changes)

    def requests(self, prefix: str) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/_sim/requests?path_prefix={prefix}", timeout=5) as reply:
            found: list[dict[str, Any]] = json.load(reply)["requests"]
            return found


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as reply:
        answer: dict[str, Any] = json.load(reply)
        return answer


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The studio's fixtures start here, and only they need the host page (the local backend's own
    # pages, tests/browser/test_local_pages.py, are opened directly).
    _require(
        None if HOST_JS.exists() else "the test host is not built (cd tests/browser/host && npm ci && npm run build)"
    )
    return tmp_path_factory.mktemp("studio")


@pytest.fixture(scope="module")
def sim(workdir: Path) -> Iterator[Sim]:
    """``kling-ai-30 sim`` on a free port, with a registered user."""
    env = server_env(workdir / "sim-home", "http://127.0.0.1:9")
    command = [sys.executable, "-m", "kling_ai_30", "sim", "--port", "0", "--json"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd="/")
    try:
        assert process.stdout is not None
        url = json.loads(process.stdout.readline())["url"]
        _post(f"{url}/_sim/config", SIM_CONFIG)
        token = _post(f"{url}/_sim/users", {"credits": 100_000})["token"]
        yield Sim(url=url, token=token)
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def server(sim: Sim, workdir: Path) -> Iterator[Path]:
    """``kling-ai-30 serve --http`` on a free port; yields the folder that holds its home."""
    home = workdir / "server-home"
    port = _free_port()
    http_token = secrets.token_urlsafe(32)  # the server's own bearer token (the host keeps it)
    env = server_env(home, sim.url, NEMO_TOKEN=sim.token, KLING_HTTP_TOKEN=http_token)
    (workdir / "http-token").write_text(http_token)
    log_path = workdir / "server.log"
    command = [sys.executable, "-m", "kling_ai_30", "serve", "--http", "--port", str(port)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd="/")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the MCP server did not start listening"
                time.sleep(0.05)
        (workdir / "mcp-url").write_text(f"http://127.0.0.1:{port}/mcp")
        yield home
    finally:
        _stop(process)
    assert "Traceback" not in log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def site(server: Path, workdir: Path) -> Iterator[str]:
    authorization = f"Bearer {(workdir / 'http-token').read_text()}"
    with HostSite((workdir / "mcp-url").read_text(), authorization=authorization) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


class View:
    """One tool call's studio view in the chat page."""

    def __init__(self, chat: Chat, index: int) -> None:
        self.chat = chat
        self.index = index

    @property
    def frame(self) -> Any:
        frame = self.chat.page.frame(name=f"view-{self.index}")
        assert frame is not None, f"view {self.index} has no frame"
        return frame

    def wait(self, predicate: str, timeout_s: float = 30) -> None:
        """Wait until the JS ``predicate`` holds in the view (the host's error fails it at once)."""
        deadline = time.monotonic() + timeout_s
        while True:
            error = self.chat.page.evaluate("() => window.__host.error")
            assert not error, error
            frame = self.chat.page.frame(name=f"view-{self.index}")
            if frame is not None and frame.evaluate(f"() => Boolean({predicate})"):
                return
            if time.monotonic() > deadline:
                seen = frame.evaluate("() => document.body.innerText") if frame is not None else "no frame"
                raise AssertionError(
                    f"view {self.index} never reached {predicate}; it shows: {seen!r}; {self.chat.errors()}"
                )
            time.sleep(0.05)

    def text(self, selector: str) -> str:
        return str(self.frame.inner_text(selector))

    def probe(self) -> dict[str, Any]:
        found: dict[str, Any] = self.frame.evaluate("() => window.__studio")
        return found

    def record(self) -> dict[str, Any]:
        found: dict[str, Any] = self.chat.page.evaluate(f"() => ({{...window.__host.turns[{self.index}], html: null}})")
        return found


class Chat:
    """A host page (a chat) with its views, and everything its browser console said."""

    def __init__(self, browser: Any, site: str, width: int = 1000, **query: str) -> None:
        self.page = browser.new_page(viewport={"width": width, "height": 900})
        self.console: list[tuple[str, str]] = []
        self.page.on("console", lambda message: self.console.append((message.type, message.text)))
        self.page.on("pageerror", lambda error: self.console.append(("pageerror", str(error))))
        self.page.goto(f"{site}/host.html?{urlencode(query)}")
        self.page.wait_for_function("() => window.__host.ready || window.__host.error", timeout=20_000)
        assert not self.host()["error"], self.host()["error"]

    def turn(self, tool: str, args: dict[str, Any] | None = None, **options: Any) -> View:
        index = self.page.evaluate("([t, a, o]) => window.__hostApi.turn(t, a, o)", [tool, args or {}, options])
        return View(self, int(index))

    def host(self) -> dict[str, Any]:
        found: dict[str, Any] = self.page.evaluate("() => ({...window.__host, wire: null})")
        return found

    def wire(self) -> str:
        """Every message between the host and its views, and every view's HTML, as one text."""
        return str(
            self.page.evaluate("() => window.__host.wire.join('\\n') + window.__host.turns.map(t => t.html).join('')")
        )

    def errors(self) -> list[str]:
        return [text for kind, text in self.console if kind in ("error", "pageerror")]

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def chat_factory(browser: Any, site: str) -> Iterator[Any]:
    opened: list[Chat] = []

    def open_chat(**options: Any) -> Chat:
        chat = Chat(browser, site, **options)
        opened.append(chat)
        return chat

    yield open_chat
    for chat in opened:
        chat.close()


def screenshots_wanted() -> bool:
    return bool(os.environ.get("KLING_STUDIO_SHOTS"))


def screenshot(page: Any, name: str) -> None:
    """Keep a screenshot of the whole chat for the README when ``KLING_STUDIO_SHOTS`` names a folder
    (``docs/img``); ordinary runs write nothing. The viewport grows to the page instead of Playwright's
    full-page mode, which leaves out-of-process frames (the views) blank."""
    folder = os.environ.get("KLING_STUDIO_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("() => Math.ceil(document.getElementById('chat').getBoundingClientRect().bottom)")
    page.set_viewport_size({"width": size["width"], "height": height})
    page.wait_for_timeout(300)  # the views repaint at the new size
    page.screenshot(path=str(Path(folder) / name))
    page.set_viewport_size(size)
