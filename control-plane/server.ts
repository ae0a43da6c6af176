/**
 * A local, stateful emulator of the control plane's secret-groups API, for
 * tests and local deploys. It listens on the loopback interface only: it takes
 * any of a few static tokens, and its data file holds secret values in clear.
 * It answers only requests addressed to a loopback host (see refuseForeignHost).
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { apiRoutes } from "./api";
import { ApiError, badRequest } from "./errors";
import { FaultInjector, type Faults } from "./faults";
import { asObject, parseJson, required } from "./input";
import { resolve, type Context, type Route } from "./router";
import { renderGroup } from "./shapes";
import { Store } from "./store";

export type { Faults } from "./faults";

export interface ControlPlaneOptions {
  /** 0 picks a free port. */
  port?: number;
  /** Only 127.0.0.1 is accepted. */
  host?: string;
  /** Tokens granting full access; `name:read` makes `name` a read-only token. */
  tokens?: string[];
  /** Where state is kept across restarts; memory only when absent. */
  dataFile?: string;
  tenant?: string;
  /** Serve https with this key and certificate (PEM), to test TLS and proxies. */
  tls?: { key: string; cert: string };
  /**
   * Host names (no port) answered besides the loopback ones, for tests that
   * reach this control plane under another name through a proxy's tunnel.
   */
  hosts?: string[];
}

export interface RequestLogEntry {
  method: string;
  /** Without the query string. */
  path: string;
  /** 0 when the connection closed without an answer. */
  status: number;
  ms: number;
}

export interface ControlPlane {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Empties the store and the request log, and clears the faults. */
  reset(): void;
  setFaults(faults: Partial<Faults>): void;
  requests(): RequestLogEntry[];
  /** API requests received and not yet answered or given up (their log entry is written once this reaches them). */
  inFlight(): number;
}

export const DEFAULT_TOKENS = ["dev-token"];
const LOOPBACK = "127.0.0.1";
const READ_ONLY_SUFFIX = ":read";
const ADMIN_PREFIX = "/_emulator/";
// Room for 100 values of 64 KiB each, even when JSON escaping inflates them.
const MAX_BODY_BYTES = 16 * 1024 * 1024;
// Bounds the memory of a long-running emulator; tests read far fewer.
const MAX_LOG_ENTRIES = 10_000;

type AdminOp = (ctx: Context) => unknown;

interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  if (opts.host !== undefined && opts.host !== LOOPBACK) {
    throw new Error(`the control plane listens on ${LOOPBACK} only, not ${opts.host}`);
  }
  const tenant = opts.tenant ?? "local";
  const extraHosts = new Set((opts.hosts ?? []).map((h) => h.toLowerCase()));
  const tokens = parseTokens(opts.tokens ?? DEFAULT_TOKENS);
  const store = new Store(opts.dataFile);
  const faults = new FaultInjector();
  const log: RequestLogEntry[] = [];
  const closing = new AbortController();

  const reset = () => {
    store.reset();
    log.length = 0;
    faults.reset();
  };
  const api = apiRoutes(store, tenant);
  const admin: Route<AdminOp>[] = [
    { path: "/_emulator/health", methods: { GET: () => ({ ok: true }) } },
    { path: "/_emulator/requests", methods: { GET: () => [...log] } },
    { path: "/_emulator/reset", methods: { POST: () => (reset(), { ok: true }) } },
    {
      path: "/_emulator/faults",
      methods: {
        GET: () => faults.current(),
        PUT: ({ body }) => (faults.set(asObject(body())), faults.current()),
      },
    },
    {
      path: "/_emulator/groups/:id/active-deployments",
      methods: {
        PUT: ({ params, body }) => {
          const count = required(asObject(body()), "count", "number");
          if (!Number.isInteger(count) || count < 0) throw badRequest("count must be an integer of 0 or more");
          return { data: renderGroup(tenant, store.setActiveDeployments(params.id, count), false) };
        },
      },
    },
  ];

  const serveAdmin = async (req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams) => {
    const rawBody = await readBody(req);
    reply(res, answer(() => {
      refuseSimpleRequest(req);
      const { op, params } = resolve(admin, req.method ?? "", path);
      return op({ params, query, body: () => parseJson(rawBody) });
    }));
  };

  let inFlight = 0;
  const serveApi = async (req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams) => {
    inFlight++;
    try {
      await serveApiRequest(req, res, path, query);
    } finally {
      inFlight--;
    }
  };
  const serveApiRequest = async (req: http.IncomingMessage, res: http.ServerResponse, path: string, query: URLSearchParams) => {
    const started = performance.now();
    res.on("close", () => {
      const status = res.writableFinished ? res.statusCode : 0;
      log.push({ method: req.method ?? "", path, status, ms: Math.round(performance.now() - started) });
      if (log.length > MAX_LOG_ENTRIES) log.shift();
    });
    const rawBody = await readBody(req);
    const { latencyMs } = faults.current();
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: closing.signal });
    const fault = faults.next();
    if (fault === "drop") return void req.socket.destroy();
    const result = answer(() => {
      if (fault === "rate-limit") throw new ApiError(429, "rate limited", "RATE_LIMITED");
      if (fault === "fail") throw new ApiError(faults.current().failStatus, "injected fault", "EMULATOR_FAULT");
      const readOnly = authenticate(tokens, req.headers.authorization);
      const { op, params } = resolve(api, req.method ?? "", path);
      if (op.write && readOnly) throw new ApiError(403, "this token may only read", "FORBIDDEN");
      return op.run({ params, query, body: () => parseJson(rawBody) });
    });
    if (fault === "drop-after-apply") return void req.socket.destroy();
    reply(res, result);
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const foreign = refuseForeignHost(req.headers.host, extraHosts);
    if (foreign) {
      // Drain the body first, so a client still sending reads the answer.
      req.resume();
      req.on("end", () => reply(res, failure(foreign)));
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    const serve = path.startsWith(ADMIN_PREFIX) ? serveAdmin : serveApi;
    serve(req, res, path, query).catch((err: unknown) => {
      // A client gone mid-body, or a sleep cut short by close(): nobody to answer, nothing to report.
      if (closing.signal.aborted || req.socket.destroyed) return;
      reply(res, failure(err));
    });
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);

  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 0, LOOPBACK, () => {
      server.off("error", fail);
      done();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `${opts.tls ? "https" : "http"}://${LOOPBACK}:${port}`,
    port,
    reset,
    setFaults: (update) => faults.set(update),
    requests: () => [...log],
    inFlight: () => inFlight,
    close: () =>
      new Promise<void>((done, fail) => {
        closing.abort();
        server.close((err) => (err ? fail(err) : done()));
        // Keep-alive sockets would otherwise hold the process (and jest) open.
        server.closeAllConnections();
      }),
  };
}

/**
 * Admin endpoints take no token, so a web page could reach them with a
 * cross-site "simple" request (a form POST, a fetch without preflight), which
 * cannot carry `Content-Type: application/json`. Every admin request that
 * changes something must carry it.
 */
function refuseSimpleRequest(req: http.IncomingMessage): void {
  if (req.method === "GET" || req.method === "HEAD") return;
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new ApiError(415, "admin requests that change something must be sent with Content-Type: application/json", "UNSUPPORTED_MEDIA_TYPE");
  }
}

/**
 * DNS rebinding: a web page can make the browser send requests to 127.0.0.1
 * under the page's own name, with the well-known default token. The browser
 * still sends that name as `Host`, so only requests whose Host is a loopback
 * address or name (127.0.0.0/8, localhost, [::1], any port) are answered.
 */
function refuseForeignHost(host: string | undefined, extra: ReadonlySet<string>): ApiError | undefined {
  const name = host === undefined ? undefined : hostName(host);
  if (name !== undefined && (isLoopbackName(name) || extra.has(name))) return undefined;
  const shown = host === undefined ? "no Host header" : `Host ${JSON.stringify(host.slice(0, 200))}`;
  return new ApiError(
    421,
    `the local control plane answers only requests addressed to a loopback host (127.0.0.1, localhost or [::1]) or a name it was given (TFY_EMULATOR_HOSTS); refused ${shown}`,
    "HOST_NOT_LOOPBACK",
  );
}

/** The name of a Host header without its port, lowercase; undefined when it is not `name[:port]`. */
function hostName(host: string): string | undefined {
  const m = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  if (!m || (m[2] !== undefined && Number(m[2]) > 65535)) return undefined;
  return m[1];
}

function isLoopbackName(name: string): boolean {
  if (name === "localhost" || name === "[::1]") return true;
  const octets = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return octets !== null && octets.slice(1).every((o) => Number(o) <= 255);
}

/** Token → read-only. */
function parseTokens(list: string[]): Map<string, boolean> {
  const tokens = new Map<string, boolean>();
  for (const entry of list.map((t) => t.trim())) {
    const readOnly = entry.endsWith(READ_ONLY_SUFFIX);
    const token = readOnly ? entry.slice(0, -READ_ONLY_SUFFIX.length) : entry;
    if (token) tokens.set(token, readOnly);
  }
  if (tokens.size === 0) throw new Error("no API tokens configured");
  return tokens;
}

/** Whether the request's token is read-only; 401 when there is no known token. */
function authenticate(tokens: Map<string, boolean>, header: string | undefined): boolean {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (token === undefined) throw new ApiError(401, "missing bearer token", "UNAUTHORIZED");
  const readOnly = tokens.get(token);
  if (readOnly === undefined) throw new ApiError(401, "unknown token", "UNAUTHORIZED");
  return readOnly;
}

/** Runs a handler into an answer: its result, or the error it threw. */
function answer(run: () => unknown): Answer {
  try {
    return { status: 200, body: run() };
  } catch (err) {
    return failure(err);
  }
}

function failure(err: unknown): Answer {
  if (err instanceof ApiError) {
    return { status: err.status, body: { statusCode: err.status, message: err.message, code: err.code }, headers: err.headers };
  }
  console.error("control plane: internal error:", err);
  return { status: 500, body: { statusCode: 500, message: "internal error", code: "INTERNAL" } };
}

function reply(res: http.ServerResponse, { status, body, headers }: Answer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    ...(status === 429 ? { "Retry-After": "1" } : {}),
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Keeps reading past the limit so the answer reaches a client still sending.
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () =>
      size > MAX_BODY_BYTES
        ? fail(badRequest(`body is larger than ${MAX_BODY_BYTES} bytes`))
        : done(Buffer.concat(chunks).toString("utf8")),
    );
    req.on("error", fail);
  });
}
