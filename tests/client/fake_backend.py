"""A scripted stand-in for the backend, for client tests that need exact control of each answer.

Most client tests run against the real local backend; this one is for sequences the local backend
does not produce on demand (a 5xx then a success, a 400 on the token call, odd envelopes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Responder = Callable[[httpx.Request], httpx.Response]


def ok(data: Any) -> httpx.Response:
    return httpx.Response(200, json={"code": 0, "data": data})


def fail(code: int, message: str = "error", status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"code": code, "message": message, "data": None})


@dataclass
class FakeBackend:
    """Routes by (method, path prefix); queued one-shot answers win over the standing ones."""

    tokens_issued: int = 0
    sessions_created: int = 0
    requests: list[httpx.Request] = field(default_factory=list)
    queued: dict[tuple[str, str], list[Responder | httpx.Response]] = field(default_factory=dict)

    def queue(self, method: str, path: str, *answers: Responder | httpx.Response) -> None:
        self.queued.setdefault((method, path), []).extend(answers)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for (method, prefix), answers in self.queued.items():
            if request.method == method and request.url.path.startswith(prefix) and answers:
                answer = answers.pop(0)
                return answer if isinstance(answer, httpx.Response) else answer(request)
        return self.standing(request)

    def standing(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/auth/anonymous-token":
            if "x-client-id" not in request.headers:
                return fail(400, "Missing X-Client-Id header", status=400)
            self.tokens_issued += 1
            return ok(
                {
                    "token": f"nmv_usr_fake{self.tokens_issued:04d}",
                    "user_id": "anon_fakeuser",
                    "expires_at": "2099-01-01T00:00:00Z",
                    "credits": 100,
                }
            )
        if path.startswith("/api/tasks/me/with-session/"):
            self.sessions_created += 1
            body = json.loads(request.content)
            return ok(
                {
                    "task_id": f"task_{self.sessions_created}",
                    "session_id": f"{1000 + self.sessions_created}",
                    "user_id": "anon_fakeuser",
                    "echo": body,
                }
            )
        if path == "/api/credits/balance/simple":
            return ok({"available": 90, "frozen": 10, "total": 100})
        if path.startswith("/api/state/"):
            return ok({"session_id": path.split("/")[5], "state": {"draft": {"t": []}, "video_infos": []}})
        return httpx.Response(404, json={"detail": "Not Found"})

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]
