"""Local checks before any upload: nothing is sent for a file the backend would refuse.

The skill text lists the formats and the 200 MB limit; we also refuse what is not a regular
readable file, and content that does not match its extension (a PNG named ``.jpg``, a text
file named ``.mp4``): the backend would fail on it later, after the credits are spent.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import os
import re
import socket
import stat
from collections.abc import Iterator
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


@dataclass(frozen=True)
class OpenedFile:
    """A file that passed the checks, held open: its bytes are read from ``fd``, never from the path
    again, so what is sent is what was checked even if the path changes meanwhile."""

    checked: CheckedFile
    fd: int


def check_upload_file(raw_path: str | os.PathLike[str], *, max_bytes: int = MAX_UPLOAD_BYTES) -> CheckedFile:
    """Validate a local file for upload, or raise an ``InputError`` that names the fix."""
    with open_upload(raw_path, max_bytes=max_bytes) as opened:
        return opened.checked


@contextlib.contextmanager
def open_upload(raw_path: str | os.PathLike[str], *, max_bytes: int = MAX_UPLOAD_BYTES) -> Iterator[OpenedFile]:
    """The file at ``raw_path`` opened once and checked through that descriptor; closed on exit.

    Its folder is resolved first (a symbolic link there is followed, so the checks and the messages
    name the real place), the file itself is opened without following a link (``O_NOFOLLOW``) and
    without waiting on a pipe (``O_NONBLOCK``), and every check after the first look reads the
    open descriptor: a file swapped for another, or for a link, after the look is never sent.
    """
    path = _real_folder(_absolute(raw_path))
    shown = _shown(path)
    info = _look(path, shown)
    extension = _check_name_and_size(path, shown, info.st_size, max_bytes)
    fd = _open_without_following(path, shown)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
            raise InputError(f"{shown} was replaced while it was being checked: upload it again.")
        _check_name_and_size(path, shown, opened.st_size, max_bytes)
        try:
            header = os.pread(fd, _HEADER_BYTES, 0)
        except OSError as exc:
            raise InputError(f"{shown} cannot be read ({exc.strerror}).") from None
        _check_content(shown, extension, header)
        yield OpenedFile(
            CheckedFile(path=path, size=opened.st_size, extension=extension, mime_type=_MIME[extension]), fd
        )
    finally:
        os.close(fd)


def check_upload_start(name: str, size: int, header: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """``check_upload_file``'s checks for a file that arrives in pieces (the studio's drop-in upload),
    before any of it is kept: its ``name``, declared ``size`` and first bytes. Returns the extension."""
    path = Path(name)
    shown = _shown(path)
    extension = _check_name_and_size(path, shown, size, max_bytes)
    _check_content(shown, extension, header[:_HEADER_BYTES])
    return extension


def _absolute(raw_path: str | os.PathLike[str]) -> Path:
    text = os.fspath(raw_path)
    if not text.strip():
        raise InputError("No file path was given: pass the absolute path of the image, video or audio file.")
    if "\x00" in text:
        raise InputError("The file path contains a NUL character: pass a plain file path.")
    path = Path(text).expanduser()
    if not path.is_absolute():
        # MCP hosts start servers in / or a cache dir, so a relative path means nothing there.
        path = Path.cwd() / path
    return path


def _real_folder(path: Path) -> Path:
    """``path`` with its folder resolved (links and ``..`` followed), its own name kept as given."""
    if path.name in ("", ".", ".."):
        return Path(os.path.realpath(path))
    return Path(os.path.realpath(path.parent)) / path.name


def _look(path: Path, shown: str) -> os.stat_result:
    """What is at ``path`` (not following a link), refused unless it is a regular file."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InputError(f"{shown} does not exist: check the path (use an absolute path).") from None
    except PermissionError:
        raise InputError(f"{shown} cannot be accessed: check the permissions of its folder.") from None
    except OSError as exc:
        raise InputError(f"{shown} cannot be read ({exc.strerror}): check the path.") from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(f"{shown} is a symbolic link: pass the real file instead ({_shown(path.resolve())}).")
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{shown} is a folder: pass one file inside it (an image, video or audio file).")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{shown} is not a regular file (a device, pipe or socket): pass an image, video or audio file."
        )
    return info


def _check_name_and_size(path: Path, shown: str, size: int, max_bytes: int) -> str:
    """The file's extension, once its type is supported and its size within the limit."""
    extension = path.suffix.lower().lstrip(".")
    if not extension:
        raise UnsupportedFileError(
            f"{shown} has no file extension, so its type is unknown: rename it with one of {supported_formats_text()}."
        )
    if extension not in SUPPORTED_EXTENSIONS:
        raise UnsupportedFileError(
            f".{extension} files are not supported. Supported formats: {supported_formats_text()}."
        )
    if size <= 0:  # a declared size (the studio's) may be anything
        raise InputError(f"{shown} is empty (0 bytes): export or save the file again and retry.")
    if size > max_bytes:
        size_mb = size / (1024 * 1024)
        raise FileTooLargeError(
            f"{shown} is {size_mb:.0f} MB; the limit is {max_bytes // (1024 * 1024)} MB. Compress it or trim it to a "
            "shorter clip and try again."
        )
    return extension


def _open_without_following(path: Path, shown: str) -> int:
    try:
        return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError:
        raise InputError(f"{shown} is not readable: check its permissions (chmod u+r).") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # it became a link after the first look
            raise InputError(f"{shown} is a symbolic link: pass the real file instead.") from None
        raise InputError(f"{shown} cannot be read ({exc.strerror}).") from None


def _check_content(shown: str, extension: str, header: bytes) -> None:
    """The first bytes hold the container the extension names."""
    expected = _CONTAINER_OF[extension]
    found = sniff_container(header)
    if found == expected:
        return
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


def check_media_url(url: str, *, backend_url: str | None = None) -> str:
    """Validate a media URL for upload-by-URL, or raise an ``InputError`` that names the fix.

    The backend fetches the link from its own network, so a host only this computer or its local
    network can reach (loopback, private, link-local, ``.local``) is refused: the backend would
    fail on it, or fetch from its own private network instead. A link on ``backend_url``'s own
    origin is the backend's media and is accepted wherever it lives (the local backend's links).
    """
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
    if backend_url is None or not same_origin(cleaned, backend_url):
        where = local_host(parts.hostname)
        if where is not None:
            raise InputError(
                f"The link points at {where}, which the NemoVideo backend cannot reach: it fetches links "
                "from the internet. Pass a public link to the file, or upload the file itself by its local path."
            )
    return cleaned


def local_host(hostname: str) -> str | None:
    """What makes ``hostname`` reachable only from this computer or its network ("127.0.0.1, this
    computer"), or None for a host that may be public. Decided from the name alone, without DNS:
    IP literals in any form a resolver accepts, reserved names, and names that embed an address."""
    host = _normal_host(hostname)
    address = _ip_literal(host)
    if address is not None:
        return _local_address(address, host)
    labels = host.split(".")
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host}, this computer"
    if len(labels) == 1:
        return f"{host}, a name only your local network knows"
    if any(host == tld or host.endswith("." + tld) for tld in _LOCAL_NAME_SUFFIXES):
        return f"{host}, a name only your local network knows"
    # Wildcard DNS services (nip.io, sslip.io…) answer "10.0.0.5.nip.io" with 10.0.0.5.
    for candidate in (".".join(labels[:4]), labels[0].replace("-", ".")):
        embedded = _ip_literal(candidate) if candidate.count(".") == 3 else None
        if embedded is not None:
            where = _local_address(embedded, host)
            if where is not None:
                return where
    return None


# Names that never resolve on the public internet: mDNS (RFC 6762), the private-use TLD ICANN
# reserved in 2024, home networks (RFC 8375), and the suffixes RFC 6762 App. G lists as in common
# private use.
_LOCAL_NAME_SUFFIXES = ("local", "internal", "home.arpa", "lan", "home", "corp", "intranet", "private")
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")


def _normal_host(hostname: str) -> str:
    host = hostname.strip().rstrip(".").lower()
    if not host.isascii():
        # Full-width letters and dots are folded the way a resolver does ("ｌｏｃａｌｈｏｓｔ").
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii").rstrip(".").lower()
    return host


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address ``host`` spells, also in the shorthands resolvers accept (127.1, 0x7f000001, 2130706433)."""
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        if not _NUMERIC_HOST.fullmatch(host):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _local_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, host: str) -> str | None:
    shown = host if host == str(address) else f"{host} ({address})"
    if address.is_loopback or address.is_unspecified:
        return f"{shown}, this computer"
    if address.is_link_local:
        return f"{shown}, a link-local address"
    if address.is_private:
        return f"{shown}, a private network address"
    if not address.is_global or address.is_multicast:
        return f"{shown}, an address that is not on the public internet"
    return None


def same_origin(url: str, base: str) -> bool:
    """Both URLs have the same scheme, host and port."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def _shown(path: Path) -> str:
    text = str(path)
    return repr(text if len(text) <= 200 else "…" + text[-199:])
