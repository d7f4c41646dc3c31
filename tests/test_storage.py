"""Atomic, private persistence; corrupt files set aside."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from kling_ai_30.storage import (
    atomic_write_json,
    ensure_private_dir,
    load_json,
    set_aside,
    set_aside_copies,
    sweep_temporary,
)


def test_writes_are_private_and_leave_no_temporary_files(tmp_path: Path) -> None:
    target = tmp_path / "state" / "jobs.json"
    atomic_write_json(target, {"a": 1})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": 1}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["jobs.json"]


def test_a_rewrite_replaces_the_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "x.json"
    atomic_write_json(target, {"long": "x" * 1000})
    atomic_write_json(target, {"short": 1})
    assert load_json(target).value == {"short": 1}


def test_a_missing_file_reads_as_nothing(tmp_path: Path) -> None:
    loaded = load_json(tmp_path / "absent.json")
    assert loaded.value is None and loaded.set_aside is None


def test_a_half_written_file_is_set_aside_and_reported(tmp_path: Path) -> None:
    target = tmp_path / "jobs.json"
    target.write_text('{"jobs": [1, 2', encoding="utf-8")
    loaded = load_json(target)
    assert loaded.value is None
    assert loaded.set_aside is not None and loaded.set_aside.exists()
    assert loaded.set_aside.read_text(encoding="utf-8") == '{"jobs": [1, 2'
    assert not target.exists()
    # The next read starts afresh instead of failing again.
    assert load_json(target).set_aside is None


def test_binary_garbage_is_set_aside_too(tmp_path: Path) -> None:
    target = tmp_path / "tokens.json"
    target.write_bytes(b"\xff\xfe\x00garbage")
    assert load_json(target).set_aside is not None


def test_private_dirs_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    folder.mkdir(mode=0o777)
    ensure_private_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_unreadable_file_is_reported_and_left_in_place(tmp_path: Path) -> None:
    blocked = tmp_path / "tokens.json"
    blocked.mkdir()  # a folder where the file should be: unreadable whatever the user's rights
    loaded = load_json(blocked)
    assert loaded.value is None and blocked.is_dir()
    problem = loaded.problem("The saved token")
    assert problem is not None and "could not be read" in problem and "permissions" in problem


def test_killed_writes_leftovers_are_swept_but_fresh_ones_kept(tmp_path: Path) -> None:
    import os
    import time

    old = tmp_path / ".jobs.json.abc.tmp"
    fresh = tmp_path / ".jobs.json.def.tmp"
    for leftover in (old, fresh):
        leftover.write_text("{", encoding="utf-8")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert sweep_temporary(tmp_path) == 1
    assert not old.exists() and fresh.exists()


def test_a_file_damaged_twice_in_one_second_keeps_both_set_aside_copies(tmp_path: Path) -> None:
    target = tmp_path / "client_id"
    target.write_text("first damage")
    first = set_aside(target)
    target.write_text("second damage")
    second = set_aside(target)
    assert first != second and not target.exists()
    assert (first.read_text(), second.read_text()) == ("first damage", "second damage")
    assert set_aside_copies(target) == sorted([first, second])
    assert set_aside_copies(tmp_path / "[odd] name") == []  # glob characters in a name are plain text
