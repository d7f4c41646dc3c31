"""Vendor the official App SDK's browser bundle: ``python scripts/refresh_ext_apps.py 2.0.4``.

Fetches the npm package with npm's own client (``npm pack``), checks the tarball against the
registry's sha512 integrity, and copies ``dist/src/app-with-deps.js`` (unmodified: one
self-contained ES module) and the package's LICENSE into ``server/kling_ai_30/studio/vendor/ext-apps/``,
with a VENDORED.json recording the version, the integrity and the file's sha256 (the build
script refuses a bundle that no longer matches it). Run ``scripts/build_studio.py`` afterwards.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT / "server" / "kling_ai_30" / "studio" / "vendor" / "ext-apps"
PACKAGE = "@modelcontextprotocol/ext-apps"
MEMBERS = {"package/dist/src/app-with-deps.js": "app-with-deps.js", "package/LICENSE": "LICENSE"}


def _npm(*args: str) -> str:
    return subprocess.run(["npm", *args], check=True, capture_output=True, text=True).stdout


def refresh(version: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        packed = json.loads(_npm("pack", f"{PACKAGE}@{version}", "--json", "--pack-destination", tmp))[0]
        tarball = Path(tmp) / packed["filename"]
        registry = _npm("view", f"{PACKAGE}@{version}", "dist.integrity").strip()
        local = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if local != registry:
            sys.exit(f"integrity mismatch for {PACKAGE}@{version}: {local} != {registry}")
        DEST.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for member, name in MEMBERS.items():
                extracted = archive.extractfile(member)
                if extracted is None:
                    sys.exit(f"{member} is missing from {packed['filename']}")
                (DEST / name).write_bytes(extracted.read())
    bundle = (DEST / "app-with-deps.js").read_bytes()
    record = {
        "package": PACKAGE,
        "version": version,
        "integrity": registry,
        "file": "dist/src/app-with-deps.js",
        "sha256": hashlib.sha256(bundle).hexdigest(),
    }
    (DEST / "VENDORED.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {PACKAGE}@{version}: {len(bundle)} bytes; now run scripts/build_studio.py")


if __name__ == "__main__":
    refresh(sys.argv[1] if len(sys.argv) > 1 else "2.0.4")
