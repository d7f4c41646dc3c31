"""Inputs the client itself must refuse or pin down (issue 13): links the backend cannot fetch, a file
swapped between its check and its upload, a damaged client id.

Through the real boundaries: the MCP tools on a fresh server and the backend client against the
local backend, counting what reached the backend.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.client.uploads import check_media_url, check_upload_file
from kling_ai_30.config import Settings, load_settings
from kling_ai_30.errors import ConfigError, InputError
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import load_identity

from .conftest import TOKEN, photo, text_of

pytestmark = pytest.mark.anyio

UPLOAD = "/api/upload-video/"


@pytest.fixture
def settings(base_url: str) -> Settings:
    return load_settings({}, api_url=base_url, web_url=base_url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[BackendClient]:
    async with BackendClient(settings, load_identity()) as made:
        yield made


def sent_to(backend: LocalBackend, prefix: str) -> int:
    return len([r for r in backend.store.requests() if r.path.startswith(prefix)])


# ------------------------------------------------------------------ links the backend cannot fetch

LOCAL_LINKS = [
    pytest.param("http://127.0.0.1:8080/clip.mp4", "127.0.0.1, this computer", id="loopback"),
    pytest.param("http://localhost/clip.mp4", "localhost, this computer", id="localhost"),
    pytest.param("http://[::1]/photo.png", "::1, this computer", id="loopback-ipv6"),
    pytest.param("http://2130706433/photo.jpg", "(127.0.0.1), this computer", id="loopback-as-one-number"),
    pytest.param("http://0x7f.1/photo.jpg", "(127.0.0.1), this computer", id="loopback-in-hex-shorthand"),
    pytest.param("http://[::ffff:127.0.0.1]/a.jpg", "(127.0.0.1), this computer", id="loopback-mapped-in-ipv6"),
    pytest.param("http://10.0.0.8/clip.mp4", "a private network address", id="private-10"),
    pytest.param("https://192.168.1.20/photo.jpg", "a private network address", id="private-192-168"),
    pytest.param("http://172.16.5.4/a.mp3", "a private network address", id="private-172-16"),
    pytest.param("http://169.254.169.254/latest/meta-data/", "a link-local address", id="link-local-metadata"),
    pytest.param("http://[fe80::1]/a.jpg", "a link-local address", id="link-local-ipv6"),
    pytest.param("http://printer.local/scan.jpg", "a name only your local network knows", id="mdns-local"),
    pytest.param("http://nas/videos/a.mp4", "a name only your local network knows", id="single-label-name"),
    pytest.param("https://media.internal/a.png", "a name only your local network knows", id="internal-tld"),
    pytest.param("http://10.1.2.3.nip.io/a.jpg", "(10.1.2.3), a private network address", id="name-embedding-an-ip"),
]


@pytest.mark.parametrize(("url", "where"), LOCAL_LINKS)
async def test_a_link_to_a_local_or_private_host_is_refused_with_the_way_out_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, url: str, where: str
) -> None:
    result = await mcp.call_tool("upload", {"url": url})
    said = text_of(result)
    assert result.is_error and where in said, said
    assert "Pass a public link to the file, or upload the file itself by its local path." in said
    assert backend.store.requests() == []  # not even the first-use setup


async def test_the_client_refuses_a_private_link_but_takes_the_backends_own_link_wherever_it_lives(
    backend: LocalBackend, client: BackendClient, tmp_path: Path, base_url: str
) -> None:
    session = await client.create_session()
    with pytest.raises(InputError, match="a private network address"):
        await client.upload_urls(session, ["http://192.168.1.20/photo.jpg"])
    assert sent_to(backend, UPLOAD) == 0

    (own,) = (await client.upload_files(session, [photo(tmp_path / "lake.jpg")])).files
    assert own.cdn_url is not None and own.cdn_url.startswith(base_url)  # the local backend: on loopback
    copy = await client.upload_urls(session, [own.cdn_url])
    assert copy.files[0].hash == own.hash and sent_to(backend, UPLOAD) == 2


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a.jpg",
        "http://8.8.8.8/a.png",
        "https://[2606:4700:4700::1111]/a.mp4",
        "https://cafe.be/clip.mp4",
        "https://1.2.3.4.example.com/a.jpg",
    ],
)
def test_public_hosts_pass_the_link_check(url: str) -> None:
    assert check_media_url(url) == url


# ------------------------------------------------------------------ the checked file is the sent file


class SwapBeforeSending(httpx.AsyncBaseTransport):
    """Loopback to the local backend; just before the upload leaves, ``swap`` changes what is at the path."""

    def __init__(self, swap: Callable[[], None]) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._swap = swap

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(UPLOAD):
            self._swap()
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def _replace_with_link(path: Path, target: Path) -> Callable[[], None]:
    def swap() -> None:
        path.unlink()
        path.symlink_to(target)

    return swap


def _replace_with_file(path: Path, other: Path) -> Callable[[], None]:
    return lambda: os.replace(other, path)


@pytest.mark.parametrize("swap", [_replace_with_link, _replace_with_file], ids=["by-a-symlink", "by-another-file"])
async def test_a_file_swapped_after_its_check_is_never_what_is_sent(
    backend: LocalBackend, settings: Settings, tmp_path: Path, swap: Callable[[Path, Path], Callable[[], None]]
) -> None:
    checked = photo(tmp_path / "holiday.jpg")
    private = photo(tmp_path / "private.jpg", size=(64, 64))  # what a swap would smuggle in
    original, smuggled = checked.read_bytes(), private.read_bytes()
    transport = SwapBeforeSending(swap(checked, private))
    async with BackendClient(settings, load_identity(), transport=transport) as client:
        session = await client.create_session()
        (uploaded,) = (await client.upload_files(session, [checked])).files
    assert uploaded.cdn_url is not None
    stored = backend.resolve_media(uploaded.cdn_url)
    assert original != smuggled
    assert stored is not None and stored.read_bytes() == original


async def test_a_file_cut_short_while_it_is_sent_is_refused_not_sent_truncated(
    backend: LocalBackend, settings: Settings, tmp_path: Path
) -> None:
    checked = photo(tmp_path / "holiday.jpg")
    transport = SwapBeforeSending(lambda: os.truncate(checked, 100))
    async with BackendClient(settings, load_identity(), transport=transport) as client:
        session = await client.create_session()
        with pytest.raises(InputError, match="got shorter while it was being uploaded"):
            await client.upload_files(session, [checked])
        assert (await client.state(session)).state.video_infos == []


async def test_a_file_in_a_symlinked_folder_is_checked_and_uploaded_from_its_real_place(
    mcp: Client, tmp_path: Path
) -> None:
    real = tmp_path / "real"
    real.mkdir()
    photo(real / "beach.jpg")
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    through_link = tmp_path / "linked" / "beach.jpg"

    assert check_upload_file(through_link).path == real / "beach.jpg"
    result = await mcp.call_tool("upload", {"path": str(through_link)})
    assert not result.is_error, text_of(result)
    assert "beach.jpg" in text_of(result)

    (real / "link.jpg").symlink_to(real / "beach.jpg")  # the file itself a link: still refused
    refused = await mcp.call_tool("upload", {"path": str(tmp_path / "linked" / "link.jpg")})
    assert refused.is_error and "is a symbolic link: pass the real file instead" in text_of(refused)


# ------------------------------------------------------------------ a damaged client id


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b"\x00\x17\xfe garbage \xff", "it does not hold a client id", id="garbage"),
        pytest.param(b"", "it is empty", id="empty"),
        pytest.param(b"c0ffee-" * 40, "it does not hold a client id", id="too-long"),
    ],
)
async def test_a_damaged_client_id_is_set_aside_and_refused_until_the_user_chooses_never_replaced(
    backend: LocalBackend, settings: Settings, content: bytes, problem: str
) -> None:
    id_file = settings.client_id_path
    id_file.parent.mkdir(parents=True, exist_ok=True)
    id_file.write_bytes(content)

    async with BackendClient(settings, load_identity()) as client:
        with pytest.raises(ConfigError) as caught:
            await client.credits()
    (aside,) = id_file.parent.glob("client_id.corrupt-*")
    said = str(caught.value)
    assert f"{id_file} is damaged ({problem}); it was moved to {aside}" in said
    assert "lose the old one's credits and registration link" in said
    assert f"put your client id back into {id_file} (or set NEMO_CLIENT_ID to it)" in said
    assert f"delete {aside} to start as a new anonymous user" in said
    assert aside.read_bytes() == content and not id_file.exists()

    async with BackendClient(settings, load_identity()) as restarted:  # a restart does not forget
        with pytest.raises(ConfigError, match="set aside as damaged earlier and has not been restored"):
            await restarted.credits()
    assert sent_to(backend, TOKEN) == 0 and not id_file.exists()  # no request, no new id

    id_file.write_text("my-own-client-id-42\n")  # the first way out: the id put back
    async with BackendClient(settings, load_identity()) as restored:
        await restored.credits()
    (token_call,) = [r for r in backend.store.requests() if r.path == TOKEN]
    assert token_call.headers["x-client-id"] == "my-own-client-id-42"


async def test_deleting_the_set_aside_client_id_starts_afresh_with_a_new_one(
    backend: LocalBackend, settings: Settings
) -> None:
    id_file = settings.client_id_path
    id_file.parent.mkdir(parents=True, exist_ok=True)
    id_file.write_bytes(b"not an id at all")
    async with BackendClient(settings, load_identity()) as client:
        with pytest.raises(ConfigError):
            await client.credits()
        for aside in id_file.parent.glob("client_id.corrupt-*"):
            aside.unlink()  # the second way out: a new anonymous user, on purpose
        await client.credits()
    (token_call,) = [r for r in backend.store.requests() if r.path == TOKEN]
    assert token_call.headers["x-client-id"] == id_file.read_text().strip()


async def test_a_damaged_client_id_is_an_error_result_over_mcp_and_nothing_is_sent(
    connect: Callable[..., Any], backend: LocalBackend, settings: Settings
) -> None:
    settings.client_id_path.parent.mkdir(parents=True, exist_ok=True)
    settings.client_id_path.write_bytes(b"\xff\xfe")
    async with connect() as mcp:
        result = await mcp.call_tool("credits", {})
    assert result.is_error and "client id" in text_of(result) and "NEMO_CLIENT_ID" in text_of(result)
    assert backend.store.requests() == []
