"""The MCP Tasks extension (``io.modelcontextprotocol/tasks``, SEP-2663): ``generate`` and ``export``
called as tasks, each task one of the server's jobs.

- ``negotiation``: whether a request may be answered with a task;
- ``task``: the wire ``Task`` and a job read as one (its id, status, status line and result);
- ``extension``: the SDK extension: ``tasks/get``, ``tasks/update``, ``tasks/cancel`` and the
  ``tools/call`` interceptor that turns a started job into a task handle.

Nothing is imported here: ``tool_call`` needs ``negotiation`` while ``extension`` needs ``tool_call``.
"""
