"""The compiled grammar and its cache file: the cache only ever saves time, never changes a route."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from kling_ai_30.router import compiled
from kling_ai_30.router.grammar import Grammar
from kling_ai_30.router.tables import compile_tables, load_tables


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Grammar:
    """A freshly compiled grammar, with the process-wide one forgotten for the test."""
    monkeypatch.setattr(compiled, "_grammar", None)
    return compile_tables(load_tables())


def _same(a: object, b: object) -> bool:
    if isinstance(a, re.Pattern) and isinstance(b, re.Pattern):
        return (a.pattern, a.flags, a.groupindex) == (b.pattern, b.flags, b.groupindex)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def test_a_grammar_read_back_from_the_cache_equals_a_fresh_compile(fresh: Grammar, tmp_path: Path) -> None:
    written = compiled.use_cache_dir(str(tmp_path))
    assert Path(compiled.cache_file(str(tmp_path))).is_file()
    compiled._grammar = None
    read = compiled.use_cache_dir(str(tmp_path))
    assert read is not written  # it really came from the file
    for field in dataclasses.fields(Grammar):
        assert _same(getattr(read, field.name), getattr(fresh, field.name)), field.name


def test_patterns_from_the_cache_match_what_re_compile_matches(fresh: Grammar, tmp_path: Path) -> None:
    compiled.use_cache_dir(str(tmp_path))
    compiled._grammar = None
    read = compiled.use_cache_dir(str(tmp_path))
    texts = ["export the video", "导出吧，然后加字幕", "how many credits do I have", "show tracks and status"]
    for text in texts:
        got = [(m.span(), m.lastgroup) for m in read.triggers.finditer(text)]
        want = [(m.span(), m.lastgroup) for m in fresh.triggers.finditer(text)]
        assert got == want
        assert [m.span() for m in read.splitter.finditer(text)] == [m.span() for m in fresh.splitter.finditer(text)]


def test_a_damaged_cache_file_is_compiled_again_and_replaced(fresh: Grammar, tmp_path: Path) -> None:
    path = Path(compiled.cache_file(str(tmp_path)))
    path.write_bytes(b"not a grammar")
    grammar = compiled.use_cache_dir(str(tmp_path))
    assert _same(grammar.triggers, fresh.triggers)
    assert path.read_bytes() != b"not a grammar"


def test_an_unwritable_cache_directory_still_routes(fresh: Grammar, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache directory should be")
    grammar = compiled.use_cache_dir(str(blocker / "cache"))
    assert _same(grammar.triggers, fresh.triggers)


def test_the_cache_key_changes_with_the_interpreter_and_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    before = compiled.cache_file("/x")
    monkeypatch.setattr(compiled.sys, "version", "another interpreter")
    assert compiled.cache_file("/x") != before
