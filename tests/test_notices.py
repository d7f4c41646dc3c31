"""The notices collector: each note said once, project notes only to their project."""

from __future__ import annotations

from pathlib import Path

import pytest

from kling_ai_30.client.backend import BackendClient
from kling_ai_30.config import load_settings
from kling_ai_30.notices import Notice, Notices
from kling_ai_30.skill import load_identity
from tests.client.fake_backend import FakeBackend


def test_machine_wide_notes_go_to_whoever_asks_next_and_only_once() -> None:
    notices = Notices()
    notices.add("The saved token was damaged.")
    assert notices.take("bob") == ["The saved token was damaged."]
    assert notices.take("alice") == [] and notices.take() == []


def test_a_project_note_is_said_to_that_project_only() -> None:
    notices = Notices()
    notices.add("A new session was started.", project="alice")
    notices.add("A job record was damaged.")
    assert notices.take("bob") == ["A job record was damaged."]
    assert notices.take() == []  # no project: machine-wide notes only
    assert notices.take("alice") == ["A new session was started."]
    assert notices.pending() == ()


def test_the_same_note_pending_twice_is_said_once_in_the_order_notes_came() -> None:
    notices = Notices()
    for text in ("first", "second", "first"):
        notices.add(text)
    notices.add("first", project="alice")  # another audience: a note of its own
    assert notices.pending() == (Notice("first"), Notice("second"), Notice("first", "alice"))
    assert notices.take("alice") == ["first", "second", "first"]


@pytest.mark.anyio
async def test_a_damaged_token_cache_is_told_once_by_the_client_that_set_it_aside(private_home: Path) -> None:
    settings = load_settings({}, api_url="http://backend.test")
    settings.token_cache_path.parent.mkdir(parents=True, exist_ok=True)
    settings.token_cache_path.write_text('{"http://backend.test": {"tok')
    fake = FakeBackend()
    async with BackendClient(settings, load_identity(), transport=fake.transport()) as client:
        await client.credits()
        told = client.notices.take()
        assert client.notices.take() == []
    assert len(told) == 1 and "was damaged and was moved to" in told[0] and told[0].endswith("a new one is used.")
    assert fake.tokens_issued == 1
