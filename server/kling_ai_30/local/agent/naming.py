"""What the agent calls a new clip: its subject, in the words of the reply, and its title.

In this order (:func:`name_clip`):

1. the subject the request names ("a preview of waves at sunset"), titled from it ("Waves at Sunset");
2. else the upload's description, when the backdrop generator painted it and wrote what it shows
   into the file (:mod:`~kling_ai_30.local.media.backdrop.label`): "mountain landscape at sunset",
   山景 in Chinese, titled by its scene ("Mountain Dreams");
3. else, for a photo or clip of the user's, a neutral name ("your photo", 这张照片): the agent cannot
   see what is in it, and the file's name is not a description ("IMG_2041", "final-v3");
4. else (a text prompt that names nothing) the scene the generator will paint for the prompt.

A subject the user wrote is kept in their words, whatever the reply language; a title the user
gave ("titled "Summer"") wins over all of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kling_ai_30.local.agent.intent import Lang
from kling_ai_30.local.agent.lexicon import CJK
from kling_ai_30.local.media.backdrop.scene import describe, scene_for

# Small words an English title keeps in lower case ("Waves at Sunset").
_MINOR_WORDS = frozenset({"a", "an", "the", "and", "or", "of", "at", "in", "on", "by", "for", "to", "with", "over"})
_TITLE_WORDS = 6
_ZH_TITLE_CHARS = 16


@dataclass(frozen=True)
class ClipName:
    """A new clip's subject (as the reply says it) and its title.

    ``from_upload``: the subject stands for the user's own upload, not for what it shows ("your
    photo"), so a reply says "from your photo" instead of "of your photo" (用这张照片生成…).
    """

    subject: str
    title: str
    from_upload: bool = False

    @property
    def spoken(self) -> str:
        """The subject as an English sentence says it: "a mountain landscape", "waves", "the ocean"."""
        return self.subject if self.from_upload else with_article(self.subject)


_NEUTRAL: dict[Literal["image", "video"], tuple[str, str]] = {
    "image": ("your photo", "这张照片"),
    "video": ("your clip", "这段视频"),
}
_NEUTRAL_TITLE = ("Moments in Motion", "流动的瞬间")


def name_clip(
    lang: Lang,
    *,
    requested: str,
    prompt: str,
    upload: Literal["image", "video"] | None,
    description: str,
) -> ClipName:
    """The subject and title of a clip generated for a request (see the module docstring)."""
    if requested:
        return ClipName(requested, title_from(requested))
    if upload is not None and not description:
        en, zh = _NEUTRAL[upload]
        return ClipName(zh if lang == "zh" else en, _NEUTRAL_TITLE[1 if lang == "zh" else 0], from_upload=True)
    said = describe(scene_for(description or prompt))
    if lang == "zh":
        return ClipName(said.zh, said.title_zh)
    # A description read from a file is the generator's own English: kept as written.
    return ClipName(description or said.en, said.title_en)


def title_from(subject: str) -> str:
    """A title made of the subject: "Waves at Sunset"; Chinese kept as written, shortened."""
    if CJK.search(subject):
        return subject[:_ZH_TITLE_CHARS]
    words = subject.split()[:_TITLE_WORDS]
    titled = [w if i and w in _MINOR_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)]
    return " ".join(titled)[:40]


_DETERMINED = re.compile(r"^(?:a|an|the|my|your|our|his|her|their|this|that|these|those|some|\d)\b")
# Things there is one of, or that are not counted: "the ocean", "rain".
_THE = frozenset({"ocean", "sea", "sky", "moon", "sun", "earth", "horizon", "milky"})
_UNCOUNTED = frozenset(
    {"rain", "snow", "fog", "mist", "water", "traffic", "nature", "space", "light", "fire", "smoke", "sunlight"}
)


def with_article(subject: str) -> str:
    """An English noun phrase with the article a sentence needs: a rule of thumb, not grammar
    (plurals and uncounted nouns take none, one-of-a-kind things take "the", the rest "a"/"an")."""
    if not subject or CJK.search(subject) or _DETERMINED.match(subject):
        return subject
    head = subject.split()[0].lower()
    nouns = subject.lower().split(" at ")[0].split(" in ")[0].split(" over ")[0].split()
    last = nouns[-1] if nouns else head
    if head in _THE:
        return f"the {subject}"
    if last in _UNCOUNTED or (last.endswith("s") and not last.endswith(("ss", "us", "is"))):
        return subject
    return f"{'an' if head[0] in 'aeiou' else 'a'} {subject}"
