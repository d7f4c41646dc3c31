"""Build the studio view: one self-contained HTML file from the sources and the vendored App SDK.

    python scripts/build_studio.py           # writes server/kling_ai_30/studio/studio.html
    python scripts/build_studio.py --check   # exits 1 when the checked-in file is not what this builds

Pure Python, no bundler, no Node: the template (``src/studio.template.html``) gets the stylesheet
(``src/studio.css``), the official App SDK's browser bundle (``vendor/ext-apps/app-with-deps.js``,
unmodified; refreshed by ``scripts/refresh_ext_apps.py``), the numbers the view shares with the
server (``CONFIG``, from ``policy`` and the studio's URIs) and the view's code (``src/studio.js``),
all inline in one ``<script type="module">``. The bundle is one ES module whose last statement is
``export{…}``; inline, the same names become ``const McpApps = Object.freeze({…})`` in the same
module scope. The built file is checked in and shipped in the wheel; a test runs ``--check``.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from kling_ai_30 import policy  # noqa: E402
from kling_ai_30.studio import VIDEO_PART_URI  # noqa: E402

STUDIO = ROOT / "server" / "kling_ai_30" / "studio"
SOURCES = STUDIO / "src"
VENDOR = STUDIO / "vendor" / "ext-apps"
OUT = STUDIO / "studio.html"

_EXPORTS = re.compile(r"export\{([^{}]*)\};?\s*\Z")
_NAME = re.compile(r"^[A-Za-z_$][\w$]*$")


def sdk_as_const(bundle: str) -> str:
    """The bundle with its trailing ``export{a as App,…}`` turned into ``const McpApps=…``."""
    match = _EXPORTS.search(bundle)
    if match is None or re.search(r"(^|[;}\s])export[\s{*]", bundle[: match.start()]):
        raise SystemExit("the App SDK bundle no longer ends in its one `export{...}`: check the vendored file")
    pairs = []
    for item in match.group(1).split(","):
        local, _, exported = (part.strip() for part in item.partition(" as "))
        if not _NAME.match(local) or not _NAME.match(exported or local):
            raise SystemExit(f"unexpected export item {item!r} in the App SDK bundle")
        pairs.append(f"{exported or local}:{local}")
    return bundle[: match.start()] + "const McpApps=Object.freeze({" + ",".join(pairs) + "});\n"


def config() -> str:
    """What the view shares with the server, so the two cannot drift apart."""
    values = {
        "chunkBytes": policy.STUDIO_CHUNK_BYTES,
        "jobPollSeconds": policy.STUDIO_JOB_POLL_S,
        "dataUrlMaxBytes": policy.STUDIO_DATA_URL_MAX_BYTES,
        "creditsPerClip": policy.CREDITS_PER_GENERATED_CLIP,
        "creditsPerEdit": policy.CREDITS_PER_EDIT,
        "extensions": list(policy.SUPPORTED_EXTENSIONS),
        "videoPartUri": VIDEO_PART_URI,
    }
    return f"const CONFIG = Object.freeze({json.dumps(values, sort_keys=True)});"


def build() -> str:
    vendored = json.loads((VENDOR / "VENDORED.json").read_text(encoding="utf-8"))
    raw = (VENDOR / "app-with-deps.js").read_bytes()
    if hashlib.sha256(raw).hexdigest() != vendored["sha256"]:
        raise SystemExit(
            "vendor/ext-apps/app-with-deps.js does not match VENDORED.json: run scripts/refresh_ext_apps.py"
        )
    bundle = sdk_as_const(raw.decode("utf-8"))
    code = (SOURCES / "studio.js").read_text(encoding="utf-8")
    for name, text in (("the App SDK bundle", bundle), ("src/studio.js", code)):
        if "</script" in text.lower():
            raise SystemExit(f"{name} contains '</script', which would end the inline script early")
    banner = (
        f"// {vendored['package']}@{vendored['version']} ({vendored['integrity']}), unmodified; "
        "Apache-2.0/MIT, see vendor/ext-apps/THIRD_PARTY_NOTICES.md\n"
    )
    parts = {
        "/*__STUDIO_CSS__*/": (SOURCES / "studio.css").read_text(encoding="utf-8").rstrip("\n"),
        "/*__EXT_APPS_BUNDLE__*/": banner + bundle.rstrip("\n"),
        "/*__STUDIO_CONFIG__*/": config(),
        "/*__STUDIO_JS__*/": code.rstrip("\n"),
    }
    html = (SOURCES / "studio.template.html").read_text(encoding="utf-8")
    for placeholder, text in parts.items():
        if html.count(placeholder) != 1:
            raise SystemExit(f"src/studio.template.html must hold {placeholder} exactly once")
        html = html.replace(placeholder, text)
    return html


def main(argv: list[str]) -> int:
    html = build()
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != html:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python scripts/build_studio.py", file=sys.stderr)
            return 1
        print(f"{OUT.relative_to(ROOT)} is up to date")
        return 0
    OUT.write_text(html, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)} ({len(html.encode())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
