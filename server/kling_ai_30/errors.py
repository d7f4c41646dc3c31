"""The one exception tree of kling-ai-30.

Every error is a ``KlingError`` whose ``str()`` is one sentence a person (or the model reading
an MCP tool result) can act on: what happened, then what to do next. None ever contains a token.

```
KlingError
 ├─ ConfigError                    settings or the skill's frontmatter are unusable
 ├─ InputError                     the caller's input was refused before any request was sent
 │   ├─ UnsupportedFileError       4001 (also raised when the backend answers 4001)
 │   ├─ FileTooLargeError          4002 (likewise)
 │   └─ OutputFolderError          a finished video cannot be written into the chosen folder
 ├─ APIError                       the backend answered with an error code or status
 │   ├─ TokenExpiredError          1001 bad or expired token
 │   ├─ SessionNotFoundError       1002
 │   ├─ InsufficientCreditsError   2001 (carries the registration link for anonymous users)
 │   ├─ MissingClientIdError       HTTP 400 on the anonymous-token call (or one naming the client id)
 │   ├─ ExportBlockedError         HTTP 402: a plan problem, not credits
 │   ├─ RateLimitedError           HTTP 429
 │   ├─ RenderFailedError          the render finished as failed
 │   └─ ServerError                HTTP 5xx
 ├─ BackendUnavailableError        no answer: connection refused, DNS, timeout (``may_have_arrived``)
 │   └─ MessageInFlightError       a chat message may be on the backend, but no stream came back
 ├─ StreamError                    the chat stream broke or carried an error
 ├─ TurnFailedError                a chat message's outcome never showed: no reply, and the state did not change
 ├─ RenderTimeoutError             the render did not finish within the wait; the job can resume it
 └─ JobError                       an unknown job id, or a job that cannot continue
     └─ JobCancelled               a job stopped on request before it spent anything
```
"""

from __future__ import annotations

from .policy import SUPPORTED_EXTENSIONS


class KlingError(Exception):
    """Root of every error this package raises on purpose."""

    #: The backend's code (1001, 2001, ...) or HTTP status (400, 402, 429) when there is one.
    code: int | None = None

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class ConfigError(KlingError):
    """Settings or the skill's frontmatter cannot be used."""


class InputError(KlingError):
    """The caller's input was refused locally; nothing was sent."""


def supported_formats_text() -> str:
    return ", ".join(ext for ext in SUPPORTED_EXTENSIONS if ext != "jpeg")


class UnsupportedFileError(InputError):
    code = 4001

    @classmethod
    def default(cls, detail: str = "That file type is not supported") -> UnsupportedFileError:
        return cls(f"{detail}. Supported formats: {supported_formats_text()}.")


class FileTooLargeError(InputError):
    code = 4002

    @classmethod
    def default(cls, detail: str = "That file is too large") -> FileTooLargeError:
        return cls(f"{detail}. The limit is 200 MB: compress it or trim it to a shorter clip and try again.")


class OutputFolderError(InputError):
    """The video could not be written into the output folder (not a folder, full, not writable).

    Raised after the render, so unlike its parent something was sent: only the folder needs changing.
    """


class APIError(KlingError):
    """The backend answered, and the answer was an error."""

    def __init__(self, message: str, *, code: int | None = None, status_code: int | None = None) -> None:
        super().__init__(message, code=code)
        self.status_code = status_code


class TokenExpiredError(APIError):
    code = 1001


class SessionNotFoundError(APIError):
    code = 1002


class InsufficientCreditsError(APIError):
    code = 2001

    def __init__(self, message: str, *, register_url: str | None = None, status_code: int | None = None) -> None:
        super().__init__(message, status_code=status_code)
        #: For anonymous users: where to register so the credits carry over (``?bind=<user id>``).
        self.register_url = register_url


class MissingClientIdError(APIError):
    code = 400


class ExportBlockedError(APIError):
    code = 402


class RateLimitedError(APIError):
    code = 429

    def __init__(self, message: str, *, retry_after: float | None = None, status_code: int | None = 429) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class RenderFailedError(APIError):
    """The render job ended as failed."""


class ServerError(APIError):
    """The backend failed (HTTP 5xx)."""


class BackendUnavailableError(KlingError):
    """The backend could not be reached or did not answer in time."""

    def __init__(self, message: str, *, may_have_arrived: bool = True) -> None:
        super().__init__(message)
        #: The request could have reached the backend before the failure (a dropped connection, a read
        #: or write timeout). False only when no connection was made, so nothing was sent; unknown
        #: causes count as True, because telling a user "not sent" must be certain.
        self.may_have_arrived = may_have_arrived


class MessageInFlightError(BackendUnavailableError):
    """A chat message may have reached the backend, but its answer was lost before the stream started
    (a dropped connection, a timeout, a gateway's 5xx). It must never be sent again: only the
    session's state can tell whether it was carried out."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, may_have_arrived=True)
        #: What happened, as a clause for a longer sentence ("it answered HTTP 503").
        self.reason = reason


class StreamError(KlingError):
    """The chat stream broke, was malformed, or carried an error from the backend."""


class TurnFailedError(KlingError):
    """The turn did not complete and the state shows no change; the message was not re-sent."""


class RenderTimeoutError(KlingError):
    """The render did not finish within the wait; it may still finish, and the job can resume."""


class JobError(KlingError):
    """A job id that is unknown, or a job that cannot continue."""


class JobCancelled(JobError):
    """A job was stopped on request (an MCP ``tasks/cancel``) while stopping it lost and cost nothing."""
