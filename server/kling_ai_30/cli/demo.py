"""``kling-ai-30 demo``: the skill's quick-edit workflow, offline, from image to 1080p MP4.

Starts the local backend, uploads the bundled example image, asks for the skill text's example
("generate a 30-second cinematic video from this image with slow camera movement"), adds a title
and music, exports, and prints the MP4's path and the timeline.
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
from pathlib import Path
from typing import Any

from ..jobs.job import Job, JobKind, JobStatus
from ..jobs.manager import JobUpdate
from .commands import RunState, job_view, open_workspace
from .main import EXIT_FAILED, EXIT_OK
from .progress import ProgressLine

DEMO_TITLE = "Mountain Dreams"
# The offline backend's pretend "generation" time: long enough to show progress, short enough
# that the demo's time goes to the real work (rendering the 1080p MP4).
DEMO_BACKEND = {"generation_seconds": 1.5, "edit_seconds": 0.5, "heartbeat_every_s": 0.5}


def bundled_image() -> Path:
    """The example photo shipped with the package (made by the project's own backdrop generator)."""
    resource = importlib.resources.files("kling_ai_30").joinpath("local", "assets", "mountain.jpg")
    return Path(str(resource))


async def run_demo(args: argparse.Namespace, state: RunState) -> int:
    args.local = True  # the demo is the offline job by definition
    image = Path(args.image).expanduser().absolute() if args.image else bundled_image()
    progress = ProgressLine(enabled=not (args.quiet or args.json))
    steps: list[dict[str, Any]] = []
    output_dir = Path(args.output_dir).expanduser().absolute() if args.output_dir else None

    async def say(message: str) -> None:
        progress.update(message)

    async with open_workspace(args, sim=DEMO_BACKEND, output_dir=output_dir) as workspace:
        workspace.auto_export = False  # the demo exports once, at the end

        async def follow(job: Job) -> Job:
            state.job = job

            async def show(update: JobUpdate) -> None:
                fraction = update.progress if update.job.kind is JobKind.EXPORT else None
                progress.update(update.message or update.phase, fraction)

            done = await workspace.jobs.wait(job.id, float("inf"), on_update=show)
            state.job = None
            return done

        upload = await workspace.upload(args.project, path=str(image), on_status=say)
        steps.append({"step": "upload", "message": upload["message"]})
        progress.done(upload["message"])

        for request in (
            f"generate a {args.seconds}-second cinematic video from this image with slow camera movement",
            f'add the title "{DEMO_TITLE}" and calm lo-fi background music at 35%',
        ):
            job, _ = await workspace.start_generate(request, key=args.project, on_status=say)
            done = await follow(job)
            progress.done(f"» {request}\n{_reply(done)}")
            steps.append({"step": "generate", "request": request, **job_view(done)})
            if done.status is not JobStatus.DONE:
                return _finish(args, steps, EXIT_FAILED)

        job, _ = await workspace.start_export(key=args.project, on_status=say)
        done = await follow(job)
        progress.done()
        steps.append({"step": "export", **job_view(done)})
        if done.status is not JobStatus.DONE or not done.result:
            return _finish(args, steps, EXIT_FAILED)
        timeline = (await workspace.state(args.project))["summary"]
        result = done.result
        if args.json:
            print(json.dumps({"path": result["path"], "timeline": timeline, "steps": steps}, ensure_ascii=False))
        else:
            print(timeline)
            print(result["message"])
            print(result["path"])
        return EXIT_OK


def _reply(job: Job) -> str:
    if job.status is JobStatus.DONE and job.result:
        return str(job.result.get("message", ""))
    return str((job.error or {}).get("message") or job.message)


def _finish(args: argparse.Namespace, steps: list[dict[str, Any]], code: int) -> int:
    if args.json:
        print(json.dumps({"steps": steps}, ensure_ascii=False, default=str))
    else:
        print(steps[-1].get("message", "The demo stopped."))
    return code
