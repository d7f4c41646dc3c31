"""The one recovery path of every authenticated request: a rejected token (1001) renewed and a lost
session (1002) replaced, at most once each, then the request made again.

REST calls, the chat stream (before it starts) and downloads from the backend all go through
``recovering``, each as one attempt that is a function of the credentials to send, so the rules
cannot drift apart between them:

- a rejected anonymous token is renewed once, with the same client id; a rejected ``NEMO_TOKEN``
  is the user's to replace, so its error is raised as it is;
- a lost session is replaced once, when the request names one (the caller's ``Session`` changes in
  place, so the attempt reads the new id);
- a second rejection of the same kind is raised: the backend is refusing for a reason a retry
  will not fix, and the error says what to do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..errors import SessionNotFoundError, TokenExpiredError
from .account import Account
from .auth import Credentials

T = TypeVar("T")

Attempt = Callable[[Credentials], Awaitable[T]]
"""One try of a request, sent with the given credentials."""
ReplaceSession = Callable[[], Awaitable[None]]


async def recovering(attempt: Attempt[T], *, account: Account, replace_session: ReplaceSession | None = None) -> T:
    """``attempt``'s result, after at most one token renewal and one session replacement."""
    renewed = resessioned = False
    while True:
        credentials = await account.credentials()
        try:
            return await attempt(credentials)
        except TokenExpiredError:
            if renewed or credentials.from_env:
                raise
            renewed = True
            await account.renew(credentials)
        except SessionNotFoundError:
            if replace_session is None or resessioned:
                raise
            resessioned = True
            await replace_session()
