"""Account routes: anonymous tokens, sessions, claim tokens, and the error envelopes (api notes §2.3, §3.1-3.3)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from kling_ai_30.local import LocalBackend

from ..conftest import Api

pytestmark = pytest.mark.anyio
WEEK_S = 7 * 24 * 3600


async def test_anonymous_token_has_the_documented_shape_and_a_seven_day_expiry(api: Api) -> None:
    r = await api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c1"})

    assert r.status_code == 200
    body = r.json()
    assert body["code"] == 0
    data = body["data"]
    assert re.fullmatch(r"nmv_usr_[0-9a-f]+", data["token"])
    assert re.fullmatch(r"anon_[0-9a-f]{16}", data["user_id"])
    assert data["credits"] == 100
    expires = datetime.strptime(data["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)


async def test_token_request_without_client_id_is_refused_with_400(api: Api) -> None:
    r = await api.http.post("/api/auth/anonymous-token")

    assert r.status_code == 400
    assert r.json() == {"code": 400, "message": "Missing X-Client-Id header", "data": None}


async def test_second_token_for_a_client_id_within_its_window_is_rate_limited(api: Api) -> None:
    await api.token("same-client")

    r = await api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "same-client"})

    assert r.status_code == 429
    assert r.json()["code"] == 429
    assert r.headers["retry-after"] == "30"


async def test_after_expiry_the_same_client_id_gets_a_new_token_for_the_same_user(api: Api) -> None:
    first = await api.token("returning")
    await api.http.post("/_sim/clock", json={"advance_s": WEEK_S + 1})

    old = await api.http.get("/api/credits/balance/simple", headers={"Authorization": f"Bearer {first['token']}"})
    second = await api.token("returning")

    assert old.status_code == 401
    assert old.json()["code"] == 1001
    assert second["token"] != first["token"]
    assert second["user_id"] == first["user_id"]


async def test_an_address_gets_at_most_the_configured_number_of_tokens(backend: LocalBackend, api: Api) -> None:
    backend.configure(tokens_per_ip=2)
    await api.token("a")
    await api.token("b")

    r = await api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c"})

    assert r.status_code == 429


@pytest.mark.parametrize(
    "authorization",
    [None, "Token abc", "Bearer", "Bearer not-a-nemo-token", "Bearer nmv_usr_0000", "bearer nmv_usr_deadbeef"],
)
async def test_requests_without_a_valid_bearer_get_1001_with_http_401(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}

    r = await api.http.get("/api/credits/balance/simple", headers=headers)

    assert r.status_code == 401
    body = r.json()
    assert body["code"] == 1001
    assert body["data"] is None
    assert body["message"]


async def test_a_revoked_token_is_refused(backend: LocalBackend, api: Api) -> None:
    account = await api.account()
    backend.faults.revoke_token(account.token)

    r = await api.http.get("/api/credits/balance/simple", headers=account.headers)

    assert r.json()["code"] == 1001
    assert "revoked" in r.json()["message"]


async def test_code_errors_can_travel_with_http_200(backend: LocalBackend, api: Api) -> None:
    backend.configure(errors_with_http_200=True)

    unauthorised = await api.http.get("/api/credits/balance/simple")
    no_client_id = await api.http.post("/api/auth/anonymous-token")

    assert (unauthorised.status_code, unauthorised.json()["code"]) == (200, 1001)
    assert no_client_id.status_code == 400  # HTTP-level errors keep their status


async def test_create_session_returns_task_session_and_user(api: Api) -> None:
    issued = await api.token()

    r = await api.http.post(
        "/api/tasks/me/with-session/nemo_agent",
        json={"task_name": "project", "language": "en"},
        headers={"Authorization": f"Bearer {issued['token']}"},
    )

    data = r.json()["data"]
    assert re.fullmatch(r"task_[0-9a-f]+", data["task_id"])
    assert re.fullmatch(r"[1-9]\d{18}", data["session_id"])
    assert data["user_id"] == issued["user_id"]


async def test_create_session_accepts_the_real_user_id_in_place_of_me(api: Api) -> None:
    issued = await api.token()

    r = await api.http.post(
        f"/api/tasks/{issued['user_id']}/with-session/nemo_agent",
        json={"task_name": "editing_session"},
        headers={"Authorization": f"Bearer {issued['token']}"},
    )

    assert r.json()["code"] == 0


async def test_create_session_without_task_name_is_a_validation_error(api: Api) -> None:
    issued = await api.token()

    r = await api.http.post(
        "/api/tasks/me/with-session/nemo_agent", json={}, headers={"Authorization": f"Bearer {issued['token']}"}
    )

    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "task_name"]


async def test_claim_token_is_a_reusable_clm_token_valid_for_a_week(api: Api) -> None:
    account = await api.account()
    body = {"task_id": account.task_id, "session_id": account.session_id}

    first = await api.http.post("/api/auth/claim-token", json=body, headers=account.headers)
    second = await api.http.post("/api/auth/claim-token", json=body, headers=account.headers)

    data = first.json()["data"]
    assert re.fullmatch(r"clm_[0-9a-f]+", data["claim_token"])
    assert data["expires_in"] == 604800
    assert second.json()["data"]["claim_token"] == data["claim_token"]


async def test_claim_token_for_a_wrong_task_is_session_not_found(api: Api) -> None:
    account = await api.account()

    r = await api.http.post(
        "/api/auth/claim-token",
        json={"task_id": "task_other", "session_id": account.session_id},
        headers=account.headers,
    )

    assert (r.status_code, r.json()["code"]) == (404, 1002)


async def test_registered_user_made_by_the_admin_api_has_its_balance(api: Api) -> None:
    made = (await api.http.post("/_sim/users", json={"credits": 7})).json()

    r = await api.http.get("/api/credits/balance/simple", headers={"Authorization": f"Bearer {made['token']}"})

    assert made["user_id"].startswith("usr_")
    assert r.json()["data"] == {"available": 7, "frozen": 0, "total": 7}


async def test_expire_tokens_fault_turns_every_current_token_into_1001(backend: LocalBackend, api: Api) -> None:
    one, two = await api.account(), await api.account()
    backend.faults.expire_tokens()

    for account in (one, two):
        r = await api.http.get("/api/credits/balance/simple", headers=account.headers)
        assert r.json()["code"] == 1001
        assert "expired" in r.json()["message"]
    assert (await api.token(one.client_id))["user_id"] == one.user_id


async def test_rate_limit_fault_refuses_the_next_token_requests_then_lifts(backend: LocalBackend, api: Api) -> None:
    backend.faults.rate_limit_token_issues(times=2)

    statuses = [
        (await api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": f"rl-{i}"})).status_code
        for i in range(3)
    ]

    assert statuses == [429, 429, 200]


async def test_state_has_the_five_documented_keys(api: Api) -> None:
    account = await api.account()

    r = await api.http.get(f"/api/state/nemo_agent/me/{account.session_id}/latest", headers=account.headers)

    data = r.json()["data"]
    assert (data["session_id"], data["task_id"], data["task_name"]) == (account.session_id, account.task_id, "project")
    assert set(data["state"]) == {"video_infos", "draft", "canvas_config", "video_analyses", "generated_media"}
    assert data["state"]["canvas_config"] == {"width": 1920, "height": 1080, "ratio": "16:9"}


async def test_state_of_someone_elses_session_is_1002(api: Api) -> None:
    mine, theirs = await api.account(), await api.account()

    r = await api.http.get(f"/api/state/nemo_agent/me/{theirs.session_id}/latest", headers=mine.headers)

    assert (r.status_code, r.json()["code"]) == (404, 1002)
