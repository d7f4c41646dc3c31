"""Every number that is a policy, in one place, each with where it comes from.

"skill text" is ../shared/reference/skill-text.md (the user's design); "api notes" is
reference/nemo-api.md; "mcp notes" is reference/mcp-notes.md.
"""

from __future__ import annotations

# --- backend defaults (skill text: "API base"; api notes §1.1, §8.3) ---
DEFAULT_API_URL = "https://mega-api-prod.nemovideo.ai"
DEFAULT_WEB_URL = "https://nemovideo.com"
APP_NAME = "nemo_agent"  # skill text: app_name in /run_sse and the path segment everywhere else
USER_PLACEHOLDER = "me"  # api notes §2.2: the backend resolves the user from the token

# --- HTTP (our choice: a stuck backend must not hang a tool call forever) ---
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 60.0
# skill text: "Max timeout: 15 minutes" for /run_sse.
SSE_MAX_DURATION_S = 15 * 60
# api notes §10: "10 min heartbeats-only -> assume timeout"; a read gap this long means the stream is dead.
SSE_READ_GAP_S = 10 * 60
# Transient failures (connection refused, 5xx, 408) on idempotent requests: anthropic SDK's defaults.
MAX_TRANSIENT_RETRIES = 2
TRANSIENT_RETRY_BASE_S = 0.5
TRANSIENT_RETRY_CAP_S = 8.0

# --- auth (skill text: error table and "Free token") ---
RATE_LIMIT_RETRY_DELAY_S = 30.0  # skill text: 429 -> "Retry in 30s once"
ANONYMOUS_TOKEN_TTL_S = 7 * 24 * 3600  # skill text: "7-day expiry"
# Renew a cached token this long before its stated expiry, so a request never races the deadline.
TOKEN_EXPIRY_MARGIN_S = 300
CLIENT_ID_MAX_LEN = 64  # api notes §8.4

# --- uploads (skill text: "Supported formats" and "Max file size is 200MB") ---
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
VIDEO_EXTENSIONS = ("mp4", "mov", "avi", "webm", "mkv")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp")  # jpeg: api notes §3.5 (the CLI accepts it)
AUDIO_EXTENSIONS = ("mp3", "wav", "m4a", "aac")
SUPPORTED_EXTENSIONS = VIDEO_EXTENSIONS + IMAGE_EXTENSIONS + AUDIO_EXTENSIONS
UPLOAD_CHUNK_BYTES = 256 * 1024  # streamed from disk; bounds memory per upload
DOWNLOAD_CHUNK_BYTES = 256 * 1024

# --- chat stream (skill text: "SSE Event Handling") ---
STILL_WORKING_EVERY_S = 120.0  # skill text: "Every 2 min: '⏳ Still working...'"
# api notes §5.6 (skill §3.6): after a dropped stream, never re-send; poll state at 30 s, then
# every 60 s, and give up after 5 unchanged polls.
RECOVERY_FIRST_POLL_S = 30.0
RECOVERY_POLL_EVERY_S = 60.0
RECOVERY_MAX_UNCHANGED_POLLS = 5
# A silent reply's edit may land a moment after the stream closes: re-check a few times before
# saying nothing changed (our choice; the skill text only says "poll session state").
SILENT_REPLY_POLLS = 3
SILENT_REPLY_POLL_EVERY_S = 2.0

# --- costs (api notes §3.6 and §10, from the skill's own notes; the skill text: "30-second clips use
# more credits than shorter ones", export "free, no credits"). Estimates, shown before paid work. ---
CREDITS_PER_GENERATED_CLIP = 100
CREDITS_PER_EDIT = 50
CREDITS_PER_EXPORT = 0
# Once this machine has seen what clips and edits cost on a backend, the median of the latest this
# many is the estimate instead (our choice: recent enough to follow a price change, enough to
# smooth one odd request).
ESTIMATE_FROM_LAST_JOBS = 5
# A paid request estimated above this share of the balance is confirmed once, where the client can
# ask (MCP elicitation); the setting `confirm_share` (KLING_CONFIRM_SHARE, "off" turns it off).
CONFIRM_SHARE_DEFAULT = 0.5

# --- export (skill text: "Export"; api notes §3.10 conflict on cadence) ---
# The skill text polls every 30 s, which wastes up to 30 s per export. We poll fast while a
# render is likely to finish and back off, capped so a long render costs few requests:
# 1 s for the first 90 s (renders take 30-90 s per the skill text), then x1.5 up to 10 s.
# A quick render (a short preview, a local backend) is done well within the first second, so the
# first polls come sooner: at 0.25 s and 0.5 s, then the schedule above from 1 s (issue 16: the
# wait for the first poll was most of a warm generate's round trip). The two extra polls are paid
# for by the first two polls of the back-off, which are not made: a render that outlasts those
# costs exactly the requests it did before.
RENDER_POLL_LEAD_IN_S = (0.25, 0.25, 0.5)  # delays before the first polls: at 0.25 s, 0.5 s and 1 s
RENDER_POLL_FAST_S = 1.0
RENDER_POLL_FAST_WINDOW_S = 90.0
RENDER_POLL_BACKOFF = 1.5
RENDER_POLL_CAP_S = 10.0
RENDER_MAX_WAIT_S = 15 * 60  # api notes §10 says ~5 min; long 1080p renders get three times that
RENDER_SUBMIT_RETRIES = 1  # skill text / api notes §7: "On failure: new id, retry once"
# api notes §3.3: a claim token (the task link's ``ct=``) is valid 7 days and reusable meanwhile, so
# one serves every export of a session; a link handed out keeps at least this long to be clicked
# (our choice: later in the conversation, or the next day).
CLAIM_LINK_MIN_VALID_S = 24 * 3600

# --- MCP tool waits (mcp notes §6: Claude Desktop cuts calls at ~60 s) ---
DEFAULT_WAIT_S = 45.0
# mcp notes §6: Claude Code shows progress and backgrounds calls only after 120 s, so when it is the
# client we may wait longer than the ~60 s Claude Desktop allows, still under that line.
CLAUDE_CODE_WAIT_S = 100.0
# The largest ``wait_seconds`` a tool accepts (our choice: a client that allows long calls may wait
# 10 min; the job goes on after the call either way, so a longer wait would only tie the client up).
WAIT_ARGUMENT_MAX_S = 600.0
PROGRESS_HEARTBEAT_S = 10.0  # mcp notes §4.3: a heartbeat at least every 10 s

# --- MCP tasks (ext-tasks spec: ``ttlMs`` is how long a task is kept from its creation) ---
# A finished job is kept at least this long (``JobStore.prune``), so it is the TTL tasks promise.
TASK_TTL_S = 7 * 24 * 3600
# How often a client should poll ``tasks/get`` (each poll is a local read): a generation takes
# minutes (api notes §10: 100-300 s), a render 30-90 s and is itself polled every 1 s at first.
TASK_POLL_GENERATE_MS = 2000
TASK_POLL_EXPORT_MS = 1000
MAX_MESSAGE_CHARS = 4000  # a chat instruction, not a document; keeps results and logs bounded

# --- command line (our choice) ---
# `--wait` may be stretched this long for the backend to accept a message (a slow connect): exiting
# before the backend has it would cut the request off unsent.
ACCEPT_WAIT_S = 60.0

# --- jobs and saved state (our choice: bounded disk use, no lost progress) ---
SAVE_PROGRESS_EVERY_S = 1.0  # progress-only updates are persisted at most this often
UPDATES_KEPT = 64  # updates a waiter can catch up on; a longer burst only loses its oldest lines
KEEP_FINISHED_JOBS = 200  # finished jobs kept on disk: enough for any conversation
KEEP_PROJECT_HISTORY = 100  # uploads and exports remembered per project (each save writes them all)
# Loopback backends (`--local`, `demo`, `sim`, tests) get a new port, hence a new state folder, on
# most runs: their folders are removed after a day unused, so they do not pile up.
IDLE_LOOPBACK_STATE_S = 24 * 3600

# --- the studio view (MCP Apps; research memo on issue 12) ---
# Drop-in upload chunks and video parts per message: 384 KiB, so 512 KiB as base64, half of the
# ~1 MiB Claude Desktop is reported to accept in one tool result, and small enough that no single
# postMessage/JSON.parse freezes the view. A multiple of 3 bytes: the parts' base64 strings join
# into one valid string (the view's data: URL fallback, for hosts whose CSP refuses blob: media).
STUDIO_CHUNK_BYTES = 3 * 128 * 1024
# The largest video the view plays from a data: URL (memo §3.4: a 31 MB one loaded in 3-6 s); past
# it, a host that refuses blob: media gets the file's path instead of a frozen view.
STUDIO_DATA_URL_MAX_BYTES = 32 * 1024 * 1024
# Partial drop-in uploads on disk (our choice): one per project (a new one replaces it), at most this
# many on a server at once, removed after this long without a chunk (a closed view never finishes).
STUDIO_PARTIAL_UPLOADS_MAX = 8
STUDIO_PARTIAL_UPLOAD_IDLE_S = 15 * 60
# The view asks `job` again after at most this long, so the phase it shows is never older than this.
STUDIO_JOB_POLL_S = 1.0

# --- streamable HTTP: who may call (CONTRACT.md "Streamable HTTP: who may call"; our numbers) ---
DEFAULT_HTTP_PORT = 8765
# A generated bearer token: 32 random bytes (256 bits, `secrets.token_urlsafe`), well past the
# 128 bits OWASP asks of a session secret.
HTTP_TOKEN_BYTES = 32
# A token someone chose (a file, KLING_HTTP_TOKEN, a --tokens-file line) must be at least this long:
# 24 URL-safe characters carry ~144 bits when random; a shorter one is more likely a password.
MIN_HTTP_TOKEN_CHARS = 24
# Open streams (a tool call's SSE answer, a client's standing GET stream) get this long to finish
# after SIGTERM; then they are cut. Jobs never wait on them: they are saved and resumed by the next server.
HTTP_SHUTDOWN_GRACE_S = 5.0
# OAuth resource-server mode (RFC 7519 / 9068 access tokens checked against the issuer's JWKS).
OAUTH_CLOCK_LEEWAY_S = 60  # clock skew tolerated on exp/nbf/iat: a minute, as most IdP SDKs allow
OAUTH_METADATA_TIMEOUT_S = 10.0  # the issuer's metadata and JWKS requests
# A token signed with a key id we do not know makes us re-read the JWKS (the issuer rotated its
# keys), but at most this often: a stream of forged key ids must not turn into requests to the issuer.
JWKS_REFETCH_MIN_S = 60.0
# A principal named after an OAuth subject: a readable prefix of the subject plus a hash of
# (issuer, subject), so two subjects that read the same after cleaning never share projects.
OAUTH_PRINCIPAL_PREFIX_CHARS = 40
OAUTH_PRINCIPAL_HASH_CHARS = 12
