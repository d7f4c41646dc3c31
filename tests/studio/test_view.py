"""The studio view as it ships: built from its sources and the vendored App SDK, up to date, loading
nothing from the network, and in the wheel with the SDK's licence and notices (not its sources)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kling_ai_30.studio import view_html

ROOT = Path(__file__).resolve().parents[2]
STUDIO = ROOT / "server" / "kling_ai_30" / "studio"
VENDOR = STUDIO / "vendor" / "ext-apps"


def test_the_checked_in_view_is_what_the_build_script_makes_of_the_sources() -> None:
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_studio.py"), "--check"], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    assert view_html() == (STUDIO / "studio.html").read_text(encoding="utf-8")


def test_the_vendored_sdk_is_the_published_file_and_the_view_carries_it_unchanged() -> None:
    vendored = json.loads((VENDOR / "VENDORED.json").read_text(encoding="utf-8"))
    bundle = (VENDOR / "app-with-deps.js").read_bytes()
    assert vendored["package"] == "@modelcontextprotocol/ext-apps" and vendored["integrity"].startswith("sha512-")
    assert hashlib.sha256(bundle).hexdigest() == vendored["sha256"]
    body, _, _ = bundle.decode("utf-8").rpartition("export{")
    assert body in view_html()  # everything but the trailing export statement, byte for byte
    assert f"{vendored['package']}@{vendored['version']}" in view_html()


def test_the_view_declares_no_origin_and_loads_nothing_from_the_network() -> None:
    html = view_html()
    markup = re.sub(r"<script type=\"module\">.*?</script>", "", html, flags=re.S)
    assert not re.search(r"(src|href)\s*=", markup), "the view must be one self-contained file"
    assert not re.search(r"url\(|@import", markup)
    code = (STUDIO / "src" / "studio.js").read_text(encoding="utf-8")
    for network in ("fetch(", "XMLHttpRequest", "WebSocket", "EventSource", "import(", "http://", "https://"):
        assert network not in code, network
    assert html.count("<script") == 1 and "</script>" in html


@pytest.mark.slow
def test_the_wheel_ships_the_built_view_and_the_sdk_notices_but_not_the_sources(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = {name for name in archive.namelist() if name.startswith("kling_ai_30/studio/")}
        shipped = archive.read("kling_ai_30/studio/studio.html").decode("utf-8")
    assert shipped == view_html()
    assert {
        "kling_ai_30/studio/vendor/ext-apps/LICENSE",
        "kling_ai_30/studio/vendor/ext-apps/THIRD_PARTY_NOTICES.md",
        "kling_ai_30/studio/vendor/ext-apps/VENDORED.json",
    } <= names
    assert not [name for name in names if "/src/" in name or name.endswith("app-with-deps.js")]
