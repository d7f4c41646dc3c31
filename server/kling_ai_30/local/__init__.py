"""The local NemoVideo-compatible backend: HTTP app, rule-based agent, renderer, faults and a loopback runner.

    from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread

    with LocalBackend(SimConfig(generation_seconds=0.2)) as backend, run_in_thread(backend) as url:
        ...  # talk to `url` like the real mega-api; steer failures with `backend.faults`

It never imports the client package: it must not agree with the client by accident.

The parts, grouped by the role they play, each depending only on the groups listed before it:

- `state/`: what the backend remembers and how it misbehaves on demand. `config` (the settings
  model) and `live_config` (the settings in force), `store` over its `records` (users, tokens,
  sessions, credits, renders, the request log), kept on disk as a `snapshot` in a `shared_file`
  when the backend is persistent (`presence` tells which backends over that folder still run),
  `clock`, `faults` with their JSON form `fault_spec`.
- `media/`: files in and out. `files` (where they live, `/cdn/` URLs), `intake`, `multipart` and
  `probe` (uploads), `synthesis` with `backdrop/` and `music` (generated stills and loops, seeded by
  `prompts`), `render/` (draft to MP4; `fonts` for its text) and `render_queue` (renders on worker
  threads, reporting into the store).
- `agent/`: what the agent makes of a message and the run that carries it out. `interpret` (with
  `edit_rules` and `lexicon`) reads a message into an `intent`; `plan` decides the replies and tool
  calls, editing the `draft` and wording `replies`; `run` executes a plan on its own thread, sending
  `events` through a `channel`; `runs` tracks the runs in flight.
- `http/`: the ASGI `app` and its routes (`accounts`, `run_sse` with its `sse` response, `uploads`,
  `renders`, `cdn`, `admin`), the shared envelopes in `wire`, the request log and HTTP faults in
  `middleware`, and `server`, the uvicorn runner.
- `backend`: :class:`LocalBackend` builds the parts and hands each only the few others it uses (the
  store, the faults, the settings, the files, the runs or the render queue), never itself.

Why this cut: the groups are the three things the real backend is (a web API, an agent, a media
pipeline) plus the memory they share, and the dependencies run one way (http → agent → media →
state; a test keeps it so), so each group can be read, and tested, without the groups that use it.
"""

from __future__ import annotations

from kling_ai_30.local.backend import LocalBackend, RegisteredUser
from kling_ai_30.local.http.server import run_in_thread, serve
from kling_ai_30.local.state.config import Costs, SimConfig
from kling_ai_30.local.state.fault_spec import FaultSpec
from kling_ai_30.local.state.faults import Faults

__all__ = [
    "Costs",
    "FaultSpec",
    "Faults",
    "LocalBackend",
    "RegisteredUser",
    "SimConfig",
    "run_in_thread",
    "serve",
]
