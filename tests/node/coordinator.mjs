// Connecting the official TypeScript client (@modelcontextprotocol/client 2.4.0) to kling-ai-30 and
// opening an ext-tasks 0.2.2 session on it.
//
// ext-tasks needs a raw request dispatcher for 2026-07-28 servers, and the SDK has none: the Client's
// own request() rejects `resultType: "task"` (UNSUPPORTED_RESULT_TYPE) and strips `resultType` from
// the results ext-tasks then validates. `rawDispatcher` sends on the Client's transport with its own
// ids and takes the matching responses off the transport before the Client sees them. Replace it
// when a client release exposes a raw request API (re-check on every version bump).
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { createTaskSessionFromClient } from "@modelcontextprotocol/ext-tasks/client";

export const PROTOCOL = "2026-07-28";
export const TASKS = "io.modelcontextprotocol/tasks";
const CLIENT_INFO = { name: "kling-ai-30-tasks-test", version: "1" };
const REQUEST_TIMEOUT_MS = 60_000;

/** The base transport probes `server/discover` on a second, short-lived server process; this one
 * probes in place (one server per connection, as a host would run it). */
class InPlaceStdioTransport extends StdioClientTransport {}

/** Sends JSON-RPC requests on a connected transport and resolves them from its responses. */
export function rawDispatcher(transport) {
  const pending = new Map();
  let next = 0;
  const clientOnMessage = transport.onmessage; // installed by client.connect()
  transport.onmessage = (message, extra) => {
    const settle = message && !("method" in message) && "id" in message ? pending.get(message.id) : undefined;
    if (settle === undefined) return clientOnMessage?.(message, extra);
    pending.delete(message.id);
    settle("error" in message ? { kind: "error", error: message.error } : { kind: "result", result: message.result });
  };
  return (request, options = {}) =>
    new Promise((resolve, reject) => {
      const id = `ext-tasks-${++next}`;
      const timer = setTimeout(
        () => fail(new Error(`${request.method} timed out`)),
        options.context?.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      );
      const onAbort = () => fail(options.signal.reason ?? new Error("aborted"));
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        pending.delete(id);
      };
      function fail(error) {
        done();
        reject(error);
      }
      pending.set(id, (response) => {
        done();
        resolve(response);
      });
      options.signal?.addEventListener("abort", onAbort, { once: true });
      transport.send({ jsonrpc: "2.0", id, ...request }, { headers: options.context?.headers }).catch(fail);
    });
}

/** A Client on the 2026-07-28 wire (pinned: a server that does not offer it fails loudly) and an
 * ext-tasks session on it. `target` is `{ url, token }` (streamable HTTP) or `{ command, args, env }`. */
export async function open(target) {
  const client = new Client(CLIENT_INFO, { versionNegotiation: { mode: { pin: PROTOCOL } } });
  const transport = target.url
    ? new StreamableHTTPClientTransport(new URL(target.url), {
        requestInit: target.token ? { headers: { Authorization: `Bearer ${target.token}` } } : undefined,
      })
    : new InPlaceStdioTransport({ command: target.command, args: target.args, env: target.env, stderr: "inherit" });
  await client.connect(transport);
  const dispatch = rawDispatcher(transport);
  const session = createTaskSessionFromClient(client, {
    // Stable per server: a task reference handed off on one connection resumes on the next.
    endpointId: `kling-ai-30@${target.url ?? "stdio"}`,
    rawDispatch: dispatch,
    v2RequestFraming: { protocolVersion: client.getNegotiatedProtocolVersion(), clientInfo: CLIENT_INFO, clientCapabilities: {} },
    onError: (error) => console.error("ext-tasks session error:", error),
  });
  /** `tasks/get` outside the session: reading a task without the session's bookkeeping. */
  async function getTask(taskId) {
    const response = await dispatch({
      method: "tasks/get",
      params: {
        taskId,
        _meta: {
          "io.modelcontextprotocol/protocolVersion": PROTOCOL,
          "io.modelcontextprotocol/clientCapabilities": { extensions: { [TASKS]: {} } },
        },
      },
    });
    if (response.kind === "error") throw new Error(`tasks/get failed: ${JSON.stringify(response.error)}`);
    return response.result;
  }
  return { client, session, getTask };
}

/** Closes the session and the client. ext-tasks sends `tasks/cancel` for every execution it still
 * tracks, and a handed-off one leaves that set only after a macrotask: yield one first. */
export async function close({ client, session }) {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await session.close();
  await client.close();
}
