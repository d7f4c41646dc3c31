"""Build the Claude Desktop bundle: ``dist/kling-ai-30-<version>.mcpb``.

The bundle uses the MCPB ``uv`` server type: it carries the source and ``pyproject.toml``, and
Claude Desktop installs the dependencies with uv on first start (network needed once). Only the
files listed below go in, copied into a clean staging folder, so a developer's ``.venv``, caches
or test files never end up in the bundle.

    python scripts/build_mcpb.py               # stage, validate and pack (needs npx)
    python scripts/build_mcpb.py --stage-only  # stage into dist/mcpb/kling-ai-30 and stop
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# The CLI that validates and packs bundles; major version pinned (2.x reads manifest_version 0.4).
MCPB_CLI = "@anthropic-ai/mcpb@2"
# Copied as they are; LICENSE goes in when the repository has one.
BUNDLE_FILES = (
    "manifest.json",
    "pyproject.toml",
    "README.md",
    "SKILL.md",
    "frontmatter.yaml",
    "scripts/mcpb_launcher.py",
)
OPTIONAL_FILES = ("LICENSE",)
PACKAGE_DIR = "server/kling_ai_30"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".DS_Store")


def stage_bundle(repo_root: Path, staging: Path) -> Path:
    """Copy the bundle's files from ``repo_root`` into an empty ``staging`` folder; returns it."""
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for name in BUNDLE_FILES:
        _copy_file(repo_root / name, staging / name)
    for name in OPTIONAL_FILES:
        if (repo_root / name).is_file():
            _copy_file(repo_root / name, staging / name)
    shutil.copytree(repo_root / PACKAGE_DIR, staging / PACKAGE_DIR, ignore=IGNORED)
    return staging


def bundle_name(manifest_path: Path) -> str:
    """``<name>-<version>.mcpb``, from the manifest."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return f"{manifest['name']}-{manifest['version']}.mcpb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the kling-ai-30 MCP Bundle for Claude Desktop.")
    parser.add_argument("--out-dir", type=Path, default=REPO_ROOT / "dist", help="where the .mcpb goes")
    parser.add_argument("--stage-only", action="store_true", help="copy the files but do not pack")
    args = parser.parse_args(argv)

    staging = stage_bundle(REPO_ROOT, args.out_dir / "mcpb" / "kling-ai-30")
    sys.stdout.write(f"staged {staging}\n")
    if args.stage_only:
        return 0
    npx = shutil.which("npx")
    if npx is None:
        sys.stderr.write("npx not found: install Node.js 18+ to validate and pack the bundle.\n")
        return 2
    bundle = args.out_dir / bundle_name(staging / "manifest.json")
    for command in (
        [npx, "-y", MCPB_CLI, "validate", str(staging / "manifest.json")],
        [npx, "-y", MCPB_CLI, "pack", str(staging), str(bundle)],
    ):
        if subprocess.run(command, check=False).returncode != 0:
            return 1
    sys.stdout.write(f"built {bundle}\n")
    return 0


def _copy_file(source: Path, target: Path) -> None:
    if not source.is_file():
        raise FileNotFoundError(f"{source} is missing: the bundle needs it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


if __name__ == "__main__":
    raise SystemExit(main())
