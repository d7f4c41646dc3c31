"""The web pages behind the backend's links, over HTTP: what they answer, and what they never hold."""

from __future__ import annotations

import re

import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import GENERATE, Account, Api

pytestmark = pytest.mark.anyio


async def claim_link(api: Api, account: Account) -> str:
    answer = await api.http.post(
        "/api/auth/claim-token",
        json={"task_id": account.task_id, "session_id": account.session_id},
        headers=account.headers,
    )
    return f"/workspace/claim?ct={answer.json()['data']['claim_token']}"


async def test_the_project_page_shows_the_timeline_and_holds_no_token(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)
    link = await claim_link(api, account)

    page = await api.http.get(link)

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Mountain Lake</h1>" in page.text and "Not exported yet" in page.text
    assert (
        "1. Video: mountain lake (0-5s) 2. BGM: Lo-fi (0-5s, 35%) 3. Title: &quot;Mountain Lake&quot; (0-3s)"
        in page.text
    )
    assert account.token not in page.text and link.split("ct=")[1] not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"  # the claim token in the address goes nowhere
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert f'href="/register?bind={account.user_id}"' in page.text
    # Every resource the page uses is the backend's own, by path.
    assert all(url.startswith("/cdn/") for url in re.findall(r'(?:src|poster)="([^"]+)"', page.text))


async def test_text_on_the_page_is_escaped(instant: LocalBackend, api: Api) -> None:
    account = await api.account()
    await api.send(account, GENERATE)
    instant.faults.force_silent(True)
    await api.send(account, 'add title "<script>alert(1)</script>"')

    page = await api.http.get(await claim_link(api, account))

    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_an_unknown_project_link_is_a_404_page_saying_what_to_do(api: Api) -> None:
    page = await api.http.get("/workspace/claim?ct=clm_unknown")

    assert page.status_code == 404 and "Ask for the project again" in page.text


async def test_registering_keeps_the_user_and_token_and_adds_credits(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    form = await api.http.get(f"/register?bind={account.user_id}")
    assert form.status_code == 200 and 'action="/register"' in form.text and account.token not in form.text

    done = await api.http.post("/register", data={"bind": account.user_id})

    assert done.status_code == 303 and done.headers["location"] == f"/register?bind={account.user_id}"
    assert (await api.credits(account))["available"] == 100 + backend.config.registration_credits
    assert "Your account is registered" in (await api.http.get(done.headers["location"])).text
    again = await api.http.post("/register", data={"bind": account.user_id})  # once only
    assert again.status_code == 303 and (await api.credits(account))["available"] == 600


async def test_a_registration_link_for_no_account_is_a_404_page(api: Api) -> None:
    for answer in (
        await api.http.get("/register?bind=anon_nobody"),
        await api.http.get("/register"),
        await api.http.post("/register", data={"bind": "anon_nobody"}),
    ):
        assert answer.status_code == 404 and "does not match an account" in answer.text
