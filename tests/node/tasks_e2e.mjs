// kling-ai-30's `generate` and `export` driven as MCP tasks by the official client packages, against a
// real `kling-ai-30 serve` and the local backend. tests/mcp_server/test_tasks_node.py runs it:
//
//   node tasks_e2e.mjs CONFIG.json
//
// CONFIG: { "url": MCP URL, "serve": argv of `kling-ai-30 serve --http --port N`, "env": its environment,
//           "log": file for its output, "sim": the local backend's base URL, "token": bearer or null }
//
// Each step prints one JSON line; the last is {"ok": true, "generates": N} (N: the chat messages the
// run asked for, which the caller compares with the backend's request log). Any failed check throws
// and the process exits 1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { resultFromTaskOutcome } from "@modelcontextprotocol/ext-tasks/client";
import { close, open, TASKS } from "./coordinator.mjs";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const target = { url: config.url, token: config.token };
const REQUIRE = { task: { preference: "require" } }; // a plain result instead of a task fails the call
let generates = 0;

const started = Date.now();

function report(step, details = {}) {
  console.log(JSON.stringify({ step, seconds: (Date.now() - started) / 1000, ...details }));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, probe, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// ------------------------------------------------------------------ the server and the backend

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => socket.end(() => resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function startServer() {
  const [command, ...args] = config.serve;
  const log = openSync(config.log, "a");
  const child = spawn(command, args, { env: config.env, cwd: "/", stdio: ["ignore", log, log] });
  let exited = false;
  child.once("exit", () => (exited = true));
  const port = Number(new URL(config.url).port);
  await until("the MCP server to listen", async () => {
    if (exited) throw new Error(`the server exited at start; see ${config.log}`);
    return portOpen(port);
  });
  return child;
}

async function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill(signal);
  await gone;
}

const killHard = (child) => stop(child, "SIGKILL");

async function sim(path, body) {
  const init = body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
  const response = await fetch(`${config.sim}${path}`, init);
  assert.ok(response.ok, `${path}: HTTP ${response.status}`);
  return response.json();
}

async function backendRequests(prefix) {
  return (await sim(`/_sim/requests?path_prefix=${encodeURIComponent(prefix)}`)).requests;
}

async function messagesSent() {
  return (await backendRequests("/run_sse")).filter((r) => r.method === "POST").length;
}

async function polledRenders() {
  const polls = await backendRequests("/api/render/proxy/lambda/");
  return new Set(polls.map((r) => r.path.split("/").pop()));
}

// ------------------------------------------------------------------------------ the steps

async function settled(execution) {
  const seen = [];
  for await (const event of execution.updates()) {
    if (event.type === "task") seen.push(`${event.task.status}: ${event.task.statusMessage ?? ""}`);
  }
  const { outcome } = await execution.settle();
  assert.equal(outcome.status, "completed", JSON.stringify(outcome));
  return { result: resultFromTaskOutcome(outcome), seen };
}

function checkDelivered(result) {
  assert.equal(result.isError, false, JSON.stringify(result.content));
  const data = result.structuredContent;
  assert.equal(data.status, "done");
  assert.ok(existsSync(data.export.path), `no MP4 at ${data.export.path}`);
  assert.ok(result.content.some((block) => block.type === "resource_link" && block.mimeType === "video/mp4"));
  return data;
}

async function generateAsTask(conn, subject) {
  generates += 1;
  const execution = await conn.session.callTool("generate", { message: `generate a 3 second video of ${subject}` }, REQUIRE);
  assert.match(execution.handle.taskId, /^gen_[0-9a-f]{12}\.[A-Za-z0-9_-]{32}$/);
  return execution;
}

async function generateToCompletion(conn) {
  const execution = await generateAsTask(conn, "a red fox");
  const { result, seen } = await settled(execution);
  const data = checkDelivered(result);
  assert.ok(seen.some((line) => line.startsWith("working: ")), seen.join("\n"));
  // The finished task's result is what the job tool says about the same job.
  const viaJob = await conn.client.callTool({ name: "job", arguments: { job_id: data.job_id } });
  assert.deepEqual(viaJob.structuredContent, data);
  assert.deepEqual(viaJob.content, result.content);
  report("generate as a task", { taskId: execution.handle.taskId, statuses: seen.length, video: data.export.path });
}

async function exportToCompletion(conn) {
  const execution = await conn.session.callTool("export", {}, REQUIRE);
  assert.match(execution.handle.taskId, /^exp_[0-9a-f]{12}\.[A-Za-z0-9_-]{32}$/);
  const { result } = await settled(execution);
  const data = checkDelivered(result);
  report("export as a task", { taskId: execution.handle.taskId, video: data.export.path });
}

async function plainCallsUnchanged(conn) {
  // The SDK's own callTool declares no tasks extension on its requests: the ordinary results come back.
  const plain = await conn.client.callTool({ name: "export", arguments: { wait_seconds: 60 } });
  checkDelivered(plain);
  const credits = await conn.client.callTool({ name: "credits", arguments: {} });
  assert.equal(credits.isError, false);
  report("calls without the extension are ordinary", { status: plain.structuredContent.status });
}

async function cancellingARenderAbandonsIt(conn) {
  await sim("/_sim/faults", { stall_renders: true });
  try {
    // The timeline was exported unchanged already: without new_render that MP4 would come back at once.
    const execution = await conn.session.callTool("export", { new_render: true }, REQUIRE);
    const taskId = execution.handle.taskId;
    await until("the render to start", async () => (await conn.getTask(taskId)).statusMessage?.includes("Rendering"));
    await execution.cancel();
    const task = await until("the task to end", async () => {
      const seen = await conn.getTask(taskId);
      return seen.status === "working" ? null : seen;
    });
    assert.equal(task.status, "cancelled");
    assert.match(task.statusMessage, /nothing was downloaded/);
    report("cancelling an export abandons the render", { status: task.status, statusMessage: task.statusMessage });
  } finally {
    await sim("/_sim/faults", { clear: true, release_stalled_renders: true });
  }
}

async function cancellingASentGenerationIsRefused(conn) {
  await sim("/_sim/config", { generation_seconds: 1.5 });
  try {
    const before = await messagesSent();
    const execution = await generateAsTask(conn, "a blue whale");
    const taskId = execution.handle.taskId;
    await until("the message to reach the backend", async () => (await messagesSent()) > before);
    await execution.cancel(); // ends the local execution; the server's task goes on
    const working = await conn.getTask(taskId);
    assert.equal(working.status, "working", JSON.stringify(working));
    assert.match(working.statusMessage, /^Can't cancel: your request already reached the video assistant/);
    const finished = await until("the generation to finish", async () => {
      const seen = await conn.getTask(taskId);
      return seen.status === "working" ? null : seen;
    });
    assert.equal(finished.status, "completed");
    assert.equal(finished.result.resultType, "complete");
    checkDelivered(finished.result);
    report("cancelling a sent generation is refused, and it completes", { statusMessage: working.statusMessage });
  } finally {
    await sim("/_sim/config", { generation_seconds: 0.1 });
  }
}

async function survivesKillAndRestart() {
  const earlier = await polledRenders();
  await sim("/_sim/faults", { stall_renders: true });
  let conn = await open(target);
  const execution = await generateAsTask(conn, "a snow owl");
  let reference;
  await execution.handoff((ref) => {
    reference = ref; // a host would write it to durable storage
  });
  await close(conn);

  // Killed while the task renders its video: the message is answered, the render is in flight.
  const probe = await open(target);
  await until("the render to start", async () => (await probe.getTask(reference.taskId)).statusMessage?.includes("Rendering"));
  await close(probe);
  const [inFlight, ...others] = [...(await polledRenders())].filter((id) => !earlier.has(id));
  assert.equal(others.length, 0, "one render in flight");
  await killHard(server);
  report("server killed with SIGKILL mid-task", { taskId: reference.taskId, render: inFlight });
  await sim("/_sim/faults", { clear: true, release_stalled_renders: true }); // it finishes unwatched
  server = await startServer(); // the one the `finally` below stops, whatever happens next

  conn = await open(target);
  const resumed = await conn.session.resumeTask(reference);
  const { result, seen } = await settled(resumed);
  const data = checkDelivered(result);
  assert.equal(data.export.render_id, inFlight, "the render in flight is collected, not started again");
  await close(conn);
  report("the task completes after the restart", { statuses: seen, video: data.export.path });
}

async function overStdio() {
  const conn = await open({ command: config.serve[0], args: config.stdio_args, env: config.env });
  try {
    assert.deepEqual(conn.client.getServerCapabilities()?.extensions?.[TASKS], {});
    const execution = await generateAsTask(conn, "a green turtle");
    const { result } = await settled(execution);
    checkDelivered(result);
    report("generate as a task over stdio", { taskId: execution.handle.taskId });
  } finally {
    await close(conn);
  }
}

// ------------------------------------------------------------------------------------ main

let server = await startServer();
try {
  const conn = await open(target);
  assert.equal(conn.client.getProtocolEra(), "modern");
  assert.deepEqual(conn.client.getServerCapabilities()?.extensions?.[TASKS], {}, "the server offers tasks");
  assert.equal(conn.session.capabilities.execution, true, JSON.stringify(conn.session.capabilities));
  // The first interaction sets the project up and says so (an ordinary call: no tasks extension on it).
  const first = await conn.client.callTool({ name: "credits", arguments: {} });
  assert.match(first.content[0].text, /^✅ Connected to NemoVideo and ready/);
  report("connected", { protocol: conn.client.getNegotiatedProtocolVersion(), session: conn.session.capabilities });
  await generateToCompletion(conn);
  await exportToCompletion(conn);
  await plainCallsUnchanged(conn);
  await cancellingARenderAbandonsIt(conn);
  await cancellingASentGenerationIsRefused(conn);
  await close(conn);
  await survivesKillAndRestart();
  await overStdio();
  report("done", { messagesSent: await messagesSent() });
  console.log(JSON.stringify({ ok: true, generates }));
} finally {
  await stop(server, "SIGTERM");
}
