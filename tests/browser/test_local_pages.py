"""The pages the local backend's links open, looked at in a real browser (the shared ``browser``
fixture): the project page plays the latest render above its timeline, the registration page
registers the account. ``KLING_STUDIO_SHOTS=docs/img`` keeps their screenshots for the README."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kling_ai_30.local import LocalBackend, SimConfig, run_in_thread

ATTRIBUTION = {"X-Skill-Source": "kling-ai-30", "X-Skill-Version": "0.1.0", "X-Skill-Platform": "unknown"}


@dataclass(frozen=True)
class Project:
    """A project with a rendered video on a running backend, and the links a user is given."""

    url: str
    project_link: str
    register_link: str
    token: str
    claim_token: str
    headers: dict[str, str]
    backend: LocalBackend


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    config = SimConfig(generation_seconds=0.1, edit_seconds=0.02, heartbeat_every_s=0.05, render_max_height=360)
    with LocalBackend(config) as backend, run_in_thread(backend) as url, httpx.Client(base_url=url, timeout=60) as api:
        issued = api.post("/api/auth/anonymous-token", headers={"X-Client-Id": "browser-test"}).json()["data"]
        headers = {"Authorization": f"Bearer {issued['token']}", **ATTRIBUTION}
        made = api.post("/api/tasks/me/with-session/nemo_agent", json={"task_name": "project"}, headers=headers)
        session = made.json()["data"]
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": session["session_id"],
            "new_message": {"parts": [{"text": "generate a 4-second video of a mountain lake at sunset"}]},
        }
        with api.stream("POST", "/run_sse", json=body, headers=headers) as stream:
            stream.read()
        backend.wait_idle()
        draft = api.get(f"/api/state/nemo_agent/me/{session['session_id']}/latest", headers=headers).json()
        render = {
            "id": "render_browser_1",
            "sessionId": session["session_id"],
            "draft": draft["data"]["state"]["draft"],
        }
        assert api.post("/api/render/proxy/lambda", json=render, headers=headers).json()["success"]
        assert backend.wait_idle(120)
        claim = api.post(
            "/api/auth/claim-token",
            json={"task_id": session["task_id"], "session_id": session["session_id"]},
            headers=headers,
        ).json()["data"]["claim_token"]
        yield Project(
            url=url,
            project_link=f"{url}/workspace/claim?ct={claim}",
            register_link=f"{url}/register?bind={issued['user_id']}",
            token=issued["token"],
            claim_token=claim,
            headers=headers,
            backend=backend,
        )


def shot(page: Any, name: str) -> None:
    """Keep a screenshot of the page when ``KLING_STUDIO_SHOTS`` names a folder; else nothing."""
    folder = os.environ.get("KLING_STUDIO_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_the_project_page_shows_the_timeline_and_plays_the_latest_render(browser: Any, project: Project) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    response = page.goto(project.project_link)

    assert response.status == 200
    assert page.inner_text("h1") == "Mountain Lake at Sunset"
    assert [lane.inner_text() for lane in page.query_selector_all(".row .label")] == ["Video", "BGM", "Title"]
    assert "mountain lake at sunset" in page.inner_text(".row .clip.video")
    assert page.inner_text(".summary") == (
        "Timeline (3 tracks): 1. Video: mountain lake at sunset (0-4s) 2. BGM: Lo-fi (0-4s, 35%) "
        '3. Title: "Mountain Lake at Sunset" (0-3s)'
    )
    playing = page.evaluate(
        """async () => {
            const video = document.querySelector("video");
            if (video.readyState < 1) await new Promise((ok, fail) => {
                video.onloadedmetadata = ok; video.onerror = () => fail(String(video.error && video.error.code));
            });
            video.currentTime = 2;
            await new Promise(ok => { video.onseeked = ok; });
            while (video.readyState < 3) await new Promise(ok => setTimeout(ok, 20));  // the frame is shown
            return {duration: video.duration, width: video.videoWidth, height: video.videoHeight};
        }"""
    )
    assert abs(playing["duration"] - 4.0) < 0.2 and (playing["width"], playing["height"]) == (640, 360)
    html = page.content()
    assert project.token not in html and project.claim_token not in html
    if os.environ.get("KLING_STUDIO_SHOTS"):
        page.mouse.move(0, 0)  # the player's controls fade out, as for someone watching
        page.wait_for_timeout(3500)
    shot(page, "local-project-page.png")
    page.close()


def test_the_registration_page_registers_the_account_and_keeps_its_project(browser: Any, project: Project) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 640})
    page.goto(project.register_link)

    assert page.inner_text("h1") == "Keep your project"
    shot(page, "local-register-page.png")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Your account is registered")

    assert project.token not in page.content()
    with httpx.Client(base_url=project.url, timeout=10) as api:
        assert api.get("/api/credits/balance/simple", headers=project.headers).json()["data"]["available"] == 592
    page.goto(project.project_link)  # the project is still there, and no longer asks to register
    assert page.inner_text("h1") == "Mountain Lake at Sunset" and page.query_selector("text=Register") is None
    page.close()


def test_an_expired_project_link_opens_a_page_that_says_what_to_do(browser: Any, project: Project) -> None:
    page = browser.new_page()
    response = page.goto(f"{project.url}/workspace/claim?ct=clm_0000")

    assert response.status == 404
    assert "expired" in page.inner_text("h1") and "Ask for the project again" in page.inner_text("main")
    page.close()
