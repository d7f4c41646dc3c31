"""The settings in force: the :class:`~kling_ai_30.local.state.config.SimConfig` the backend started
with, changed while it runs.

Parts that only read settings get :meth:`LiveConfig.current` (a `Callable[[], SimConfig]`) and call
it each time they need a value, so a change made through `/_sim/config` or
:meth:`~kling_ai_30.local.backend.LocalBackend.configure` reaches a run that has already started.
"""

from __future__ import annotations

from typing import Any

from kling_ai_30.local.state.config import SimConfig


class LiveConfig:
    """The current settings; each change replaces the whole (validated) model at once."""

    def __init__(self, initial: SimConfig) -> None:
        self._initial = initial
        self._current = initial

    def current(self) -> SimConfig:
        return self._current

    def change(self, **changes: Any) -> SimConfig:
        """Change settings at run time (timings, vocabulary, poll shape, ...); where the state is kept is fixed."""
        fixed = sorted({"data_dir", "persistent"} & changes.keys())
        if fixed:
            raise ValueError(f"{', '.join(fixed)} cannot change while the backend runs")
        self._current = SimConfig.model_validate({**self._current.model_dump(), **changes})
        return self._current

    def restore(self) -> None:
        """Back to the settings the backend started with."""
        self._current = self._initial
