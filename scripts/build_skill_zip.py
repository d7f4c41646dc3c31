"""Build the skill zip for Claude.ai and Claude Desktop, which take a skill as a folder upload.

    python scripts/build_skill_zip.py      # prints the path: dist/kling-ai-30-claude.zip

Then upload the zip in Claude (Settings → Capabilities → Skills; code execution must be on). The
tools come from the MCP server, added separately (docs/install.md, "Claude Desktop").

That uploader accepts only ``name``, ``description``, ``license``, ``allowed-tools``,
``compatibility`` and ``metadata`` at the top of the frontmatter (reference/skill-ecosystem.md
§1.5), so ``version`` and ``homepage`` move under ``metadata`` as strings (the server's version
reader looks there too). The skill folder sits at the zip's root, as the uploader wants, with
``SKILL.md`` and ``LICENSE``. Needs PyYAML, which any venv of the project has.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ALLOWED_TOP_LEVEL = ("name", "description", "license", "allowed-tools", "compatibility", "metadata")


def claude_frontmatter(frontmatter: dict[str, object]) -> dict[str, object]:
    """The frontmatter with every key the Claude.ai uploader refuses moved under ``metadata``."""
    metadata = dict(frontmatter.get("metadata") or {})  # type: ignore[call-overload]
    for key in list(frontmatter):
        if key not in ALLOWED_TOP_LEVEL:
            metadata.setdefault(key, str(frontmatter[key]))
    kept = {key: frontmatter[key] for key in ALLOWED_TOP_LEVEL if key in frontmatter and key != "metadata"}
    kept.setdefault("license", "MIT")
    return {**kept, "metadata": metadata}


def build(dest: Path) -> Path:
    skill = (ROOT / "SKILL.md").read_text(encoding="utf-8")
    frontmatter = yaml.safe_load((ROOT / "frontmatter.yaml").read_text(encoding="utf-8"))
    body = skill.split("\n---\n", 1)[1]
    header = yaml.safe_dump(claude_frontmatter(frontmatter), allow_unicode=True, sort_keys=False, width=100)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("kling-ai-30/SKILL.md", f"---\n{header}---\n{body}")
        archive.write(ROOT / "LICENSE", "kling-ai-30/LICENSE")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(buffer.getvalue())
    return dest


if __name__ == "__main__":
    print(build(ROOT / "dist" / "kling-ai-30-claude.zip"))
