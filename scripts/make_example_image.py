"""Make the demo's example photo: a 1920×1080 mountain landscape from the project's own generator.

The image ships in the package (``kling_ai_30/local/assets/mountain.jpg``) so ``kling-ai-30 demo``
works offline with nothing downloaded. Run again only if the generator changes:

    python scripts/make_example_image.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from kling_ai_30.local.media.backdrop.label import painted_exif
from kling_ai_30.local.media.backdrop.painter import backdrop_image

PROMPT = "a mountain landscape at golden hour"

TARGET = Path(__file__).resolve().parents[1] / "server/kling_ai_30/local/assets/mountain.jpg"


def main() -> None:
    image: Image.Image = backdrop_image(PROMPT, 1920, 1080)
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    # Labelled like every painted still, so the demo's video is described (and titled) from it.
    image.convert("RGB").save(
        TARGET, format="JPEG", quality=86, optimize=True, progressive=True, exif=painted_exif(PROMPT)
    )
    print(f"{TARGET} ({TARGET.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
