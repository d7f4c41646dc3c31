"""The app's route table: only the documented routes answer."""

from __future__ import annotations

import pytest

from ..conftest import Api

pytestmark = pytest.mark.anyio


async def test_unknown_routes_are_plain_404(api: Api) -> None:
    r = await api.http.get("/api/nothing-here")

    assert r.status_code == 404
