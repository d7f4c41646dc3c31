"""The Tasks extension on the SDK's extension API: three methods and one ``tools/call`` interceptor.

- ``generate`` and ``export`` are task-eligible. Called as a task (``negotiation``), the tool does
  what it always does — route, check, start the job — but does not wait (``ToolCall.follow``); the
  interceptor turns its ``running`` result into the task handle. A result that is not a started
  job goes back as it is: answered at once (credits, status), refused, failed, or a project busy
  with another request (nothing of this one was sent, and the caller must hear that now).
- ``tasks/get`` reads the job, resuming it first when a server that is gone left it running — which
  is how a task created before a restart still completes (``Workspace.job``).
- ``tasks/cancel`` stops the job only where that loses and costs nothing (``jobs.cancel``), and
  always acknowledges: the spec makes cancelling cooperative.
- ``tasks/update`` has nothing to answer (no task here ever waits for input) beyond checking the id.

A wrong secret and an unknown id get the same error, so a task id cannot be guessed a piece at a time.
``upload`` stays an ordinary call: it is one request, not a job, and over in seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.extension import Extension, MethodBinding
from mcp.server.mcpserver.server import require_client_extension
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolRequestParams, CallToolResult
from mcp_types import INTERNAL_ERROR, INVALID_PARAMS, RequestParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import Field, ValidationError

from ...errors import KlingError
from ...workspace.outcome import JobResult, Outcome
from ...workspace.projects import ProjectRef
from ..host import workspace_of
from ..tool_call import request_principal, with_notices
from .negotiation import TASKS_EXTENSION, becomes_task, is_task_call
from .task import Task, is_task_of, job_id_in, task_of

if TYPE_CHECKING:
    from ...jobs.job import Job
    from ...workspace.workspace import Workspace

NOT_FOUND = "Failed to retrieve task: Task not found"


class TaskParams(RequestParams):
    """``tasks/get`` and ``tasks/cancel`` params (``taskId``)."""

    task_id: str = Field(min_length=1, max_length=200)


class UpdateTaskParams(TaskParams):
    """``tasks/update`` params; the input responses are never needed here."""

    input_responses: dict[str, Any] = Field(default_factory=dict)


class TasksExtension(Extension):
    identifier = TASKS_EXTENSION

    def settings(self) -> dict[str, Any]:
        return {}  # "an empty object indicates support"; the official client reads anything else as no tasks

    def methods(self) -> Sequence[MethodBinding]:
        modern = frozenset(MODERN_PROTOCOL_VERSIONS)  # tasks/* do not exist on the 2025-11-25 wire
        return [
            MethodBinding("tasks/get", TaskParams, self._get, protocol_versions=modern),
            MethodBinding("tasks/update", UpdateTaskParams, self._update, protocol_versions=modern),
            MethodBinding("tasks/cancel", TaskParams, self._cancel, protocol_versions=modern),
        ]

    async def intercept_tool_call(
        self, params: CallToolRequestParams, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        result = await call_next(ctx)
        if not is_task_call(ctx):  # the same rule the tool went by (``ToolCall.follow``)
            return result
        job_id = _started_job(result)
        if job_id is None:
            return result
        job = (await _workspace(ctx)).saved_job(job_id, request_principal(ctx))
        if job is None or job.task_secret is None:
            return result
        # The job was saved with its secret before it started, so tasks/get resolves this id already.
        return task_of(Outcome(job=job)).as_handle()

    async def _get(self, ctx: ServerRequestContext[Any, Any], params: TaskParams) -> Task:
        workspace, job = await self._find(ctx, params.task_id)
        project = ProjectRef(job.principal, job.project)

        def told(message: str) -> str:
            return with_notices(workspace.notices(project), message)

        return task_of(await _resumed(workspace, job), told)

    async def _update(self, ctx: ServerRequestContext[Any, Any], params: UpdateTaskParams) -> None:
        await self._find(ctx, params.task_id)

    async def _cancel(self, ctx: ServerRequestContext[Any, Any], params: TaskParams) -> None:
        workspace, job = await self._find(ctx, params.task_id)
        if not job.finished:
            # A job a server that is gone left running is picked up first: stopped here if it may be,
            # rather than resumed by the next tasks/get.
            workspace.cancel((await _resumed(workspace, job)).job.id, job.principal)

    async def _find(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> tuple[Workspace, Job]:
        """The caller's task's job as saved; the spec's -32602 when the id is unknown, expired, another
        principal's or its secret wrong — one answer for all, and nothing done before the secret matched."""
        require_client_extension(ctx, TASKS_EXTENSION)
        workspace = await _workspace(ctx)
        job = workspace.saved_job(job_id_in(task_id), request_principal(ctx))
        if job is None or not is_task_of(task_id, job):
            raise MCPError(code=INVALID_PARAMS, message=NOT_FOUND)
        return workspace, job


async def _resumed(workspace: Workspace, job: Job) -> Outcome:
    """``job``, resumed when a server that is gone left it running (``Workspace.job``). One that another
    live server runs is read as saved: that server finishes it, and the next poll sees its progress."""
    try:
        return await workspace.job(job.id, job.principal)
    except KlingError:
        return Outcome(job=job)


async def _workspace(ctx: ServerRequestContext[Any, Any]) -> Workspace:
    try:
        return await workspace_of(ctx)
    except KlingError as exc:  # settings unusable: the same sentence every tool call gives
        raise MCPError(code=INTERNAL_ERROR, message=str(exc)) from None


def _started_job(result: HandlerResult) -> str | None:
    """The id of the job a tool result says is running, when that job is this call's own."""
    if not isinstance(result, CallToolResult) or result.is_error or result.structured_content is None:
        return None
    try:
        view = JobResult.model_validate(result.structured_content)
    except ValidationError:
        return None
    return view.job_id if becomes_task(view) else None
