"""The local backend's memory: users, tokens, sessions, credits, renders and the request log.

Everything lives in one object guarded by one re-entrant lock, because the HTTP handlers (event
loop), the agent runs and the render workers (threads) all touch it. Readers get deep copies, so
nothing outside holds a reference into the locked state.

Kept on disk (a :class:`~kling_ai_30.local.state.shared_file.SharedFile`), the same memory is
shared with every other process running a backend over that folder: each method is then one
transaction under the file's lock — read the file again if another process changed it, do the
work, save if anything changed. Render progress, which changes many times a second, is saved at
most every :data:`PROGRESS_SAVE_EVERY_S`; everything else at once. Work a dead process left (a
render, frozen credits) is found through :class:`~kling_ai_30.local.state.presence.Presence`.

Identity rules (api notes §3.1, our reading where the notes are silent):

- one anonymous user per client id: after its token expires, the same client id gets a new token
  for the *same* user, with the same balance and sessions (no free credits by re-registering);
- one live token per client id at a time, ten issued tokens per IP per window (429 beyond);
- registered users (created by the sim admin API) have tokens that never expire on their own.
"""

from __future__ import annotations

import contextlib
import copy
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from kling_ai_30 import policy
from kling_ai_30.local.state.clock import Clock
from kling_ai_30.local.state.config import SimConfig
from kling_ai_30.local.state.presence import Presence
from kling_ai_30.local.state.records import (
    MediaRecord,
    RecordedRequest,
    RenderJob,
    Reservation,
    Session,
    TokenRecord,
    User,
)
from kling_ai_30.local.state.shared_file import SharedFile
from kling_ai_30.local.state.snapshot import SavedSession, Snapshot

# Body codes of the documented error table (skill text "Error Handling"; api notes §11).
CODE_BAD_TOKEN = 1001
CODE_SESSION_NOT_FOUND = 1002
CODE_NO_CREDITS = 2001
CODE_UNSUPPORTED_FILE = 4001
CODE_FILE_TOO_LARGE = 4002

TOKEN_PREFIX = "nmv_usr_"
CLAIM_TOKEN_TTL_S = 7 * 24 * 3600  # api notes §3.3: expires_in 604800
REGISTER_URL = policy.DEFAULT_WEB_URL + "/register?bind="  # api notes §9
REQUEST_LOG_LIMIT = 10_000  # a long `sim` session keeps only the newest requests
KEEP_FINISHED_RENDERS = 200  # a kept store forgets older finished renders (their files stay)
PROGRESS_SAVE_EVERY_S = 1.0  # other processes see a render's progress at most this late


class ApiError(Exception):
    """A refusal the HTTP layer turns into an error envelope: body code, HTTP status, message."""

    def __init__(self, code: int, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Store:
    """All mutable backend state; every method is safe to call from any thread (and, kept on disk,
    from any process sharing the file)."""

    def __init__(
        self,
        config: Callable[[], SimConfig],
        clock: Clock,
        *,
        shared: SharedFile | None = None,
        presence: Presence | None = None,
    ) -> None:
        self._config = config
        self._clock = clock
        self._lock = threading.RLock()
        self._shared = shared
        self._presence = presence if presence is not None else Presence(None)
        self._depth = 0  # nesting of transactions in the thread holding the lock
        self._unsaved = False
        self._unsaved_progress = False
        self._saved_at = 0.0
        self._requests: deque[RecordedRequest] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._clear()

    def _clear(self) -> None:
        self._users: dict[str, User] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._anon_user_by_client: dict[str, str] = {}
        self._issued_by_ip: dict[str, list[float]] = {}
        self._sessions: dict[str, Session] = {}
        self._session_count = 0
        self._claims: dict[str, tuple[str, float]] = {}  # claim token -> (session id, expiry)
        self._reservations: dict[str, Reservation] = {}
        self._renders: dict[str, RenderJob] = {}
        self._media: dict[str, MediaRecord] = {}

    @property
    def instance_id(self) -> str:
        """The backend this store belongs to, as renders and reservations name it."""
        return self._presence.instance_id

    def reset(self) -> None:
        """Forget every user, token, session, render and recorded request."""
        with self._writing():
            self._clear()
            self._requests.clear()

    # --- transactions ---

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        with self._transaction(change=None):
            yield

    @contextlib.contextmanager
    def _writing(self, *, progress_only: bool = False) -> Iterator[None]:
        with self._transaction(change="progress" if progress_only else "state"):
            yield

    @contextlib.contextmanager
    def _transaction(self, change: str | None) -> Iterator[None]:
        with self._lock:
            outermost = self._depth == 0
            if outermost and self._shared is not None:
                self._shared.acquire()
                try:
                    if self._shared.changed():
                        self._install(self._shared.read())
                except BaseException:
                    self._shared.release()
                    raise
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if change == "state":
                    self._unsaved = True
                elif change == "progress":
                    self._unsaved_progress = True
                if outermost and self._shared is not None:
                    try:
                        self._save(force=False)
                    finally:
                        self._shared.release()

    def flush(self) -> None:
        """Save what is still unsaved (render progress); a backend closing calls this last."""
        if self._shared is None:
            return
        with self._lock:
            self._shared.acquire()
            try:
                self._save(force=True)
            finally:
                self._shared.release()

    def _save(self, *, force: bool) -> None:
        assert self._shared is not None
        due = time.monotonic() - self._saved_at >= PROGRESS_SAVE_EVERY_S
        if not (self._unsaved or (self._unsaved_progress and (due or force))):
            return
        self._shared.write(self._snapshot())
        self._unsaved = self._unsaved_progress = False
        self._saved_at = time.monotonic()

    def _snapshot(self) -> Snapshot:
        finished = [job for job in self._renders.values() if job.finished]
        forgotten = {job.render_id for job in finished[:-KEEP_FINISHED_RENDERS]}
        return Snapshot(
            users=list(self._users.values()),
            tokens=list(self._tokens.values()),
            anon_user_by_client=self._anon_user_by_client,
            issued_by_ip=self._issued_by_ip,
            sessions=[SavedSession.of(session) for session in self._sessions.values()],
            session_count=self._session_count,
            claims=self._claims,
            reservations=list(self._reservations.values()),
            renders=[job for job in self._renders.values() if job.render_id not in forgotten],
            media=list(self._media.values()),
        )

    def _install(self, snapshot: Snapshot | None) -> None:
        """Take over what another process saved; sessions already held here stay the same objects
        (a run holds its session and its lock), with the saved state."""
        held = self._sessions
        self._clear()
        if snapshot is None:
            return
        seed = self._config().seed
        self._users = {user.user_id: user for user in snapshot.users}
        self._tokens = {record.token: record for record in snapshot.tokens}
        self._anon_user_by_client = dict(snapshot.anon_user_by_client)
        self._issued_by_ip = {ip: list(times) for ip, times in snapshot.issued_by_ip.items()}
        for saved in snapshot.sessions:
            session = held.get(saved.session_id)
            if session is None:
                session = saved.restore(seed)
            else:
                session.state, session.runs = saved.state, saved.runs
                session.task_name, session.language = saved.task_name, saved.language
            self._sessions[saved.session_id] = session
        self._session_count = snapshot.session_count
        self._claims = dict(snapshot.claims)
        self._reservations = {r.reservation_id: r for r in snapshot.reservations}
        self._renders = {job.render_id: job for job in snapshot.renders}
        self._media = {record.rel_path: record for record in snapshot.media}

    # --- tokens and users ---

    def issue_anonymous_token(self, client_id: str, ip: str | None) -> tuple[TokenRecord, User]:
        """Issue a 7-day token for the client's anonymous user, or refuse with 429."""
        config = self._config()
        now = self._clock.now()
        with self._writing():
            user_id = self._anon_user_by_client.get(client_id)
            if user_id is not None:
                live = [t for t in self._tokens.values() if t.client_id == client_id and t.live(now)]
                if live:
                    raise ApiError(
                        429,
                        "Rate limited: one anonymous token per client id per 7 days; "
                        "reuse the token you have or wait for it to expire.",
                        429,
                    )
            if ip is not None:
                recent = [t for t in self._issued_by_ip.get(ip, []) if now - t < config.ip_window_s]
                if len(recent) >= config.tokens_per_ip:
                    raise ApiError(429, "Rate limited: too many anonymous tokens from this address.", 429)
                self._issued_by_ip[ip] = [*recent, now]
            if user_id is None:
                user_id = "anon_" + secrets.token_hex(8)
                self._users[user_id] = User(user_id, True, config.anonymous_credits, client_id=client_id)
                self._anon_user_by_client[client_id] = user_id
            record = TokenRecord(
                TOKEN_PREFIX + secrets.token_hex(16), user_id, client_id, ip, now, now + config.token_ttl_s
            )
            self._tokens[record.token] = record
            return copy.copy(record), copy.copy(self._users[user_id])

    def create_registered_user(self, credits: int) -> tuple[TokenRecord, User]:
        """A registered (non-anonymous) account with a non-expiring token."""
        now = self._clock.now()
        with self._writing():
            user = User("usr_" + secrets.token_hex(8), False, credits)
            self._users[user.user_id] = user
            record = TokenRecord(TOKEN_PREFIX + secrets.token_hex(16), user.user_id, None, None, now, None)
            self._tokens[record.token] = record
            return copy.copy(record), copy.copy(user)

    def authenticate(self, authorization: str | None) -> User:
        """The user behind an `Authorization: Bearer …` header, or ApiError 1001."""
        if not authorization:
            raise ApiError(CODE_BAD_TOKEN, "Missing Authorization header: send 'Bearer <token>'.", 401)
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise ApiError(CODE_BAD_TOKEN, "Malformed Authorization header: expected 'Bearer <token>'.", 401)
        if not token.startswith(TOKEN_PREFIX):
            raise ApiError(CODE_BAD_TOKEN, "Invalid token format.", 401)
        now = self._clock.now()
        with self._reading():
            record = self._tokens.get(token)
            if record is None:
                raise ApiError(CODE_BAD_TOKEN, "Invalid token.", 401)
            if record.revoked:
                raise ApiError(CODE_BAD_TOKEN, "Token has been revoked.", 401)
            if not record.live(now):
                raise ApiError(CODE_BAD_TOKEN, "Token has expired.", 401)
            return copy.copy(self._users[record.user_id])

    def expire_tokens(self) -> int:
        """Expire every current token now; returns how many were live."""
        now = self._clock.now()
        with self._writing():
            live = [t for t in self._tokens.values() if t.live(now)]
            for record in live:
                record.expires_at = now
            return len(live)

    def tokens(self) -> list[TokenRecord]:
        """Every token issued so far (tests scan output for them)."""
        with self._reading():
            return list(self._tokens.values())

    def revoke_token(self, token: str) -> bool:
        """Revoke one token (as Settings → API Tokens would); False when unknown."""
        with self._writing():
            record = self._tokens.get(token)
            if record is None:
                return False
            record.revoked = True
            return True

    def user(self, user_id: str) -> User:
        with self._reading():
            return copy.copy(self._users[user_id])

    def users(self) -> list[User]:
        with self._reading():
            return [copy.copy(u) for u in self._users.values()]

    # --- credits ---

    def balance(self, user_id: str) -> dict[str, int]:
        """`{available, frozen, total}` with total = available + frozen (api notes §3.7)."""
        with self._reading():
            user = self._users[user_id]
            return {"available": user.available, "frozen": user.frozen, "total": user.available + user.frozen}

    def freeze(self, user_id: str, cost: int) -> str:
        """Reserve `cost` for a run (returns the reservation), or refuse with 2001 when the balance is short."""
        with self._writing():
            user = self._users[user_id]
            if user.available < cost:
                if user.anonymous:
                    hint = f"Register to get more credits: {REGISTER_URL}{user.user_id}"
                else:
                    hint = "Top up credits in your account."
                raise ApiError(
                    CODE_NO_CREDITS,
                    f"Insufficient credits: this request needs {cost}, {user.available} available. {hint}",
                    200,
                )
            user.available -= cost
            user.frozen += cost
            reservation = Reservation("rsv_" + secrets.token_hex(8), user_id, cost, self.instance_id)
            self._reservations[reservation.reservation_id] = reservation
            return reservation.reservation_id

    def settle(self, reservation_id: str, spend: int) -> None:
        """End a run: consume `spend` of its reservation and give the rest back."""
        with self._writing():
            reservation = self._reservations.pop(reservation_id, None)
            if reservation is not None:
                self._settle(reservation, spend)

    def _settle(self, reservation: Reservation, spend: int) -> None:
        user = self._users.get(reservation.user_id)
        if user is None:  # reset while the run was going
            return
        frozen = reservation.amount
        spend = max(0, min(spend, frozen))
        user.frozen = max(0, user.frozen - frozen)
        user.available += frozen - spend
        user.spent += spend

    def release_abandoned(self) -> int:
        """Give back the credits frozen by runs whose backend is gone (killed mid-run); returns how many."""
        with self._writing():
            abandoned = [r for r in self._reservations.values() if not self._presence.alive(r.owner)]
            for reservation in abandoned:
                del self._reservations[reservation.reservation_id]
                self._settle(reservation, 0)
            return len(abandoned)

    def register(self, user_id: str, credits: int) -> User:
        """Bind an anonymous user to an account (the registration page): same user, same projects
        and token, no longer anonymous, `credits` more to spend. ApiError 404 for an unknown user."""
        with self._writing():
            user = self._users.get(user_id)
            if user is None:
                raise ApiError(404, "unknown user", 404)
            if user.anonymous:
                user.anonymous = False
                user.available += credits
            return copy.copy(user)

    def set_credits(self, user_id: str | None, available: int) -> int:
        """Set the available balance of one user (or every user when None); returns how many."""
        with self._writing():
            targets = list(self._users.values()) if user_id is None else [self._users[user_id]]
            for user in targets:
                user.available = available
            return len(targets)

    # --- sessions ---

    def create_session(self, user_id: str, task_name: str, language: str | None) -> Session:
        """A new project session owned by the user."""
        config = self._config()
        with self._writing():
            self._session_count += 1
            ordinal = self._session_count
            # 19 digits like the documented snowflake ids; never starts with 0.
            session_id = str(secrets.randbelow(9 * 10**18) + 10**18)
            session = Session(
                session_id=session_id,
                task_id="task_" + secrets.token_hex(12),
                task_name=task_name,
                language=language,
                user_id=user_id,
                ordinal=ordinal,
                # Seeded per session, so a session's choices do not depend on other sessions' traffic.
                rng=random.Random(f"{config.seed}:{ordinal}"),
            )
            self._sessions[session_id] = session
            return session

    def session_for(self, user_id: str, session_id: str) -> Session:
        """The user's session, or ApiError 1002 (unknown, lost or someone else's)."""
        with self._reading():
            session = self._sessions.get(session_id)
            if session is None or session.user_id != user_id:
                raise ApiError(CODE_SESSION_NOT_FOUND, f"Session not found: {session_id}", 404)
            return session

    def lose_sessions(self, session_id: str | None = None) -> int:
        """Forget one session (or all when None), as if the backend lost it; returns how many."""
        with self._writing():
            if session_id is None:
                count = len(self._sessions)
                self._sessions.clear()
                return count
            return 1 if self._sessions.pop(session_id, None) is not None else 0

    def sessions(self) -> list[str]:
        with self._reading():
            return list(self._sessions)

    def claimed_session(self, claim_token: str) -> Session | None:
        """The session a live claim token opens (the project page), or None."""
        now = self._clock.now()
        with self._reading():
            claim = self._claims.get(claim_token)
            if claim is None or now >= claim[1]:
                return None
            return self._sessions.get(claim[0])

    def state_of(self, session: Session) -> dict[str, Any]:
        """A deep copy of the session's state."""
        with self._reading():
            return copy.deepcopy(session.state)

    def count_run(self, session: Session) -> None:
        """One more message answered in the session."""
        with self._writing():
            session.runs += 1

    def update_state(self, session: Session, updates: Mapping[str, Any]) -> None:
        """Replace whole top-level state keys (draft, canvas_config, generated_media, ...)."""
        with self._writing():
            for key, value in updates.items():
                session.state[key] = copy.deepcopy(value)

    def add_video_infos(self, session: Session, entries: list[dict[str, Any]]) -> None:
        """Append uploaded assets to the session's `video_infos`."""
        with self._writing():
            session.state["video_infos"].extend(copy.deepcopy(entries))

    def claim_token(self, session: Session) -> str:
        """A browser claim token for the session, reused while it is valid (api notes §3.3)."""
        now = self._clock.now()
        with self._reading():  # saved only when a new token is made
            for token, (sid, expiry) in self._claims.items():
                if sid == session.session_id and now < expiry:
                    return token
            token = "clm_" + secrets.token_hex(16)
            self._claims[token] = (session.session_id, now + CLAIM_TOKEN_TTL_S)
            self._unsaved = True
            return token

    # --- media served under /cdn/ ---

    def add_media(self, record: MediaRecord) -> None:
        with self._writing():
            self._media[record.rel_path] = record

    def media(self, rel_path: str) -> MediaRecord | None:
        with self._reading():
            found = self._media.get(rel_path)
            return copy.copy(found) if found is not None else None

    # --- renders ---

    def add_render(self, job: RenderJob) -> None:
        """Register a render, to be worked on by this backend; ApiError 409 when the client-chosen
        id was used before."""
        with self._writing():
            if job.render_id in self._renders:
                raise ApiError(409, "duplicate render id", 409)
            job.owner = self.instance_id
            self._renders[job.render_id] = job

    def adopt_render(self, render_id: str) -> bool:
        """Take over a render whose backend is gone before it finished; True when this one now owns it
        (and should start it again). Only one backend wins: the check and the change are one step."""
        with self._reading():  # most polls find the render in good hands: nothing to save
            job = self._renders.get(render_id)
            if job is None or job.finished or job.cancelled or self._presence.alive(job.owner):
                return False
            job.owner = self.instance_id
            job.status, job.progress = "pending", 5
            self._unsaved = True
            return True

    def latest_render(self, session_id: str) -> RenderJob | None:
        """The session's newest completed render (the project page's player), or None."""
        with self._reading():
            done = [j for j in self._renders.values() if j.session_id == session_id and j.status == "completed"]
            return copy.copy(max(done, key=lambda j: j.completed_at_ms or 0)) if done else None

    def render_for(self, user_id: str, render_id: str) -> RenderJob:
        """A copy of the user's render, or ApiError 404."""
        with self._reading():
            job = self._renders.get(render_id)
            if job is None or job.user_id != user_id:
                raise ApiError(404, "render not found", 404)
            return copy.copy(job)

    def update_render(self, render_id: str, **changes: Any) -> RenderJob | None:
        """Apply changes to a render unless it already reached a final state."""
        with self._writing(progress_only=set(changes) <= {"progress"}):
            job = self._renders.get(render_id)
            if job is None or job.finished:
                return None
            for key, value in changes.items():
                setattr(job, key, value)
            return copy.copy(job)

    def render_job(self, render_id: str) -> RenderJob | None:
        with self._reading():
            job = self._renders.get(render_id)
            return copy.copy(job) if job is not None else None

    # --- request log ---

    def record_request(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()
