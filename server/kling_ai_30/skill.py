"""The skill's identity: name and version from the frontmatter, platform from the install path.

These become the attribution headers sent on every backend request (skill text: "Headers are
derived from this file's YAML frontmatter"). The frontmatter is found, first match wins:

1. ``KLING_SKILL_DIR`` (a host that launches the server from a skill folder passes it);
2. the checkout this code runs from (``SKILL.md`` / ``frontmatter.yaml`` two levels above the package);
3. the copy packaged into the wheel (``kling_ai_30/_skill/``).

``X-Skill-Platform``, first match wins (CONTRACT.md keeps the first three rules and the fallback):

1. ``SKILL_SOURCE`` when set;
2. the skill directory is under ``~/.clawhub/`` -> ``clawhub``;
3. under ``~/.cursor/skills/`` -> ``cursor``;
4. more platforms, from reference/skill-ecosystem.md:
   - a ``.clawhub/origin.json`` beside SKILL.md -> ``clawhub`` (what ``clawhub install`` writes;
     it installs into ``<workdir>/skills/<slug>``, so rule 2 rarely matches on its own);
   - under ``~/.cursor/plugins/`` -> ``cursor`` (Cursor's plugin cache);
   - under ``~/.openclaw/`` -> ``openclaw`` (OpenClaw's global skills and workspace);
   - under ``~/.claude/`` -> ``claude_code`` (personal skills and plugins; the value the
     official NemoVideo CLI sends for Claude Code);
5. otherwise ``unknown``.

The path used is the skill's, never the Python package's: a server started by ``uvx`` lives in a
cache, not in the skill folder (skill-ecosystem.md §0.4).
"""

from __future__ import annotations

import importlib.resources
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

SKILL_FILE = "SKILL.md"
FRONTMATTER_FILE = "frontmatter.yaml"
_SEMVER = re.compile(r"^\d+\.\d+(\.\d+)?([-+][0-9A-Za-z.-]+)?$")
_CHECKOUT_ROOT = Path(__file__).resolve().parents[2]

# (path under the home directory, platform), checked in order.
_PLATFORM_DIRS: tuple[tuple[str, str], ...] = (
    (".clawhub", "clawhub"),
    (".cursor/skills", "cursor"),
    (".cursor/plugins", "cursor"),
    (".openclaw", "openclaw"),
    (".claude", "claude_code"),
)


@dataclass(frozen=True)
class SkillIdentity:
    """Who we say we are to the backend."""

    name: str
    version: str
    platform: str
    skill_dir: Path | None
    """The directory holding SKILL.md, or None when only the packaged copy was found."""
    description: str = ""

    def headers(self) -> dict[str, str]:
        """The attribution headers for every request."""
        return {
            "X-Skill-Source": self.name,
            "X-Skill-Version": self.version,
            "X-Skill-Platform": self.platform,
        }


def load_identity(
    skill_dir: Path | None = None,
    *,
    skill_source: str | None = None,
    home: Path | None = None,
) -> SkillIdentity:
    """Read the frontmatter and detect the platform (see the module docstring for the order)."""
    frontmatter, found_dir = _find_frontmatter(skill_dir)
    name = frontmatter.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError("The skill frontmatter has no name: restore SKILL.md or frontmatter.yaml.")
    version = frontmatter_version(frontmatter)
    description = frontmatter.get("description")
    platform = detect_platform(found_dir, skill_source=skill_source, home=home)
    return SkillIdentity(
        name=name,
        version=version,
        platform=platform,
        skill_dir=found_dir,
        description=description if isinstance(description, str) else "",
    )


def frontmatter_version(frontmatter: Mapping[str, Any]) -> str:
    """``version``, else ``metadata.version`` (the Claude.ai-upload layout moves it there)."""
    metadata = frontmatter.get("metadata")
    candidates = [frontmatter.get("version")]
    if isinstance(metadata, Mapping):
        candidates.append(metadata.get("version"))
    for candidate in candidates:
        if isinstance(candidate, str) and _SEMVER.match(candidate):
            return candidate
    raise ConfigError('The skill frontmatter has no valid version: set version: "X.Y.Z" in frontmatter.yaml.')


def detect_platform(skill_dir: Path | None, *, skill_source: str | None = None, home: Path | None = None) -> str:
    """``X-Skill-Platform`` for a skill installed in ``skill_dir``."""
    if skill_source and skill_source.strip():
        return skill_source.strip()
    if skill_dir is None:
        return "unknown"
    home_dir = home if home is not None else Path(os.path.expanduser("~"))
    # Both the path as given and the resolved one: a skill symlinked into ~/.cursor/skills is a
    # Cursor install even though its files live elsewhere.
    places = {(skill_dir.absolute(), home_dir.absolute()), (skill_dir.resolve(), home_dir.resolve())}

    def under(relative: str) -> bool:
        return any(where.is_relative_to(home / relative) for where, home in places)

    for relative, platform in _PLATFORM_DIRS[:2]:
        if under(relative):
            return platform
    if (skill_dir / ".clawhub" / "origin.json").is_file():
        return "clawhub"
    for relative, platform in _PLATFORM_DIRS[2:]:
        if under(relative):
            return platform
    return "unknown"


def parse_skill_md(text: str) -> dict[str, Any]:
    """The YAML between the leading ``---`` lines of a SKILL.md."""
    lines = text.lstrip("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ConfigError("SKILL.md does not start with a --- frontmatter block.")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ConfigError("SKILL.md's frontmatter block is not closed with ---.") from None
    return _parse_yaml_mapping("\n".join(lines[1:end]), SKILL_FILE)


def skill_body(text: str) -> str:
    """SKILL.md without its frontmatter: the instructions for the assistant."""
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        for i, line in enumerate(lines[1:], start=1):
            if line.strip() == "---":
                return "\n".join(lines[i + 1 :]).strip() + "\n"
    return text


def read_skill_text(identity: SkillIdentity | None = None) -> str:
    """The full SKILL.md text, from the skill directory or the packaged copy."""
    if identity is not None and identity.skill_dir is not None and (identity.skill_dir / SKILL_FILE).is_file():
        return (identity.skill_dir / SKILL_FILE).read_text(encoding="utf-8")
    if (_CHECKOUT_ROOT / SKILL_FILE).is_file():
        return (_CHECKOUT_ROOT / SKILL_FILE).read_text(encoding="utf-8")
    return importlib.resources.files("kling_ai_30").joinpath("_skill", SKILL_FILE).read_text(encoding="utf-8")


def _find_frontmatter(skill_dir: Path | None) -> tuple[dict[str, Any], Path | None]:
    if skill_dir is not None:
        candidate = skill_dir.expanduser()
        if not (candidate / SKILL_FILE).is_file():
            raise ConfigError(f"No SKILL.md in {candidate}: point KLING_SKILL_DIR at the folder that holds SKILL.md.")
        # Not resolved: a skill symlinked into ~/.cursor/skills is a Cursor install (detect_platform
        # looks at the path both as given and resolved).
        return parse_skill_md((candidate / SKILL_FILE).read_text(encoding="utf-8")), candidate.absolute()
    if (_CHECKOUT_ROOT / FRONTMATTER_FILE).is_file():
        text = (_CHECKOUT_ROOT / FRONTMATTER_FILE).read_text(encoding="utf-8")
        return _parse_yaml_mapping(text, FRONTMATTER_FILE), _CHECKOUT_ROOT
    packaged = importlib.resources.files("kling_ai_30").joinpath("_skill", FRONTMATTER_FILE)
    if packaged.is_file():
        return _parse_yaml_mapping(packaged.read_text(encoding="utf-8"), FRONTMATTER_FILE), None
    raise ConfigError("The skill frontmatter was not found: reinstall kling-ai-30 or set KLING_SKILL_DIR.")


def _parse_yaml_mapping(text: str, source: str) -> dict[str, Any]:
    # Imported here: the server's start-up imports this module (for the identity's type) but reads
    # the frontmatter only when the workspace is built, off the start-up path.
    import yaml

    from .yaml_text import load_yaml

    try:
        loaded = load_yaml(text)
    except yaml.YAMLError:
        raise ConfigError(f"The skill's {source} frontmatter is not valid YAML.") from None
    if not isinstance(loaded, dict):
        raise ConfigError(f"The skill's {source} frontmatter must be a mapping.")
    return {str(key): value for key, value in loaded.items()}
