// The browser tests' MCP Apps host, built on the official pieces: the TS MCP client over streamable
// HTTP (same-origin /mcp, which host_site.py relays to `kling-ai-30 serve --http`) and ext-apps'
// AppBridge. Like a chat, it shows one view per tool call ("turn"), each in a double-iframe sandbox
// on another origin with the CSP under test, and relays the view's requests by hand so it can do
// what a real host must: refuse tools whose visibility excludes apps, and offer resource reads only
// when it says it does. Everything the tests check is in `window.__host`; `window.__hostApi` drives it.
//
// Query: ?theme=light|dark &protocol=legacy|auto &width=N, and optionally a first turn:
// &tool=NAME &args=JSON &say=TEXT (the user's chat message shown above it).
import {
  AppBridge,
  PostMessageTransport,
  RESOURCE_MIME_TYPE,
  getToolUiResourceUri,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const query = new URLSearchParams(location.search);
const HOST = { name: "studio-test-host", version: "1.0.0" };
const VARIABLES = {
  light: {
    "--color-background-primary": "#fbf8f1", "--color-background-secondary": "#f3f0e8",
    "--color-text-primary": "#1f1e1d", "--color-border-primary": "#dedbd0",
    "--font-sans": "Georgia, 'DejaVu Serif', serif",
  },
  dark: {
    "--color-background-primary": "#262624", "--color-background-secondary": "#30302e",
    "--color-text-primary": "#f5f4ef", "--color-border-primary": "#4a4944",
    "--font-sans": "Georgia, 'DejaVu Serif', serif",
  },
};
const trace = (window.__host = {
  ready: false, error: null, protocol: null, serverCapabilities: null, tools: {}, wire: [], turns: [],
});
let client;
let tools = new Map();
let theme = query.get("theme") === "dark" ? "dark" : "light";
const bridges = [];

// Every message between host and views, as sent: the tests scan them for secrets.
class RecordingTransport extends PostMessageTransport {
  async send(message, options) {
    trace.wire.push(JSON.stringify(message));
    return super.send(message, options);
  }
}

async function connect() {
  document.documentElement.dataset.theme = theme;
  if (query.get("width")) document.documentElement.style.setProperty("--width", `${Number(query.get("width"))}px`);
  client = new Client(HOST, {
    capabilities: { extensions: { "io.modelcontextprotocol/ui": { mimeTypes: [RESOURCE_MIME_TYPE] } } },
    ...(query.get("protocol") === "auto" ? { versionNegotiation: { mode: "auto" } } : {}),
  });
  await client.connect(new StreamableHTTPClientTransport(new URL("/mcp", location.href)));
  trace.protocol = client.getNegotiatedProtocolVersion();
  trace.serverCapabilities = client.getServerCapabilities();
  tools = new Map((await client.listTools()).tools.map((tool) => [tool.name, tool]));
  for (const [name, tool] of tools) trace.tools[name] = tool._meta ?? null;
  trace.ready = true;
}

// One chat turn: the model calls `name`; its view shows the call's result.
async function turn(name, args = {}, { policy = "basic", resources = true, say = null } = {}) {
  const index = trace.turns.length;
  const record = {
    tool: name, ready: false, error: null, resourceMeta: null, result: null, results: {}, calls: [], refused: [], reads: 0,
    projects: [], // the project each of the view's calls (of tools that take one) and reads named; null: none
    logs: [], sizes: [], messages: [], links: [], modelContext: null,
  };
  trace.turns.push(record);
  const chat = document.getElementById("chat");
  if (say) {
    const bubble = document.createElement("div");
    bubble.className = "user";
    bubble.textContent = say;
    chat.append(bubble);
  }
  const label = document.createElement("div");
  label.className = "tool";
  label.textContent = `kling-ai-30 · ${name}`;
  chat.append(label);

  const tool = tools.get(name);
  const uri = getToolUiResourceUri(tool);
  const resultPromise = client.callTool({ name, arguments: args });
  const read = await client.readResource({ uri });
  const content = read.contents[0];
  if (content.mimeType !== RESOURCE_MIME_TYPE) throw new Error(`unexpected MIME type ${content.mimeType}`);
  const ui = content._meta?.ui ?? {};
  record.resourceMeta = content._meta ?? null;
  record.html = content.text;

  const iframe = document.createElement("iframe");
  iframe.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms");
  const proxy = new URL(`http://localhost:${location.port}/sandbox.html`);
  proxy.searchParams.set("policy", policy);
  proxy.searchParams.set("view", `view-${index}`);
  const proxyReady = new Promise((resolve) => {
    window.addEventListener("message", function listener(e) {
      if (e.source === iframe.contentWindow && e.data?.method === "ui/notifications/sandbox-proxy-ready") {
        window.removeEventListener("message", listener);
        resolve();
      }
    });
  });
  window.addEventListener("message", (e) => {
    if (e.source === iframe.contentWindow) trace.wire.push(JSON.stringify(e.data));
  });
  iframe.src = proxy.href;
  chat.append(iframe);
  await proxyReady;

  const capabilities = {
    openLinks: {}, serverTools: {}, logging: {}, message: { text: {} }, updateModelContext: { text: {} },
    ...(resources ? { serverResources: {} } : {}),
  };
  const bridge = new AppBridge(null, HOST, capabilities, {
    hostContext: {
      theme, platform: "web", displayMode: "inline", availableDisplayModes: ["inline"],
      containerDimensions: { maxHeight: 1600 }, locale: "en-US", styles: { variables: VARIABLES[theme] },
    },
  });
  bridge.oncalltool = async (params, extra) => {
    const target = tools.get(params.name);
    const visibility = target?._meta?.ui?.visibility ?? ["model", "app"];
    if (!target || !visibility.includes("app")) {
      record.refused.push(params.name);
      throw new Error(`Tool ${params.name} is not available to apps`);
    }
    record.calls.push(params.name);
    if (target.inputSchema?.properties?.project) record.projects.push(params.arguments?.project ?? null);
    const result = await client.callTool(params, { signal: extra?.mcpReq?.signal });
    if (params.name !== "studio_video") record.results[params.name] = result.structuredContent ?? null;
    return result;
  };
  if (resources) {
    bridge.onreadresource = async (params, extra) => {
      record.reads += 1;
      record.projects.push(new URL(params.uri).searchParams.get("project"));
      return client.readResource(params, { signal: extra?.mcpReq?.signal });
    };
    bridge.onlistresources = async (params) => client.listResources(params);
    bridge.onlistresourcetemplates = async (params) => client.listResourceTemplates(params);
  }
  bridge.onloggingmessage = (params) => record.logs.push(params);
  bridge.onsizechange = ({ height }) => {
    record.sizes.push(height);
    if (height !== undefined) iframe.style.height = `${Math.ceil(height) + 2}px`;
  };
  bridge.onmessage = async (params) => {
    record.messages.push(params);
    return {};
  };
  bridge.onopenlink = async (params) => {
    record.links.push(params.url);
    return {};
  };
  bridge.onupdatemodelcontext = async (params) => {
    record.modelContext = params;
    return {};
  };
  const initialized = new Promise((resolve) => {
    bridge.oninitialized = () => resolve();
  });
  await bridge.connect(new RecordingTransport(iframe.contentWindow, iframe.contentWindow));
  await bridge.sendSandboxResourceReady({ html: content.text, csp: ui.csp, permissions: ui.permissions });
  await initialized;
  bridges.push(bridge);
  record.ready = true;
  await bridge.sendToolInput({ arguments: args });
  resultPromise.then(
    (result) => {
      record.result = result.structuredContent ?? null;
      return bridge.sendToolResult(result);
    },
    (error) => bridge.sendToolCancelled({ reason: String(error?.message ?? error) }),
  );
  return index;
}

window.__hostApi = {
  turn: (name, args, options) =>
    turn(name, args, options).catch((err) => {
      trace.error = String(err?.stack ?? err);
      throw err;
    }),
  setTheme: (next) => {
    theme = next;
    document.documentElement.dataset.theme = next;
    return Promise.all(bridges.map((b) => b.sendHostContextChange({ theme: next, styles: { variables: VARIABLES[next] } })));
  },
};

connect()
  .then(async () => {
    if (query.get("tool")) {
      await turn(query.get("tool"), JSON.parse(query.get("args") ?? "{}"), { say: query.get("say") });
    }
  })
  .catch((err) => {
    trace.error = String(err?.stack ?? err);
    console.error("[host]", err);
  });
