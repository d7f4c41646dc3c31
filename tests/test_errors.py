"""The one exception tree: every error raised on purpose is declared in errors.py and drawn in its docstring."""

from __future__ import annotations

import importlib
import pkgutil

import kling_ai_30
from kling_ai_30 import errors


def _subclasses(cls: type[BaseException]) -> set[type[BaseException]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def test_every_error_class_lives_in_errors_py_and_is_drawn_in_its_tree() -> None:
    for module in pkgutil.walk_packages(kling_ai_30.__path__, prefix="kling_ai_30."):
        if not module.name.endswith(".__main__"):  # running it would start the program
            importlib.import_module(module.name)
    tree = errors.__doc__ or ""
    for cls in _subclasses(errors.KlingError):
        assert cls.__module__ == "kling_ai_30.errors", f"{cls.__qualname__} is declared in {cls.__module__}"
        assert f"─ {cls.__name__} " in tree, f"{cls.__name__} is missing from the tree in errors.py"
