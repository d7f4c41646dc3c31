"""Jobs on disk: a record reads back as it was saved, a damaged one is set aside and named, and
anything in the folder that is not a regular file is passed over without blocking."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kling_ai_30.jobs.job import Job, JobKind, JobRequest, JobStatus
from kling_ai_30.jobs.output import JobOutput
from kling_ai_30.jobs.plan import ExportStep, SendStep
from kling_ai_30.jobs.store import JobStore
from kling_ai_30.policy import KEEP_FINISHED_JOBS, TASK_TTL_S
from kling_ai_30.results import Failure


@pytest.fixture
def told() -> list[str]:
    return []


@pytest.fixture
def store(tmp_path: Path, told: list[str]) -> JobStore:
    return JobStore(tmp_path / "jobs", tell=told.append)


def a_job() -> Job:
    return Job(
        id="gen_0123456789ab",
        kind=JobKind.GENERATE,
        principal="local",
        project="default",
        status=JobStatus.FAILED,
        request=JobRequest(message="a 5-second video of rain", output_dir="/tmp/videos", routed_to=["sse", "export"]),
        steps=[SendStep(text="a 5-second video of rain"), ExportStep(auto=True, renders_before=0)],
        step=1,
        render_ids=["render_1_abc"],
        result=JobOutput(message="✅ Video added", changes=["✅ Video added: rain (0-5s)"]),
        error=Failure(type="RenderFailedError", code=None, message="The render failed."),
    )


def test_a_saved_job_reads_back_equal_with_its_typed_plan(store: JobStore) -> None:
    job = a_job()
    store.save(job)
    loaded = store.load(job.id)
    assert loaded == job
    assert isinstance(loaded.steps[1], ExportStep) and loaded.steps[1].auto


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param({"step": 5}, id="step-beyond-the-plan"),
        pytest.param({"steps": [{"action": "dance"}]}, id="unknown-step"),
        pytest.param({"progress": 7}, id="progress-out-of-range"),
        pytest.param({"kind": "render"}, id="unknown-kind"),
        pytest.param({"id": "gen_ffffffffffff"}, id="another-jobs-id"),
    ],
)
def test_a_record_that_does_not_validate_is_set_aside_and_named(
    store: JobStore, told: list[str], damage: dict[str, object]
) -> None:
    job = a_job()
    store.save(job)
    path = store.directory / f"{job.id}.json"
    path.write_text(json.dumps({**job.model_dump(mode="json"), **damage}), encoding="utf-8")
    assert store.load(job.id) is None
    assert not path.exists() and len(list(store.directory.glob(f"{job.id}.json.corrupt-*"))) == 1
    assert len(told) == 1 and job.id in told[0] and "damaged" in told[0]
    assert store.load(job.id) is None and len(told) == 1  # set aside once, told once


def test_a_record_with_fields_this_version_does_not_keep_still_loads(store: JobStore, told: list[str]) -> None:
    job = a_job()
    store.save(job)
    path = store.directory / f"{job.id}.json"
    # ``session_id`` was written by earlier builds; a field a later build adds must not strand its jobs either.
    older = {**job.model_dump(mode="json"), "session_id": "1001", "kept_by_a_later_build": True}
    path.write_text(json.dumps(older), encoding="utf-8")
    loaded = store.load(job.id)
    assert loaded is not None and told == []
    assert loaded.model_dump(exclude={"session_id"}) == job.model_dump(exclude={"session_id"})


def test_a_fifo_in_the_jobs_folder_is_passed_over_not_opened(store: JobStore, told: list[str]) -> None:
    store.save(a_job())
    os.mkfifo(store.directory / "gen_aaaaaaaaaaaa.json")  # opening it for reading would block forever
    assert [job.id for job in store.all()] == ["gen_0123456789ab"]
    assert any("gen_aaaaaaaaaaaa" in note and "not a regular file" in note for note in told)


def test_finished_jobs_past_the_newest_are_kept_until_the_task_lifetime_is_over(store: JobStore) -> None:
    """An MCP task promises its job for ``TASK_TTL_S``: pruning by count waits for that age too."""
    now = 10_000_000.0
    for number in range(KEEP_FINISHED_JOBS + 4):
        created = now - (TASK_TTL_S + 60 if number < 2 else 60)  # the two oldest are past the lifetime
        store.save(
            Job(
                id=f"exp_{number:012x}",
                kind=JobKind.EXPORT,
                principal="local",
                project="default",
                status=JobStatus.DONE,
                created_at=created,
                updated_at=created + number,
                result=JobOutput(message="Done."),
            )
        )
    store.prune(now=now)
    kept = {job.id for job in store.all()}
    assert len(kept) == KEEP_FINISHED_JOBS + 2
    assert "exp_000000000000" not in kept and "exp_000000000001" not in kept
