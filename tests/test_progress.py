"""The one progress shape: a transfer's byte counts passed on as ``Progress``, and a transfer's
failure passed on as itself (not wrapped in an exception group)."""

from __future__ import annotations

import anyio
import pytest

from kling_ai_30.errors import ServerError
from kling_ai_30.progress import Progress, byte_progress

pytestmark = pytest.mark.anyio


async def test_byte_counts_arrive_as_fractions_and_the_latest_is_kept() -> None:
    seen: list[Progress] = []

    async def show(update: Progress) -> None:
        seen.append(update)

    async with byte_progress("Uploading a.mp4", "uploading", show) as count:
        count(50, 100)
        await anyio.sleep(0.01)
        count(100, 100)
        await anyio.sleep(0.01)
    assert [(p.message, p.fraction, p.phase) for p in seen][-1] == ("Uploading a.mp4", 1.0, "uploading")


async def test_a_transfer_that_fails_raises_its_own_error() -> None:
    async def show(update: Progress) -> None:
        pass

    with pytest.raises(ServerError, match="HTTP 503"):
        async with byte_progress("Uploading", "uploading", show):
            raise ServerError("The backend failed (HTTP 503).")
