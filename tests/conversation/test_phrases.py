"""The GUI phrase table: package data validated strictly, read once."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from kling_ai_30.conversation.phrases import PhraseTable, phrase_table


def test_phrase_table_is_validated_strictly() -> None:
    table = phrase_table()
    assert phrase_table() is table  # read once
    raw = table.model_dump(mode="json")
    with pytest.raises(ValidationError):
        PhraseTable.model_validate({**raw, "fr": raw["en"]})
    broken = yaml.safe_load(yaml.safe_dump(raw))
    broken["en"]["phrases"]["move"] = "Tell me where to move it"
    with pytest.raises(ValidationError, match=r"placeholder|target"):
        PhraseTable.model_validate(broken)
