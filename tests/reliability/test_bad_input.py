"""Bad input is refused before anything reaches the backend, with an error that names the fix.

Extends tests/client/test_uploads.py (the checks as functions) through the real boundaries: the
MCP tools on a fresh server (so even the first-use setup must not be sent) and the command line.
Output paths: names the backend supplies never leave the output directory, and an existing file
is never overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from kling_ai_30.cli import main
from kling_ai_30.client.backend import BackendClient
from kling_ai_30.client.session import Session
from kling_ai_30.config import load_settings
from kling_ai_30.local import LocalBackend
from kling_ai_30.skill import SkillIdentity
from kling_ai_30.workspace.export import ExportRun

from .conftest import photo, text_of

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
FORMATS = "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac"


def bad_path(tmp_path: Path, kind: str) -> str:
    """A path of the given kind of bad, made for real under ``tmp_path``."""
    if kind == "missing":
        return str(tmp_path / "nowhere.png")
    if kind == "directory":
        (tmp_path / "photos").mkdir()
        return str(tmp_path / "photos")
    if kind == "device":
        return os.devnull
    if kind == "fifo":
        os.mkfifo(tmp_path / "pipe.mp4")  # opening it to read would hang: refused from lstat alone
        return str(tmp_path / "pipe.mp4")
    if kind == "symlink":
        real = tmp_path / "real.png"
        real.write_bytes(PNG)
        (tmp_path / "link.png").symlink_to(real)
        return str(tmp_path / "link.png")
    if kind == "empty":
        (tmp_path / "empty.png").write_bytes(b"")
        return str(tmp_path / "empty.png")
    if kind == "too-large":
        with open(tmp_path / "huge.mp4", "wb") as handle:  # sparse: no 200 MB written
            handle.write(MP4)
            handle.truncate(200 * 1024 * 1024 + 1)
        return str(tmp_path / "huge.mp4")
    if kind == "wrong-extension":
        (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
        return str(tmp_path / "notes.txt")
    if kind == "no-extension":
        (tmp_path / "photo").write_bytes(PNG)
        return str(tmp_path / "photo")
    if kind == "png-named-jpg":
        (tmp_path / "photo.jpg").write_bytes(PNG)
        return str(tmp_path / "photo.jpg")
    if kind == "text-named-mp4":
        (tmp_path / "clip.mp4").write_text("<html>not a video</html>", encoding="utf-8")
        return str(tmp_path / "clip.mp4")
    if kind == "nul-in-path":
        return str(tmp_path / "a\x00b.png")
    if kind == "blank":
        return "   "
    raise AssertionError(kind)


PATHS = [
    pytest.param("missing", "does not exist: check the path", id="missing"),
    pytest.param("directory", "is a folder: pass one file inside it", id="directory"),
    pytest.param("device", "is not a regular file", id="device"),
    pytest.param("fifo", "is not a regular file", id="fifo"),
    pytest.param("symlink", "is a symbolic link: pass the real file instead", id="symlink"),
    pytest.param("empty", "is empty (0 bytes)", id="zero-bytes"),
    pytest.param("too-large", "the limit is 200 MB. Compress it or trim it", id="over-200-mb"),
    pytest.param("wrong-extension", f"Supported formats: {FORMATS}", id="wrong-extension"),
    pytest.param("no-extension", "has no file extension", id="missing-extension"),
    pytest.param("png-named-jpg", "contains PNG data but is named .jpg: rename it to .png", id="png-named-jpg"),
    pytest.param("text-named-mp4", "does not contain MP4/MOV data", id="text-named-mp4"),
    pytest.param("nul-in-path", "NUL character", id="nul-in-path"),
    pytest.param("blank", "No file path was given", id="blank"),
]

URLS = [
    pytest.param("ftp://example.com/a.mp4", "Only http:// and https:// links", id="ftp"),
    pytest.param("file:///etc/passwd", "Only http:// and https:// links", id="file"),
    pytest.param("javascript:alert(1)", "Only http:// and https:// links", id="javascript"),
    pytest.param("https://user:secret@example.com/a.mp4", "remove the credentials", id="credentials"),
    pytest.param("https:///a.mp4", "no host name", id="no-host"),
    pytest.param("https://example.com/a b.mp4", "spaces or control characters", id="space"),
    pytest.param("https://example.com/a\x07.mp4", "spaces or control characters", id="control-character"),
    pytest.param("https://example.com/" + "a" * 2100 + ".mp4", "longer than 2048", id="too-long"),
    pytest.param("https://example.com/setup.exe", f"Supported formats: {FORMATS}", id="unsupported-type"),
]


@pytest.mark.parametrize(("kind", "fix"), PATHS)
async def test_a_bad_file_is_refused_with_the_fix_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, tmp_path: Path, kind: str, fix: str
) -> None:
    result = await mcp.call_tool("upload", {"path": bad_path(tmp_path, kind)})
    assert result.is_error and fix in text_of(result), text_of(result)
    assert backend.store.requests() == []  # not even the first-use setup


def test_an_unreadable_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root can read any file")
    locked = tmp_path / "locked.png"
    locked.write_bytes(PNG)
    locked.chmod(0)
    with pytest.raises(Exception, match="not readable: check its permissions"):
        from kling_ai_30.client.uploads import check_upload_file

        check_upload_file(locked)


@pytest.mark.parametrize(("url", "fix"), URLS)
async def test_a_bad_url_is_refused_with_the_fix_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, url: str, fix: str
) -> None:
    result = await mcp.call_tool("upload", {"url": url})
    assert result.is_error and fix in text_of(result), text_of(result)
    assert "secret" not in text_of(result)
    assert backend.store.requests() == []


@pytest.mark.parametrize(
    ("message", "fix"),
    [
        pytest.param("   \n\t ", "The message is empty", id="blank"),
        pytest.param("\x00\x01\x1b", "The message is empty", id="only-control-characters"),
    ],
)
async def test_a_message_with_nothing_to_send_is_refused_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, message: str, fix: str
) -> None:
    result = await mcp.call_tool("generate", {"message": message})
    assert result.is_error and fix in text_of(result), text_of(result)
    assert backend.store.requests() == []


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        pytest.param("generate", {}, "message", id="generate-no-message"),
        pytest.param("generate", {"message": None}, "message", id="generate-null-message"),
        pytest.param("generate", {"message": ["make", "a", "video"]}, "message", id="generate-list-message"),
        pytest.param("generate", {"message": "hi", "wait_seconds": "soon"}, "wait_seconds", id="generate-text-wait"),
        pytest.param("generate", {"message": "hi", "wait_seconds": 10**6}, "wait_seconds", id="generate-huge-wait"),
        pytest.param("upload", {"path": 5}, "path", id="upload-number-path"),
        pytest.param("upload", {"url": {"href": "https://x/a.png"}}, "url", id="upload-object-url"),
        pytest.param("export", {"output_dir": 5}, "output_dir", id="export-number-dir"),
        pytest.param("export", {"wait_seconds": -3}, "wait_seconds", id="export-negative-wait"),
        pytest.param("job", {"job_id": 123}, "job_id", id="job-number-id"),
        pytest.param("job", {"job_id": ""}, "job_id", id="job-empty-id"),
        pytest.param("job", {"job_id": "x" * 65}, "job_id", id="job-long-id"),
    ],
)
async def test_wrong_argument_types_are_refused_naming_the_argument_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, tool: str, arguments: dict[str, Any], named: str
) -> None:
    result = await mcp.call_tool(tool, arguments)
    assert result.is_error and named in text_of(result), text_of(result)
    assert backend.store.requests() == []


@pytest.mark.parametrize(
    ("tool", "arguments", "fix"),
    [
        pytest.param("job", {"job_id": "../../etc/passwd"}, "is not a job id", id="job-id-path"),
        pytest.param("job", {"job_id": "gen_000000000000"}, "No job 'gen_000000000000' is known", id="job-unknown"),
        pytest.param("export", {"output_dir": "videos/out"}, "must be an absolute path", id="relative-output-dir"),
    ],
)
async def test_arguments_of_the_right_type_but_unusable_are_refused_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, tool: str, arguments: dict[str, Any], fix: str
) -> None:
    result = await mcp.call_tool(tool, arguments)
    assert result.is_error and fix in text_of(result), text_of(result)
    assert backend.store.requests() == []


async def test_an_output_dir_that_is_a_file_is_refused_and_nothing_is_sent(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file", encoding="utf-8")
    result = await mcp.call_tool("export", {"output_dir": str(tmp_path / "taken")})
    assert result.is_error and "exists and is not a folder: choose a folder" in text_of(result)
    assert backend.store.requests() == []


async def test_control_characters_inside_a_message_are_removed_and_the_rest_is_sent_once(
    mcp: Client, backend: LocalBackend
) -> None:
    result = await mcp.call_tool(
        "generate", {"message": "generate a 5-second\x00 video of a\x1b[31m red barn", "wait_seconds": 60}
    )
    assert not result.is_error, text_of(result)
    assert result.structured_content is not None and "barn" in result.structured_content["timeline"]
    assert len([r for r in backend.store.requests() if r.path == "/run_sse"]) == 1


# ---------------------------------------------------------------------- command line


@pytest.fixture
def cli(backend: LocalBackend, base_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    monkeypatch.setenv("NEMO_API_URL", base_url)
    monkeypatch.setenv("NEMO_WEB_URL", base_url)

    def run(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        code = main([*argv, "--quiet"])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    yield run


@pytest.mark.parametrize(
    ("argv", "fix"),
    [
        pytest.param(["upload", "DIRECTORY"], "is a folder", id="upload-directory"),
        pytest.param(["upload", "EMPTY"], "is empty (0 bytes)", id="upload-zero-bytes"),
        pytest.param(["upload", "HUGE"], "the limit is 200 MB", id="upload-over-200-mb"),
        pytest.param(["upload", "MISMATCH"], "rename it to .png", id="upload-content-mismatch"),
        pytest.param(
            ["upload", "https://u:p@example.com/a.mp4"], "remove the credentials", id="upload-url-credentials"
        ),
        pytest.param(["generate", "   "], "The message is empty", id="generate-blank"),
        pytest.param(["generate", "x" * 4001], "keep it under 4000", id="generate-too-long"),
        pytest.param(
            ["generate", "--attach", "MISSING", "use this"], "does not exist", id="generate-missing-attachment"
        ),
        pytest.param(["export", "--output-dir", "FILE"], "exists and is not a folder", id="export-into-a-file"),
        pytest.param(["job", "../../etc/passwd"], "is not a job id", id="job-id-path"),
    ],
)
def test_the_command_line_refuses_bad_input_with_exit_2_and_sends_nothing(
    cli: Callable[..., Any],
    backend: LocalBackend,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    fix: str,
) -> None:
    made = {
        "DIRECTORY": lambda: bad_path(tmp_path, "directory"),
        "EMPTY": lambda: bad_path(tmp_path, "empty"),
        "HUGE": lambda: bad_path(tmp_path, "too-large"),
        "MISMATCH": lambda: bad_path(tmp_path, "png-named-jpg"),
        "MISSING": lambda: bad_path(tmp_path, "missing"),
        "FILE": lambda: bad_path(tmp_path, "wrong-extension"),
    }
    code, said = cli(*[made[a]() if a in made else a for a in argv], capsys=capsys)
    assert code == 2 and fix in said, said
    assert backend.store.requests() == []


# ---------------------------------------------------------------------- output paths


async def test_a_title_with_path_separators_never_leaves_the_output_folder(
    mcp: Client, backend: LocalBackend, tmp_path: Path
) -> None:
    out = tmp_path / "videos"
    await mcp.call_tool("upload", {"path": str(photo(tmp_path / "lake.jpg"))})
    await mcp.call_tool("generate", {"message": "generate a 5-second video from lake.jpg", "wait_seconds": 60})
    edit = await mcp.call_tool("generate", {"message": 'add a title "../../../escape/evil"', "wait_seconds": 60})
    assert not edit.is_error, text_of(edit)
    exported = await mcp.call_tool("export", {"output_dir": str(out), "wait_seconds": 60})
    assert not exported.is_error, text_of(exported)
    assert exported.structured_content is not None
    path = Path(exported.structured_content["export"]["path"])
    assert path.parent == out.resolve() and path.name.endswith(".mp4") and not path.name.startswith(".")
    assert not (tmp_path / "escape").exists() and not list(tmp_path.parent.glob("escape*"))


MP4_BODY = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000


class HostileBackend:
    """A backend whose render names try to escape: a title and a render id full of ``../``."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.startswith("/api/state/"):
            draft = {"m": {"title": "../../../../etc/cron.d/evil"}, "t": [{"tt": 0, "sg": [{"d": 1000}]}]}
            return httpx.Response(200, json={"code": 0, "data": {"state": {"draft": draft}}})
        if path == "/api/render/proxy/lambda" and request.method == "POST":
            return httpx.Response(200, json={"success": True, "data": {"id": "../../../escape", "status": "pending"}})
        if path.startswith("/api/render/proxy/lambda/"):
            url = "http://cdn.test/render-result/..%2F..%2Fescape.mp4"
            return httpx.Response(200, json={"success": True, "data": {"status": "completed", "outputUrl": url}})
        if path.startswith("/render-result/"):
            return httpx.Response(200, content=MP4_BODY)
        if path == "/api/auth/claim-token":
            return httpx.Response(200, json={"code": 0, "data": {"claim_token": "clm_x"}})
        return httpx.Response(404, json={"detail": "Not Found"})


async def export_against(backend: HostileBackend, dest: Path) -> Path:
    async def no_wait(seconds: float) -> None:
        pass

    settings = load_settings({"NEMO_TOKEN": "nmv_usr_hostiletest"}, api_url="http://backend.test")
    identity = SkillIdentity(name="kling-ai-30", version="1.0.0", platform="unknown", skill_dir=None)
    async with BackendClient(settings, identity, transport=httpx.MockTransport(backend), sleep=no_wait) as client:
        run = ExportRun(
            client=client,
            session=Session(session_id="s1"),
            dest_dir=dest,
            report=lambda phase, message, progress: None,
            remember_render=lambda render_id: None,
            sleep=no_wait,
        )
        exported = await run.run()
    return Path(exported.path)


async def test_names_a_backend_supplies_never_escape_and_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    dest = tmp_path / "deep" / "videos"
    hostile = HostileBackend()
    first = await export_against(hostile, dest)
    assert first.parent == dest.resolve() and first.read_bytes() == MP4_BODY
    # Polled under our own id, not the one with ../ in it.
    polls = [r.url.path for r in hostile.requests if r.url.path.startswith("/api/render/proxy/lambda/")]
    assert polls and all(".." not in p for p in polls)

    first.write_bytes(b"the user's edited copy")
    second = await export_against(hostile, dest)
    assert second != first and second.parent == dest.resolve()
    assert first.read_bytes() == b"the user's edited copy"
    everything = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert all(p.parts[:2] == ("deep", "videos") for p in everything), everything
    assert not [p for p in everything if p.name.startswith(".")]  # no temporary files left
