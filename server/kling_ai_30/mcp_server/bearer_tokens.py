"""Static bearer tokens: who may call a ``serve --http`` that checks its own tokens.

Where they come from (CONTRACT.md "Streamable HTTP: who may call"), one source at a time:

- ``--tokens-file PATH``: one ``NAME TOKEN`` per line, each token its own principal ``NAME`` (a
  third column, that person's ``NEMO_TOKEN``, gives them their own NemoVideo account: ``accounts``);
- ``--token-file PATH``, else ``KLING_HTTP_TOKEN``: one token, and the caller is the local user;
- neither: a token generated on first use and kept at ``<user config dir>/kling-ai-30/http-token``
  (0600 in a 0700 folder), the same one on every start, so configured clients keep working.

A request's token is compared with every known one in constant time (``hmac.compare_digest`` over
SHA-256 digests, so neither the content nor the length of a token leaks through timing), and
answers with the ``PrincipalToken`` of its owner. Every token is registered with ``redaction``, so
none can reach a log line; no message here ever quotes one.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from ..errors import ConfigError, InputError
from ..policy import HTTP_TOKEN_BYTES, MIN_HTTP_TOKEN_CHARS
from ..redaction import register_secret
from ..storage import PRIVATE_FILE_MODE, ensure_private_dir, read_small_text, set_aside
from ..workspace.projects import LOCAL_PRINCIPAL, check_name
from .principals import PrincipalToken

log = logging.getLogger(__name__)

TOKEN_ENV = "KLING_HTTP_TOKEN"
OWN_TOKEN_FILE = "http-token"
_MAX_TOKEN_CHARS = 1024
# Visible ASCII only: a header value carries nothing else reliably, and a space would split a line.
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")
_MAKE_ONE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


@dataclass(frozen=True)
class Caller:
    """One token and whose it is."""

    principal: str
    token: SecretStr
    nemo_token: SecretStr | None = None
    """Their own NemoVideo API token (a ``--tokens-file`` third column), if the deployment gives one."""


@dataclass(frozen=True)
class BearerTokens:
    """The tokens this server accepts, and where they were read from (for the start-up snippet)."""

    callers: tuple[Caller, ...]
    source: str
    """``generated``, ``token-file``, ``env`` or ``tokens-file``."""
    path: Path | None = None
    """The file holding them; None for ``KLING_HTTP_TOKEN``."""

    @property
    def single(self) -> Caller | None:
        """The one caller of a single-token server (the local user), else None."""
        return self.callers[0] if self.source != "tokens-file" else None


def load_bearer_tokens(
    config_dir: Path, *, token_file: Path | None, tokens_file: Path | None, env_token: str | None
) -> BearerTokens:
    """The tokens to accept: ``tokens_file`` > ``token_file`` > ``env_token`` > the generated one."""
    if tokens_file is not None:
        return BearerTokens(read_tokens_file(tokens_file), "tokens-file", tokens_file)
    if token_file is not None:
        return BearerTokens((Caller(LOCAL_PRINCIPAL, read_token_file(token_file)),), "token-file", token_file)
    if env_token is not None and env_token.strip():
        token = _checked_token(env_token.strip(), TOKEN_ENV)
        return BearerTokens((Caller(LOCAL_PRINCIPAL, token),), "env")
    path = config_dir / OWN_TOKEN_FILE
    return BearerTokens((Caller(LOCAL_PRINCIPAL, own_token(path)),), "generated", path)


class StaticTokenVerifier:
    """The SDK's ``TokenVerifier`` over a fixed set of tokens."""

    def __init__(self, callers: tuple[Caller, ...]) -> None:
        self._known = [(_digest(caller.token.get_secret_value()), caller.principal) for caller in callers]

    async def verify_token(self, token: str) -> PrincipalToken | None:
        presented = _digest(token)
        found: str | None = None
        for digest, principal in self._known:
            # Every entry is compared, match or not, so the time taken says nothing about which matched.
            if hmac.compare_digest(presented, digest):
                found = principal
        if found is None:
            log.info("refused a request whose bearer token is not one of this server's")
            return None
        return PrincipalToken(token=token, client_id=found, scopes=[], subject=found, principal=found)


# ----------------------------------------------------------------------------- the sources


def own_token(path: Path) -> SecretStr:
    """The generated token at ``path``, made on first use; a damaged one is set aside and replaced."""
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ConfigError(f"{path} is not a regular file: remove it, and a new token is made at the next start.")
    text = read_small_text(path)
    if text is None and path.exists():
        raise ConfigError(f"Cannot read {path}: fix its permissions (chmod 600) or remove it for a new token.")
    if text is not None:
        try:
            token = _checked_token(text, str(path))
        except ConfigError:
            aside = set_aside(path)
            if aside is None:
                raise ConfigError(f"{path} is damaged and cannot be moved aside: remove it for a new token.") from None
            log.warning("the server's token file was damaged (set aside at %s); a new token was made", aside)
        else:
            _keep_private(path, fix=True)
            return token
    return _create_token(path)


def read_token_file(path: Path) -> SecretStr:
    """The token in the file a user named (its first line)."""
    text = _read(path, "--token-file")
    first = text.splitlines()[0].strip() if text.strip() else ""
    _keep_private(path, fix=False)
    return _checked_token(first, f"The token in {path}")


def read_tokens_file(path: Path) -> tuple[Caller, ...]:
    """``NAME TOKEN [NEMO_TOKEN]`` lines (blank lines and ``#`` comments skipped); every problem names
    its line, never a token."""
    text = _read(path, "--tokens-file")
    _keep_private(path, fix=False)
    callers: list[Caller] = []
    names: dict[str, int] = {}
    digests: dict[bytes, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}, line {number}"
        fields = line.split()
        if len(fields) not in (2, 3):
            raise ConfigError(
                f"{where}: expected 'NAME TOKEN' (or 'NAME TOKEN NEMO_TOKEN'), found {len(fields)} fields."
            )
        name, token = fields[0], fields[1]
        try:
            check_name(name, "principal")
        except InputError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if name in names:
            raise ConfigError(f"{where}: {name!r} is already on line {names[name]}; give each person one line.")
        checked = _checked_token(token, where)
        digest = _digest(token)
        if digest in digests:
            raise ConfigError(f"{where}: the same token as line {digests[digest]}; each person needs their own.")
        nemo = SecretStr(fields[2]) if len(fields) == 3 else None
        if nemo is not None:
            register_secret(fields[2])
        names[name], digests[digest] = number, number
        callers.append(Caller(name, checked, nemo))
    if not callers:
        raise ConfigError(f"{path} has no 'NAME TOKEN' lines: add one line per person who may call the server.")
    return tuple(callers)


# ----------------------------------------------------------------------------- helpers


def _create_token(path: Path) -> SecretStr:
    value = secrets.token_urlsafe(HTTP_TOKEN_BYTES)
    register_secret(value)
    ensure_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A link fails if the name exists: two servers starting at once keep the first one's token.
            os.link(tmp_name, path)
        except FileExistsError:
            return own_token(path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    log.info("made a new token for callers, kept at %s", path)
    return SecretStr(value)


def _read(path: Path, option: str) -> str:
    text = read_small_text(path, limit=1024 * 1024)
    if text is None:
        if not path.exists():
            raise ConfigError(f"{option} {path} does not exist: check the path.")
        raise ConfigError(f"Cannot read {option} {path}: check that it is a regular file you can read.")
    return text


def _checked_token(value: str, where: str) -> SecretStr:
    register_secret(value)
    if len(value) < MIN_HTTP_TOKEN_CHARS or len(value) > _MAX_TOKEN_CHARS or not _TOKEN_CHARS.match(value):
        raise ConfigError(
            f"{where}: a token must be {MIN_HTTP_TOKEN_CHARS} to {_MAX_TOKEN_CHARS} visible ASCII characters "
            f"with no spaces; make a random one with {_MAKE_ONE}"
        )
    return SecretStr(value)


def _keep_private(path: Path, *, fix: bool) -> None:
    """Warn about (or, for our own file, fix) a token file other users can read."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if not mode & 0o077:
        return
    if fix:
        with contextlib.suppress(OSError):
            os.chmod(path, PRIVATE_FILE_MODE)
            log.warning("%s was readable by other users (mode %o); made it 0600", path, mode)
            return
    log.warning("%s holds bearer tokens and other users can read it (mode %o): run chmod 600 %s", path, mode, path)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).digest()
