"""GUI translation: the backend's "click / open / drag / preview" become things an API user can do."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kling_ai_30.conversation.gui import GuiAction, GuiInstruction, Translation, translate
from kling_ai_30.conversation.phrases import phrase_table
from kling_ai_30.conversation.trailing_issue import strip_trailing_temporary_issue

EXPORT = "Say “export” and I'll render the MP4 for you."
EXPORT_ZH = "说“导出”即可生成 MP4。"
TIMELINE = "Say “status” any time to see the timeline, or “export” to get the MP4."
TIMELINE_ZH = "说“状态”即可看到时间线，说“导出”即可得到 MP4。"
STATE = "Say “status” and I'll show what's in the project."
STATE_ZH = "说“状态”即可看到项目内容。"
CREDITS = "Say “credits” and I'll check your balance."
CREDITS_ZH = "说“积分”即可查看余额。"
TOP_UP = "Say “credits” and I'll check your balance; more credits can be bought in your NemoVideo account."
TOP_UP_ZH = "说“积分”即可查看余额；如需更多积分，可在 NemoVideo 账户中购买。"
UPLOAD = "Send me a file path or a link and I'll upload it."
EDIT = "Tell me the change you want and I'll make it."
EDIT_ZH = "告诉我想怎么调整，我来处理。"
REORDER = "Tell me the order you want and I'll rearrange them."
REORDER_ZH = "告诉我想要的顺序，我来调整。"
RETIME = "Tell me the new timing (for example “make the clip 20 seconds”) and I'll apply it."
RETIME_ZH = "告诉我新的时长或起止时间（例如“把视频剪到20秒”），我来调整。"
VOLUME = "Tell me the volume you want (for example “music at 30%”) and I'll set it."
VOLUME_ZH = "告诉我想要的音量（例如“背景音乐调到30%”），我来设置。"
ADD = "Tell me what to add and where, and I'll put it in the project."
ADD_ZH = "告诉我要添加什么、放在哪里，我来加进项目。"

E, Q, S, T, X, C = (
    GuiAction.EXECUTE,
    GuiAction.QUERY_STATE,
    GuiAction.SEND_EDIT,
    GuiAction.SHOW_TIMELINE,
    GuiAction.EXPORT,
    GuiAction.CREDITS,
)

# (backend reply, what the user reads, the actions found in order)
CASES = [
    # --- export: "Export button" / "click Download" / "导出"
    pytest.param("Click the Export button to download it.", EXPORT, [X], id="en-click-export-button"),
    pytest.param(
        "Your video is ready! Click the Export button in the top-right corner to download it.",
        f"Your video is ready! {EXPORT}",
        [X],
        id="en-export-after-content",
    ),
    pytest.param(
        "Your 30-second video is ready (1080p, 16:9). Click Download to save it.",
        f"Your 30-second video is ready (1080p, 16:9). {EXPORT}",
        [X],
        id="en-click-download",
    ),
    pytest.param(
        "When you're happy with it, hit the Export button.",
        "When you're happy with it, say “export” and I'll render the MP4 for you.",
        [X],
        id="en-mid-sentence-lowercase",
    ),
    pytest.param("Press the Render button to start rendering.", EXPORT, [X], id="en-press-render"),
    pytest.param("Click here to download your video.", EXPORT, [X], id="en-click-here-to-download"),
    pytest.param(
        "You can download it by clicking the Download button in the top right.", EXPORT, [X], id="en-by-clicking"
    ),
    pytest.param("The Export button is in the top-right corner.", EXPORT, [X], id="en-export-button-noun"),
    pytest.param("Go to Settings > Export and choose MP4.", EXPORT, [X], id="en-go-to-export-settings"),
    pytest.param("Select 1080p in the export dialog.", EXPORT, [X], id="en-select-in-export-dialog"),
    pytest.param("**Click Export** to get your MP4.", EXPORT, [X], id="en-bold-instruction"),
    pytest.param("点击导出按钮下载视频。", EXPORT_ZH, [X], id="zh-click-export"),
    pytest.param("点击导出按钮，即可下载高清视频。", EXPORT_ZH, [X], id="zh-click-export-then-comma"),
    pytest.param(
        "视频已生成！点击右上角的“导出”按钮下载。", f"视频已生成！{EXPORT_ZH}", [X], id="zh-quoted-button-name"
    ),
    pytest.param(
        "视频已生成，点击右上角的“导出”按钮即可下载。",
        f"视频已生成，{EXPORT_ZH}",
        [X],
        id="zh-export-after-comma",
    ),
    pytest.param("点击这里下载视频。", EXPORT_ZH, [X], id="zh-click-here-to-download"),
    # --- preview in timeline
    pytest.param("Preview in timeline.", TIMELINE, [T], id="en-preview-in-timeline"),
    pytest.param("You can preview it in the timeline.", TIMELINE, [T], id="en-you-can-preview"),
    pytest.param("Open the timeline panel to preview.", TIMELINE, [T], id="en-open-timeline-panel"),
    pytest.param("Play it in the preview window to check the motion.", TIMELINE, [T], id="en-preview-window"),
    pytest.param("Hit play to preview.", TIMELINE, [T], id="en-hit-play"),
    pytest.param("Check the timeline to see the new title.", TIMELINE, [T], id="en-check-timeline"),
    pytest.param("您可以在时间线预览效果。", TIMELINE_ZH, [T], id="zh-preview-in-timeline"),
    pytest.param("在时间线中预览一下效果吧。", TIMELINE_ZH, [T], id="zh-preview-in-timeline-2"),
    pytest.param("打开时间轴面板查看所有轨道。", TIMELINE_ZH, [T], id="zh-open-timeline-panel"),
    pytest.param(
        "已添加背景音乐（音量35%）。点击播放按钮预览效果。",
        f"已添加背景音乐（音量35%）。{TIMELINE_ZH}",
        [T],
        id="zh-click-play",
    ),
    # --- open a panel: query the state
    pytest.param("Open the media panel to see your uploaded photo.", STATE, [Q], id="en-open-media-panel"),
    pytest.param("Go to the Assets tab to find the generated clip.", STATE, [Q], id="en-go-to-tab"),
    pytest.param("Open the Text panel to change the font.", EDIT, [Q], id="en-open-panel-to-edit"),
    pytest.param("打开素材面板查看上传的图片。", STATE_ZH, [Q], id="zh-open-assets-panel"),
    pytest.param("打开素材面板即可看到上传的图片。", STATE_ZH, [Q], id="zh-open-assets-panel-2"),
    # --- drag: send the edit in words
    pytest.param(
        "I've added the title. Drag the title to reposition it.",
        "I've added the title. Tell me where to move the title and I'll do it.",
        [S],
        id="en-drag-title",
    ),
    pytest.param(
        'Your title "Urban Dreams" is set. You can drag it on the canvas to move it.',
        'Your title "Urban Dreams" is set. Tell me where to move it and I\'ll do it.',
        [S],
        id="en-drag-it",
    ),
    pytest.param("Drag the clips to reorder them.", REORDER, [S], id="en-drag-reorder"),
    pytest.param("Drag the right edge of the clip to make it shorter.", RETIME, [S], id="en-drag-edge"),
    pytest.param("You can adjust the volume by dragging the slider.", VOLUME, [S], id="en-drag-slider"),
    pytest.param("Use the volume slider to lower the music.", VOLUME, [S], id="en-use-slider"),
    pytest.param("Drag the music track onto the timeline under the video.", ADD, [S], id="en-drag-onto-timeline"),
    pytest.param("Drag and drop your images here to upload them.", UPLOAD, [S], id="en-drag-and-drop-upload"),
    pytest.param("You can move it by dragging.", EDIT, [S], id="en-by-dragging"),
    pytest.param("Double-click the title to edit the text.", EDIT, [S], id="en-double-click-to-edit"),
    pytest.param("拖拽片段调整顺序。", REORDER_ZH, [S], id="zh-drag-reorder"),
    pytest.param("拖动标题到合适的位置。", "告诉我要把标题移到哪里，我来调整。", [S], id="zh-drag-title"),
    pytest.param("把标题拖动到画面顶部。", "告诉我要把标题移到哪里，我来调整。", [S], id="zh-ba-construction"),
    pytest.param("您可以拖动片段边缘来调整时长。", RETIME_ZH, [S], id="zh-drag-edge"),
    pytest.param("拖动音量滑块调整背景音乐的音量。", VOLUME_ZH, [S], id="zh-drag-volume-slider"),
    pytest.param("把背景音乐拖到时间轴上。", ADD_ZH, [S], id="zh-drag-onto-timeline"),
    pytest.param("双击字幕即可编辑文字。", EDIT_ZH, [S], id="zh-double-click-to-edit"),
    # --- credits: account / billing / balance / 充值
    pytest.param("Check your account/billing page to see your remaining credits.", CREDITS, [C], id="en-billing"),
    pytest.param("You can view your credit balance on the account page.", CREDITS, [C], id="en-view-balance"),
    pytest.param("Please top up your credits in your account settings.", TOP_UP, [C], id="en-top-up"),
    pytest.param("Visit your account page to top up credits.", TOP_UP, [C], id="en-visit-account"),
    pytest.param("请查看您的账户余额。", CREDITS_ZH, [C], id="zh-check-account"),
    pytest.param("请前往账户页面充值。", TOP_UP_ZH, [C], id="zh-top-up-page"),
    pytest.param("积分不足，请充值后继续。", f"积分不足，{TOP_UP_ZH}", [C], id="zh-top-up-after-content"),
    # --- click a button: execute
    pytest.param(
        "Click Generate to create the video.", "Say “generate” and I'll take care of it.", [E], id="en-click-generate"
    ),
    pytest.param(
        'Click the "Apply" button to confirm the change.',
        "Say “apply” and I'll take care of it.",
        [E],
        id="en-quoted-button-name",
    ),
    pytest.param(
        "Click Regenerate if you don't like the motion.",
        "Say “regenerate” and I'll take care of it.",
        [E],
        id="en-click-regenerate",
    ),
    pytest.param(
        "Tap the ✨ Magic button to enhance the colors.",
        "Say “magic” and I'll take care of it.",
        [E],
        id="en-emoji-in-button-name",
    ),
    pytest.param(
        "Choose an option below.", "Just tell me what you'd like and I'll do it.", [E], id="en-generic-option"
    ),
    pytest.param("Click Upload to add more images.", UPLOAD, [E], id="en-click-upload"),
    pytest.param("点击生成即可开始。", "说“生成”即可，我来处理。", [E], id="zh-click-generate"),
    pytest.param("点击生成按钮开始生成视频。", "说“生成”即可，我来处理。", [E], id="zh-click-generate-button"),
    # --- several in one reply
    pytest.param(
        "Great — I've generated a 30-second cinematic video of the mountain landscape with slow camera movement "
        "(0-30s). Preview it in the timeline, then click Export when you're happy.",
        "Great — I've generated a 30-second cinematic video of the mountain landscape with slow camera movement "
        f"(0-30s). {EXPORT}",
        [T, X],
        id="en-preview-then-export",
    ),
    pytest.param("Click the Music tab and drag a track onto the timeline.", ADD, [Q, S], id="en-two-in-one-sentence"),
    pytest.param("Click Export. Then click Download.", EXPORT, [X, X], id="en-repeated-phrase-said-once"),
    pytest.param(
        "Your video is ready.\n\n1. Click Export\n2. Wait for the render\n3. Click Download",
        f"Your video is ready.\n\n1. {EXPORT[:-1]}\n2. Wait for the render",
        [X, X],
        id="en-numbered-steps",
    ),
    pytest.param("您可以在时间轴中查看效果，满意后点击导出。", EXPORT_ZH, [T, X], id="zh-preview-then-export"),
    pytest.param(
        "Sure! I'll add a lo-fi track at 35% volume. 点击导出即可下载。",
        f"Sure! I'll add a lo-fi track at 35% volume. {EXPORT_ZH}",
        [X],
        id="mixed-languages",
    ),
    # --- not instructions: content, negation, statements
    pytest.param('I added the title "Click Here" in bold at the top.', None, [], id="en-quoted-title-click"),
    pytest.param(
        "The caption reads 'Drag me' — tell me if you want different wording.", None, [], id="en-single-quotes"
    ),
    pytest.param("I've added a title: “点击关注”.", None, [], id="zh-quoted-title"),
    pytest.param("我为视频添加了标题“拖拽这里”。", None, [], id="zh-quoted-drag"),
    pytest.param("Don't click Export yet — the music is still being generated.", None, [], id="en-negated"),
    pytest.param("不要点击导出，音乐还在生成中。", None, [], id="zh-negated"),
    pytest.param("I couldn't find the export button.", None, [], id="en-negated-noun"),
    pytest.param("I generated a drag race scene with slow camera movement.", None, [], id="en-drag-as-content"),
    pytest.param("I'll open with a wide shot of the mountains.", None, [], id="en-open-as-content"),
    pytest.param("Select a style: cinematic, anime, or realistic.", None, [], id="en-select-without-gui"),
    pytest.param("我已经打开了背景音乐。", None, [], id="zh-statement-with-le"),
    pytest.param(
        "Register here: https://nemovideo.com/register?bind=abc123. Then come back.", None, [], id="en-link-kept"
    ),
    pytest.param("Your video has slow camera movement and a warm grade.", None, [], id="en-plain-description"),
]


@pytest.mark.parametrize(("reply", "shown", "actions"), CASES)
def test_translation(reply: str, shown: str | None, actions: list[GuiAction]) -> None:
    result = translate(reply)
    assert result.text == (reply if shown is None else shown)
    assert [i.action for i in result.instructions] == actions


@pytest.mark.parametrize(("reply", "shown", "actions"), CASES)
def test_no_gui_instruction_is_left_outside_quotes(reply: str, shown: str | None, actions: list[GuiAction]) -> None:
    if not actions:
        return
    outside = re.sub(r'"[^"]*"|“[^”]*”|\'[^\']*\'', "", translate(reply).text)
    assert not re.search(r"click|drag|open the \w+ panel|点击|拖拽|拖动|打开", outside, re.IGNORECASE)


@pytest.mark.parametrize(("reply", "shown", "actions"), CASES)
def test_translating_twice_changes_nothing_more(reply: str, shown: str | None, actions: list[GuiAction]) -> None:
    once = translate(reply)
    assert translate(once.text) == Translation(once.text, ())


@pytest.mark.parametrize(
    ("reply", "target", "phrase"),
    [
        pytest.param(
            "Click the Export button to download it.",
            "Export button",
            "Click the Export button to download it",
            id="en-button",
        ),
        pytest.param("点击右上角的“导出”按钮即可下载。", "导出按钮", "点击右上角的“导出”按钮即可下载", id="zh-button"),
        pytest.param("Open the media panel.", "media panel", "Open the media panel", id="en-panel"),
        pytest.param(
            "Drag the title to reposition it.", "title", "Drag the title to reposition it", id="en-dragged-thing"
        ),
        pytest.param("拖拽片段调整顺序。", "片段", "拖拽片段调整顺序", id="zh-dragged-thing"),
        pytest.param("Click here to download.", None, "Click here to download", id="generic-has-no-target"),
        pytest.param("Preview it in the timeline.", "timeline", "Preview it in the timeline", id="preview-place"),
    ],
)
def test_instruction_names_its_target_and_wording(reply: str, target: str | None, phrase: str) -> None:
    (instruction,) = translate(reply).instructions
    assert (instruction.target, instruction.phrase) == (target, phrase)


def test_instructions_keep_their_own_wording_when_they_share_a_sentence() -> None:
    result = translate("Click the Music tab and drag a track onto the timeline.")
    assert result.instructions == (
        GuiInstruction(GuiAction.QUERY_STATE, "Click the Music tab", "Music tab"),
        GuiInstruction(GuiAction.SEND_EDIT, "drag a track onto the timeline", "track"),
    )


def test_content_around_instructions_is_kept_exactly() -> None:
    reply = (
        "I've generated your video: a 30-second 1080p clip of a mountain landscape with a slow push-in.\n"
        "- Music: Lo-fi at 35%\n"
        '- Title: "Urban Dreams" (0-3s)\n\n'
        "Click the Export button to download it. Want a different mood? Just tell me!"
    )
    expected = reply.replace("Click the Export button to download it.", EXPORT)
    assert translate(reply).text == expected


def test_translate_drops_the_trailing_temporary_issue_too() -> None:
    result = translate("Click Export to download. I encountered a temporary issue.")
    assert result.text == EXPORT
    assert [i.action for i in result.instructions] == [GuiAction.EXPORT]


def test_empty_reply() -> None:
    assert translate("") == Translation("", ())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_replacement_phrase_reads_as_a_gui_instruction(lang: str) -> None:
    # A phrase that did would be rewritten again, or carried out, the next time a reply quoted it.
    phrases = phrase_table().model_dump(mode="json")[lang]["phrases"]
    for name, phrase in phrases.items():
        sentence = phrase.replace("{target}", "add music") + ("." if lang == "en" else "。")
        assert translate(sentence) == Translation(sentence, ()), name


GUI_WORDS = st.sampled_from(
    [
        "click ",
        "Click the ",
        "drag ",
        "open the ",
        " panel",
        "Export button",
        "点击",
        "拖拽",
        "打开",
        "导出按钮",
        "的",
        "把",
        "here",
        " by ",
        "don't ",
        "“",
        "”",
        '"',
        "'",
        "**",
        "`",
        "\n",
        "1. ",
        ". ",
        "，",
        "。",
        "https://x.y/a ",
        "I encountered a temporary issue",
        "preview in the timeline",
        "在时间线预览",
        "top up",
        "充值",
        "button",
        "slider",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(GUI_WORDS | st.text(max_size=5), max_size=30).map("".join))
def test_gui_heavy_text_never_raises(reply: str) -> None:
    result = translate(reply)
    assert isinstance(result.text, str)
    assert all(isinstance(i.action, GuiAction) for i in result.instructions)
    assert translate(reply) == result  # deterministic


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_never_raises(reply: str) -> None:
    translate(reply)
    strip_trailing_temporary_issue(reply)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param("Done! Click the Export button to download it.", "I'm rendering the MP4 for you now", id="en"),
        pytest.param("视频已生成！点击导出按钮即可下载。", "正在为你生成 MP4", id="zh"),
    ],
)
def test_an_export_the_caller_runs_itself_reads_as_under_way(reply: str, expected: str) -> None:
    translated = translate(reply, exporting=True)
    assert expected in translated.text
    assert [i.action for i in translated.instructions] == [GuiAction.EXPORT]
