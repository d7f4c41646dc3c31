"""Text normalisation for the router: folded for matching, mapped back to the user's characters."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kling_ai_30.router.normalize import normalize, normalize_with_origin


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        pytest.param("EXPORT The Video", "export the video", id="case-folded"),
        pytest.param("ＥＸＰＯＲＴ　ｉｔ", "export it", id="full-width-letters-and-space"),
        pytest.param("积分？余额！", "积分?余额!", id="full-width-punctuation"),
        pytest.param("加点音乐。导出、下载", "加点音乐.导出,下载", id="chinese-full-stop-and-enumeration-comma"),
        pytest.param("what’s “this” ‘one’", "what's \"this\" 'one'", id="curly-quotes"),
        pytest.param("  add \t music \u00a0 now  ", "add music now", id="whitespace-collapsed-and-trimmed"),
        pytest.param("add music\n\n  then export", "add music\nthen export", id="line-breaks-kept-as-one"),
        pytest.param("Straße", "strasse", id="case-folding-expands"),
        pytest.param("ﬁnal ｆｉｌｅ…", "final file...", id="compatibility-forms"),
        pytest.param("a\x00b\x1bc", "a b c", id="control-characters-become-spaces"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalize_folds_what_people_type_into_one_form(text: str, folded: str) -> None:
    assert normalize(text) == folded


def test_the_origin_map_points_at_the_users_own_characters() -> None:
    norm = normalize_with_origin("  ＥＸＰＯＲＴ，  Straße “Title” ")
    start = norm.text.index("strasse")
    assert norm.original(start, start + len("strasse")) == "Straße"
    start = norm.text.index('"title"')
    assert norm.original(start, start + len('"title"')) == "“Title”"
    assert norm.original(0, len("export,")) == "ＥＸＰＯＲＴ，"


def test_plain_text_keeps_every_position() -> None:
    norm = normalize_with_origin("Add music and then Export")
    assert norm.origin is None
    assert norm.original(19, 25) == "Export"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=80))
def test_any_text_folds_and_maps_back_inside_the_original(text: str) -> None:
    norm = normalize_with_origin(text)
    assert norm.text == norm.text.strip()
    assert "  " not in norm.text
    for start in range(len(norm.text) + 1):
        a, b = norm.original_span(start, len(norm.text))
        assert 0 <= a <= b <= len(text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("aBc 导出，？！ＡＢ　“”‘’。、\t"), max_size=40))
def test_the_fast_path_and_the_character_by_character_path_agree(text: str) -> None:
    spaced = f"  {text}  "  # leading spaces force the character-by-character path
    assert normalize(spaced) == normalize(text)
    assert normalize(normalize(text)) == normalize(text)  # folding twice changes nothing more
