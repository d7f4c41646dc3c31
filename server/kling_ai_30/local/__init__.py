"""The local NemoVideo-compatible backend: HTTP app, rule-based agent, faults and a loopback runner.

    from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread

    with LocalBackend(SimConfig(generation_seconds=0.2)) as backend, run_in_thread(backend) as url:
        ...  # talk to `url` like the real mega-api; steer failures with `backend.faults`

It never imports the client package: it must not agree with the client by accident.
"""

from __future__ import annotations

from kling_ai_30.local.app import LocalBackend, RegisteredUser
from kling_ai_30.local.config import Costs, SimConfig
from kling_ai_30.local.faults import Faults, FaultSpec
from kling_ai_30.local.server import run_in_thread, serve

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
