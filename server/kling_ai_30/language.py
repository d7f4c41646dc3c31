"""The language a person wrote in, for what we say back to them in our own words.

The backend's agent answers in the user's language; our own sentences (the change lines that
answer a silent reply, the "nothing changed" note) must too. Chinese when the request has Chinese
outside its quotes: 'add the title "海边的早晨"' is an English request, "把标题改成 Sunset" a Chinese one.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "zh"]

_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|‘[^’]*’|「[^」]*」|『[^』]*』|\'[^\']*\'')
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_of(text: str) -> Language:
    return "zh" if _HAN.search(_QUOTED.sub(" ", text)) else "en"
