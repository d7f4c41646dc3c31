"""The closing "I encountered a temporary issue" is dropped after a normal reply, kept when it is the reply."""

from __future__ import annotations

import pytest

from kling_ai_30.conversation.trailing_issue import strip_trailing_temporary_issue


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        pytest.param("Done! I encountered a temporary issue.", "Done!", id="en-trailing"),
        pytest.param(
            "I've added the title.\n\nI encountered a temporary issue. Please try again later.",
            "I've added the title.",
            id="en-trailing-with-retry-advice",
        ),
        pytest.param(
            "Added music. Sorry, I've encountered a temporary issue while saving.",
            "Added music.",
            id="en-apology-variant",
        ),
        pytest.param("已添加字幕。抱歉，我遇到了一个临时问题。", "已添加字幕。", id="zh-trailing"),
        pytest.param(
            "I encountered a temporary issue. Please try again.",
            "I encountered a temporary issue. Please try again.",
            id="alone-it-is-the-reply",
        ),
        pytest.param(
            "I encountered a temporary issue earlier, but it's fixed: your video is ready with music, a title, "
            "slow camera movement, a warm colour grade, captions for every line of the script, and a fade-out "
            "at the end. It runs 30 seconds at 1080p, and the title stays on screen for the first three seconds "
            "so the opening reads clearly.",
            None,
            id="not-trailing-when-a-reply-follows",
        ),
        pytest.param("All good.", "All good.", id="no-issue"),
    ],
)
def test_trailing_temporary_issue_is_dropped_after_a_normal_reply(reply: str, shown: str | None) -> None:
    assert strip_trailing_temporary_issue(reply) == (reply if shown is None else shown)
