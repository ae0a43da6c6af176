/**
 * How the client reaches the control plane through an HTTP proxy: a CONNECT
 * tunnel, inside which TLS runs end to end with the real host, its certificate
 * checked against the real host name. The proxy sees the target's host and
 * port, never a header, the token or a value.
 *
 * Hand-written rather than `https-proxy-agent`: that one logs the proxy URL,
 * credentials included, whenever DEBUG=* is set, and answers a refused CONNECT
 * by replaying the proxy's reply as if the control plane had sent it.
 * Environment resolution is ours too, so tests can pass their own environment
 * and loopback is decided in one place.
 */
import * as http from "http";
import * as https from "https";
import * as net from "net";
import type { Duplex } from "stream";
import * as tls from "tls";
import { ConfigError } from "./errors";

import type { Env } from "../shared/env";

/** Lowercase first, as curl does. */
const PROXY_VARS = ["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"] as const;
const NO_PROXY_VARS = ["no_proxy", "NO_PROXY"] as const;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)$/i;

export function isLoopback(hostname: string): boolean {
  return LOOPBACK.test(hostname);
}

export interface Proxy {
  url: URL;
  /** Which variable named it, for messages. */
  from: string;
  /** `host:port`: how the proxy is named in messages and logs (never its credentials). */
  label: string;
  /** `Basic ...`, when the proxy URL carries credentials. */
  authorization?: string;
  /** The credentials in every form they take, for the redactor. */
  secrets: string[];
}

/**
 * The proxy to reach `target` through, or undefined for a direct connection.
 * Loopback targets are always direct: a proxy cannot reach this machine's
 * loopback, and plain http (allowed to loopback only) must never cross one.
 */
export function proxyFor(target: URL, env: Env): Proxy | undefined {
  if (isLoopback(target.hostname) || target.protocol !== "https:") return undefined;
  const from = PROXY_VARS.find((name) => env[name]);
  if (!from) return undefined;
  const noProxy = NO_PROXY_VARS.map((name) => env[name]).find((v) => v !== undefined) ?? "";
  if (noProxyMatches(target, noProxy)) return undefined;
  return parseProxy(env[from]!, from);
}

function parseProxy(raw: string, from: string): Proxy {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    // Never quote it: a proxy URL may carry credentials.
    throw new ConfigError(`${from} is not a valid proxy URL; set it to http://host:port`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(
      `${from} names a ${url.protocol.replace(/:$/, "")} proxy; only http:// and https:// proxies are supported: set ${from} to one, or add the control plane's host to NO_PROXY`,
    );
  }
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  const secrets: string[] = [];
  let authorization: string | undefined;
  if (url.username || url.password) {
    const user = decodeURIComponent(url.username);
    const password = decodeURIComponent(url.password);
    const basic = Buffer.from(`${user}:${password}`).toString("base64");
    authorization = `Basic ${basic}`;
    secrets.push(url.password, password, basic, `${url.username}:${url.password}`, `${user}:${password}`);
  }
  return { url, from, label: `${url.hostname}:${port}`, authorization, secrets };
}

/**
 * NO_PROXY as curl reads it: comma- or space-separated; `*` for every host;
 * a domain matches itself and its subdomains (a leading `.` or `*.` is
 * ignored); an IP address or CIDR block matches addresses; `:port` narrows
 * an entry to one port.
 */
export function noProxyMatches(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = target.port || (target.protocol === "https:" ? "443" : "80");
  for (const item of noProxy.toLowerCase().split(/[\s,]+/).filter(Boolean)) {
    if (item === "*") return true;
    const [entry, entryPort] = splitPort(item);
    if (entryPort && entryPort !== port) continue;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      const family = net.isIP(cidr[1]);
      if (family === 0 || net.isIP(host) !== family) continue;
      const type = family === 6 ? "ipv6" : "ipv4";
      const block = new net.BlockList();
      block.addSubnet(cidr[1], Number(cidr[2]), type);
      if (block.check(host, type)) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, "");
    if (host === domain || (!net.isIP(host) && host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

/** `[v6]:port`, `v6`, `v6/len`, `host:port`, `host`. */
function splitPort(entry: string): [string, string | undefined] {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return [bracketed[1], bracketed[2]];
  if (net.isIPv6(entry.split("/")[0])) return [entry, undefined];
  const withPort = /^(.*):(\d+)$/.exec(entry);
  return withPort ? [withPort[1], withPort[2]] : [entry, undefined];
}

/** A CONNECT the proxy refused: `status` is the proxy's answer. */
export class ProxyConnectError extends Error {
  readonly code = "ERR_PROXY_CONNECT";
  constructor(
    readonly status: number,
    readonly proxy: string,
  ) {
    super(`the proxy at ${proxy} answered ${status} to CONNECT`);
  }
}

/** An https.Agent whose sockets are TLS connections inside a CONNECT tunnel through `proxy`. */
export class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: Proxy,
    options: https.AgentOptions & { connectTimeoutMs: number },
  ) {
    super(options);
    this.connectTimeoutMs = options.connectTimeoutMs;
  }

  private readonly connectTimeoutMs: number;

  // Node's Agent accepts a socket handed to the callback later (the async form).
  createConnection(options: http.RequestOptions, done?: (err: Error | null, stream: Duplex) => void): undefined {
    const callback = (err: Error | null, socket?: Duplex) => done?.(err, socket as Duplex);
    const host = options.hostname ?? options.host ?? "localhost";
    const target = `${net.isIPv6(host) ? `[${host}]` : host}:${options.port ?? 443}`;
    const { url } = this.proxy;
    const headers: Record<string, string> = { Host: target };
    if (this.proxy.authorization) headers["Proxy-Authorization"] = this.proxy.authorization;
    const proxyHost = url.hostname.replace(/^\[|\]$/g, "");
    const request = (url.protocol === "https:" ? https : http).request({
      host: proxyHost,
      port: url.port || (url.protocol === "https:" ? 443 : 80),
      method: "CONNECT",
      path: target,
      headers,
      agent: false,
      timeout: this.connectTimeoutMs,
      // TLS to an https proxy is checked against the proxy's own name, with the
      // same trusted CAs. Left alone, Node takes the name from the Host header,
      // which names the control plane.
      ...(url.protocol === "https:"
        ? {
            ca: (options as tls.ConnectionOptions).ca,
            servername: net.isIP(proxyHost) ? "" : proxyHost,
            checkServerIdentity: (_: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(proxyHost, cert),
          }
        : {}),
    });
    request.once("timeout", () => request.destroy(Object.assign(new Error("CONNECT timed out"), { code: "ETIMEDOUT" })));
    // Tagged, so that a certificate failure names the proxy, not the control plane.
    request.once("error", (err) => callback(Object.assign(err, { atProxy: true })));
    request.once("connect", (res: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      request.setTimeout(0);
      // A proxy that answers anything but 200, or talks before the TLS handshake, is not tunnelling.
      if (res.statusCode !== 200 || head.length > 0) {
        socket.destroy();
        callback(new ProxyConnectError(res.statusCode ?? 0, this.proxy.label));
        return;
      }
      const secure = tls.connect({
        ...(options as tls.ConnectionOptions),
        socket,
        host,
        servername: (options as tls.ConnectionOptions).servername || (net.isIP(host) ? undefined : host),
      });
      callback(null, secure);
    });
    request.end();
    return undefined;
  }
}
