"""Local pre-checks: bad files and URLs are refused with the fix, before any request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kling_ai_30.client.uploads import check_media_url, check_upload_file, sniff_container
from kling_ai_30.errors import FileTooLargeError, InputError, UnsupportedFileError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 32
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
MP3 = b"ID3\x04" + b"\x00" * 32


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        pytest.param("a.png", PNG, "image", id="png"),
        pytest.param("a.JPG", JPEG, "image", id="jpg-uppercase"),
        pytest.param("a.jpeg", JPEG, "image", id="jpeg"),
        pytest.param("a.mp4", MP4, "video", id="mp4"),
        pytest.param("a.mov", MP4, "video", id="mov"),
        pytest.param("a.webm", WEBM, "video", id="webm"),
        pytest.param("a.wav", WAV, "audio", id="wav"),
        pytest.param("a.mp3", MP3, "audio", id="mp3"),
        pytest.param("a.m4a", MP4, "audio", id="m4a"),
    ],
)
def test_supported_files_pass(tmp_path: Path, name: str, data: bytes, kind: str) -> None:
    checked = check_upload_file(_write(tmp_path, name, data))
    assert checked.kind == kind
    assert checked.size == len(data)
    assert checked.path.is_absolute()


@pytest.mark.parametrize(
    ("name", "data", "error", "hint"),
    [
        pytest.param("a.txt", b"hello", UnsupportedFileError, "Supported formats: mp4", id="wrong-extension"),
        pytest.param("noext", PNG, UnsupportedFileError, "no file extension", id="missing-extension"),
        pytest.param("a.jpg", PNG, UnsupportedFileError, "rename it to .png", id="png-named-jpg"),
        pytest.param("a.mp4", b"just some text, not a video", UnsupportedFileError, "damaged", id="text-named-mp4"),
        pytest.param("a.png", b"", InputError, "empty", id="zero-bytes"),
    ],
)
def test_bad_files_are_refused_with_the_fix(
    tmp_path: Path, name: str, data: bytes, error: type[Exception], hint: str
) -> None:
    with pytest.raises(error, match=hint):
        check_upload_file(_write(tmp_path, name, data))


def test_a_missing_file_says_to_check_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        check_upload_file(tmp_path / "nope.png")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "pics.png"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        check_upload_file(folder)


def test_a_device_is_refused() -> None:
    with pytest.raises(InputError, match="not a regular file"):
        check_upload_file("/dev/null")


def test_a_symlink_is_refused_and_the_real_path_named(tmp_path: Path) -> None:
    real = _write(tmp_path, "real.png", PNG)
    link = tmp_path / "link.png"
    link.symlink_to(real)
    with pytest.raises(InputError, match=r"real\.png"):
        check_upload_file(link)


def test_files_over_the_limit_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.mp4"
    with open(big, "wb") as handle:
        handle.write(MP4)
        handle.truncate(201 * 1024 * 1024)  # sparse: no real disk use
    with pytest.raises(FileTooLargeError, match=r"(?i)compress"):
        check_upload_file(big)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.png", PNG)
    path.chmod(0)
    with pytest.raises(InputError, match="not readable"):
        check_upload_file(path)


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        pytest.param("ftp://host/a.mp4", "http", id="ftp"),
        pytest.param("file:///etc/passwd", "http", id="file-scheme"),
        pytest.param("https://user:pw@host/a.mp4", "credentials", id="credentials"),
        pytest.param("https:///a.mp4", "host", id="no-host"),
        pytest.param("https://host/a b.mp4", "spaces", id="spaces"),
        pytest.param("https://host/a.exe", "not supported", id="bad-extension"),
        pytest.param("", "No URL", id="empty"),
    ],
)
def test_bad_urls_are_refused(url: str, hint: str) -> None:
    with pytest.raises(InputError, match=hint):
        check_media_url(url)


def test_urls_without_an_extension_are_allowed() -> None:
    assert check_media_url(" https://example.com/share/abc123 ") == "https://example.com/share/abc123"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"\xff\xf1\x50\x80", "aac"),
        (b"\xff\xfb\x90\x00", "mp3"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"GIF89a", "gif"),
        (b"hello", None),
    ],
)
def test_containers_are_recognised_by_their_first_bytes(header: bytes, expected: str | None) -> None:
    assert sniff_container(header) == expected
