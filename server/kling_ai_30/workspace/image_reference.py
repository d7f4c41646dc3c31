"""A request about "this image": the project's picture, or a question — never a paid guess.

"Generate a video from this photo" with nothing uploaded would make a video of something else
and spend a clip's credits on it (the backend generates from the words alone). So before a paid
message is sent, a request that points at a picture of the user's — "this image", "my photo",
"这张图片", "我上传的照片" — needs one in the project, or an upload in the same request.

The router reads some of these words as "upload my photo, then…" ("use this photo to make a
video"), an upload with no file named. When the project already has a picture, that is the one
meant: the request goes ahead without the upload step instead of asking for a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from ..client.models import UploadedFile
from ..errors import InputError
from ..jobs.plan import LONG_STEPS, PlanStep, SendStep, UploadStep

_PICTURE = r"(image|photo|photograph|picture|pic|screenshot|selfie)s?"
_POINTS_AT_A_PICTURE = re.compile(
    rf"\b(this|that|these|those|my|our|the\s+(uploaded|attached|above|same))\s+(uploaded\s+|attached\s+)?{_PICTURE}\b"
    r"|这(张|个|幅|些)(图|图片|照片|相片|截图|自拍)|(我|刚才|刚刚)?(上传|发|传)的(图|图片|照片|相片)"
    r"|這(張|個|幅|些)(圖|圖片|照片|相片|截圖)|(我|剛才|剛剛)?(上傳|發|傳)的(圖|圖片|照片|相片)",
    re.IGNORECASE,
)
NO_PICTURE = (
    "Which picture? This project has no uploaded image yet, so the video would be made from the words "
    "alone. Upload it first (the upload tool with its path or link, `--attach PATH` on the command line, "
    "or drop it into the studio), then ask again. Nothing was sent and nothing was spent."
)


def check_picture_named(steps: Sequence[PlanStep], uploads: Sequence[UploadedFile]) -> None:
    """Refuse a message that points at the user's picture when neither the project nor the request has one."""
    if uploads or any(isinstance(step, UploadStep) for step in steps):
        return
    if any(isinstance(step, SendStep) and _POINTS_AT_A_PICTURE.search(step.text) for step in steps):
        raise InputError(NO_PICTURE)


def unnamed_file(
    steps: list[PlanStep], uploads: Callable[[], Sequence[UploadedFile]]
) -> tuple[list[PlanStep], int | None]:
    """The steps to run, and the index of an upload step whose file nobody named while work after
    it needs one (None when there is none): the caller asks for the file and sends nothing.
    ``uploads`` (the project's) is read only for such a request."""
    at = next((i for i, step in enumerate(steps) if isinstance(step, UploadStep) and not step.source), None)
    if at is None or not any(isinstance(step, LONG_STEPS) for step in steps[at:]):
        return steps, None
    if uploads():
        return steps[:at] + steps[at + 1 :], None
    return steps, at
