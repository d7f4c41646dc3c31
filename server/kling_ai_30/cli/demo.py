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
from typing import TYPE_CHECKING

from ..progress import Progress
from .exit_codes import EXIT_FAILED, EXIT_OK
from .progress import ProgressLine
from .running import RunState, follow, open_workspace

if TYPE_CHECKING:
    from ..workspace.outcome import JobResult

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
    args.wait = None  # and waits for everything
    image = Path(args.image).expanduser().absolute() if args.image else bundled_image()
    progress = ProgressLine(enabled=not (args.quiet or args.json))
    steps: list[JobResult] = []
    output_dir = Path(args.output_dir).expanduser().absolute() if args.output_dir else None

    async def show(update: Progress) -> None:
        progress.update(update.message, update.fraction)

    async with open_workspace(args, sim=DEMO_BACKEND, output_dir=output_dir) as (workspace, ref):
        upload = await workspace.upload(ref, path=str(image), on_progress=show)
        progress.done(upload.message)
        for request in (
            f"generate a {args.seconds}-second cinematic video from this image with slow camera movement",
            f'add the title "{DEMO_TITLE}" and calm lo-fi background music at 35%',
        ):
            # The demo exports once, at the end.
            outcome = await workspace.send(request, ref, auto_export=False, on_progress=show)
            done = await follow(args, workspace, state, outcome, progress)
            progress.done(f"» {request}\n{done.message}")
            steps.append(done)
            if done.status != "done":
                return _finish(args, steps, EXIT_FAILED)
        outcome = await workspace.export(ref, on_progress=show)
        exported = await follow(args, workspace, state, outcome, progress)
        steps.append(exported)
        if exported.status != "done" or exported.export is None:
            return _finish(args, steps, EXIT_FAILED)
        timeline = (await workspace.state(ref)).summary
        if args.json:
            shown = [step.model_dump(mode="json") for step in steps]
            print(json.dumps({"path": exported.export.path, "timeline": timeline, "steps": shown}, ensure_ascii=False))
        else:
            print(timeline)
            print(exported.export.message)
            print(exported.export.path)
        return EXIT_OK


def _finish(args: argparse.Namespace, steps: list[JobResult], code: int) -> int:
    if args.json:
        print(json.dumps({"steps": [step.model_dump(mode="json") for step in steps]}, ensure_ascii=False))
    else:
        print(steps[-1].message if steps else "The demo stopped.")
    return code
