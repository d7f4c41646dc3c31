"""Generated media files: what a tool asks to be made (:class:`Produce`) and making it, with a cache.

The synthesisers (:mod:`~kling_ai_30.local.media.backdrop` stills, :mod:`~kling_ai_30.local.media.music`
loops) are deterministic, so an identical request reuses the earlier file; they are imported only when a
file is made, so the backend starts without NumPy or Pillow loaded.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Produce:
    """A media file the tool creates, at `rel_path` under the CDN root."""

    kind: Literal["backdrop", "music"]
    rel_path: str
    prompt: str
    width: int = 0
    height: int = 0
    seconds: float = 0.0


MediaMaker = Callable[[Produce, Path], None]


def make_media(item: Produce, path: Path) -> None:
    """Create a generated file with the synthesisers (imported lazily, so the backend starts fast)."""
    if item.kind == "backdrop":
        from kling_ai_30.local.media.backdrop.painter import make_backdrop

        make_backdrop(item.prompt, item.width, item.height, path)
    else:
        from kling_ai_30.local.media.music import make_music

        make_music(item.prompt, item.seconds, path)


def produce_cached(item: Produce, path: Path, cache_dir: Path, make: MediaMaker = make_media) -> None:
    """Make `item` at `path`, reusing an identical earlier result (the synthesisers are deterministic)."""
    key = hashlib.sha256(repr((item.kind, item.prompt, item.width, item.height, item.seconds)).encode()).hexdigest()
    cached = cache_dir / f"{key[:32]}{Path(item.rel_path).suffix}"
    if not cached.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        scratch = cache_dir / f".{uuid.uuid4().hex}{cached.suffix}"
        try:
            make(item, scratch)
            scratch.replace(cached)  # atomic: a concurrent run sees the whole file or none
        finally:
            scratch.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, path)
