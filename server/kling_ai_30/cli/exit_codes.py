"""The command line's exit codes, and the one for a finished (or still running) job.

0 done; 1 the backend or the job failed, or the request was not sent because an earlier one is
still running; 2 bad input or configuration (as for a usage error), also when a job fails on it
(exporting an empty project); 3 a job is still running when ``--wait`` ran out; 130 interrupted.
"""

from __future__ import annotations

from .. import errors
from ..errors import ConfigError, InputError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_RUNNING = 3
EXIT_INTERRUPTED = 130


def exit_code_for(status: str, error_type: str | None) -> int:
    """A job result's exit code: 0 done, 3 still running, 2 refused input or settings, else 1."""
    if status == "running":
        return EXIT_RUNNING
    if status == "done":
        return EXIT_OK
    error = getattr(errors, error_type, None) if error_type else None
    refused = isinstance(error, type) and issubclass(error, InputError | ConfigError)
    return EXIT_USAGE if refused else EXIT_FAILED
