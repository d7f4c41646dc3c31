"""Local checks before any upload: nothing is sent for a file the backend would refuse.

The skill text lists the formats and the 200 MB limit; we also refuse what is not a regular
readable file, and content that does not match its extension (a PNG named ``.jpg``, a text
file named ``.mp4``): the backend would fail on it later, after the credits are spent.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import FileTooLargeError, InputError, UnsupportedFileError, supported_formats_text
from ..policy import (
    AUDIO_EXTENSIONS,
    IMAGE_EXTENSIONS,
    MAX_UPLOAD_BYTES,
    SUPPORTED_EXTENSIONS,
    VIDEO_EXTENSIONS,
)

_MIME = {
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "avi": "video/x-msvideo",
    "webm": "video/webm",
    "mkv": "video/x-matroska",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "m4a": "audio/mp4",
    "aac": "audio/aac",
}
# The container each extension must hold; several extensions share one.
_CONTAINER_OF = {
    "mp4": "iso-bmff",
    "mov": "iso-bmff",
    "m4a": "iso-bmff",
    "avi": "avi",
    "webm": "matroska",
    "mkv": "matroska",
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "mp3": "mp3",
    "wav": "wav",
    "aac": "aac",
}
_CONTAINER_NAMES = {
    "iso-bmff": "MP4/MOV",
    "avi": "AVI",
    "matroska": "WebM/MKV",
    "jpeg": "JPEG",
    "png": "PNG",
    "gif": "GIF",
    "webp": "WebP",
    "mp3": "MP3",
    "wav": "WAV",
    "aac": "AAC",
}
_SUGGESTED_EXTENSION = {
    "iso-bmff": "mp4",
    "avi": "avi",
    "matroska": "mkv",
    "jpeg": "jpg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
    "mp3": "mp3",
    "wav": "wav",
    "aac": "aac",
}
_HEADER_BYTES = 16


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed the local checks."""

    path: Path
    size: int
    extension: str
    mime_type: str

    @property
    def kind(self) -> str:
        if self.extension in VIDEO_EXTENSIONS:
            return "video"
        if self.extension in IMAGE_EXTENSIONS:
            return "image"
        return "audio" if self.extension in AUDIO_EXTENSIONS else "file"


def check_upload_file(raw_path: str | os.PathLike[str], *, max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedFile:
    """Validate a local file for upload, or raise an ``InputError`` that names the fix."""
    text = os.fspath(raw_path)
    if not text.strip():
        raise InputError("No file path was given: pass the absolute path of the image, video or audio file.")
    if "\x00" in text:
        raise InputError("The file path contains a NUL character: pass a plain file path.")
    path = Path(text).expanduser()
    if not path.is_absolute():
        # MCP hosts start servers in / or a cache dir, so a relative path means nothing there.
        path = Path.cwd() / path
    shown = _shown(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InputError(f"{shown} does not exist: check the path (use an absolute path).") from None
    except PermissionError:
        raise InputError(f"{shown} cannot be accessed: check the permissions of its folder.") from None
    except OSError as exc:
        raise InputError(f"{shown} cannot be read ({exc.strerror}): check the path.") from None
    if stat.S_ISLNK(info.st_mode):
        target = path.resolve()
        raise InputError(f"{shown} is a symbolic link: pass the real file instead ({_shown(target)}).")
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{shown} is a folder: pass one file inside it (an image, video or audio file).")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{shown} is not a regular file (a device, pipe or socket): pass an image, video or audio file."
        )
    extension = path.suffix.lower().lstrip(".")
    _check_name_and_size(shown, extension, info.st_size, max_bytes)
    try:
        with open(path, "rb") as handle:
            header = handle.read(_HEADER_BYTES)
    except PermissionError:
        raise InputError(f"{shown} is not readable: check its permissions (chmod u+r).") from None
    except OSError as exc:
        raise InputError(f"{shown} cannot be read ({exc.strerror}).") from None
    _check_content(shown, extension, header)
    return CheckedFile(path=path, size=info.st_size, extension=extension, mime_type=_MIME[extension])


def check_upload_start(name: str, size: int, header: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """``check_upload_file``'s checks for a file that arrives in pieces (the studio's drop-in upload),
    before any of it is kept: its ``name``, declared ``size`` and first bytes. Returns the extension."""
    extension = Path(name).suffix.lower().lstrip(".")
    shown = _shown(Path(name))
    _check_name_and_size(shown, extension, size, max_bytes)
    _check_content(shown, extension, header[:_HEADER_BYTES])
    return extension


def _check_name_and_size(shown: str, extension: str, size: int, max_bytes: int) -> None:
    if not extension:
        raise UnsupportedFileError(
            f"{shown} has no file extension, so its type is unknown: rename it with one of {supported_formats_text()}."
        )
    if extension not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileError(
            f".{extension} files are not supported. Supported formats: {supported_formats_text()}."
        )
    if size <= 0:
        raise InputError(f"{shown} is empty (0 bytes): export or save the file again and retry.")
    if size > max_bytes:
        size_mb = size / (1024 * 1024)
        raise FileTooLargeError(
            f"{shown} is {size_mb:.0f} MB; the limit is {max_bytes // (1024 * 1024)} MB. Compress it or trim it to a "
            "shorter clip and try again."
        )


def _check_content(shown: str, extension: str, header: bytes) -> None:
    expected = _CONTAINER_OF[extension]
    found = sniff_container(header)
    if found != expected:
        if found is None:
            raise UnsupportedFileError(
                f"{shown} does not contain {_CONTAINER_NAMES[expected]} data although it is named .{extension}: "
                "it may be damaged or another kind of file. Export it again as a supported format."
            )
        raise UnsupportedFileError(
            f"{shown} contains {_CONTAINER_NAMES[found]} data but is named .{extension}: rename it to "
            f".{_SUGGESTED_EXTENSION[found]} and upload it again."
        )


def sniff_container(header: bytes) -> str | None:
    """The container family a file's first bytes announce, or None."""
    if len(header) >= 8 and header[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "iso-bmff"
    if header.startswith(b"RIFF") and len(header) >= 12:
        return {b"AVI ": "avi", b"WAVE": "wav", b"WEBP": "webp"}.get(header[8:12])
    if header.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if header.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if header.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if header.startswith(b"ID3"):
        return "mp3"
    if header.startswith(b"ADIF"):
        return "aac"
    if len(header) >= 2 and header[0] == 0xFF:
        # MPEG audio frame sync: ADTS (AAC) has layer bits 00, MP3 has layer bits != 00.
        if header[1] & 0xF6 == 0xF0:
            return "aac"
        if header[1] & 0xE0 == 0xE0:
            return "mp3"
    return None


def check_media_url(url: str) -> str:
    """Validate a media URL for upload-by-URL, or raise an ``InputError`` that names the fix."""
    cleaned = url.strip()
    if not cleaned:
        raise InputError("No URL was given: pass an http(s) link to an image, video or audio file.")
    if any(ch.isspace() for ch in cleaned) or any(ord(ch) < 32 for ch in cleaned):
        raise InputError("The URL contains spaces or control characters: pass the link exactly as copied.")
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in ("http", "https"):
        shown_scheme = parts.scheme or "none"
        raise InputError(f"Only http:// and https:// links can be uploaded (got scheme {shown_scheme!r}).")
    if not parts.hostname:
        raise InputError("The URL has no host name: pass a full link such as https://example.com/clip.mp4.")
    if parts.username or parts.password:
        raise InputError(
            "The URL contains a user name or password: remove the credentials (links must be public) and try again."
        )
    if len(cleaned) > 2048:
        raise InputError("The URL is longer than 2048 characters: use a shorter link to the file.")
    extension = parts.path.rsplit(".", 1)[-1].lower() if "." in parts.path.rsplit("/", 1)[-1] else ""
    if extension and extension not in SUPPORTED_EXTENSIONS and len(extension) <= 5:
        raise UnsupportedFileError(
            f".{extension} links are not supported. Supported formats: {supported_formats_text()}."
        )
    return cleaned


def _shown(path: Path) -> str:
    text = str(path)
    return repr(text if len(text) <= 200 else "…" + text[-199:])
