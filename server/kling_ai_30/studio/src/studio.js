// The studio view. It runs in the host's sandboxed iframe and talks only to the host, through the
// official App SDK (inlined above as `McpApps`): every call goes through the host like the model's
// own, on the same project. It has no network of its own: the video arrives in bounded parts
// (resources/read, else the app-only `studio_video` tool) and a dropped file leaves the same way
// (the app-only `studio_upload` tool). It never sees a token: only the results the tools return.
// `CONFIG` (above) is written by scripts/build_studio.py from the server's policy.
const { App, applyDocumentTheme, applyHostStyleVariables, applyHostFonts } = McpApps;

const $ = (id) => document.getElementById(id);
const el = {
  status: $("status"), job: $("job"), phase: $("job-phase"), elapsed: $("job-elapsed"), bar: $("job-bar"),
  barFill: $("job-bar-fill"), jobMessage: $("job-message"), message: $("message"), videoBox: $("video-box"),
  player: $("player"), videoInfo: $("video-info"), openLink: $("open-link"), timeline: $("timeline"),
  tracks: $("tracks"), summary: $("summary"), copy: $("copy"), drop: $("drop"), file: $("file"),
  upload: $("upload"), actions: $("actions"), titleForm: $("title-form"), titleText: $("title-text"),
  confirm: $("confirm"),
};

// What the view did, for diagnostics and the browser tests (never anything secret: only what the
// tools returned). Kept small: events are summaries, not payloads.
const probe = (window.__studio = { events: [], progressTexts: [], cspViolations: [], playback: null });
const note = (kind, detail) => probe.events.push({ kind, detail, t: Math.round(performance.now()) });
document.addEventListener("securitypolicyviolation", (e) => {
  probe.cspViolations.push({ directive: e.effectiveDirective, blocked: e.blockedURI });
});

const app = new App({ name: "kling-ai-30-studio", version: "1" }, { availableDisplayModes: ["inline"] });
let project = null; // the `project` argument of the call that opened the view, passed on to ours
let following = null; // the job id being followed
let tornDown = false;
let exportable = false;
let uploads = 0;

const setStatus = (state, text) => {
  el.status.dataset.state = state;
  el.status.textContent = text;
};
const withProject = (args) => (project ? { ...args, project } : args);
const textOf = (result) =>
  (result?.content ?? [])
    .filter((block) => block.type === "text")
    .map((block) => block.text)
    .join("\n")
    .replace(/^Error executing tool \w+: /, "");

function showMessage(text, isError = false) {
  el.message.hidden = !text;
  el.message.textContent = text ?? "";
  el.message.classList.toggle("error", isError);
}

async function callTool(name, args) {
  note("call", name);
  return app.callServerTool({ name, arguments: args });
}

// ------------------------------------------------------------------ results, whatever their tool

function show(result) {
  const data = result?.structuredContent;
  note("result", data ? Object.keys(data).slice(0, 4).join(",") : "text");
  if (data && "job_id" in data && "status" in data) return showJob(data);
  if (el.job.dataset.status === "waiting") {
    stopTicker("stopped");
    el.job.hidden = true;
    el.job.dataset.status = "idle";
  }
  if (result?.isError) return showMessage(textOf(result), true);
  if (data && "tracks" in data) return showTimeline(data);
  if (data && "files" in data) {
    showMessage(data.message);
    return refreshTimeline();
  }
  showMessage(data?.message ?? textOf(result));
  return refreshTimeline();
}

// ------------------------------------------------------------------ live work

let seenAt = null;
let ticker = null;

function showJob(job) {
  el.job.hidden = false;
  el.job.dataset.status = job.status;
  el.job.dataset.jobId = job.job_id;
  const what = job.kind === "export" ? "Export" : "Video";
  if (job.status === "running") {
    // The message's first line is the work; the rest tells the model how to follow it up.
    const line = (job.message ?? "").split("\n")[0] || "Working on it…";
    const text = `${phaseLabel(job.phase)}: ${line}`;
    if (probe.progressTexts.at(-1) !== text) probe.progressTexts.push(text);
    el.phase.textContent = `${what} · ${phaseLabel(job.phase)}`;
    el.jobMessage.textContent = line;
    el.bar.hidden = job.progress == null;
    el.barFill.style.width = `${Math.round((job.progress ?? 0) * 100)}%`;
    startTicker();
    setBusy(true);
    follow(job.job_id);
    return;
  }
  stopTicker(job.status === "done" ? "done" : "stopped");
  el.bar.hidden = true;
  setBusy(false);
  if (job.status === "failed") {
    el.phase.textContent = `${what} failed`;
    el.jobMessage.textContent = job.message;
    return refreshTimeline();
  }
  el.phase.textContent = job.kind === "export" ? "Export done" : "Done";
  el.jobMessage.textContent = job.question ?? job.reply ?? job.message;
  if (job.export) playVideo(job.export);
  if (job.state) showTimeline(job.state);
  else refreshTimeline();
  tellModel(`Studio: ${job.kind} job ${job.job_id} finished. ${job.timeline ?? ""}`.trim());
}

const PHASES = {
  starting: "Starting", setup: "Setting up", sending: "Sending", thinking: "Thinking", tool: "Working",
  still_working: "Still working", raw_video: "Finishing", checking: "Checking", recovering: "Reconnecting",
  submitting: "Starting the render", rendering: "Rendering", downloading: "Downloading", reading: "Reading",
  resuming: "Resuming",
};

function phaseLabel(phase) {
  const words = PHASES[phase] ?? String(phase ?? "working").replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function startTicker() {
  seenAt ??= Date.now();
  if (ticker) return;
  const tick = () => {
    const s = Math.round((Date.now() - seenAt) / 1000);
    el.elapsed.textContent = s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  };
  tick();
  ticker = setInterval(tick, 1000);
}

function stopTicker(how) {
  if (ticker) clearInterval(ticker);
  ticker = null;
  if (seenAt !== null && how === "done") {
    el.elapsed.textContent = `${Math.round((Date.now() - seenAt) / 1000)} s`;
  }
  seenAt = null;
}

// Hosts do not pass progress notifications on to views, so the view asks `job` itself: each call
// waits up to CONFIG.jobPollSeconds and returns at once when the job ends.
async function follow(jobId) {
  if (following === jobId) return;
  following = jobId;
  try {
    while (following === jobId && !tornDown) {
      const result = await callTool("job", { job_id: jobId, wait_seconds: CONFIG.jobPollSeconds });
      const job = result.structuredContent;
      if (!job || !("status" in job)) {
        showMessage(textOf(result), true);
        return;
      }
      if (job.status !== "running") {
        following = null;
        showJob(job);
        return;
      }
      showJob(job);
    }
  } catch (err) {
    showMessage(`Lost touch with the job: ${err.message}. Ask the assistant for its status.`, true);
  } finally {
    if (following === jobId) following = null;
  }
}

// ------------------------------------------------------------------ the timeline

async function refreshTimeline() {
  try {
    const result = await callTool("state", withProject({}));
    if (!result.isError && result.structuredContent) showTimeline(result.structuredContent);
  } catch (err) {
    note("state-failed", err.message);
  }
}

function showTimeline(state) {
  exportable = Boolean(state.exportable);
  uploads = state.uploads ?? uploads;
  el.timeline.hidden = false;
  el.summary.textContent = state.summary;
  const end = Math.max(1, ...state.tracks.flatMap((t) => t.segments.map((s) => s.end_s)));
  const rows = state.tracks.map((track) => {
    const row = document.createElement("li");
    row.className = "track";
    row.dataset.kind = track.kind;
    const name = document.createElement("div");
    name.className = "track-name";
    name.textContent = track.label;
    const lane = document.createElement("div");
    lane.className = "lane";
    for (const seg of track.segments) {
      const piece = document.createElement("span");
      piece.className = "segment";
      piece.style.left = `${(seg.start_s / end) * 100}%`;
      piece.style.width = `${((seg.end_s - seg.start_s) / end) * 100}%`;
      const times = `${fmt(seg.start_s)}–${fmt(seg.end_s)} s`;
      const volume = seg.volume != null ? `, ${Math.round(seg.volume * 100)}%` : "";
      const words = seg.text ? `“${seg.text}” ` : seg.label ? `${seg.label} ` : "";
      piece.textContent = `${words}${times}${volume}`;
      piece.title = piece.textContent;
      lane.append(piece);
    }
    row.append(name, lane);
    return row;
  });
  if (!rows.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = "Nothing on the timeline yet: drop a photo, then make a preview.";
    rows.push(empty);
  }
  el.tracks.replaceChildren(...rows);
  updateButtons();
}

const fmt = (s) => (Number.isInteger(s) ? String(s) : s.toFixed(1));

el.copy.addEventListener("click", async () => {
  const text = el.summary.textContent;
  try {
    await navigator.clipboard.writeText(text);
    el.copy.textContent = "Copied";
  } catch {
    // The sandbox may refuse the clipboard: select the line so the user can copy it.
    const range = document.createRange();
    range.selectNodeContents(el.summary);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    el.copy.textContent = document.execCommand?.("copy") ? "Copied" : "Selected";
  }
  setTimeout(() => (el.copy.textContent = "Copy"), 2000);
});

// ------------------------------------------------------------------ the video

let objectUrl = null;

async function playVideo(video) {
  el.videoBox.hidden = false;
  el.videoBox.dataset.state = "loading";
  el.videoBox.dataset.renderId = video.render_id;
  el.player.hidden = true;
  const useResources = Boolean(app.getHostCapabilities()?.serverResources);
  const started = performance.now();
  const parts = [];
  const encoded = [];
  let received = 0;
  try {
    for (let i = 0, count = 1; i < count; i++) {
      el.videoInfo.textContent = `Loading the video… ${Math.round((received / video.size_bytes) * 100)}%`;
      const base64 = useResources ? await partByResource(video.render_id, i) : await partByTool(video.render_id, i);
      const bytes = fromBase64(base64);
      parts.push(bytes);
      encoded.push(base64);
      received += bytes.length;
      if (i === 0) count = Math.max(1, Math.ceil(video.size_bytes / bytes.length));
      await new Promise((resolve) => setTimeout(resolve, 0)); // let the view breathe between parts
    }
    if (received !== video.size_bytes) throw new Error(`got ${received} bytes of ${video.size_bytes}`);
    let how = "blob";
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = URL.createObjectURL(new Blob(parts, { type: "video/mp4" }));
    if (!(await load(objectUrl))) {
      // The spec's default CSP allows `media-src 'self' data:` only. Parts are whole multiples of
      // 3 bytes, so their base64 strings join into one data: URL; bounded, because a huge one is
      // exactly the freeze the parts avoid.
      if (received > CONFIG.dataUrlMaxBytes) throw new Error("this host does not let the view play a video this large");
      how = "data";
      if (!(await load(`data:video/mp4;base64,${encoded.join("")}`))) throw new Error("the browser could not play it");
    }
    probe.playback = {
      how, renderId: video.render_id, size: received, duration: el.player.duration,
      loadMs: Math.round(performance.now() - started),
    };
    el.videoBox.dataset.state = "ready";
    const shape = video.width && video.height ? `${video.width}×${video.height} · ` : "";
    const name = video.path.split(/[\\/]/).pop();
    el.videoInfo.textContent = `${fmt(Math.round(el.player.duration * 10) / 10)} s · ${shape}${(received / 1e6).toFixed(1)} MB · ${name}`;
    el.videoInfo.title = video.path;
  } catch (err) {
    el.videoBox.dataset.state = "error";
    el.player.hidden = true;
    el.videoInfo.textContent = `The video could not be shown here (${err.message}). It is saved at ${video.path}`;
  }
  if (video.task_link && app.getHostCapabilities()?.openLinks) {
    el.openLink.hidden = false;
    el.openLink.onclick = () => app.openLink({ url: video.task_link });
  }
}

async function partByResource(renderId, part) {
  const uri = CONFIG.videoPartUri.replace("{render_id}", encodeURIComponent(renderId))
    .replace("{part}", String(part))
    .replace("{?project}", project ? `?project=${encodeURIComponent(project)}` : "");
  const result = await app.readServerResource({ uri });
  const content = result.contents?.[0];
  if (!content || typeof content.blob !== "string") throw new Error(`part ${part} was empty`);
  return content.blob;
}

async function partByTool(renderId, part) {
  const result = await callTool("studio_video", withProject({ render_id: renderId, part }));
  if (result.isError) throw new Error(textOf(result));
  return result.structuredContent.data;
}

function load(src) {
  return new Promise((resolve) => {
    const done = (ok) => {
      el.player.onloadedmetadata = el.player.onerror = null;
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 8000);
    el.player.onloadedmetadata = () => done(el.player.duration > 0);
    el.player.onerror = () => done(false);
    el.player.hidden = false;
    el.player.src = src;
  });
}

function toBase64(bytes) {
  if (bytes.toBase64) return bytes.toBase64();
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

function fromBase64(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const raw = atob(text);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

// ------------------------------------------------------------------ drop-in upload

let uploading = Promise.resolve();

function queueUploads(files) {
  for (const file of files) uploading = uploading.then(() => upload(file));
}

async function upload(file) {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  el.upload.dataset.state = "sending";
  let result = null;
  try {
    for (let offset = 0; ; ) {
      const bytes = new Uint8Array(await file.slice(offset, offset + CONFIG.chunkBytes).arrayBuffer());
      const percent = file.size ? Math.round(((offset + bytes.length) / file.size) * 100) : 0;
      el.upload.textContent = `Uploading ${file.name}… ${percent}%`;
      result = await callTool(
        "studio_upload",
        withProject({ upload_id: id, name: file.name, total_bytes: file.size, offset, data: toBase64(bytes) }),
      );
      if (result.isError) {
        el.upload.dataset.state = "error";
        el.upload.textContent = textOf(result);
        return;
      }
      offset += bytes.length;
      if (result.structuredContent?.done || bytes.length === 0) break;
    }
  } catch (err) {
    el.upload.dataset.state = "error";
    el.upload.textContent = `The upload of ${file.name} stopped: ${err.message}. Drop the file again.`;
    return;
  }
  el.upload.dataset.state = "done";
  el.upload.textContent = result.structuredContent?.message ?? textOf(result);
  tellModel(`Studio: the user dropped ${file.name} into the studio; it is uploaded into the project. ${el.upload.textContent}`);
  await refreshTimeline();
}

el.file.addEventListener("change", () => {
  queueUploads(Array.from(el.file.files ?? []));
  el.file.value = "";
});
el.drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  el.drop.classList.add("over");
});
el.drop.addEventListener("dragleave", () => el.drop.classList.remove("over"));
el.drop.addEventListener("drop", (e) => {
  e.preventDefault();
  el.drop.classList.remove("over");
  queueUploads(Array.from(e.dataTransfer?.files ?? []));
});

// ------------------------------------------------------------------ next steps

const ACTIONS = {
  preview: () => ({
    tool: "generate",
    args: { message: uploads > 0 ? "Make a 5-second preview video from my photo" : "Make a 5-second preview video" },
  }),
  music: () => ({ tool: "generate", args: { message: "Add background music" } }),
  title: (text) => ({ tool: "generate", args: { message: `Add the title "${text.replaceAll('"', "'")}"` } }),
  export: () => ({ tool: "export", args: {} }),
};
const COST = { clip: CONFIG.creditsPerClip, edit: CONFIG.creditsPerEdit };
let confirming = null;

function updateButtons() {
  for (const button of el.actions.querySelectorAll("button[data-action]")) {
    const busy = el.job.dataset.status === "running";
    button.disabled = busy || (button.dataset.action === "export" && !exportable);
  }
}

function setBusy(busy) {
  el.actions.dataset.busy = busy ? "yes" : "no";
  updateButtons();
}

el.actions.addEventListener("click", (e) => {
  const button = e.target.closest("button[data-action]");
  if (!button || button.disabled) return;
  const action = button.dataset.action;
  if (action === "title") {
    el.titleForm.hidden = false;
    el.titleText.focus();
    return;
  }
  runPaid(button, action);
});

el.titleForm.addEventListener("submit", (e) => {
  e.preventDefault();
  const text = el.titleText.value.trim();
  if (text) runPaid(el.actions.querySelector('[data-action="title"]'), "title", text);
});

// A paid step shows its estimate first and goes ahead on a second click.
function runPaid(button, action, text = "") {
  const cost = COST[button.dataset.paid];
  if (cost && confirming !== button) {
    resetConfirm();
    confirming = button;
    button.classList.add("confirming");
    button.dataset.label = button.textContent;
    button.textContent = `Confirm · ~${cost} credits`;
    el.confirm.textContent = `This costs about ${cost} credits. Click again to go ahead.`;
    setTimeout(() => confirming === button && resetConfirm(), 8000);
    if (action === "title") el.titleForm.querySelector("button").textContent = `Add title · ~${cost} credits`;
    return;
  }
  resetConfirm();
  run(action, text);
}

function resetConfirm() {
  if (confirming) {
    confirming.classList.remove("confirming");
    confirming.textContent = confirming.dataset.label;
  }
  confirming = null;
  el.confirm.textContent = "";
  el.titleForm.querySelector("button").textContent = "Add title";
}

async function run(action, text) {
  const { tool, args } = ACTIONS[action](text);
  el.titleForm.hidden = true;
  el.titleText.value = "";
  setBusy(true);
  showMessage("");
  const asked = tool === "export" ? "Export the MP4" : args.message;
  tellModel(`Studio: the user asked for "${asked}" from the studio's buttons.`);
  try {
    const result = await callTool(tool, withProject({ ...args, wait_seconds: 0 }));
    if (result.structuredContent && "job_id" in result.structuredContent) showJob(result.structuredContent);
    else show(result);
  } catch (err) {
    showMessage(`That did not go through: ${err.message}`, true);
  } finally {
    if (el.job.dataset.status !== "running") setBusy(false);
  }
}

// So the assistant's next turn knows what the user did here (each call replaces the last).
function tellModel(text) {
  if (!app.getHostCapabilities()?.updateModelContext) return;
  app.updateModelContext({ content: [{ type: "text", text }] }).catch((err) => note("context-failed", err.message));
}

// ------------------------------------------------------------------ the host

function applyContext(ctx) {
  if (!ctx) return;
  if (ctx.theme) applyDocumentTheme(ctx.theme);
  if (ctx.styles?.variables) applyHostStyleVariables(ctx.styles.variables);
  if (ctx.styles?.css?.fonts) applyHostFonts(ctx.styles.css.fonts);
  const inset = ctx.safeAreaInsets;
  if (inset) document.body.style.padding = `${inset.top}px ${inset.right}px ${inset.bottom}px ${inset.left}px`;
  note("context", { theme: ctx.theme });
}

// Handlers first: the host may send the tool input right after the handshake.
app.ontoolinput = (params) => {
  note("tool-input", Object.keys(params.arguments ?? {}));
  if (typeof params.arguments?.project === "string") project = params.arguments.project;
  if (typeof params.arguments?.message === "string") {
    // The host shows the view as soon as the call starts; its result may take up to a minute.
    el.job.hidden = false;
    el.job.dataset.status = "waiting";
    el.phase.textContent = "Working on your request";
    el.jobMessage.textContent = `“${params.arguments.message}”`;
    startTicker();
  }
};
app.ontoolresult = (result) => {
  show(result);
};
app.ontoolcancelled = (params) => {
  stopTicker("stopped");
  showMessage(`Cancelled${params.reason ? `: ${params.reason}` : ""}.`, true);
};
app.onhostcontextchanged = (ctx) => applyContext(ctx);
app.onteardown = async () => {
  tornDown = true;
  following = null;
  stopTicker("stopped");
  if (objectUrl) URL.revokeObjectURL(objectUrl);
  return {};
};

el.file.accept = CONFIG.extensions.map((ext) => `.${ext}`).join(",");
try {
  await app.connect();
  applyContext(app.getHostContext());
  setStatus("ready", "");
} catch (err) {
  setStatus("error", `Could not connect to the host: ${err.message}`);
}
