"""The skill's actions over one backend client, shared by the MCP server and the command line.

- ``workspace``: ``Workspace``, the lifetime (task group, client) and the actions (§3.1-§3.5);
- ``runner``: the plan interpreter, carrying out a job's steps in order (and picking them up);
- ``export``: one export, state -> render -> poll -> download;
- ``outcome``: what a request came to, and its one reading for both front ends (``JobResult``);
- ``project`` / ``projects``: an open project, and the saved ones; ``project_lock``: one message
  at a time per project across processes; ``backend_state``: one folder per backend;
  ``output_folder``: where videos go, checked before any render.
"""
