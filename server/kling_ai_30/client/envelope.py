"""Unwrap the backend's envelopes and turn its errors into the package's exceptions, in one place.

Three shapes exist (reference/nemo-api.md §2.3): ``{"code", "message", "data"}`` on most
routes, ``{"success", "data", "error"}`` on the render proxy, and bare JSON (ADK's
``{"detail": ...}``). Body codes win over HTTP statuses: sources disagree on which status
carries which code, and 402 means "plan blocks export", never "no credits".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

from ..errors import (
    APIError,
    ExportBlockedError,
    FileTooLargeError,
    InsufficientCreditsError,
    KlingError,
    MissingClientIdError,
    RateLimitedError,
    ServerError,
    SessionNotFoundError,
    TokenExpiredError,
    UnsupportedFileError,
    supported_formats_text,
)
from ..redaction import clean_message

_CLIENT_ID_WORDS = re.compile(r"client[\s_-]*id", re.IGNORECASE)


@dataclass(frozen=True)
class ErrorContext:
    """What an error message needs to tell the user the next step."""

    web_url: str
    user_id: str | None = None
    anonymous: bool = True
    token_from_env: bool = False
    token_call: bool = False
    """The answer is to the anonymous-token call, where a bare 400 means the client id was refused."""

    @property
    def register_url(self) -> str | None:
        if not self.anonymous:
            return None
        base = f"{self.web_url}/register"
        return f"{base}?bind={self.user_id}" if self.user_id else base


def unwrap(response: httpx.Response, context: ErrorContext) -> Any:
    """The payload of a successful response; raises the matching ``KlingError`` otherwise."""
    body = _json_or_none(response)
    if not response.is_success:
        code, message = _code_and_message(body)
        raise error_for(code, response.status_code, message, context)
    if not isinstance(body, dict):
        if body is None and response.content:
            raise APIError(
                "The backend sent a response that is not JSON; try again, and check NEMO_API_URL if it persists.",
                status_code=response.status_code,
            )
        return body
    if "code" in body and isinstance(body["code"], int | str):
        code = _as_int(body["code"])
        if code == 0:
            return body.get("data")
        raise error_for(code, response.status_code, _message_of(body), context)
    if "success" in body:
        if body["success"] is True:
            return body.get("data", body)
        raise error_for(None, response.status_code, _message_of(body), context)
    return body


def error_for(code: int | None, status: int | None, message: str | None, context: ErrorContext) -> KlingError:
    """The exception for a backend code (preferred) or HTTP status, with an actionable sentence."""
    said = f" (backend said: {clean_message(message, limit=160)})" if message else ""
    key = code if code not in (None, 0) else status
    if key == 1001 or (key == 401 and code in (None, 0)):
        if context.token_from_env:
            return TokenExpiredError(
                "NEMO_TOKEN was rejected: it is invalid, revoked or expired. Create a new token in your "
                "NemoVideo account (Settings → API Tokens), or unset NEMO_TOKEN to use a free anonymous token.",
                status_code=status,
            )
        return TokenExpiredError(
            "The NemoVideo token was rejected or has expired (free tokens last 7 days); a new one is "
            "requested automatically, so try again.",
            status_code=status,
        )
    if key == 1002 or (key == 404 and _looks_like_missing_session(message)):
        return SessionNotFoundError(
            "The editing session no longer exists on the backend; start a new one (the next request does so "
            "automatically).",
            status_code=status,
        )
    if key == 2001:
        register = context.register_url
        if register:
            text = (
                f"You're out of credits. Register at {register} to keep this project and get more credits, "
                "then try again."
            )
        else:
            text = f"You're out of credits. Top up credits in your account ({context.web_url}), then try again."
        return InsufficientCreditsError(text, register_url=register, status_code=status)
    if key == 4001:
        return UnsupportedFileError(
            f"The backend does not support that file type. Supported formats: {supported_formats_text()}."
        )
    if key == 4002 or key == 413:
        return FileTooLargeError("The file is too large for the backend (limit 200 MB): compress it or trim it.")
    if key == 400 and (context.token_call or _names_the_client_id(message)):
        return MissingClientIdError(
            "The backend needs a client id for a free token; a new one is generated automatically, so try again.",
            status_code=status,
        )
    if key == 402:
        return ExportBlockedError(
            "Export is blocked on the free plan: this is a subscription tier issue, not credits. Register or "
            f"upgrade your plan at {context.web_url} to unlock export.",
            status_code=status,
        )
    if key == 429:
        return RateLimitedError(
            "The backend is rate-limiting requests (free tokens: one per client every 7 days). Wait 30 seconds "
            "and try again, or set NEMO_TOKEN to your own token.",
            retry_after=30.0,
            status_code=status,
        )
    if status is not None and status >= 500:
        return ServerError(
            f"The NemoVideo backend failed (HTTP {status}){said}. Try again in a minute.", code=code, status_code=status
        )
    where = f"HTTP {status}" if code in (None, 0) else f"code {code}"
    return APIError(f"The backend refused the request ({where}){said}.", code=code, status_code=status)


def _json_or_none(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly deep nesting
        return None


def _code_and_message(body: Any) -> tuple[int | None, str | None]:
    if not isinstance(body, dict):
        return None, None
    code = _as_int(body.get("code")) if "code" in body else None
    return code, _message_of(body)


def _message_of(body: dict[str, Any]) -> str | None:
    # api notes §2.3: read message, then msg, then detail, then error.
    for key in ("message", "msg", "detail", "error"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if value:
            try:
                return json.dumps(value, ensure_ascii=False)[:300]
            except (ValueError, RecursionError):
                return None
    return None


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _looks_like_missing_session(message: str | None) -> bool:
    return message is not None and "session" in message.lower()


def _names_the_client_id(message: str | None) -> bool:
    # Elsewhere a 400 is the backend refusing the request; only its own words make it a client-id problem.
    return message is not None and _CLIENT_ID_WORDS.search(message) is not None
