"""The CDN route: public, byte ranges, and no way out of the CDN folder."""

from __future__ import annotations

import pytest

from ..conftest import Api, png_bytes

pytestmark = pytest.mark.anyio


async def test_cdn_serves_byte_ranges(api: Api) -> None:
    account = await api.account()
    content = png_bytes(64, 48)
    url = (await api.upload(account, ("a.png", content))).json()["data"]["files"][0]["cdn_url"]

    r = await api.http.get(url, headers={"Range": "bytes=0-9"})

    assert r.status_code == 206
    assert r.content == content[:10]


async def test_cdn_needs_no_auth_and_refuses_path_tricks(api: Api) -> None:
    assert (await api.http.get("/cdn/../store.py")).status_code == 404
    assert (await api.http.get("/cdn/uploads/%2e%2e/%2e%2e/x")).status_code == 404
    assert (await api.http.get("/cdn/missing.mp4")).status_code == 404
