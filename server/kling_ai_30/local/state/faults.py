"""Fault injection: the failures a client must survive, on demand.

Two kinds of controls:

- *immediate* ones change the store now (expire every token, lose a session, set a balance);
- *pending* ones wait for the matching event and fire there. A pending fault with ``times=N``
  fires on the next N matching events and then disarms itself; ``times=None`` fires until
  :meth:`Faults.clear`.

Tests holding the backend call the methods; subprocess tests send the same thing as JSON to
``POST /_sim/faults`` (:class:`~kling_ai_30.local.state.fault_spec.FaultSpec`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kling_ai_30.local.state.fault_spec import DEFAULT_STREAM_ERROR, DropMode, FaultSpec, Phase
from kling_ai_30.local.state.store import Store

DEFAULT_RENDER_ERROR = "Render failed on the GPU node (injected fault)."


@dataclass
class _Armed:
    remaining: int | None  # None = until cleared

    def fire(self) -> bool:
        """Use one shot; False when already spent."""
        if self.remaining is None:
            return True
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


@dataclass
class _PhaseRule:
    armed: _Armed
    phase: Phase
    mode: DropMode = "abort"
    message: str = DEFAULT_STREAM_ERROR


@dataclass
class _PathRule:
    armed: _Armed
    prefix: str
    status: int = 503
    seconds: float = 0.0


def _times(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise ValueError("times must be at least 1 (or None for 'until cleared')")
    return value


class Faults:
    """The fault controls of one backend; thread-safe."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._reset_pending()

    def _reset_pending(self) -> None:
        self._rate_limit: _Armed | None = None
        self._block_export: _Armed | None = None
        self._fail_renders: _Armed | None = None
        self._render_error = DEFAULT_RENDER_ERROR
        self._stall_renders: _Armed | None = None
        self._drops: list[_PhaseRule] = []
        self._stream_errors: list[_PhaseRule] = []
        self._trailing: _Armed | None = None
        self._silent: tuple[bool, _Armed] | None = None
        self._http_errors: list[_PathRule] = []
        self._delays: list[_PathRule] = []

    def clear(self) -> None:
        """Disarm every pending fault (immediate ones have already happened)."""
        with self._lock:
            self._reset_pending()

    # --- immediate ---

    def expire_tokens(self) -> int:
        """Expire every current token: the next request with any of them gets 1001."""
        return self._store.expire_tokens()

    def revoke_token(self, token: str) -> bool:
        """Revoke one token (1001 on its next use)."""
        return self._store.revoke_token(token)

    def lose_session(self, session_id: str | None = None) -> int:
        """Forget a session (all when None): 1002 on REST routes, 404 on /run_sse."""
        return self._store.lose_sessions(session_id)

    def set_credits(self, user_id: str | None, available: int) -> int:
        """Set a user's available credits (every user's when None), e.g. 0 for 'no credits'."""
        return self._store.set_credits(user_id, available)

    # --- pending: auth, export, renders ---

    def rate_limit_token_issues(self, times: int = 1) -> None:
        """Answer the next `times` anonymous-token requests with 429."""
        with self._lock:
            self._rate_limit = _Armed(_times(times))

    def block_export(self, times: int | None = None) -> None:
        """Refuse render submissions with 402 (the next `times`, or until cleared)."""
        with self._lock:
            self._block_export = _Armed(_times(times))

    def fail_renders(self, times: int = 1, error: str = DEFAULT_RENDER_ERROR) -> None:
        """The next `times` renders end as `failed` with `error`."""
        with self._lock:
            self._fail_renders = _Armed(_times(times))
            self._render_error = error

    def stall_renders(self, times: int | None = None) -> None:
        """Renders stay `processing` for ever (the next `times`, or until cleared)."""
        with self._lock:
            self._stall_renders = _Armed(_times(times))

    # --- pending: the /run_sse stream ---

    def drop_stream(self, phase: Phase, times: int = 1, mode: DropMode = "abort") -> None:
        """Cut the next `times` streams at `phase`; the run itself still completes server-side."""
        with self._lock:
            self._drops.append(_PhaseRule(_Armed(_times(times)), phase, mode=mode))

    def stream_error(self, message: str = DEFAULT_STREAM_ERROR, phase: Phase = "mid_tool_call", times: int = 1) -> None:
        """End the next `times` runs at `phase` with `data: {"error": message}`; the run fails."""
        with self._lock:
            self._stream_errors.append(_PhaseRule(_Armed(_times(times)), phase, message=message))

    def trailing_issue(self, times: int | None = 1) -> None:
        """Append 'I encountered a temporary issue…' after the next `times` normal replies."""
        with self._lock:
            self._trailing = _Armed(_times(times))

    def force_silent(self, silent: bool = True, times: int | None = 1) -> None:
        """Make the next `times` edits silent (or, with silent=False, never silent)."""
        with self._lock:
            self._silent = (silent, _Armed(_times(times)))

    # --- pending: any HTTP route ---

    def http_error(self, path_prefix: str, status: int = 503, times: int | None = 1) -> None:
        """Answer the next `times` requests under `path_prefix` with HTTP `status` (5xx)."""
        if not 500 <= status <= 599:
            raise ValueError("http_error injects server errors: status must be 5xx")
        with self._lock:
            self._http_errors.append(_PathRule(_Armed(_times(times)), path_prefix, status=status))

    def delay(self, path_prefix: str, seconds: float, times: int | None = None) -> None:
        """Hold requests under `path_prefix` for `seconds` before handling them."""
        if seconds < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._delays.append(_PathRule(_Armed(_times(times)), path_prefix, seconds=seconds))

    # --- consumers (the backend calls these where the fault can happen) ---

    def take_rate_limit(self) -> bool:
        with self._lock:
            return self._rate_limit is not None and self._rate_limit.fire()

    def take_block_export(self) -> bool:
        with self._lock:
            return self._block_export is not None and self._block_export.fire()

    def take_render_fault(self) -> tuple[Literal["fail", "stall"], str] | None:
        with self._lock:
            if self._fail_renders is not None and self._fail_renders.fire():
                return ("fail", self._render_error)
            if self._stall_renders is not None and self._stall_renders.fire():
                return ("stall", "")
            return None

    def take_drop(self, phase: Phase) -> DropMode | None:
        with self._lock:
            for rule in self._drops:
                if rule.phase == phase and rule.armed.fire():
                    return rule.mode
            return None

    def take_stream_error(self, phase: Phase) -> str | None:
        with self._lock:
            for rule in self._stream_errors:
                if rule.phase == phase and rule.armed.fire():
                    return rule.message
            return None

    def take_trailing_issue(self) -> bool:
        with self._lock:
            return self._trailing is not None and self._trailing.fire()

    def take_silent_override(self) -> bool | None:
        with self._lock:
            if self._silent is not None and self._silent[1].fire():
                return self._silent[0]
            return None

    def take_http_error(self, path: str) -> int | None:
        with self._lock:
            for rule in self._http_errors:
                if path.startswith(rule.prefix) and rule.armed.fire():
                    return rule.status
            return None

    def take_delay(self, path: str) -> float:
        with self._lock:
            for rule in self._delays:
                if path.startswith(rule.prefix) and rule.armed.fire():
                    return rule.seconds
            return 0.0

    def snapshot(self) -> dict[str, Any]:
        """What is armed, for `GET /_sim/faults` and debugging."""

        def left(armed: _Armed | None) -> int | str | None:
            if armed is None or (armed.remaining is not None and armed.remaining <= 0):
                return None
            return "until cleared" if armed.remaining is None else armed.remaining

        with self._lock:
            return {
                "rate_limit_tokens": left(self._rate_limit),
                "block_export": left(self._block_export),
                "fail_renders": left(self._fail_renders),
                "stall_renders": left(self._stall_renders),
                "drop_stream": [
                    {"phase": r.phase, "mode": r.mode, "times": left(r.armed)} for r in self._drops if left(r.armed)
                ],
                "stream_error": [
                    {"phase": r.phase, "message": r.message, "times": left(r.armed)}
                    for r in self._stream_errors
                    if left(r.armed)
                ],
                "trailing_issue": left(self._trailing),
                "silent_edits": (
                    {"silent": self._silent[0], "times": left(self._silent[1])}
                    if self._silent is not None and left(self._silent[1])
                    else None
                ),
                "http_error": [
                    {"path_prefix": r.prefix, "status": r.status, "times": left(r.armed)}
                    for r in self._http_errors
                    if left(r.armed)
                ],
                "delay": [
                    {"path_prefix": r.prefix, "seconds": r.seconds, "times": left(r.armed)}
                    for r in self._delays
                    if left(r.armed)
                ],
            }

    def apply(self, spec: FaultSpec) -> None:
        """Arm or trigger what a `POST /_sim/faults` body asks for, in a fixed order."""
        if spec.clear:
            self.clear()
        if spec.expire_tokens:
            self.expire_tokens()
        if spec.revoke_token is not None:
            self.revoke_token(spec.revoke_token)
        if spec.lose_session is not None:
            self.lose_session(None if spec.lose_session == "*" else spec.lose_session)
        if spec.set_credits is not None:
            self.set_credits(spec.set_credits.user_id, spec.set_credits.available)
        if spec.rate_limit_tokens is not None:
            self.rate_limit_token_issues(spec.rate_limit_tokens)
        self._switch(spec.block_export, self.block_export, "_block_export")
        if spec.fail_renders is not None:
            self.fail_renders(spec.fail_renders, spec.render_error or DEFAULT_RENDER_ERROR)
        self._switch(spec.stall_renders, self.stall_renders, "_stall_renders")
        if spec.drop_stream is not None:
            self.drop_stream(spec.drop_stream.phase, spec.drop_stream.times, spec.drop_stream.mode)
        if spec.stream_error is not None:
            self.stream_error(spec.stream_error.message, spec.stream_error.phase, spec.stream_error.times)
        self._switch(spec.trailing_issue, self.trailing_issue, "_trailing")
        if spec.silent_edits is not None:
            self.force_silent(spec.silent_edits.silent, spec.silent_edits.times)
        if spec.http_error is not None:
            self.http_error(spec.http_error.path_prefix, spec.http_error.status, spec.http_error.times)
        if spec.delay is not None:
            self.delay(spec.delay.path_prefix, spec.delay.seconds, spec.delay.times)

    def _switch(self, value: bool | int | None, arm: Callable[..., None], attribute: str) -> None:
        """true = until cleared, N = next N, false = disarm, absent = leave alone."""
        if value is None:
            return
        if value is False:
            with self._lock:
                setattr(self, attribute, None)
        else:
            arm(times=None if value is True else value)
