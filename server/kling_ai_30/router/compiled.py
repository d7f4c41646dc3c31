"""The grammar for this process: compiled from the tables, or read back from a cache file.

Compiling the tables costs ~0.1 s of CPU, nearly all of it in :mod:`re` turning a few large
patterns into the regex engine's code; a long-lived server pays it once, but ``kling-ai-30 route``
would pay it on every run (the command's start-up target is 2x a bare ``python -c "import yaml"``).
So the command asks :func:`use_cache_dir` to keep the compiled grammar in a file: the engine code
of every pattern (what ``re`` would rebuild) and the plain tables, in :mod:`marshal` format, keyed
by the tables' bytes, the Python version and the regex engine's version. Any mismatch, damage or
unreadable file means compiling again; the cache only ever saves time.

The engine code comes from ``re._parser`` / ``re._compiler`` and goes back in through
``_sre.compile``, the same three steps ``re.compile`` takes. They are CPython internals, which is
why the key holds the exact interpreter version and ``_sre.MAGIC``, why the read-back is checked
against a fresh compile in the tests, and why any error on the way falls back to ``re.compile``.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]  # CPython's regex engine, which re itself drives
import contextlib
import dataclasses
import marshal
import os
import re
import sys
import zlib
from typing import Any

from .grammar import Grammar, Role
from .learned import Model

__all__ = ["cache_file", "grammar", "use_cache_dir"]

_FORMAT = 1  # bump when the encoding below changes
_SOURCES = ("intents.yaml", "learned.json", "tables.py", "grammar.py", "spelling.py", "learned.py", "compiled.py")
_grammar: Grammar | None = None


def grammar() -> Grammar:
    """The compiled tables (the first call compiles them, unless a cache was read)."""
    global _grammar
    if _grammar is None:
        from .tables import compile_tables, load_tables

        _grammar = compile_tables(load_tables())
    return _grammar


def use_cache_dir(directory: str) -> Grammar:
    """Load the grammar from the cache in ``directory``, or compile it and write the cache there."""
    global _grammar
    if _grammar is not None:
        return _grammar
    path = cache_file(directory)
    with contextlib.suppress(Exception):  # any unreadable, stale or foreign file: compile again
        with open(path, "rb") as cached:
            _grammar = _decode(marshal.loads(cached.read()))
        return _grammar
    _grammar = grammar()
    with contextlib.suppress(OSError, ValueError):
        _write(path, marshal.dumps(_encode(_grammar)))
    return _grammar


def cache_file(directory: str) -> str:
    """Where the cache for these tables and this interpreter lives (paths as strings: importing
    pathlib would cost the command more than the whole cache lookup)."""
    here = os.path.dirname(__file__)
    key = f"{_FORMAT} {sys.implementation.cache_tag} {sys.version} {_sre.MAGIC}".encode()
    checksum = zlib.crc32(key)
    for name in _SOURCES:  # the tables and the code that compiles them
        with open(os.path.join(here, name), "rb") as source:
            data = source.read()
        checksum = zlib.crc32(data, checksum)
        key += b" %d" % len(data)
    return os.path.join(directory, f"router-grammar-{checksum:08x}-{zlib.adler32(key):08x}.marshal")


def _write(path: str, data: bytes) -> None:
    import tempfile  # only when writing: it pulls in shutil and the compression modules

    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".router-grammar-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temp, path)  # readers see the old file or the whole new one
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


# ------------------------------------------------------------------ encoding

_PATTERN, _ROLE, _MODEL = "\x00re", "\x00role", "\x00model"


def _encode(value: Any) -> Any:
    if isinstance(value, Grammar):
        return {field.name: _encode(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, re.Pattern):
        return (_PATTERN, *_engine_code(value))
    if isinstance(value, Role):
        return (_ROLE, value.value)
    if isinstance(value, Model):
        return (_MODEL, value.labels, value.prior, value.weights)
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_encode(item) for item in value)
    return value  # str, int, bool, frozenset of str: marshal keeps them as they are


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "triggers" in value:
        return Grammar(**{key: _decode(item) for key, item in value.items()})
    if isinstance(value, tuple) and value and value[0] == _PATTERN:
        return _from_engine_code(*value[1:])
    if isinstance(value, tuple) and value and value[0] == _ROLE:
        return Role(value[1])
    if isinstance(value, tuple) and value and value[0] == _MODEL:
        return Model(*value[1:])
    if isinstance(value, dict):
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_decode(item) for item in value)
    return value


def _engine_code(pattern: re.Pattern[str]) -> tuple[Any, ...]:
    """What ``re.compile(pattern.pattern, pattern.flags)`` hands to ``_sre.compile``."""
    from re import _compiler, _parser  # type: ignore[attr-defined]

    parsed = _parser.parse(pattern.pattern, pattern.flags)
    code = _compiler._code(parsed, pattern.flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    flags = pattern.flags | parsed.state.flags
    code = [int(op) for op in code]  # opcodes are int subclasses, which marshal refuses
    return pattern.pattern, flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup)


def _from_engine_code(
    source: str, flags: int, code: list[int], groups: int, groupindex: dict[str, int], indexgroup: tuple[Any, ...]
) -> re.Pattern[str]:
    compiled: re.Pattern[str] = _sre.compile(source, flags, code, groups, groupindex, indexgroup)
    return compiled
