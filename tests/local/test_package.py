"""The package as others see it: its public names, what importing it costs, and what it never imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kling_ai_30.local

PACKAGE = Path(kling_ai_30.local.__file__).parent


def test_the_public_surface_is_the_backend_its_settings_its_faults_and_the_runner() -> None:
    assert sorted(kling_ai_30.local.__all__) == [
        "Costs",
        "FaultSpec",
        "Faults",
        "LocalBackend",
        "RegisteredUser",
        "SimConfig",
        "run_in_thread",
        "serve",
    ]
    assert all(hasattr(kling_ai_30.local, name) for name in kling_ai_30.local.__all__)


def test_importing_the_package_loads_no_media_library_so_the_backend_starts_fast() -> None:
    probe = "import sys, kling_ai_30.local; print(sorted({'numpy', 'PIL', 'av', 'cv2'} & set(sys.modules)))"

    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout

    assert loaded.strip() == "[]"


def test_no_module_imports_the_client_so_the_backend_cannot_agree_with_it_by_accident() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        package = ["kling_ai_30", *path.relative_to(PACKAGE.parent).parent.parts]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = ".".join(
                    [*package[: len(package) - node.level + 1], node.module or ""]
                    if node.level
                    else [node.module or ""]
                )
                names = [f"{base.rstrip('.')}.{alias.name}" for alias in node.names]
            else:
                continue
            if any(f"{name}.".startswith("kling_ai_30.client.") for name in names):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")

    assert offenders == []


# Which groups each group may import: the dependencies run one way, http -> agent -> media -> state.
ALLOWED = {
    "state": {"state"},
    "media": {"media", "state"},
    "agent": {"agent", "media", "state"},
    "http": {"http", "agent", "media", "state"},
}


def test_the_groups_depend_one_way_from_http_through_agent_and_media_to_state() -> None:
    crossings = []
    for group, allowed in ALLOWED.items():
        for path in sorted((PACKAGE / group).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                for name in names:
                    parts = name.split(".")
                    if parts[:2] == ["kling_ai_30", "local"] and len(parts) > 2 and parts[2] not in allowed:
                        crossings.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {name}")

    assert crossings == []
