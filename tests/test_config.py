"""Settings precedence and locations."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_ai_30.config import load_settings
from kling_ai_30.errors import ConfigError


def test_defaults_point_at_the_real_backend_and_user_directories(private_home: Path) -> None:
    settings = load_settings({})
    assert settings.api_url == "https://mega-api-prod.nemovideo.ai"
    assert settings.web_url == "https://nemovideo.com"
    assert settings.token is None
    assert settings.client_id_path == private_home / ".config/nemovideo/client_id"
    assert settings.token_cache_path == private_home / ".config/kling-ai-30/tokens.json"
    assert settings.videos_dir == private_home / ".local/share/kling-ai-30/videos"
    assert settings.videos_dir.is_absolute()


def test_environment_beats_the_settings_file_and_arguments_beat_both(private_home: Path) -> None:
    config = private_home / ".config/kling-ai-30/config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("api_url: http://file.example\nweb_url: http://web.file\nlanguage: ja\n", encoding="utf-8")
    settings = load_settings({"NEMO_API_URL": "http://env.example/"}, web_url="http://arg.example", language=None)
    assert settings.api_url == "http://env.example"
    assert settings.web_url == "http://arg.example"
    assert settings.language == "ja"


def test_the_token_is_kept_secret_in_reprs() -> None:
    settings = load_settings({"NEMO_TOKEN": "nmv_usr_supersecretvalue"})
    assert settings.token is not None
    assert settings.token.get_secret_value() == "nmv_usr_supersecretvalue"
    assert "supersecret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"NEMO_API_URL": "ftp://x"}, "http", id="bad-scheme"),
        pytest.param({"NEMO_API_URL": "https://user:pw@host"}, "credentials", id="credentials-in-url"),
    ],
)
def test_bad_urls_are_refused_with_the_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env)


def test_a_settings_file_cannot_hold_a_token(private_home: Path) -> None:
    config = private_home / ".config/kling-ai-30/config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("token: nmv_usr_x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Unknown settings"):
        load_settings({})


def test_a_broken_settings_file_is_reported_not_crashed_on(private_home: Path) -> None:
    config = private_home / ".config/kling-ai-30/config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("api_url: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings({})


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh_CN.UTF-8", "zh-CN"), ("en_US.UTF-8", "en-US"), ("C", "en"), ("", "en")],
)
def test_language_follows_the_locale(locale: str, expected: str) -> None:
    assert load_settings({"LANG": locale}).language == expected


def test_output_dir_from_the_environment_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings({"KLING_OUTPUT_DIR": "videos"})
    assert settings.videos_dir == tmp_path / "videos"


def test_unexpanded_host_placeholders_are_ignored_not_used() -> None:
    settings = load_settings({"NEMO_TOKEN": "${user_config.nemo_token}", "KLING_SKILL_DIR": "${CLAUDE_PLUGIN_ROOT}"})
    assert settings.token is None
    assert settings.skill_dir is None
