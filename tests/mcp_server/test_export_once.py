"""Never render the same timeline twice: an unchanged timeline's export is the MP4 already made."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from kling_ai_30.local import LocalBackend

from .conftest import text_of

pytestmark = pytest.mark.anyio


def renders(backend: LocalBackend) -> int:
    return sum(1 for r in backend.store.requests() if r.path == "/api/render/proxy/lambda" and r.method == "POST")


async def generated(mcp: Client) -> Path:
    made = await mcp.call_tool("generate", {"message": "generate a 5-second video of a lantern", "wait_seconds": 60})
    data = made.structured_content or {}
    assert data.get("status") == "done" and data["export"] is not None, text_of(made)
    return Path(data["export"]["path"])


async def test_generate_then_export_makes_one_render_and_one_file(mcp: Client, backend: LocalBackend) -> None:
    first = await generated(mcp)
    again = await mcp.call_tool("export", {"wait_seconds": 60})
    data = again.structured_content or {}
    assert data["status"] == "done" and data["export"]["path"] == str(first)
    assert "Already exported" in text_of(again) and str(first) in text_of(again)
    assert renders(backend) == 1 and len(list(first.parent.glob("*.mp4"))) == 1


async def test_a_new_render_is_made_when_asked_for_or_when_the_timeline_changed_or_the_file_is_gone(
    mcp: Client, backend: LocalBackend
) -> None:
    first = await generated(mcp)
    forced = (await mcp.call_tool("export", {"wait_seconds": 60, "new_render": True})).structured_content or {}
    assert forced["export"]["path"] != str(first) and renders(backend) == 2
    edited = await mcp.call_tool("generate", {"message": 'add the title "Night"', "wait_seconds": 60})
    assert (edited.structured_content or {}).get("status") == "done"
    changed = (await mcp.call_tool("export", {"wait_seconds": 60})).structured_content or {}
    assert "Already exported" not in changed["message"]
    assert renders(backend) == 3  # a changed timeline is rendered
    Path(changed["export"]["path"]).unlink()
    redone = (await mcp.call_tool("export", {"wait_seconds": 60})).structured_content or {}
    assert redone["status"] == "done" and Path(redone["export"]["path"]).is_file() and renders(backend) == 4


async def test_an_unchanged_timeline_asked_into_another_folder_is_copied_not_rendered(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    first = await generated(mcp)
    other = tmp_path / "elsewhere"
    copied = (await mcp.call_tool("export", {"output_dir": str(other), "wait_seconds": 60})).structured_content or {}
    path = Path(copied["export"]["path"])
    assert path.parent == other and path.read_bytes() == first.read_bytes() and renders(backend) == 1


async def test_a_copy_into_a_folder_that_has_the_name_comes_whole_beside_it_and_leaves_nothing_else(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    first = await generated(mcp)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / first.name).write_bytes(b"the user's own file")
    copied = (await mcp.call_tool("export", {"output_dir": str(other), "wait_seconds": 60})).structured_content or {}
    path = Path(copied["export"]["path"])
    assert path == other / f"{first.stem} (2){first.suffix}" and path.read_bytes() == first.read_bytes()
    assert (other / first.name).read_bytes() == b"the user's own file"
    assert sorted(p.name for p in other.iterdir()) == sorted([first.name, path.name]) and renders(backend) == 1
