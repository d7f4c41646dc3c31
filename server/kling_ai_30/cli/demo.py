"""``kling-ai-30 demo``: the skill's quick-edit workflow, offline, from image to 1080p MP4.

Starts the local backend, uploads the bundled example photo (or ``--image``), asks for the skill
text's example ("generate a 30-second cinematic video from this image with slow camera movement"),
makes one edit in conversation (a gold title and a fade-out), exports, and prints the MP4's path
and the timeline. With ``--prompt`` and no image, the video is made from the words alone.

The title is the agent's, as it would be online: taken from what the request names, else from
what the picture shows. The bundled photo says what it shows (the backdrop generator wrote it into
the file), so its video is called "Mountain Dreams"; a photo of yours gets a neutral title,
because the offline agent cannot see it and its file name is no description.
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

# The offline backend's pretend "generation" time: long enough to show progress, short enough
# that the demo's time goes to the real work (rendering the 1080p MP4). Its account starts with
# enough for what the demo shows: a 30 s clip costs 60 of the usual free 100 here, and before
# this machine has seen an edit's price the estimate is the published ~50 per edit, so 40 left
# would (rightly) refuse the demo's edit.
DEMO_BACKEND = {"generation_seconds": 1.5, "edit_seconds": 0.5, "heartbeat_every_s": 0.5, "anonymous_credits": 200}
DEMO_EDIT = "make the title gold and add a fade-out at the end"


def bundled_image() -> Path:
    """The example photo shipped with the package (made by the project's own backdrop generator)."""
    resource = importlib.resources.files("kling_ai_30").joinpath("local", "assets", "mountain.jpg")
    return Path(str(resource))


async def run_demo(args: argparse.Namespace, state: RunState) -> int:
    args.local = True  # the demo is the offline job by definition
    args.wait = None  # and waits for everything
    prompt = (getattr(args, "prompt", None) or "").strip()
    image = Path(args.image).expanduser().absolute() if args.image else None if prompt else bundled_image()
    progress = ProgressLine(enabled=not (args.quiet or args.json))
    steps: list[JobResult] = []
    output_dir = Path(args.output_dir).expanduser().absolute() if args.output_dir else None

    async def show(update: Progress) -> None:
        progress.update(update.message, update.fraction)

    async with open_workspace(args, sim=DEMO_BACKEND, output_dir=output_dir) as (workspace, ref):
        if image is not None:
            upload = await workspace.upload(ref, path=str(image), on_progress=show)
            progress.done(upload.message)
        for request in (_generation_request(args.seconds, prompt, from_image=image is not None), DEMO_EDIT):
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


def _generation_request(seconds: int, prompt: str, *, from_image: bool) -> str:
    """The skill text's example request, naming what the video shows when the user said it."""
    about = f" of {prompt}" if prompt else ""
    source = " from this image" if from_image else ""
    return f"generate a {seconds}-second cinematic video{about}{source} with slow camera movement"
