/**
 * The one client of the control-plane API, used by the hook runtime, the tests,
 * the demo and the benchmark. It owns the API paths, the retry policy and
 * redaction at the edge: what it logs or throws holds no token and no value.
 */
import axios, { AxiosInstance, AxiosResponse } from "axios";
import * as http from "http";
import * as https from "https";
import { ENV_API_KEY, ENV_HOST } from "../shared/contract";
import {
  ConfigError,
  ConflictError,
  ControlPlaneError,
  ErrorContext,
  HttpError,
  NetworkError,
  NotFoundError,
  httpError,
} from "./errors";
import { Redactor } from "./redact";
import { CreateGroupInput, Secret, SecretGroup, SecretInput } from "./types";

const BASE = "/api/svc/v1";
const PAGE_SIZE = 1000;

export interface ClientOptions {
  /** Base URL of the control plane, e.g. https://cp.example.com. Default: $TFY_HOST. */
  host?: string;
  /** Bearer token. Default: $TFY_API_KEY. */
  apiKey?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts per call, the first included, for retryable failures. */
  maxAttempts?: number;
  /** First backoff delay; doubles each retry, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Receives one sanitized line per request and retry. */
  log?: (line: string) => void;
  /** Values to scrub from every log line and error, besides the token and the values sent. */
  redactor?: Redactor;
  /** Injected for tests of the retry policy. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULTS = { timeoutMs: 15_000, maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000 };

interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  params?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  group?: string;
  /** Safe to send again when the answer was lost or a 5xx came back. */
  idempotent: boolean;
  /** A retry after a lost answer met 404: the lost attempt did the work (DELETE). */
  notFoundAfterLossIsSuccess?: boolean;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\]|::1)$/i;

/** Parses and checks a control-plane base URL; refuses a token over plain http to a remote host. */
export function parseHost(raw: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ConfigError(`${ENV_HOST} ${JSON.stringify(raw)} is not a valid URL; set it to the control plane's base URL, e.g. https://cp.example.com`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(`${ENV_HOST} uses ${url.protocol}; use https://`);
  }
  if (url.protocol === "http:" && !LOOPBACK.test(url.hostname)) {
    throw new ConfigError(
      `${ENV_HOST} is http://${url.host}: refusing to send the API token over plain http to a host that is not loopback; use https://`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError(`${ENV_HOST} must not carry credentials in the URL; put the token in ${ENV_API_KEY}`);
  }
  return url;
}

export class ControlPlaneClient {
  readonly baseUrl: string;
  private readonly http: AxiosInstance;
  private readonly opts: Required<Pick<ClientOptions, "timeoutMs" | "maxAttempts" | "baseDelayMs" | "maxDelayMs">>;
  private readonly redactor: Redactor;
  private readonly logLine: (line: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(options: ClientOptions = {}) {
    const host = options.host ?? process.env[ENV_HOST];
    const apiKey = options.apiKey ?? process.env[ENV_API_KEY];
    if (!host) throw new ConfigError(`${ENV_HOST} is not set; set it to the control plane's base URL`);
    if (!apiKey) throw new ConfigError(`${ENV_API_KEY} is not set; set it to an API token of the control plane`);
    const url = parseHost(host);
    this.baseUrl = url.origin + url.pathname.replace(/\/+$/, "");
    this.opts = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULTS.maxAttempts),
      baseDelayMs: options.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
    };
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.add(apiKey);
    const log = options.log;
    this.logLine = log ? (line) => log(this.redactor.redact(line)) : () => undefined;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.http = axios.create({
      baseURL: this.baseUrl,
      timeout: this.opts.timeoutMs,
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json", Accept: "application/json" },
      // Statuses are ours to interpret: axios errors for them would carry the config (token, body).
      validateStatus: () => true,
      maxRedirects: 0,
      // Node's http/https only: the hook bundle leaves out axios's fetch and http2 paths.
      adapter: "http",
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: new https.Agent({ keepAlive: true }),
    });
  }

  async createGroup(input: CreateGroupInput): Promise<SecretGroup> {
    this.redactor.add(...input.secrets.map((s) => s.value));
    const call: Call = { method: "POST", path: `${BASE}/secret-groups`, body: input, group: input.name, idempotent: false };
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.send<{ data: SecretGroup }>(call)).data;
      } catch (err) {
        if (!(err instanceof LostAnswer)) throw err;
        if (attempt >= this.opts.maxAttempts) throw err.final(attempt);
        await this.backoff(call, attempt, undefined, err.why);
      }
      // The lost create may have been applied: look before sending it again.
      const existing = await this.findGroupByName(input.name);
      if (!existing) continue;
      if (!sameShape(existing, input)) {
        throw new ConflictError(
          this.ctx(call),
          409,
          undefined,
          undefined,
          "after a lost answer, a group of that name exists with another integration or key set: it is not ours to take",
        );
      }
      this.logLine(`POST ${call.path}: the lost create was applied; found the group by name`);
      return existing;
    }
  }

  async getGroup(id: string, name?: string): Promise<SecretGroup> {
    return (await this.send<{ data: SecretGroup }>({ method: "GET", path: `${BASE}/secret-groups/${enc(id)}`, group: name, idempotent: true })).data;
  }

  /** Every group matching the filters, all pages. */
  async listGroups(filter: { search?: string; fqn?: string } = {}): Promise<SecretGroup[]> {
    return this.allPages<SecretGroup>((offset) => ({
      method: "GET",
      path: `${BASE}/secret-groups`,
      params: { limit: PAGE_SIZE, offset, search: filter.search, fqn: filter.fqn },
      idempotent: true,
    }));
  }

  /** The group with exactly this name, if any (search is "name contains"). */
  async findGroupByName(name: string): Promise<SecretGroup | undefined> {
    return (await this.listGroups({ search: name })).find((g) => g.name === name);
  }

  /** Sets the group's full key set: a key without value keeps its value, a key left out is removed. */
  async updateGroup(id: string, secrets: SecretInput[], name?: string): Promise<SecretGroup> {
    this.redactor.add(...secrets.map((s) => s.value));
    return (
      await this.send<{ data: SecretGroup }>({
        method: "PUT",
        path: `${BASE}/secret-groups/${enc(id)}`,
        body: { secrets },
        group: name,
        idempotent: true,
      })
    ).data;
  }

  /**
   * Create-or-update by manifest, matched by name: how a group moves to
   * another integration in place (names are unique, so a new group of the
   * same name cannot exist beside the old one).
   */
  async applyManifest(input: { name: string; integrationId: string }): Promise<SecretGroup> {
    const manifest = { type: "secret-group", name: input.name, integration_fqn: input.integrationId };
    return (
      await this.send<{ data: SecretGroup }>({ method: "PUT", path: `${BASE}/secret-groups`, body: { manifest }, group: input.name, idempotent: true })
    ).data;
  }

  /** Deletes a group. Resolves false when it was already gone. */
  async deleteGroup(id: string, opts: { forceDelete?: boolean; name?: string } = {}): Promise<boolean> {
    try {
      await this.send({
        method: "DELETE",
        path: `${BASE}/secret-groups/${enc(id)}`,
        params: { forceDelete: opts.forceDelete ? true : undefined },
        group: opts.name,
        idempotent: true,
        notFoundAfterLossIsSuccess: true,
      });
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** One secret, with its value. */
  async getSecret(id: string): Promise<Secret> {
    const s = (await this.send<{ data: Secret }>({ method: "GET", path: `${BASE}/secrets/${enc(id)}`, idempotent: true })).data;
    this.redactor.add(s.value);
    return s;
  }

  /** Every secret of a group, all pages; values only with `withValue`. */
  async listSecrets(secretGroupId: string, opts: { withValue?: boolean } = {}): Promise<Secret[]> {
    const secrets = await this.allPages<Secret>((offset) => ({
      method: "POST",
      path: `${BASE}/secrets`,
      body: { secretGroupId, limit: PAGE_SIZE, offset, withValue: opts.withValue ?? false },
      idempotent: true,
    }));
    this.redactor.add(...secrets.map((s) => s.value));
    return secrets;
  }

  /** Every item of a paginated list, page after page until the total is reached. */
  private async allPages<T>(page: (offset: number) => Call): Promise<T[]> {
    const all: T[] = [];
    for (let offset = 0; ; ) {
      const res = await this.send<{ data: T[]; pagination?: { total: number } }>(page(offset));
      all.push(...res.data);
      offset += res.data.length;
      if (res.data.length === 0 || offset >= (res.pagination?.total ?? offset)) return all;
    }
  }

  private ctx(call: Call): ErrorContext {
    return { group: call.group, method: call.method, path: call.path, host: this.baseUrl };
  }

  /**
   * Sends a call with the retry policy: 429 and refused connections always
   * retried (the request was not processed); 5xx and lost answers retried
   * only when idempotent, else surfaced as LostAnswer for the caller to
   * resolve; other 4xx never retried.
   */
  private async send<T>(call: Call): Promise<T> {
    const ctx = this.ctx(call);
    let lostEarlier = false;
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      let res: AxiosResponse | undefined;
      let netCode: string | undefined;
      try {
        res = await this.http.request({ method: call.method, url: call.path, params: call.params, data: call.body });
      } catch (err) {
        netCode = networkCode(err);
      }
      const ms = Date.now() - started;
      const last = attempt >= this.opts.maxAttempts;

      if (!res) {
        this.logLine(`${call.method} ${call.path} -> no answer (${netCode}) after ${ms} ms`);
        // A refused connection never carried the request: even a create may simply be sent again.
        const unsent = netCode === "ECONNREFUSED";
        if (!call.idempotent && !unsent) throw new LostAnswer(`no answer (${netCode})`, (n) => new NetworkError(ctx, netCode!, n));
        if (last) throw new NetworkError(ctx, netCode!, attempt);
        lostEarlier ||= !unsent;
        await this.backoff(call, attempt, undefined, `no answer (${netCode})`);
        continue;
      }

      this.logLine(`${call.method} ${call.path} -> ${res.status} (${ms} ms)`);
      if (res.status >= 200 && res.status < 300) return res.data as T;
      if (res.status === 404 && lostEarlier && call.notFoundAfterLossIsSuccess) return {} as T;
      const error = httpError(ctx, res.status, this.serverMessage(res), serverCode(res));
      if (res.status === 429 && !last) {
        await this.backoff(call, attempt, retryAfterMs(res.headers["retry-after"]), "429");
        continue;
      }
      if (res.status >= 500) {
        if (!call.idempotent) throw new LostAnswer(String(res.status), () => error);
        if (!last) {
          lostEarlier = true;
          await this.backoff(call, attempt, undefined, String(res.status));
          continue;
        }
      }
      throw error;
    }
  }

  private async backoff(call: Call, attempt: number, retryAfter: number | undefined, why: string): Promise<void> {
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(Math.random() * exp);
    const delay = retryAfter !== undefined ? Math.min(retryAfter, 60_000) + Math.round(Math.random() * 100) : jittered;
    this.logLine(`retrying ${call.method} ${call.path} after ${why} in ${delay} ms (attempt ${attempt + 1}/${this.opts.maxAttempts})`);
    await this.sleep(delay);
  }

  private serverMessage(res: AxiosResponse): string | undefined {
    const msg = res.data && typeof res.data === "object" ? (res.data as { message?: unknown }).message : undefined;
    if (typeof msg !== "string" || msg.length === 0) return undefined;
    return this.redactor.redact(msg.length > 300 ? `${msg.slice(0, 300)}…` : msg);
  }
}

/**
 * A non-idempotent call whose outcome is unknown (no answer, or 5xx): the
 * caller must find out whether it was applied before sending it again.
 */
class LostAnswer extends Error {
  constructor(
    readonly why: string,
    readonly final: (attempts: number) => ControlPlaneError,
  ) {
    super(why);
  }
}

function sameShape(group: SecretGroup, input: CreateGroupInput): boolean {
  if (group.integrationId !== input.integrationId) return false;
  const have = (group.associatedSecrets ?? []).map((s) => s.name).sort();
  const want = input.secrets.map((s) => s.key).sort();
  return have.length === want.length && have.every((k, i) => k === want[i]);
}

function networkCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : "network error";
  return code;
}

function serverCode(res: AxiosResponse): string | undefined {
  const code = res.data && typeof res.data === "object" ? (res.data as { code?: unknown }).code : undefined;
  return code === undefined || code === null ? undefined : String(code);
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function retryAfterMs(header: unknown): number | undefined {
  if (typeof header !== "string" || header.trim() === "") return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function enc(id: string): string {
  return encodeURIComponent(id);
}

export { ControlPlaneError, HttpError };
