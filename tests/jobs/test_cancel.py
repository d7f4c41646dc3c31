"""What a cancel may stop: free work (an export's render, a generate's steps before its message) is
abandoned; a message that may have reached the backend, or an MP4 being saved, is let finish."""

from __future__ import annotations

import pytest

from kling_ai_30.jobs.cancel import (
    ALREADY_DOWNLOADING,
    ALREADY_SENT,
    EXPORT_CANCELLED,
    GENERATE_CANCELLED,
    stop_message,
    why_it_goes_on,
)
from kling_ai_30.jobs.job import Job, JobKind, JobStatus
from kling_ai_30.jobs.plan import ExportStep, SendStep, UploadStep

GENERATE_PLAN = [UploadStep(source="/tmp/a.jpg"), SendStep(text="animate it"), ExportStep(auto=True)]


def job(kind: JobKind, **fields: object) -> Job:
    steps = GENERATE_PLAN if kind is JobKind.GENERATE else [ExportStep()]
    return Job.model_validate(
        {"id": f"{kind.value[:3]}_0123456789ab", "kind": kind, "principal": "local", "project": "p", "steps": steps}
        | fields
    )


@pytest.mark.parametrize(
    ("case", "fields", "stopped_with"),
    [
        ("export checking the timeline", {"phase": "checking"}, EXPORT_CANCELLED),
        ("export rendering", {"phase": "rendering", "render_ids": ["render_1"]}, EXPORT_CANCELLED),
        ("export saving the MP4", {"phase": "downloading", "render_ids": ["render_1"]}, None),
        ("export finished", {"status": JobStatus.DONE, "phase": "done"}, None),
    ],
)
def test_an_export_is_abandoned_until_its_mp4_is_being_saved(
    case: str, fields: dict[str, object], stopped_with: str | None
) -> None:
    assert stop_message(job(JobKind.EXPORT, **fields)) == stopped_with, case


@pytest.mark.parametrize(
    ("case", "fields", "stopped_with"),
    [
        ("uploading first", {"step": 0, "phase": "uploading"}, GENERATE_CANCELLED),
        ("at the message, not yet sending", {"step": 1, "phase": "uploading"}, GENERATE_CANCELLED),
        ("sending", {"step": 1, "phase": "sending", "sending": True}, None),
        ("accepted (a record from before `sending`)", {"step": 1, "accepted": True}, None),
        ("exporting after the reply", {"step": 2, "phase": "rendering"}, None),
    ],
)
def test_a_generate_is_abandoned_only_until_its_message_starts_out(
    case: str, fields: dict[str, object], stopped_with: str | None
) -> None:
    assert stop_message(job(JobKind.GENERATE, **fields)) == stopped_with, case


def test_a_job_that_goes_on_says_why() -> None:
    assert why_it_goes_on(job(JobKind.GENERATE, sending=True)) == ALREADY_SENT
    assert why_it_goes_on(job(JobKind.EXPORT, phase="downloading")) == ALREADY_DOWNLOADING
