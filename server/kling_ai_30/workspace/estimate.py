"""What a request will cost, before anything is sent: paid work happens only on the user's word.

The backend publishes no price list. Its own notes give rough rates (api notes §3.6 and §10: about
100 credits per generated clip, about 50 per edit, export free), and the skill text warns that
30-second clips cost more than short ones. So an estimate starts from those rates and learns: once
this machine has seen what a clip or an edit actually cost on this backend (the balance before and
after a job), the median of the latest of those is the estimate, and the estimate says which it is.

A message counts as a new clip when it asks for one in words ("generate…", "make a video…",
"生成…") or when the timeline is still empty (its first message makes the clip); anything else is
an edit.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from pydantic import BaseModel

from ..client.envelope import ErrorContext
from ..errors import InsufficientCreditsError
from ..jobs.job import Job
from ..jobs.plan import SendStep
from ..policy import CREDITS_PER_EDIT, CREDITS_PER_GENERATED_CLIP, ESTIMATE_FROM_LAST_JOBS

_NEW_CLIP = re.compile(
    # "generate a 30-second cinematic video", "make me another clip", "create 2 previews"
    r"\b(generat|creat|mak|produc|render|shoot|film|animat)\w*\s+(me\s+|us\s+)?(a|an|another|new|one|two|\d+)\b"
    r"[^.!?\n]{0,50}?\b(videos?|clips?|previews?|movies?|films?|footage|animations?|shots?)\b"
    # "turn this photo into a video", "a video from this image", "a new clip"
    r"|\binto an? (video|clip|movie|animation)\b|\b(video|clip|preview) (from|of) (this|the|my) (image|photo|picture)\b"
    r"|\b(new|another|second) (video|clip|preview)\b"
    r"|生成|做成|制作|做一[个段條条支部]|拍一[个段條条支部]|來一[段個部]|来一[段个部]",
    re.IGNORECASE,
)
PUBLISHED = "NemoVideo's published rates: about 100 credits per generated clip, 50 per edit; export is free"


class Estimate(BaseModel):
    """A request's expected cost, and the balance it is measured against."""

    credits: int
    clips: int
    edits: int
    available: int
    source: str

    @property
    def affordable(self) -> bool:
        return self.available >= self.credits

    def refusal(self, web_url: str, user_id: str | None, *, anonymous: bool) -> InsufficientCreditsError:
        """The request is not sent: what it needs, what there is, and the way out for this account
        (anonymous: register, keeping the project; registered: top up)."""
        register = ErrorContext(web_url, user_id=user_id, anonymous=anonymous).register_url
        short = "You're out of credits" if self.available <= 0 else "Not enough credits"
        need = f"{short}: this request needs {self.describe()}. It was not sent and nothing was spent."
        if register is not None:
            way_out = f"Register at {register} to keep this project and get more credits, then try again."
        else:
            way_out = f"Top up credits in your account ({web_url}), then try again."
        return InsufficientCreditsError(f"{need} {way_out}", register_url=register)

    def describe(self) -> str:
        parts = [
            f"{n} {what}{'s' if n > 1 else ''}" for n, what in ((self.clips, "new clip"), (self.edits, "edit")) if n
        ]
        return f"about {self.credits} credits ({', '.join(parts)}; {self.source}); {self.available} available"


def is_new_clip(text: str, timeline_empty: bool) -> bool:
    return timeline_empty or bool(_NEW_CLIP.search(text))


def estimate(sends: Sequence[SendStep], *, timeline_empty: bool, available: int, history: Sequence[Job]) -> Estimate:
    """The cost of sending ``sends`` (in order: only the first can make the clip of an empty timeline)."""
    clips = sum(1 for i, step in enumerate(sends) if is_new_clip(step.text, timeline_empty and i == 0))
    edits = len(sends) - clips
    clip_cost, clip_measured = _unit_cost(history, clips=1, published=CREDITS_PER_GENERATED_CLIP)
    edit_cost, edit_measured = _unit_cost(history, clips=0, published=CREDITS_PER_EDIT)
    measured = (clips and clip_measured) or (edits and edit_measured)
    source = "measured on this backend from your recent requests" if measured else PUBLISHED
    return Estimate(
        credits=clips * clip_cost + edits * edit_cost, clips=clips, edits=edits, available=available, source=source
    )


def _unit_cost(history: Sequence[Job], *, clips: int, published: int) -> tuple[int, bool]:
    """The median cost of the latest single-message jobs of that kind, else the published rate."""
    seen = [
        job.credits_spent
        for job in sorted(history, key=lambda job: job.created_at, reverse=True)
        if job.credits_spent is not None and job.request.clips == clips and job.request.clips + job.request.edits == 1
    ][:ESTIMATE_FROM_LAST_JOBS]
    if not seen:
        return published, False
    return round(statistics.median(seen)), True
