"""The `/_sim` admin routes: health, reset, the clock, users, faults and settings over HTTP."""

from __future__ import annotations

import pytest

from ..conftest import Api

pytestmark = pytest.mark.anyio


async def test_admin_routes_are_not_recorded_and_reset_forgets_everything(api: Api) -> None:
    account = await api.account()
    await api.http.get("/_sim/health")

    assert all(not r["path"].startswith("/_sim") for r in (await api.http.get("/_sim/requests")).json()["requests"])
    await api.http.post("/_sim/reset")

    after = await api.http.get("/api/credits/balance/simple", headers=account.headers)
    assert after.json()["code"] == 1001
    recorded = (await api.http.get("/_sim/requests")).json()["requests"]
    assert [r["path"] for r in recorded] == ["/api/credits/balance/simple"]


async def test_health_reports_ok_and_the_clock(api: Api) -> None:
    await api.http.post("/_sim/clock", json={"advance_s": 60})

    health = (await api.http.get("/_sim/health")).json()

    assert health["status"] == "ok"
    assert health["clock_offset_s"] == 60


async def test_clock_refuses_to_go_backwards(api: Api) -> None:
    r = await api.http.post("/_sim/clock", json={"advance_s": -1})

    assert r.status_code == 422


async def test_faults_can_be_armed_over_http(api: Api) -> None:
    account = await api.account()

    armed = await api.http.post(
        "/_sim/faults",
        json={
            "http_error": {"path_prefix": "/api/credits", "status": 502, "times": 1},
            "silent_edits": {"silent": True, "times": 3},
            "drop_stream": {"phase": "mid_tool_call"},
            "generation_seconds": 0.05,
        },
    )

    snapshot = armed.json()["faults"]
    assert snapshot["http_error"] == [{"path_prefix": "/api/credits", "status": 502, "times": 1}]
    assert snapshot["silent_edits"] == {"silent": True, "times": 3}
    assert snapshot["drop_stream"] == [{"phase": "mid_tool_call", "mode": "abort", "times": 1}]
    assert (await api.http.get("/api/credits/balance/simple", headers=account.headers)).status_code == 502
    assert (await api.http.get("/_sim/config")).json()["config"]["generation_seconds"] == 0.05
    cleared = await api.http.post("/_sim/faults", json={"clear": True})
    assert cleared.json()["faults"]["silent_edits"] is None


async def test_expire_lose_and_credit_faults_work_over_http(api: Api) -> None:
    one, two = await api.account(), await api.account()

    await api.http.post("/_sim/faults", json={"lose_session": two.session_id})
    await api.http.post("/_sim/faults", json={"set_credits": {"user_id": one.user_id, "available": 3}})
    lost = await api.http.get(f"/api/state/nemo_agent/me/{two.session_id}/latest", headers=two.headers)
    balance = await api.credits(one)
    await api.http.post("/_sim/faults", json={"expire_tokens": True})
    expired = await api.http.get("/api/credits/balance/simple", headers=one.headers)

    assert lost.json()["code"] == 1002
    assert balance == {"available": 3, "frozen": 0, "total": 3}
    assert expired.json()["code"] == 1001


@pytest.mark.parametrize(
    "body",
    [
        {"no_such_fault": True},
        {"drop_stream": {"phase": "sometime"}},
        {"http_error": {"path_prefix": "/", "status": 404}},
    ],
)
async def test_malformed_fault_requests_are_refused(api: Api, body: dict[str, object]) -> None:
    r = await api.http.post("/_sim/faults", json=body)

    assert r.status_code == 422


async def test_config_can_be_changed_over_http_but_not_the_data_dir(api: Api) -> None:
    changed = await api.http.post("/_sim/config", json={"vocabulary": "typed", "render_poll_shape": "B"})
    refused = await api.http.post("/_sim/config", json={"data_dir": "/tmp/elsewhere"})
    unknown = await api.http.post("/_sim/config", json={"colour": "red"})

    assert changed.json()["config"]["vocabulary"] == "typed"
    assert refused.status_code == 422 and unknown.status_code == 422


async def test_registered_users_are_listed_with_their_balances(api: Api) -> None:
    made = (await api.http.post("/_sim/users", json={"credits": 12})).json()

    users = (await api.http.get("/_sim/users")).json()["users"]

    assert {"user_id": made["user_id"], "anonymous": False, "available": 12, "frozen": 0, "spent": 0} in users
