"""The render proxy: submit, poll (both shapes), cancel, download, and real MP4s (api notes §3.9-3.12, §7)."""

from __future__ import annotations

import io
import time
from typing import Any

import anyio
import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import ATTRIBUTION, Account, Api

pytestmark = pytest.mark.anyio


async def _draft(api: Api, account: Account, text: str = "generate a 2-second video of a city at night") -> Any:
    await api.send(account, text)
    return (await api.state(account))["draft"]


async def _submit(api: Api, account: Account, draft: Any, render_id: str, **headers: str) -> Any:
    return await api.http.post(
        "/api/render/proxy/lambda",
        json={
            "id": render_id,
            "sessionId": account.session_id,
            "draft": draft,
            "output": {"format": "mp4", "quality": "high"},
        },
        headers=headers or account.headers,
    )


def _probe(content: bytes) -> tuple[int, int, float, bool]:
    import av

    with av.open(io.BytesIO(content), mode="r") as container:
        video = container.streams.video[0]
        return (
            video.codec_context.width,
            video.codec_context.height,
            float(container.duration or 0) / 1_000_000,
            bool(container.streams.audio),
        )


async def test_a_render_completes_and_its_mp4_downloads_from_the_cdn_and_the_fallback_route(
    instant: LocalBackend, api: Api
) -> None:
    account = await api.account()
    draft = await _draft(api, account)

    submitted = await _submit(api, account, draft, "render_1")
    done = await api.poll_render(account, "render_1")

    assert submitted.json() == {"success": True, "data": {"id": "render_1", "status": "pending", "progress": 5}}
    assert done["status"] == "completed" and done["progress"] == 100
    assert done["completedAt"] >= done["createdAt"] > time.time() * 1000 - 60_000
    from_cdn = await api.http.get(done["outputUrl"])
    fallback = await api.http.get("/api/render/proxy/render_1/download", headers=account.headers)
    assert from_cdn.status_code == 200 and from_cdn.headers["content-type"] == "video/mp4"
    assert from_cdn.content[4:8] == b"ftyp"
    assert fallback.content == from_cdn.content
    width, height, duration, has_audio = _probe(from_cdn.content)
    assert height <= 144 and width > height
    assert duration == pytest.approx(2.0, abs=0.3)
    assert has_audio


async def test_poll_shape_b_puts_status_and_output_url_at_the_top(instant: LocalBackend, api: Api) -> None:
    instant.configure(render_poll_shape="B")
    account = await api.account()
    await _submit(api, account, await _draft(api, account), "render_b")

    with anyio.fail_after(30):
        while (body := (await api.http.get("/api/render/proxy/lambda/render_b", headers=account.headers)).json())[
            "status"
        ] != "completed":
            assert "success" not in body and body["taskId"] == "render_b"
            await anyio.sleep(0.05)

    assert body["progress"] == 100
    assert set(body["output"]) == {"url", "duration", "size"}
    assert body["output"]["size"] == len((await api.http.get(body["output"]["url"])).content)


async def test_progress_moves_through_processing_before_completion(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await _submit(api, account, await _draft(api, account, "generate a 6-second video of snow"), "render_p")
    seen: list[tuple[str, int]] = []

    with anyio.fail_after(30):
        while not seen or seen[-1][0] != "completed":
            data = (await api.http.get("/api/render/proxy/lambda/render_p", headers=account.headers)).json()["data"]
            seen.append((data["status"], data["progress"]))
            await anyio.sleep(0.01)

    assert all(status in ("pending", "processing", "completed") for status, _ in seen)
    progress = [p for _, p in seen]
    assert progress == sorted(progress)
    assert any(status == "processing" and 5 < p < 100 for status, p in seen)


async def test_a_duplicate_render_id_is_refused(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    draft = await _draft(api, account)
    await _submit(api, account, draft, "render_dup")

    again = await _submit(api, account, draft, "render_dup")

    assert again.status_code == 409
    assert again.json() == {"success": False, "error": "duplicate render id"}


@pytest.mark.parametrize("draft", [{}, {"t": []}, {"t": [{"tt": 0, "sg": []}]}, None, "draft"])
async def test_a_draft_without_segments_is_invalid(api: Api, draft: Any) -> None:
    account = await api.account()

    r = await _submit(api, account, draft, "render_bad")

    assert r.status_code == 400
    assert r.json() == {"success": False, "error": "invalid draft"}


async def test_anonymous_export_without_attribution_headers_is_blocked_with_402(
    instant: LocalBackend, api: Api
) -> None:
    account = await api.account()
    draft = await _draft(api, account)

    r = await _submit(api, account, draft, "render_402", **account.auth_only)

    assert r.status_code == 402
    assert r.json()["code"] == 402
    assert "Free plan export blocked" in r.json()["message"]


async def test_a_registered_user_may_export_without_attribution_headers(instant: LocalBackend, api: Api) -> None:
    made = (await api.http.post("/_sim/users", json={"credits": 100})).json()
    account = await api.account(token=made["token"])
    draft = await _draft(api, account)

    r = await _submit(api, account, draft, "render_reg", **account.auth_only)

    assert r.json()["success"] is True


async def test_block_export_fault_refuses_even_with_headers(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    draft = await _draft(api, account)
    instant.faults.block_export(times=1)

    blocked = await _submit(api, account, draft, "render_x1")
    allowed = await _submit(api, account, draft, "render_x2")

    assert blocked.status_code == 402
    assert allowed.json()["success"] is True


async def test_fail_renders_fault_ends_the_render_as_failed_with_an_error(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    draft = await _draft(api, account)
    instant.faults.fail_renders(times=1, error="GPU node lost")

    await _submit(api, account, draft, "render_f1")
    failed = await api.poll_render(account, "render_f1", until="failed")
    await _submit(api, account, draft, "render_f2")
    retried = await api.poll_render(account, "render_f2")

    assert (failed["status"], failed["error"]) == ("failed", "GPU node lost")
    assert "outputUrl" not in failed
    assert retried["status"] == "completed"


async def test_a_stalled_render_stays_processing_and_can_be_cancelled(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    instant.faults.stall_renders()
    await _submit(api, account, await _draft(api, account), "render_s")

    polls = [
        (await api.http.get("/api/render/proxy/lambda/render_s", headers=account.headers)).json()["data"]
        for _ in range(3)
    ]
    cancelled = await api.http.post("/api/render/proxy/lambda/render_s/cancel", headers=account.headers)
    after = (await api.http.get("/api/render/proxy/lambda/render_s", headers=account.headers)).json()["data"]

    assert {p["status"] for p in polls} == {"processing"}
    assert cancelled.json() == {"success": True, "data": {"id": "render_s", "status": "failed", "cancelled": True}}
    assert (after["status"], after["error"]) == ("failed", "cancelled")


async def test_cancelling_a_finished_render_is_a_conflict(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await _submit(api, account, await _draft(api, account), "render_c")
    await api.poll_render(account, "render_c")

    r = await api.http.post("/api/render/proxy/lambda/render_c/cancel", headers=account.headers)

    assert r.status_code == 409


async def test_downloading_an_unfinished_render_is_a_conflict_and_an_unknown_one_404(
    instant: LocalBackend, api: Api
) -> None:
    account = await api.account()
    instant.faults.stall_renders(times=1)
    await _submit(api, account, await _draft(api, account), "render_u")

    unfinished = await api.http.get("/api/render/proxy/render_u/download", headers=account.headers)
    unknown = await api.http.get("/api/render/proxy/render_nope/download", headers=account.headers)
    poll_unknown = await api.http.get("/api/render/proxy/lambda/render_nope", headers=account.headers)

    assert unfinished.status_code == 409
    assert unknown.status_code == 404
    assert poll_unknown.json() == {"success": False, "error": "render not found"}


async def test_another_users_render_is_not_visible(instant: LocalBackend, api: Api) -> None:
    owner, other = await api.account(), await api.account()
    instant.faults.stall_renders(times=1)
    await _submit(api, owner, await _draft(api, owner), "render_o")

    r = await api.http.get("/api/render/proxy/lambda/render_o", headers=other.headers)

    assert r.status_code == 404


async def test_render_routes_need_a_token(api: Api) -> None:
    r = await api.http.post("/api/render/proxy/lambda", json={"id": "r"}, headers=ATTRIBUTION)

    assert (r.status_code, r.json()["code"]) == (401, 1001)
