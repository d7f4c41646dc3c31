"""Where the backend keeps its files, and how a `/cdn/...` URL maps to one of them.

Under the data directory: `cdn/` is served at `/cdn/` (uploads, generated media, renders),
`cache/` holds synthesised media for reuse, `incoming/` holds multipart uploads while they stream in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


def cdn_root(data_dir: Path) -> Path:
    """Directory whose files are served under /cdn/."""
    return data_dir / "cdn"


def cdn_rel_path(url: str) -> str | None:
    """The part after `/cdn/` of one of this backend's media URLs (any host), else None."""
    path = urlsplit(url).path if "://" in url else url
    if not path.startswith("/cdn/"):
        return None
    rel = unquote(path[len("/cdn/") :])
    if not rel or any(part in ("", ".", "..") for part in rel.split("/")):
        return None
    return rel


@dataclass(frozen=True)
class MediaFiles:
    """The file areas under one data directory."""

    data_dir: Path

    @property
    def cdn_root(self) -> Path:
        return cdn_root(self.data_dir)

    @property
    def cache_dir(self) -> Path:
        """Synthesised media by content key (the synthesisers are deterministic)."""
        return self.data_dir / "cache"

    @property
    def incoming_dir(self) -> Path:
        """Multipart uploads being received, one folder per request."""
        return self.data_dir / "incoming"

    def resolve(self, url: str) -> Path | None:
        """The local file behind one of this backend's `/cdn/...` URLs (any host), or None."""
        rel = cdn_rel_path(url)
        if rel is None:
            return None
        path = (self.cdn_root / rel).resolve()
        root = self.cdn_root.resolve()
        if root not in path.parents or not path.is_file():
            return None
        return path
