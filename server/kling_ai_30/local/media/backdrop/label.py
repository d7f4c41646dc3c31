"""A painted still's label: what it shows, written into the file, so whoever is handed it later (the
upload route, the agent) can describe it without guessing, and never from its file name.

The label is EXIF: ``ImageDescription`` holds the scene in words
(:func:`~kling_ai_30.local.media.backdrop.scene.describe`), ``Software`` says this generator painted
it. A description is read only from a file that carries that mark: cameras write junk into
``ImageDescription`` ("OLYMPUS DIGITAL CAMERA" and the like), and a user's photo is described
neutrally instead. Pillow only, no NumPy: reading a label must stay cheap.
"""

from __future__ import annotations

from PIL import Image

from kling_ai_30.local.media.backdrop.scene import describe, scene_for

PAINTER_MARK = "kling-ai-30 backdrop"
_EXIF_DESCRIPTION = 0x010E  # ImageDescription
_EXIF_SOFTWARE = 0x0131  # Software
MAX_DESCRIPTION_CHARS = 200


def painted_exif(prompt: str) -> Image.Exif:
    """The label of the still painted for `prompt`."""
    exif = Image.Exif()
    exif[_EXIF_DESCRIPTION] = describe(scene_for(prompt)).en
    exif[_EXIF_SOFTWARE] = PAINTER_MARK
    return exif


def painted_description(image: Image.Image) -> str:
    """What a still this generator painted shows, or "" for any other picture."""
    exif = image.getexif()
    if exif.get(_EXIF_SOFTWARE) != PAINTER_MARK:
        return ""
    description = exif.get(_EXIF_DESCRIPTION)
    return description.strip()[:MAX_DESCRIPTION_CHARS] if isinstance(description, str) else ""
