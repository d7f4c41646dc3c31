"""Skill identity: frontmatter, version, platform detection and the attribution headers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from kling_ai_30.errors import ConfigError
from kling_ai_30.skill import detect_platform, frontmatter_version, load_identity, parse_skill_md

ROOT = Path(__file__).resolve().parents[1]


def test_skill_md_frontmatter_is_identical_to_frontmatter_yaml() -> None:
    from_yaml = yaml.safe_load((ROOT / "frontmatter.yaml").read_text(encoding="utf-8"))
    from_skill = parse_skill_md((ROOT / "SKILL.md").read_text(encoding="utf-8"))
    assert from_skill == from_yaml


def test_skill_md_starts_with_the_frontmatter_text_verbatim() -> None:
    text = (ROOT / "frontmatter.yaml").read_text(encoding="utf-8")
    assert (ROOT / "SKILL.md").read_text(encoding="utf-8").startswith("---\n" + text + "---\n")


def test_frontmatter_follows_the_skill_rules() -> None:
    fm = yaml.safe_load((ROOT / "frontmatter.yaml").read_text(encoding="utf-8"))
    assert fm["name"] == "kling-ai-30"
    assert isinstance(fm["version"], str)
    assert fm["metadata"]["version"] == fm["version"]
    assert len(fm["description"]) <= 1024
    assert "<" not in fm["description"] and ">" not in fm["description"]
    assert "NemoVideo" in fm["description"] and "not an official Kling product" in fm["description"]
    openclaw = fm["metadata"]["openclaw"]
    assert openclaw["primaryEnv"] == "NEMO_TOKEN"
    assert openclaw["requires"]["env"] == []  # optional variables must not gate the skill
    assert all(var["required"] is False for var in openclaw["envVars"])


def test_identity_from_the_checkout_gives_name_version_and_headers() -> None:
    identity = load_identity()
    fm = yaml.safe_load((ROOT / "frontmatter.yaml").read_text(encoding="utf-8"))
    assert identity.headers() == {
        "X-Skill-Source": "kling-ai-30",
        "X-Skill-Version": fm["version"],
        "X-Skill-Platform": "unknown",
    }


def _skill_folder(parent: Path, version: str = "9.8.7") -> Path:
    folder = parent / "kling-ai-30"
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(f'---\nname: kling-ai-30\nversion: "{version}"\n---\nbody\n', encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("install_dir", "expected"),
    [
        pytest.param(".clawhub/skills", "clawhub", id="clawhub-home"),
        pytest.param(".cursor/skills", "cursor", id="cursor-skills"),
        pytest.param(".cursor/plugins/cache/org/kling/1.0.0/skills", "cursor", id="cursor-plugin-cache"),
        pytest.param(".openclaw/workspace/skills", "openclaw", id="openclaw-workspace"),
        pytest.param(".claude/skills", "claude_code", id="claude-code-personal"),
        pytest.param("projects/demo/skills", "unknown", id="anywhere-else"),
        pytest.param(".agents/skills", "unknown", id="shared-agents-dir"),
    ],
)
def test_platform_is_detected_from_the_skill_folder(private_home: Path, install_dir: str, expected: str) -> None:
    folder = _skill_folder(private_home / install_dir)
    identity = load_identity(folder)
    assert identity.platform == expected
    assert identity.version == "9.8.7"


def test_skill_source_overrides_the_detected_platform(private_home: Path) -> None:
    folder = _skill_folder(private_home / ".cursor/skills")
    assert load_identity(folder, skill_source="github").platform == "github"


def test_a_clawhub_install_outside_home_is_recognised_by_its_origin_file(tmp_path: Path) -> None:
    folder = _skill_folder(tmp_path / "workspace/skills")
    (folder / ".clawhub").mkdir()
    (folder / ".clawhub" / "origin.json").write_text("{}", encoding="utf-8")
    assert detect_platform(folder) == "clawhub"


def test_the_documented_rules_win_over_the_extra_ones(private_home: Path) -> None:
    folder = _skill_folder(private_home / ".cursor/skills")
    (folder / ".clawhub").mkdir()
    (folder / ".clawhub" / "origin.json").write_text("{}", encoding="utf-8")
    assert detect_platform(folder) == "cursor"


@pytest.mark.parametrize(
    ("frontmatter", "expected"),
    [
        pytest.param({"version": "1.2.3"}, "1.2.3", id="top-level"),
        pytest.param({"metadata": {"version": "2.0.0"}}, "2.0.0", id="claude-upload-layout"),
        pytest.param({"version": 1.2, "metadata": {"version": "1.2.0"}}, "1.2.0", id="unquoted-number-falls-back"),
    ],
)
def test_version_is_read_from_the_top_level_or_metadata(frontmatter: dict[str, object], expected: str) -> None:
    assert frontmatter_version(frontmatter) == expected


def test_missing_version_is_a_config_error_that_names_the_fix() -> None:
    with pytest.raises(ConfigError, match=r"frontmatter\.yaml"):
        frontmatter_version({"name": "kling-ai-30"})


def test_a_skill_dir_without_skill_md_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KLING_SKILL_DIR"):
        load_identity(tmp_path)


@pytest.mark.slow
def test_the_wheel_ships_the_frontmatter_and_skill_md(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        packaged = archive.read("kling_ai_30/_skill/frontmatter.yaml").decode("utf-8")
    assert "kling_ai_30/_skill/SKILL.md" in names
    assert "kling_ai_30/router/intents.yaml" in names
    assert packaged == (ROOT / "frontmatter.yaml").read_text(encoding="utf-8")


def test_a_skill_symlinked_into_cursor_skills_is_a_cursor_install(private_home: Path, tmp_path: Path) -> None:
    real = _skill_folder(tmp_path / "checkouts")
    (private_home / ".cursor/skills").mkdir(parents=True)
    link = private_home / ".cursor/skills/kling-ai-30"
    link.symlink_to(real)
    assert detect_platform(link) == "cursor"
    assert load_identity(link).platform == "cursor"  # as a host passes it: KLING_SKILL_DIR=<the link>
