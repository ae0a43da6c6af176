/**
 * Typed errors of the client. They carry only what is safe to print: status,
 * method, path, host, group name and the server's (redacted) message. Never the
 * request config, headers or body, which hold the token and secret values.
 */
import { ENV_DEADLINE, ENV_TIMEOUT } from "../shared/contract";
import { plural } from "../shared/text";

export interface ErrorContext {
  /** The group the call was about, when known: named first in the message. */
  group?: string;
  method: string;
  path: string;
  host: string;
  /** `host:port` of the proxy the call went through, if any. */
  via?: string;
}

const HINTS: Record<number, string> = {
  400: "the request was malformed; this is a bug in the client, please report it",
  401: "check TFY_API_KEY",
  403: "the token lacks permission on this group; use a token with write access to it",
  404: "it no longer exists on the control plane",
  409: "a conflicting group exists or the group is in use",
  422: "fix the group's name, keys or values",
  424: "the secret store integration failed; check the integration, or delete with forceDelete",
  429: "the control plane is rate limiting; retry later",
};

const REASONS: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  422: "Unprocessable Entity",
  424: "Failed Dependency",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

function subject(ctx: { group?: string }): string {
  return ctx.group ? `secret group "${ctx.group}": ` : "";
}

export class ControlPlaneError extends Error {
  readonly group?: string;
  readonly method: string;
  readonly path: string;
  readonly host: string;
  /** HTTP status, or 0 when no answer came. */
  readonly status: number;
  readonly code?: string;
  readonly serverMessage?: string;

  constructor(message: string, ctx: ErrorContext, status: number, code?: string, serverMessage?: string) {
    super(message);
    this.name = new.target.name;
    this.group = ctx.group;
    this.method = ctx.method;
    this.path = ctx.path;
    this.host = ctx.host;
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
  }
}

/** The control plane answered with an error status. */
export class HttpError extends ControlPlaneError {
  constructor(ctx: ErrorContext, status: number, serverMessage?: string, code?: string, hint?: string) {
    const reason = REASONS[status] ?? (status >= 500 ? "Server Error" : "Error");
    const detail = serverMessage ? ` (${serverMessage})` : "";
    const next = hint ?? HINTS[status] ?? (status >= 500 ? "the control plane failed; retry later" : "");
    super(
      `${subject(ctx)}control plane answered ${status} ${reason} to ${ctx.method} ${ctx.path} from ${ctx.host}${detail}${next ? `; ${next}` : ""}`,
      ctx,
      status,
      code,
      serverMessage,
    );
  }
}

export class UnauthorizedError extends HttpError {}
export class ForbiddenError extends HttpError {}
export class NotFoundError extends HttpError {}
export class ConflictError extends HttpError {}
export class ValidationError extends HttpError {}
export class IntegrationError extends HttpError {}
export class RateLimitedError extends HttpError {}
export class ServerError extends HttpError {}

const BY_STATUS: Record<number, typeof HttpError> = {
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  422: ValidationError,
  424: IntegrationError,
  429: RateLimitedError,
};

/**
 * A taken name is a 409 by this project's convention; the published API
 * declares no 409, and a real server may say it with a 422 instead.
 */
const CONFLICT_MESSAGE = /already exists|already taken|conflict|duplicate/i;

export function httpError(ctx: ErrorContext, status: number, serverMessage?: string, code?: string, hint?: string): HttpError {
  const conflict = status === 422 && CONFLICT_MESSAGE.test(`${serverMessage ?? ""} ${code ?? ""}`);
  const Cls = conflict ? ConflictError : (BY_STATUS[status] ?? (status >= 500 ? ServerError : HttpError));
  const redirect = status >= 300 && status < 400 ? "the control plane redirected elsewhere; set TFY_HOST to the API's own base URL" : undefined;
  return new Cls(ctx, status, serverMessage, code, hint ?? redirect);
}

function through(ctx: ErrorContext): string {
  return ctx.via ? ` through the proxy at ${ctx.via}` : "";
}

/** No answer: connection refused or reset, DNS failure, timeout. */
export class NetworkError extends ControlPlaneError {
  constructor(ctx: ErrorContext, code: string, attempts: number, timeoutMs?: number) {
    const timedOut = code === "ETIMEDOUT";
    const why = timedOut && timeoutMs ? `no complete answer within ${timeoutMs / 1000} s` : describeNetworkCode(code);
    const next = timedOut
      ? `check that the control plane is reachable${ctx.via ? " through the proxy" : ""}; if it is only slow, raise ${ENV_TIMEOUT} (seconds)`
      : `check TFY_HOST${ctx.via ? ", HTTPS_PROXY" : ""} and that the control plane is reachable`;
    super(
      `${subject(ctx)}control plane at ${ctx.host} did not answer ${ctx.method} ${ctx.path}${through(ctx)} (${why}) after ${plural(attempts, "attempt")}; ${next}`,
      ctx,
      0,
      code,
    );
  }
}

/** The whole run's deadline passed: no new attempt starts, and the one in flight was cut. */
export class DeadlineError extends ControlPlaneError {
  constructor(ctx: ErrorContext, attempts: number) {
    const when = attempts === 0 ? "before it was sent" : `after ${plural(attempts, "attempt")}`;
    super(
      `${subject(ctx)}the run's deadline passed during ${ctx.method} ${ctx.path} to the control plane at ${ctx.host}${through(ctx)} (${when}); check that the control plane is reachable and answering, then deploy again, or raise ${ENV_DEADLINE} (seconds)`,
      ctx,
      0,
      "DEADLINE",
    );
  }
}

/** The certificate of the control plane (or of an https proxy) failed verification: never retried. */
export class TlsError extends ControlPlaneError {
  constructor(ctx: ErrorContext, code: string, certHost: string, setting = "TFY_HOST") {
    const message =
      code === "ERR_TLS_CERT_ALTNAME_INVALID"
        ? `the certificate of ${certHost} is issued for another name; check ${setting}`
        : code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID"
          ? `the certificate of ${certHost} is ${code === "CERT_HAS_EXPIRED" ? "expired" : "not yet valid"}; check the server's certificate and this machine's clock`
          : `the certificate of ${certHost} is not trusted; set NODE_EXTRA_CA_CERTS to your CA bundle`;
    super(`${subject(ctx)}${message} (${code}, on ${ctx.method} ${ctx.path})`, ctx, 0, code);
  }
}

/** The proxy refused to open a tunnel: retrying would not help. */
export class ProxyError extends ControlPlaneError {
  constructor(ctx: ErrorContext, status: number, proxyVar: string) {
    const next =
      status === 407
        ? `put the proxy's credentials in ${proxyVar} as http://user:password@host:port`
        : `check ${proxyVar}, or add the control plane's host to NO_PROXY if it is reachable without the proxy`;
    super(
      `${subject(ctx)}the proxy at ${ctx.via} refused to tunnel to the control plane at ${ctx.host} (${status}${status === 407 ? " Proxy Authentication Required" : ""}); ${next}`,
      ctx,
      status,
      "PROXY_REFUSED",
    );
  }
}

/** A success status whose body is not what the API contract promises. */
export class UnexpectedAnswerError extends ControlPlaneError {
  constructor(ctx: ErrorContext, status: number, problem: string) {
    super(
      `${subject(ctx)}the control plane at ${ctx.host} answered ${ctx.method} ${ctx.path} with ${status}, but ${problem}; check that TFY_HOST is the control plane's API and not a proxy, gateway or login page`,
      ctx,
      status,
      "UNEXPECTED_ANSWER",
    );
  }
}

/** An answer longer than the client reads: the request was cut there, and is not sent again. */
export class AnswerTooLargeError extends ControlPlaneError {
  constructor(ctx: ErrorContext, what: string, mayHaveApplied: boolean) {
    super(
      `${subject(ctx)}the control plane at ${ctx.host} answered ${ctx.method} ${ctx.path}${through(ctx)} with ${what}: answer too large, cut there${mayHaveApplied ? " (the group may have been created)" : ""}; check that TFY_HOST is the control plane's API and not a proxy, gateway or download`,
      ctx,
      0,
      "ANSWER_TOO_LARGE",
    );
  }
}

/** Refused before any request: missing or unsafe settings. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

function describeNetworkCode(code: string): string {
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
    case "EPIPE":
      return "connection reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "ETIMEDOUT":
    case "ECONNABORTED":
      return "timed out";
    case "ERR_PROXY_CONNECT":
      return "the proxy could not open a tunnel";
    default:
      return code;
  }
}
