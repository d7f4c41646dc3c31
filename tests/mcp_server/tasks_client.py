"""The Python SDK's ``Client`` as an MCP Tasks client, written from the ext-tasks spec (not from the
server's code, so a drift in the server's wire shapes fails here).

``TasksClient`` declares the extension on every 2026-07-28 request and claims ``resultType: "task"``:
``client.call_tool`` then polls ``tasks/get`` and returns the task's final ``CallToolResult``. The
request models send ``tasks/get``, ``tasks/update`` and ``tasks/cancel`` directly.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

import anyio
from mcp import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.client.session import ClientSession
from mcp.types import CallToolResult
from mcp_types import Request, RequestParams, Result

TASKS = "io.modelcontextprotocol/tasks"
TASK_ID = re.compile(r"(gen|exp)_[0-9a-f]{12}\.[A-Za-z0-9_-]{32}")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
POLL_S = 0.02  # the tests do not honour pollIntervalMs: they would only wait longer


class CreateTaskResult(Result):
    result_type: Literal["task"]
    task_id: str
    status: str
    status_message: str | None = None
    created_at: str
    last_updated_at: str
    ttl_ms: int | None
    poll_interval_ms: int | None = None


class GetTaskResult(Result):
    result_type: Literal["complete"]
    task_id: str
    status: Literal["working", "input_required", "completed", "failed", "cancelled"]
    status_message: str | None = None
    created_at: str
    last_updated_at: str
    ttl_ms: int | None
    poll_interval_ms: int | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class TaskIdParams(RequestParams):
    task_id: str


class UpdateTaskParams(TaskIdParams):
    input_responses: dict[str, Any]


class GetTask(Request[TaskIdParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    name_param: ClassVar[str] = "taskId"  # sent as Mcp-Name over HTTP, as the spec requires


class CancelTask(Request[TaskIdParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    name_param: ClassVar[str] = "taskId"


class UpdateTask(Request[UpdateTaskParams, Literal["tasks/update"]]):
    method: Literal["tasks/update"] = "tasks/update"
    name_param: ClassVar[str] = "taskId"


class EmptyAck(Result):
    result_type: Literal["complete"]


class TasksClient(ClientExtension):
    """Declares the extension and resolves task handles by polling; keeps every handle and status seen."""

    identifier = TASKS

    def __init__(self) -> None:
        self.handles: list[CreateTaskResult] = []
        self.seen: list[GetTaskResult] = []

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreateTaskResult, resolve=self._resolve)]

    async def _resolve(self, created: CreateTaskResult, ctx: ClaimContext) -> CallToolResult:
        self.handles.append(created)
        with anyio.fail_after(60):
            while True:
                task = await get_task_on(ctx.session, created.task_id)
                self.seen.append(task)
                if task.status == "completed":
                    assert task.result is not None
                    return CallToolResult.model_validate(task.result)
                if task.status != "working":
                    raise AssertionError(f"task ended {task.status}: {task.status_message}")
                await anyio.sleep(POLL_S)

    @property
    def status_lines(self) -> list[str]:
        return [task.status_message or "" for task in self.seen]


async def get_task(client: Client, task_id: str) -> GetTaskResult:
    return await get_task_on(client.session, task_id)


async def get_task_on(session: ClientSession, task_id: str) -> GetTaskResult:
    return await session.send_request(GetTask(params=TaskIdParams(task_id=task_id)), GetTaskResult)


async def cancel_task(client: Client, task_id: str) -> None:
    await client.session.send_request(CancelTask(params=TaskIdParams(task_id=task_id)), EmptyAck)


async def update_task(client: Client, task_id: str) -> None:
    params = UpdateTaskParams(task_id=task_id, input_responses={})
    await client.session.send_request(UpdateTask(params=params), EmptyAck)


async def start_task(client: Client, tool: str, arguments: dict[str, Any]) -> CreateTaskResult:
    """Call ``tool`` and return the raw task handle (the client must declare the extension)."""
    handle = await client.session.call_tool(tool, arguments, allow_claimed=True)
    assert isinstance(handle, CreateTaskResult), handle
    return handle


async def until_task(client: Client, task_id: str, done: Any, timeout: float = 30) -> GetTaskResult:
    """Poll ``tasks/get`` until ``done(task)`` holds; fails after ``timeout`` real seconds."""
    with anyio.fail_after(timeout):
        while True:
            task = await get_task(client, task_id)
            if done(task):
                return task
            await anyio.sleep(POLL_S)
