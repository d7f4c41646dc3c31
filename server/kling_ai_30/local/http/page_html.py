"""The HTML of the local backend's web pages: the project page and the registration page.

Self-contained (inline CSS, no script, no outside resource: they are opened offline), escaped
throughout, and built from small typed views, so what a page shows is decided by
:mod:`~kling_ai_30.local.http.pages` and only drawn here. Media are linked by path (``/cdn/...``),
so a page works on whichever address the backend answers. No page ever holds a token: the claim
token is in the address the user opened, never in what is sent back.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

# What the pages look like: a dark studio, one accent colour.
_STYLE = """
:root { color-scheme: dark; --bg: #101217; --panel: #181b22; --line: #2a2f3a; --text: #e8eaf0;
  --muted: #9aa3b5; --accent: #f5b642; --video: #4f8cff; --bgm: #3fbf8f; --text-track: #f5b642;
  --sub: #c77dff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif; }
header { display: flex; align-items: center; gap: 12px; padding: 14px 28px; border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; letter-spacing: .02em; }
header .tag { color: var(--muted); font-size: 13px; border: 1px solid var(--line); border-radius: 999px;
  padding: 2px 10px; }
main { max-width: 980px; margin: 0 auto; padding: 28px; }
h1 { font-size: 28px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 22px; }
.player { background: #000; border-radius: 12px; overflow: hidden; border: 1px solid var(--line);
  display: flex; align-items: center; justify-content: center; }
.player video, .player img { display: block; max-width: 100%; max-height: 520px; }
.empty { padding: 60px 20px; color: var(--muted); text-align: center; }
.meta { color: var(--muted); font-size: 13px; margin: 10px 0 0; display: flex; gap: 16px; flex-wrap: wrap; }
.meta a { color: var(--accent); }
section { background: var(--panel); border: 1px solid var(--line); border-radius: 12px; padding: 18px 20px;
  margin-top: 22px; }
section h2 { font-size: 16px; margin: 0 0 14px; }
.summary { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; color: var(--muted);
  margin: 0 0 14px; }
.ruler, .row { display: grid; grid-template-columns: 110px 1fr; align-items: center; gap: 12px; }
.ruler .scale { display: flex; justify-content: space-between; color: var(--muted); font-size: 12px; }
.row { margin-top: 8px; }
.row .label { color: var(--muted); font-size: 13px; }
.lane { position: relative; height: 34px; background: #0d0f13; border-radius: 8px; }
.clip { position: absolute; top: 4px; bottom: 4px; border-radius: 6px; padding: 0 10px; font-size: 13px;
  color: #0b0d12; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  display: flex; align-items: center; }
.video { background: var(--video); } .bgm { background: var(--bgm); }
.title { background: var(--text-track); } .subtitle { background: var(--sub); }
.credits { display: flex; justify-content: space-between; align-items: center; gap: 16px; flex-wrap: wrap; }
.button { display: inline-block; background: var(--accent); color: #16130a; border: 0; border-radius: 8px;
  padding: 10px 18px; font: inherit; font-weight: 700; text-decoration: none; cursor: pointer; }
.note { color: var(--muted); font-size: 13px; }
.card { max-width: 560px; margin: 40px auto; }
.ok { color: var(--bgm); font-weight: 700; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 30px 20px 40px; }
"""

FOOTER = (
    "The offline stand-in for nemovideo.com, served by kling-ai-30's local backend: "
    "nothing on this page leaves this computer."
)


@dataclass(frozen=True)
class Clip:
    """One segment on a lane: where it sits (ms), what it says, and its volume (music only)."""

    start_ms: int
    duration_ms: int
    label: str
    volume: int | None = None  # percent


@dataclass(frozen=True)
class Lane:
    """One track of the timeline."""

    name: str  # Video, BGM, Title, Subtitle
    kind: str  # CSS class: video | bgm | title | subtitle
    clips: tuple[Clip, ...]


@dataclass(frozen=True)
class Render:
    """The latest completed render: where its MP4 is and what it is."""

    path: str  # /cdn/render-result/<id>.mp4
    seconds: float
    size_bytes: int


@dataclass(frozen=True)
class ProjectView:
    """What the project page shows."""

    title: str
    summary: str
    duration_ms: int
    ratio: str
    lanes: tuple[Lane, ...]
    render: Render | None
    still: str | None  # the clip's source picture (/cdn/...), shown before there is a render
    credits: int
    anonymous: bool
    register_path: str | None


@dataclass(frozen=True)
class RegisterView:
    """What the registration page shows."""

    user_id: str
    registered: bool
    credits: int
    bonus: int


def project_page(view: ProjectView) -> str:
    """The project page: the latest render's player, the timeline, the credits."""
    if view.render is not None:
        render = view.render
        poster = f' poster="{escape(view.still)}"' if view.still else ""
        player = f'<video controls preload="metadata" src="{escape(render.path)}"{poster}></video>'
        meta = (
            f"<span>Latest render: {render.seconds:.1f} s, {render.size_bytes / (1024 * 1024):.1f} MB</span>"
            f'<a href="{escape(render.path)}" download>Download the MP4</a>'
        )
    else:
        still = f'<img src="{escape(view.still)}" alt="The clip\'s picture">' if view.still else ""
        player = still or '<div class="empty">Nothing generated yet.</div>'
        meta = "<span>Not exported yet: ask for “export” to render the MP4.</span>"
    credits = f"<div><strong>{view.credits}</strong> credits available</div>"
    if view.anonymous and view.register_path:
        credits += f'<a class="button" href="{escape(view.register_path)}">Register to keep this project</a>'
    body = f"""
<h1>{escape(view.title)}</h1>
<p class="sub">Project · {escape(view.ratio)} · {view.duration_ms / 1000:g} s</p>
<div class="player">{player}</div>
<div class="meta">{meta}</div>
<section aria-label="Timeline">
  <h2>Timeline</h2>
  <p class="summary">{escape(view.summary)}</p>
  {_timeline(view)}
</section>
<section class="credits" aria-label="Credits">{credits}</section>
"""
    return _page(view.title, body)


def register_page(view: RegisterView) -> str:
    """The registration page: register the anonymous account, or say it is done."""
    if view.registered:
        inner = f"""
<h1>Your account is registered</h1>
<p class="ok">✅ Your projects are kept, and you have {view.credits} credits.</p>
<p class="note">Go back to your assistant or terminal and carry on where you were.</p>
"""
    else:
        inner = f"""
<h1>Keep your project</h1>
<p>You are using an anonymous account with {view.credits} credits left. Registering keeps your
projects and adds {view.bonus} credits.</p>
<form method="post" action="/register">
  <input type="hidden" name="bind" value="{escape(view.user_id)}">
  <button class="button" type="submit">Register</button>
</form>
<p class="note">On nemovideo.com this page creates your account. Offline, it registers your account with
this computer's local backend only.</p>
"""
    return _page("Register", f'<section class="card">{inner}</section>')


def message_page(title: str, message: str) -> str:
    """A page that only says something: an unknown or expired link, a bad request."""
    return _page(title, f'<section class="card"><h1>{escape(title)}</h1><p>{escape(message)}</p></section>')


def _timeline(view: ProjectView) -> str:
    total = max(view.duration_ms, 1)
    marks = "".join(f"<span>{total * i / 4 / 1000:g}s</span>" for i in range(5))
    rows = [f'<div class="ruler"><span></span><div class="scale">{marks}</div></div>']
    for lane in view.lanes:
        clips = "".join(
            f'<div class="clip {lane.kind}" style="left:{100 * c.start_ms / total:.2f}%;'
            f'width:{max(2.0, 100 * c.duration_ms / total):.2f}%" title="{escape(_shown(c))}">{escape(_shown(c))}</div>'
            for c in lane.clips
        )
        rows.append(
            f'<div class="row"><span class="label">{escape(lane.name)}</span><div class="lane">{clips}</div></div>'
        )
    return "\n".join(rows)


def _shown(clip: Clip) -> str:
    return clip.label if clip.volume is None else f"{clip.label} · {clip.volume}%"


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{escape(title)} · NemoVideo (offline)</title>
<style>{_STYLE}</style>
</head>
<body>
<header><span class="brand">NemoVideo</span><span class="tag">offline · kling-ai-30</span></header>
<main>{body}</main>
<footer>{escape(FOOTER)}</footer>
</body>
</html>
"""
