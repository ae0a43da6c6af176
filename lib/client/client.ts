/**
 * The one client of the control-plane API, used by the hook runtime, the tests,
 * the demo and the benchmark. It owns the retry policy, the time limits, the
 * proxy tunnel, the checks of every answer and redaction at the edge: what it
 * logs or throws holds no token, no value and no proxy credential.
 */
import axios, { AxiosInstance, AxiosResponse } from "axios";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as tls from "tls";
import { API_ROUTES, COLLABORATOR_ROLE_IDS, apiPath, groupNameOfFqn } from "../shared/api";
import { Collaborator, ENV_API_KEY, ENV_DEADLINE, ENV_HOST, ENV_TIMEOUT } from "../shared/contract";
import { AnswerProblem, Page, deleted, groupPage, oneGroup, oneSecret, secretPage } from "./answers";
import {
  AnswerTooLargeError,
  ConfigError,
  ConflictError,
  ControlPlaneError,
  DeadlineError,
  ErrorContext,
  HttpError,
  NetworkError,
  NotFoundError,
  ProxyError,
  TlsError,
  UnexpectedAnswerError,
  httpError,
} from "./errors";
import type { Env } from "../shared/env";
import { Proxy, ProxyConnectError, TunnelAgent, isLoopback, proxyFor } from "./proxy";
import { Redactor } from "./redact";
import { CreateGroupInput, Secret, SecretGroup, SecretInput } from "./types";

const PAGE_SIZE = 1000;
export interface AnswerLimits {
  /** The most of one answer read; past it the request is cut. */
  bytes: number;
  /**
   * The most JSON values (each object or list, and each member after a
   * comma) one answer may hold, counted before parsing: a few MiB of JSON can
   * parse into millions of objects, gigabytes in memory.
   */
  values: number;
}

/**
 * What one answer may be, sized for the hook, which has 8 requests in flight:
 * whatever a server sends, the hook stays far below 512 MiB. Enough for one
 * group's secrets with their values (100 of 64 KiB: 6.5 MiB) and for a page
 * of 1000 groups of about 10 secrets each in the local control plane's shape.
 * Past either limit the call fails as "answer too large", never retried.
 */
export const ANSWER_LIMITS: AnswerLimits = { bytes: 8 * 1024 * 1024, values: 250_000 };

/** A list that has not ended after this many pages is not the API's: 100,000 items. */
const MAX_PAGES = 100;

export interface ClientOptions {
  /** Base URL of the control plane, e.g. https://cp.example.com. Default: $TFY_HOST. */
  host?: string;
  /** Bearer token. Default: $TFY_API_KEY. */
  apiKey?: string;
  /** Time one request may take, its whole answer included. Default: $TFYSG_TIMEOUT seconds, else 30 s. */
  timeoutMs?: number;
  /**
   * When (epoch ms) the whole run must be over: after it no attempt starts,
   * and the request in flight is cut. Default: none.
   */
  deadline?: number;
  /** Called right before every attempt; throwing stops the call (the hook stops once Terraform is gone). */
  beforeAttempt?: () => void;
  /** Attempts per call, the first included, for retryable failures. */
  maxAttempts?: number;
  /** First backoff delay; doubles each retry, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Receives one sanitized line per request and retry. */
  log?: (line: string) => void;
  /** Values to scrub from every log line and error, besides the token and the values sent. */
  redactor?: Redactor;
  /**
   * PEM certificates to trust besides Node's bundled ones and
   * NODE_EXTRA_CA_CERTS (which Node reads only at start-up).
   */
  ca?: string | Buffer;
  /** Where HTTPS_PROXY, NO_PROXY and TFYSG_TIMEOUT are read. Default: process.env. */
  env?: Env;
  /** Injected for tests of the retry policy. */
  sleep?: (ms: number) => Promise<void>;
  /** What one answer may be. Default: ANSWER_LIMITS. */
  answerLimits?: AnswerLimits;
}

export const DEFAULTS = { timeoutMs: 30_000, maxAttempts: 6, baseDelayMs: 200, maxDelayMs: 5_000, runMs: 300_000 };

/** Checks an answer's body (see answers.ts) and gives it its type. */
type Check<T> = (body: unknown, contentType: string) => T;

interface Call<T> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  params?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  group?: string;
  /** Safe to send again when the answer was lost or a 5xx came back. */
  idempotent: boolean;
  /** A retry after a lost answer met 404: the lost attempt did the work (DELETE). */
  notFoundAfterLossIsSuccess?: boolean;
  check: Check<T>;
}

/** Failures that mean the request never left this machine: even a create may be sent again. */
const UNSENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ERR_PROXY_CONNECT"]);

/** Certificate verification failures: retrying cannot help. */
const CERT_CODES = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_CHAIN_TOO_LONG",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "PATH_LENGTH_EXCEEDED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

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
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    throw new ConfigError(
      `${ENV_HOST} is http://${url.host}: refusing to send the API token over plain http to a host that is not loopback; use https://`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigError(`${ENV_HOST} must not carry credentials in the URL; put the token in ${ENV_API_KEY}`);
  }
  return url;
}

/** $TFYSG_TIMEOUT in ms, or undefined when unset. */
export function timeoutFromEnv(env: Env): number | undefined {
  return secondsFromEnv(env, ENV_TIMEOUT);
}

/** How long a whole hook run may take: $TFYSG_DEADLINE seconds, else 5 minutes. */
export function runDeadlineMs(env: Env): number {
  return secondsFromEnv(env, ENV_DEADLINE) ?? DEFAULTS.runMs;
}

function secondsFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const secs = Number(raw);
  if (!Number.isFinite(secs) || secs <= 0) {
    throw new ConfigError(`${name} must be a number of seconds greater than 0, got ${JSON.stringify(raw)}`);
  }
  return secs * 1000;
}

export class ControlPlaneClient {
  readonly baseUrl: string;
  private readonly hostname: string;
  private readonly http: AxiosInstance;
  private readonly opts: Required<Pick<ClientOptions, "timeoutMs" | "maxAttempts" | "baseDelayMs" | "maxDelayMs">>;
  private readonly deadline: number;
  private readonly beforeAttempt: () => void;
  private readonly proxy?: Proxy;
  private readonly redactor: Redactor;
  private readonly logLine: (line: string) => void;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly limits: AnswerLimits;

  constructor(options: ClientOptions = {}) {
    const env = options.env ?? process.env;
    const host = options.host ?? env[ENV_HOST];
    const apiKey = options.apiKey ?? env[ENV_API_KEY];
    if (!host) throw new ConfigError(`${ENV_HOST} is not set; set it to the control plane's base URL`);
    if (!apiKey) throw new ConfigError(`${ENV_API_KEY} is not set; set it to an API token of the control plane`);
    const url = parseHost(host);
    this.baseUrl = url.origin + url.pathname.replace(/\/+$/, "");
    this.hostname = url.hostname;
    this.opts = {
      timeoutMs: options.timeoutMs ?? timeoutFromEnv(env) ?? DEFAULTS.timeoutMs,
      maxAttempts: Math.max(1, options.maxAttempts ?? DEFAULTS.maxAttempts),
      baseDelayMs: options.baseDelayMs ?? DEFAULTS.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULTS.maxDelayMs,
    };
    this.deadline = options.deadline ?? Infinity;
    this.beforeAttempt = options.beforeAttempt ?? (() => undefined);
    this.redactor = options.redactor ?? new Redactor();
    this.redactor.add(apiKey, `Bearer ${apiKey}`);
    this.proxy = proxyFor(url, env);
    this.redactor.add(...(this.proxy?.secrets ?? []));
    const log = options.log;
    this.logLine = log ? (line) => log(this.redactor.redact(line)) : () => undefined;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.limits = options.answerLimits ?? ANSWER_LIMITS;
    if (this.proxy) this.logLine(`reaching ${url.host} through the proxy at ${this.proxy.label} (${this.proxy.from}), in a CONNECT tunnel`);

    const tlsOptions: https.AgentOptions = { keepAlive: true, ca: options.ca ? trustedWith(options.ca) : undefined };
    this.http = axios.create({
      baseURL: this.baseUrl,
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json", Accept: "application/json" },
      // Statuses are ours to interpret: axios errors for them would carry the config (token, body).
      validateStatus: () => true,
      maxRedirects: 0,
      maxContentLength: this.limits.bytes,
      transformResponse: [(data: unknown) => parseAnswer(data, this.limits.values)],
      // axios's own proxy support sends https requests to an http proxy in the clear; proxyFor decides.
      proxy: false,
      // Node's http/https only: the hook bundle leaves out axios's fetch and http2 paths.
      adapter: "http",
      httpAgent: new http.Agent({ keepAlive: true }),
      httpsAgent: this.proxy
        ? new TunnelAgent(this.proxy, { ...tlsOptions, connectTimeoutMs: this.opts.timeoutMs })
        : new https.Agent(tlsOptions),
    });
  }

  /**
   * One POST. When its answer is lost (no answer, 5xx) the group may or may
   * not exist: a group of that name found afterwards is returned only when
   * `createdByThisRequest` proves it (see shared/ownership); otherwise (and
   * without a proof) the create fails as a conflict. Found nothing: it is
   * sent again.
   */
  async createGroup(input: CreateGroupInput, createdByThisRequest: (group: SecretGroup) => Promise<boolean> = async () => false): Promise<SecretGroup> {
    this.redactor.add(...input.secrets.map((s) => s.value));
    const call: Call<SecretGroup> = { method: "POST", path: API_ROUTES.groups, body: input, group: input.name, idempotent: false, check: oneGroup };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.send(call);
      } catch (err) {
        if (!(err instanceof LostAnswer)) throw err;
        if (attempt >= this.opts.maxAttempts) throw this.scrub(err.final(attempt));
        await this.backoff(call, attempt, undefined, err.why);
      }
      // The lost create may have been applied: look before sending it again.
      const existing = await this.findGroupByName(input.name);
      if (!existing) continue;
      if (!(await createdByThisRequest(existing))) {
        throw this.scrub(
          new ConflictError(
            this.ctx(call),
            409,
            undefined,
            undefined,
            "after a lost answer, a group of that name exists that this request did not create: it is not ours to take",
          ),
        );
      }
      this.logLine(`POST ${call.path}: the lost create was applied; found the group by name, with this request's create markers`);
      return existing;
    }
  }

  async getGroup(id: string, name?: string): Promise<SecretGroup> {
    return this.send({ method: "GET", path: apiPath(API_ROUTES.group, id), group: name, idempotent: true, check: oneGroup });
  }

  /** Every group matching the filters, all pages. */
  async listGroups(filter: { search?: string; fqn?: string } = {}, group?: string): Promise<SecretGroup[]> {
    return this.allPages(groupPage, (offset) => ({
      method: "GET",
      path: API_ROUTES.groups,
      params: { limit: PAGE_SIZE, offset, search: filter.search, fqn: filter.fqn },
      group,
      idempotent: true,
    }));
  }

  /** The group with exactly this name, if any (search is "name contains"). */
  async findGroupByName(name: string): Promise<SecretGroup | undefined> {
    return (await this.listGroups({ search: name }, name)).find((g) => g.name === name || groupNameOfFqn(g.fqn) === name);
  }

  /** Sets the group's full key set: a key without value keeps its value, a key left out is removed. */
  async updateGroup(id: string, secrets: SecretInput[], name?: string): Promise<SecretGroup> {
    this.redactor.add(...secrets.map((s) => s.value));
    return this.send({ method: "PUT", path: apiPath(API_ROUTES.group, id), body: { secrets }, group: name, idempotent: true, check: oneGroup });
  }

  /**
   * Create-or-update by manifest, matched by name: how a group moves to
   * another integration in place (names are unique, so a new group of the
   * same name cannot exist beside the old one), and how its collaborators
   * are set (all of them: those left out lose their access; omitted, they
   * stay as they are).
   */
  async applyManifest(input: { name: string; integrationId: string; collaborators?: readonly Collaborator[] }): Promise<SecretGroup> {
    const manifest = {
      type: "secret-group",
      name: input.name,
      integration_fqn: input.integrationId,
      collaborators: input.collaborators?.map((c) => ({ subject: c.subject, role_id: COLLABORATOR_ROLE_IDS[c.role] })),
    };
    return this.send({ method: "PUT", path: API_ROUTES.groups, body: { manifest }, group: input.name, idempotent: true, check: oneGroup });
  }

  /** Deletes a group. Resolves false when it was already gone. */
  async deleteGroup(id: string, opts: { forceDelete?: boolean; name?: string } = {}): Promise<boolean> {
    try {
      await this.send({
        method: "DELETE",
        path: apiPath(API_ROUTES.group, id),
        params: { forceDelete: opts.forceDelete ? true : undefined },
        group: opts.name,
        idempotent: true,
        notFoundAfterLossIsSuccess: true,
        check: deleted,
      });
      return true;
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
  }

  /** One secret, with its value. */
  async getSecret(id: string): Promise<Secret> {
    const s = await this.send({ method: "GET", path: apiPath(API_ROUTES.secret, id), idempotent: true, check: oneSecret });
    this.redactor.add(s.value);
    return s;
  }

  /** Every secret of a group, all pages; values only with `withValue`. */
  async listSecrets(secretGroupId: string, opts: { withValue?: boolean } = {}): Promise<Secret[]> {
    const secrets = await this.allPages(secretPage, (offset) => ({
      method: "POST",
      path: API_ROUTES.secrets,
      body: { secretGroupId, limit: PAGE_SIZE, offset, withValue: opts.withValue ?? false },
      idempotent: true,
    }));
    this.redactor.add(...secrets.flatMap((s) => [s.value, ...(s.secretVersions ?? []).map((v) => v.value)]));
    return secrets;
  }

  /**
   * Every item of a paginated list, page after page until an empty page or
   * the total. Bounded: a list that never ends, or that repeats itself, is an
   * error after at most MAX_PAGES requests.
   */
  private async allPages<T extends { id: string }>(check: Check<Page<T>>, page: (offset: number) => Omit<Call<Page<T>>, "check">): Promise<T[]> {
    const all: T[] = [];
    const seen = new Set<string>();
    for (let offset = 0, pages = 0; ; pages++) {
      const call = { ...page(offset), check };
      if (pages === MAX_PAGES) {
        throw this.scrub(new UnexpectedAnswerError(this.ctx(call), 200, `the list did not end after ${MAX_PAGES} pages of ${PAGE_SIZE}`));
      }
      const res = await this.send(call);
      const fresh = res.items.filter((item) => !seen.has(item.id));
      if (res.items.length > 0 && fresh.length === 0) {
        throw this.scrub(new UnexpectedAnswerError(this.ctx(call), 200, `the page at offset ${offset} repeats items already listed`));
      }
      for (const item of fresh) seen.add(item.id);
      all.push(...fresh);
      offset += res.items.length;
      if (res.items.length === 0 || offset >= (res.total ?? Infinity)) return all;
    }
  }

  private ctx(call: { method: string; path: string; group?: string }): ErrorContext {
    return { group: call.group, method: call.method, path: call.path, host: this.baseUrl, via: this.proxy?.label };
  }

  /**
   * Values win: an error's message, stack and fields are scrubbed, even where
   * a value hides inside a group name or a path.
   */
  private scrub<E extends Error>(err: E): E {
    const fields = err as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (typeof fields[key] === "string") fields[key] = this.redactor.redact(fields[key] as string);
    }
    Object.defineProperty(err, "message", { value: this.redactor.redact(err.message), enumerable: false, writable: true, configurable: true });
    if (err.stack) Object.defineProperty(err, "stack", { value: this.redactor.redact(err.stack), enumerable: false, writable: true, configurable: true });
    return err;
  }

  /** The time the next attempt may take; a DeadlineError when the run's deadline has passed. */
  private budget(call: Call<unknown>, attemptsMade: number): { ms: number; byDeadline: boolean } {
    const left = this.deadline - Date.now();
    if (left <= 0) throw this.scrub(new DeadlineError(this.ctx(call), attemptsMade));
    return left < this.opts.timeoutMs ? { ms: left, byDeadline: true } : { ms: this.opts.timeoutMs, byDeadline: false };
  }

  /**
   * Sends a call with the retry policy: 429 and requests that never left
   * (refused connection, unknown host, no tunnel) always retried; 5xx and
   * lost answers retried only when idempotent, else surfaced as LostAnswer for
   * the caller to resolve; other 4xx, certificate failures, a refusing proxy
   * and answers that break the contract never retried.
   */
  private async send<T>(call: Call<T>): Promise<T> {
    const ctx = this.ctx(call);
    let lostEarlier = false;
    for (let attempt = 1; ; attempt++) {
      const budget = this.budget(call, attempt - 1);
      this.beforeAttempt();
      const started = Date.now();
      // Counts the whole answer: axios's own timeout restarts on every byte received.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), budget.ms);
      let res: AxiosResponse | undefined;
      let failure: unknown;
      try {
        res = await this.http.request({ method: call.method, url: call.path, params: call.params, data: call.body, signal: abort.signal });
      } catch (err) {
        failure = err;
      } finally {
        clearTimeout(timer);
      }
      const ms = Date.now() - started;
      const last = attempt >= this.opts.maxAttempts;

      if (!res) {
        if (abort.signal.aborted && budget.byDeadline) {
          this.logLine(`${call.method} ${call.path} -> cut at the run's deadline after ${ms} ms`);
          throw this.scrub(new DeadlineError(ctx, attempt));
        }
        const large = tooLarge(failure, this.limits);
        if (large) {
          this.logLine(`${call.method} ${call.path} -> answer too large (${large}) after ${ms} ms`);
          throw this.scrub(new AnswerTooLargeError(ctx, large, call.method === "POST" && !call.idempotent));
        }
        const netCode = abort.signal.aborted ? "ETIMEDOUT" : networkCode(failure);
        this.logLine(`${call.method} ${call.path} -> no answer (${netCode}) after ${ms} ms`);
        this.refuseAtOnce(ctx, failure, netCode);
        const unsent = UNSENT.has(netCode);
        const final = (n: number) => this.scrub(new NetworkError(ctx, netCode, n, netCode === "ETIMEDOUT" ? this.opts.timeoutMs : undefined));
        if (!call.idempotent && !unsent) throw new LostAnswer(`no answer (${netCode})`, final);
        if (last) throw final(attempt);
        lostEarlier ||= !unsent;
        await this.backoff(call, attempt, undefined, `no answer (${netCode})`);
        continue;
      }

      this.logLine(`${call.method} ${call.path} -> ${res.status} (${ms} ms)`);
      const contentType = String(res.headers["content-type"] ?? "");
      if (res.status >= 200 && res.status < 300) {
        try {
          return call.check(res.data, contentType);
        } catch (err) {
          if (!(err instanceof AnswerProblem)) throw err;
          const problem = call.method === "POST" && !call.idempotent ? `${err.message} (the group may have been created)` : err.message;
          throw this.scrub(new UnexpectedAnswerError(ctx, res.status, problem));
        }
      }
      if (res.status === 404 && lostEarlier && call.notFoundAfterLossIsSuccess) return call.check({}, "application/json");
      const error = this.scrub(httpError(ctx, res.status, this.serverMessage(res), serverCode(res)));
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

  /** Failures no retry can mend: an untrusted certificate, a proxy that refuses the tunnel. */
  private refuseAtOnce(ctx: ErrorContext, failure: unknown, code: string): void {
    if (CERT_CODES.has(code)) {
      const atProxy = (rootCause(failure) as { atProxy?: boolean })?.atProxy === true;
      throw this.scrub(
        atProxy && this.proxy ? new TlsError(ctx, code, `the proxy ${this.proxy.label}`, this.proxy.from) : new TlsError(ctx, code, this.hostname),
      );
    }
    const refused = rootCause(failure);
    if (refused instanceof ProxyConnectError && refused.status >= 400 && refused.status < 500 && this.proxy) {
      throw this.scrub(new ProxyError(ctx, refused.status, this.proxy.from));
    }
  }

  private async backoff(call: Call<unknown>, attempt: number, retryAfter: number | undefined, why: string): Promise<void> {
    const exp = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (attempt - 1));
    const jittered = Math.round(Math.random() * exp);
    const delay = retryAfter !== undefined ? Math.min(retryAfter, 60_000) + Math.round(Math.random() * 100) : jittered;
    // No attempt starts after the deadline: waiting past it would be for nothing.
    if (Date.now() + delay >= this.deadline) throw this.scrub(new DeadlineError(this.ctx(call), attempt));
    this.logLine(`retrying ${call.method} ${call.path} after ${why} in ${delay} ms (attempt ${attempt + 1}/${this.opts.maxAttempts})`);
    await this.sleep(delay);
  }

  /** Only the server's `message`, scrubbed then cut: never its body verbatim. */
  private serverMessage(res: AxiosResponse): string | undefined {
    const msg = res.data && typeof res.data === "object" ? (res.data as { message?: unknown }).message : undefined;
    if (typeof msg !== "string" || msg.length === 0) return undefined;
    return this.redactor.serverText(msg);
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

/** Node's bundled roots, NODE_EXTRA_CA_CERTS (a `ca` option replaces both) and `ca`. */
function trustedWith(ca: string | Buffer): string[] {
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  const extra = extraFile && fs.existsSync(extraFile) ? [fs.readFileSync(extraFile, "utf8")] : [];
  return [...tls.rootCertificates, ...extra, ca.toString()];
}

/** The error at the bottom of axios's wrapping. */
function rootCause(err: unknown): unknown {
  let e = err as { cause?: unknown } | undefined;
  while (e && typeof e === "object" && e.cause) e = e.cause as { cause?: unknown };
  return e;
}

/** What made an answer too large, when that is why it failed: axios's maxContentLength, or parseAnswer's count. */
function tooLarge(err: unknown, limits: AnswerLimits): string | undefined {
  if (err instanceof TooManyValues) return `more than ${limits.values} JSON values`;
  const e = err as { code?: unknown; message?: unknown };
  const cut = e?.code === "ERR_BAD_RESPONSE" && typeof e.message === "string" && e.message.startsWith("maxContentLength size");
  return cut ? `more than ${limits.bytes / (1024 * 1024)} MiB` : undefined;
}

class TooManyValues extends Error {}

/**
 * An answer's text as JSON, or as the text itself when it is not JSON (the
 * checks in answers.ts say so). Its values are counted first (each object or
 * list, and each member after a comma, outside strings): too many fail the
 * call instead of filling the memory.
 */
function parseAnswer(data: unknown, maxValues: number): unknown {
  if (typeof data !== "string" || data.trim() === "") return data;
  let values = 0;
  let inString = false;
  for (let i = 0; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if ((c === 0x7b || c === 0x5b || c === 0x2c) && ++values > maxValues) throw new TooManyValues();
  }
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

function networkCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.cause?.code === "string" ? e.cause.code : typeof e?.code === "string" ? e.code : "network error";
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

export { ControlPlaneError, HttpError };
