"""The local NemoVideo-compatible backend: HTTP app, rule-based agent, faults and a loopback runner.

    from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread

    with LocalBackend(SimConfig(generation_seconds=0.2)) as backend, run_in_thread(backend) as url:
        ...  # talk to `url` like the real mega-api; steer failures with `backend.faults`

It never imports the client package: it must not agree with the client by accident.

The parts: `backend` (the object that owns everything) and `server` (loopback runner); the HTTP
side: `routes`, `uploads`, `admin`, `wire` (envelopes and errors), `middleware` (request log, HTTP
faults); state: `store`, `faults`, `config`; the chat: `stream` (the /run_sse run and its events),
`agent` (the plan for a message) with `intents`, `draft` and `replies`; media: `media` (intake and
probing), `render` and `render_queue` (draft to MP4), `backdrop`, `music` and `prompts` (generated
media; `synth` re-exports both), `fonts`.
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
