"""Settings: one model, one loader, one documented precedence.

Precedence, highest first: an explicit argument > an environment variable > the settings file
(``<user config dir>/kling-ai-30/config.yaml``) > the default. Nothing is read at import time.

Where things are written (CONTRACT.md: never the current working directory, because MCP hosts
start servers with cwd ``/`` or a cache dir):

- ``<user config dir>/nemovideo/client_id``: the client id shared with other NemoVideo skills
- ``<user config dir>/kling-ai-30/``: the token cache (0600, directory 0700) and config.yaml
- ``<user state dir>/kling-ai-30/``: projects (backend sessions) and jobs
- ``<user data dir>/kling-ai-30/videos``: exported MP4s, unless an output directory is named
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from .errors import ConfigError
from .policy import CONFIRM_SHARE_DEFAULT, DEFAULT_API_URL, DEFAULT_WEB_URL

log = logging.getLogger(__name__)

APP_DIR_NAME = "kling-ai-30"
NEMO_DIR_NAME = "nemovideo"

# Environment variable -> settings field. The NEMO_* names are the skill text's; the KLING_* ones are ours.
ENV_VARS: dict[str, str] = {
    "NEMO_TOKEN": "token",
    "NEMO_API_URL": "api_url",
    "NEMO_WEB_URL": "web_url",
    "NEMO_CLIENT_ID": "client_id",
    "SKILL_SOURCE": "skill_source",
    "KLING_SKILL_DIR": "skill_dir",
    "KLING_OUTPUT_DIR": "output_dir",
    "KLING_LANGUAGE": "language",
    "KLING_CONFIRM_SHARE": "confirm_share",
}
# Read by ``kling-ai-30 chat`` only (with the Anthropic SDK's own ANTHROPIC_API_KEY): not a setting.
CLAUDE_MODEL_ENV = "KLING_CLAUDE_MODEL"
_UNEXPANDED = re.compile(r"\$\{[^}]*\}")
# What the settings file may hold. Secrets are deliberately absent: a token lives in the
# environment or the private token cache, never in a file a user might share.
FILE_KEYS = frozenset({"api_url", "web_url", "output_dir", "language", "skill_source", "confirm_share"})


class Settings(BaseModel):
    """Everything the program needs to know about its surroundings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_url: str = DEFAULT_API_URL
    """Backend base URL (``NEMO_API_URL``)."""
    web_url: str = DEFAULT_WEB_URL
    """Web app base URL for task and registration links (``NEMO_WEB_URL``)."""
    token: SecretStr | None = None
    """An API token the user supplied (``NEMO_TOKEN``); without it an anonymous token is used."""
    client_id: str | None = None
    """Client id for anonymous tokens (``NEMO_CLIENT_ID``); else the persisted one."""
    skill_source: str | None = None
    """Overrides the detected ``X-Skill-Platform`` (``SKILL_SOURCE``)."""
    skill_dir: Path | None = None
    """The directory holding SKILL.md, when the host tells us (``KLING_SKILL_DIR``)."""
    output_dir: Path | None = None
    """Where exported videos go (``KLING_OUTPUT_DIR``); default under the user data dir."""
    language: str = Field(default_factory=lambda: _language_from_locale(os.environ))
    """Language code sent when a session is created (``KLING_LANGUAGE``; else from the locale)."""
    confirm_share: float | None = Field(default=CONFIRM_SHARE_DEFAULT, gt=0)
    """A paid request estimated above this share of the balance is confirmed once where the client
    can ask (``KLING_CONFIRM_SHARE``; ``off`` never asks)."""

    config_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_config_dir(APP_DIR_NAME)))
    nemo_config_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_config_dir(NEMO_DIR_NAME)))
    state_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_state_dir(APP_DIR_NAME)))
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir(APP_DIR_NAME)))

    @property
    def videos_dir(self) -> Path:
        """The absolute directory exports are written to."""
        chosen = self.output_dir if self.output_dir is not None else self.data_dir / "videos"
        return chosen.expanduser().resolve()

    @property
    def client_id_path(self) -> Path:
        return self.nemo_config_dir / "client_id"

    @property
    def token_cache_path(self) -> Path:
        return self.config_dir / "tokens.json"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "config.yaml"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings: arguments > environment > ``config.yaml`` > defaults.

    ``overrides`` whose value is None are ignored, so a CLI can pass its optional flags straight in.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    probe = Settings()  # only to learn where the settings file lives under the current environment
    values.update(_read_settings_file(probe.settings_file))
    for var, field in ENV_VARS.items():
        raw = env.get(var, "").strip()
        if _UNEXPANDED.search(raw):
            # Hosts sometimes pass a config placeholder through literally (an MCPB option left
            # unset, a plugin variable outside its plugin); sending "${user_config.x}" as a token
            # or reading it as a path would be worse than ignoring it.
            log.warning("ignoring %s: it holds an unexpanded placeholder", var)
            continue
        if raw:
            values[field] = raw
    values.update({key: value for key, value in overrides.items() if value is not None})
    if str(values.get("confirm_share", "")).strip().lower() in ("off", "no", "never", "false"):
        values["confirm_share"] = None
    values.setdefault("language", _language_from_locale(env))
    if "api_url" in values:
        values["api_url"] = _clean_base_url(str(values["api_url"]), "NEMO_API_URL")
    if "web_url" in values:
        values["web_url"] = _clean_base_url(str(values["web_url"]), "NEMO_WEB_URL")
    try:
        return Settings(**values)
    except ValidationError as exc:
        fields = ", ".join(str(err["loc"][0]) for err in exc.errors() if err["loc"])
        raise ConfigError(
            f"Invalid settings ({fields}): check the environment variables and {probe.settings_file}."
        ) from None


def _read_settings_file(path: Path) -> dict[str, Any]:
    import yaml  # only when there is a file to read: most runs have none

    from .yaml_text import load_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the settings file {path} ({exc.strerror}): fix its permissions or remove it."
        ) from None
    try:
        loaded = load_yaml(text)
    except yaml.YAMLError:
        raise ConfigError(f"The settings file {path} is not valid YAML: fix it or remove it.") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"The settings file {path} must be a mapping of settings: fix it or remove it.")
    unknown = sorted(str(key) for key in loaded if key not in FILE_KEYS)
    if unknown:
        allowed = ", ".join(sorted(FILE_KEYS))
        raise ConfigError(f"Unknown settings in {path}: {', '.join(unknown)}. Allowed: {allowed}.")
    return {str(key): value for key, value in loaded.items()}


def _clean_base_url(url: str, name: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must start with http:// or https:// (got {url[:60]!r}).")
    if "@" in url.split("//", 1)[1].split("/", 1)[0]:
        raise ConfigError(f"{name} must not contain credentials; set NEMO_TOKEN for the token instead.")
    return url


def _language_from_locale(environ: Mapping[str, str]) -> str:
    """``zh_CN.UTF-8`` -> ``zh-CN``; anything unusable -> ``en``."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        raw = environ.get(var, "")
        base = raw.split(".", 1)[0].split("@", 1)[0]
        if base and base not in {"C", "POSIX"}:
            return base.replace("_", "-")
    return "en"
