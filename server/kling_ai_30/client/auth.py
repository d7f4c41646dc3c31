"""Credentials: the client id, and the token cache that spares the 1-token-per-7-days quota.

The anonymous-token call is limited to one token per client id every 7 days (skill text), so a
restart must reuse the cached token rather than ask again; it is renewed only when it has
expired (or is about to) or the backend rejects it (1001), always with the same client id.
"""

from __future__ import annotations

import os
import re
import stat
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..errors import APIError, ConfigError
from ..notices import Notices
from ..policy import ANONYMOUS_TOKEN_TTL_S, CLIENT_ID_MAX_LEN, TOKEN_EXPIRY_MARGIN_S
from ..redaction import register_secret
from ..storage import atomic_write_json, atomic_write_text, load_json, set_aside, set_aside_copies

_CLIENT_ID_OK = re.compile(rf"^[A-Za-z0-9._:\-]{{1,{CLIENT_ID_MAX_LEN}}}$")
_CLIENT_ID_FILE_MAX_BYTES = 4096  # an id and a newline; more is not a client id file


@dataclass(frozen=True)
class Credentials:
    """A token and what we know about its owner. ``repr`` never shows the token."""

    token: SecretStr
    user_id: str | None
    anonymous: bool
    expires_at: float | None
    """Epoch seconds, or None when unknown (a user-supplied NEMO_TOKEN)."""
    from_env: bool = False

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at - TOKEN_EXPIRY_MARGIN_S

    def bearer(self) -> str:
        return f"Bearer {self.token.get_secret_value()}"


class ClientIdStore:
    """``NEMO_CLIENT_ID`` if set, else the id persisted at ``<config>/nemovideo/client_id``.

    The id is who an anonymous user is: their free credits and their registration link hang on it.
    So a damaged file is never quietly replaced by a new id (that would make the user a stranger
    with no credits). It is set aside like any damaged file, and every request that needs the id
    is refused with a ``ConfigError`` naming the two ways out, until the user takes one: put the
    id back (or set ``NEMO_CLIENT_ID``), or delete the set-aside copy to start as a new user. Only
    a missing file with nothing set aside, the first run, gets a new id.
    """

    def __init__(self, path: Path, *, from_env: str | None = None) -> None:
        self.path = path
        self._from_env = from_env.strip() if from_env and from_env.strip() else None
        self._cached: str | None = None

    def get(self) -> str:
        if self._from_env is not None:
            return self._from_env
        if self._cached is None:
            self._cached = self._read() or self._create()
        return self._cached

    def regenerate(self) -> str:
        """A fresh id, persisted (the backend said the old one was missing or unusable)."""
        self._from_env = None
        self._cached = self._write_new()
        return self._cached

    def _read(self) -> str | None:
        """The persisted id; None when there is no file. A damaged file is set aside and refused."""
        try:
            # Not blocking: a pipe planted where the file should be must not hang every request.
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(
                f"The NemoVideo client id in {self.path} cannot be read ({exc.strerror or type(exc).__name__}): "
                "fix the file's permissions, or set NEMO_CLIENT_ID to your client id."
            ) from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                problem = "it is not a regular file"
            else:
                raw = os.read(fd, _CLIENT_ID_FILE_MAX_BYTES)
                value = raw.decode("utf-8", errors="replace").strip()
                if _CLIENT_ID_OK.match(value):
                    return value
                problem = "it is empty" if not value else "it does not hold a client id"
        finally:
            os.close(fd)
        raise self._damaged(problem)

    def _damaged(self, problem: str) -> ConfigError:
        try:
            aside = set_aside(self.path)
        except OSError as exc:
            return ConfigError(
                f"The NemoVideo client id in {self.path} is damaged ({problem}) and could not be set aside "
                f"({exc.strerror}). Put your client id back into that file (or set NEMO_CLIENT_ID to it), or "
                "delete the file to start as a new anonymous user, which loses the credits and registration "
                "link of the old id."
            )
        return self._refusal(f"is damaged ({problem}); it was moved to {aside}", [aside])

    def _create(self) -> str:
        """A new id for the first run; refused when an earlier id was set aside and not settled."""
        copies = set_aside_copies(self.path)
        if copies:
            raise self._refusal("was set aside as damaged earlier and has not been restored", copies)
        return self._write_new()

    def _refusal(self, what_happened: str, copies: list[Path]) -> ConfigError:
        shown = ", ".join(str(c) for c in copies)
        return ConfigError(
            f"The NemoVideo client id in {self.path} {what_happened}. A new id would make you a new anonymous "
            "NemoVideo user and lose the old one's credits and registration link, so none was made. Either put "
            f"your client id back into {self.path} (or set NEMO_CLIENT_ID to it), or delete {shown} to start "
            "as a new anonymous user."
        )

    def _write_new(self) -> str:
        value = str(uuid.uuid4())
        # The file holds only the id (skill text); other NemoVideo skills read the same file.
        atomic_write_text(self.path, value + "\n", mode=0o600)
        return value


class TokenCache:
    """Anonymous tokens by backend URL, in one 0600 JSON file under a 0700 directory."""

    def __init__(self, path: Path, notices: Notices | None = None) -> None:
        self.path = path
        self.notices = notices if notices is not None else Notices()
        """Where a damaged cache that was set aside is reported (machine-wide: it is this machine's file)."""

    def load(self, api_url: str) -> Credentials | None:
        entries = self._entries()
        entry = entries.get(api_url)
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            return None
        register_secret(entry["token"])
        expires = entry.get("expires_at")
        return Credentials(
            token=SecretStr(entry["token"]),
            user_id=entry.get("user_id") if isinstance(entry.get("user_id"), str) else None,
            anonymous=bool(entry.get("anonymous", True)),
            expires_at=float(expires) if isinstance(expires, int | float) else None,
        )

    def store(self, api_url: str, credentials: Credentials) -> None:
        entries = self._entries()
        entries[api_url] = {
            "token": credentials.token.get_secret_value(),
            "user_id": credentials.user_id,
            "anonymous": credentials.anonymous,
            "expires_at": credentials.expires_at,
        }
        atomic_write_json(self.path, entries, mode=0o600)

    def forget(self, api_url: str) -> None:
        entries = self._entries()
        if entries.pop(api_url, None) is not None:
            atomic_write_json(self.path, entries, mode=0o600)

    def _entries(self) -> dict[str, Any]:
        loaded = load_json(self.path)
        problem = loaded.problem("The saved NemoVideo token")
        if problem is not None:
            self.notices.add(f"{problem}; a new one is used.")
        return loaded.value if isinstance(loaded.value, dict) else {}


def credentials_from_grant(data: Any, *, now: float) -> Credentials:
    """Credentials from the anonymous-token response's ``data``."""
    token = data.get("token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise APIError("The backend's token response had no token; try again later.")
    register_secret(token)
    expires_at = _parse_time(data.get("expires_at")) or now + ANONYMOUS_TOKEN_TTL_S
    user_id = data.get("user_id")
    return Credentials(
        token=SecretStr(token),
        user_id=user_id if isinstance(user_id, str) else None,
        anonymous=True,
        expires_at=expires_at,
    )


def env_credentials(token: SecretStr) -> Credentials:
    register_secret(token.get_secret_value())
    return Credentials(token=token, user_id=None, anonymous=False, expires_at=None, from_env=True)


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()
