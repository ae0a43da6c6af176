/**
 * HTTPS_PROXY: the client tunnels through CONNECT, TLS runs end to end with
 * the real host and its certificate is checked against that host. A proxy
 * that records every byte sees no token, no value, no header in the clear.
 */
import { ControlPlane, startControlPlane } from "../../control-plane/server";
import { ConfigError, ControlPlaneClient, ProxyError, TlsError } from "../../lib/client";
import { noProxyMatches, proxyFor } from "../../lib/client/proxy";
import { Certs, RecordingProxy, expectNoneOf, makeCerts, recordingProxy } from "./support";
import * as fs from "fs";

const TOKEN = "proxy-token-sentinel-91c4";
const VALUE = "proxy-value-sentinel-3e8d";
const ROTATED = "proxy-rotated-sentinel-7a21";
const PROXY_PASSWORD = "proxy-pass-sentinel-55f0";
// Never resolved here: only the proxy knows where it is.
const HOST = "cp.test";

let certs: Certs;
let cp: ControlPlane;

beforeAll(async () => {
  certs = makeCerts([HOST, "127.0.0.1"]);
  cp = await startControlPlane({ port: 0, tokens: [TOKEN], tls: { key: certs.key, cert: certs.cert }, hosts: [HOST] });
});
afterAll(async () => {
  await cp.close();
  fs.rmSync(certs.dir, { recursive: true, force: true });
});

function viaProxy(proxyUrl: string, lines: string[] = [], extra: Record<string, string> = {}) {
  return new ControlPlaneClient({
    host: `https://${HOST}:${cp.port}`,
    apiKey: TOKEN,
    ca: certs.ca,
    env: { HTTPS_PROXY: proxyUrl, ...extra },
    log: (l) => lines.push(l),
    baseDelayMs: 10,
    maxDelayMs: 20,
  });
}

describe("https through an http proxy", () => {
  let proxy: RecordingProxy;
  afterEach(async () => proxy?.close());

  it("tunnels with CONNECT: the proxy never sees the token, a value or a header", async () => {
    proxy = await recordingProxy(cp.port);
    const lines: string[] = [];
    const c = viaProxy(proxy.url, lines);
    const g = await c.createGroup({ name: "proxied-db", integrationId: "int-1", secrets: [{ key: "PASSWORD", value: VALUE }] });
    await c.updateGroup(g.id, [{ key: "PASSWORD", value: ROTATED }], "proxied-db");
    expect((await c.findGroupByName("proxied-db"))?.id).toBe(g.id);
    expect(await c.deleteGroup(g.id, { name: "proxied-db" })).toBe(true);

    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([`${HOST}:${cp.port}`]));
    const seen = proxy.received();
    expect(seen.length).toBeGreaterThan(1000);
    expectNoneOf(seen, [TOKEN, VALUE, ROTATED, "Authorization", "authorization", "Bearer", "proxied-db", "/api/svc/v1", "PASSWORD"]);
    expect(lines.join("\n")).toContain(`through the proxy at 127.0.0.1:${proxy.port}`);
  });

  it("honours https_proxy before HTTPS_PROXY, as curl does", async () => {
    proxy = await recordingProxy(cp.port);
    const c = viaProxy("http://127.0.0.1:1", [], { https_proxy: proxy.url });
    await c.listGroups();
    expect(proxy.connects).toHaveLength(1);
  });

  it("sends proxy credentials only to the proxy, and never prints them", async () => {
    proxy = await recordingProxy(cp.port, { credentials: `alice:${PROXY_PASSWORD}` });
    const lines: string[] = [];
    await viaProxy(`http://alice:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`, lines).listGroups();
    expect(proxy.connects).toHaveLength(1);
    expectNoneOf(lines.join("\n"), [PROXY_PASSWORD, Buffer.from(`alice:${PROXY_PASSWORD}`).toString("base64")]);

    const wrong = "wrong-pass-sentinel-0b9e";
    const err = await viaProxy(`http://alice:${wrong}@127.0.0.1:${proxy.port}`, lines).getGroup("x", "payments-db").catch((e) => e);
    expect(err).toBeInstanceOf(ProxyError);
    expect(err.message).toBe(
      `secret group "payments-db": the proxy at 127.0.0.1:${proxy.port} refused to tunnel to the control plane at https://${HOST}:${cp.port} (407 Proxy Authentication Required); put the proxy's credentials in HTTPS_PROXY as http://user:password@host:port`,
    );
    // Refused at once: no retry.
    expect(proxy.connects).toHaveLength(2);
    const dump = JSON.stringify({ ...err, message: err.message, stack: err.stack }) + lines.join("\n");
    expectNoneOf(dump, [wrong, PROXY_PASSWORD, TOKEN]);
  });

  it("checks the certificate against the real host, through the tunnel", async () => {
    const other = makeCerts(["other.test"]);
    const impostor = await startControlPlane({ port: 0, tokens: [TOKEN], tls: { key: other.key, cert: other.cert } });
    try {
      proxy = await recordingProxy(impostor.port);
      const c = new ControlPlaneClient({ host: `https://${HOST}:${impostor.port}`, apiKey: TOKEN, ca: other.ca, env: { HTTPS_PROXY: proxy.url } });
      const err = await c.listGroups().catch((e) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect(err.message).toMatch(`the certificate of ${HOST} is issued for another name; check TFY_HOST`);
      expect(proxy.connects).toHaveLength(1);
      expectNoneOf(proxy.received(), [TOKEN, "Authorization"]);
    } finally {
      await impostor.close();
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it("an untrusted certificate behind the proxy fails at once, with what to do", async () => {
    proxy = await recordingProxy(cp.port);
    const c = new ControlPlaneClient({ host: `https://${HOST}:${cp.port}`, apiKey: TOKEN, env: { HTTPS_PROXY: proxy.url } });
    const err = await c.getGroup("x", "payments-db").catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toMatch(
      new RegExp(`^secret group "payments-db": the certificate of ${HOST} is not trusted; set NODE_EXTRA_CA_CERTS to your CA bundle`),
    );
    expect(proxy.connects).toHaveLength(1);
    expectNoneOf(proxy.received(), [TOKEN, "Authorization"]);
  });

  it("goes direct, past the proxy, for NO_PROXY hosts and for loopback", async () => {
    proxy = await recordingProxy(cp.port);
    // NO_PROXY: the client resolves cp.test itself, which fails here; the proxy sees nothing.
    const skipped = new ControlPlaneClient({
      host: `https://${HOST}:${cp.port}`,
      apiKey: TOKEN,
      ca: certs.ca,
      maxAttempts: 1,
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: `localhost,.${HOST}` },
    });
    await expect(skipped.listGroups()).rejects.toThrow(/host not found|EAI_AGAIN|ENOTFOUND/);
    // Loopback is never proxied, whatever NO_PROXY says.
    const local = new ControlPlaneClient({ host: `https://127.0.0.1:${cp.port}`, apiKey: TOKEN, ca: certs.ca, env: { HTTPS_PROXY: proxy.url } });
    await local.listGroups();
    expect(proxy.received().length).toBe(0);
  });
});

describe("proxy settings", () => {
  const target = new URL("https://cp.example.com");

  it("picks the proxy for https, lowercase first, and never for loopback or http", () => {
    expect(proxyFor(target, {})).toBeUndefined();
    expect(proxyFor(target, { HTTPS_PROXY: "proxy:3128" })?.label).toBe("proxy:3128");
    expect(proxyFor(target, { HTTPS_PROXY: "http://a:1", https_proxy: "http://b:2" })?.label).toBe("b:2");
    expect(proxyFor(target, { ALL_PROXY: "http://c:3" })?.label).toBe("c:3");
    expect(proxyFor(target, { HTTPS_PROXY: "https://secure-proxy" })?.label).toBe("secure-proxy:443");
    for (const host of ["https://localhost:1", "https://127.0.0.1", "https://[::1]:8443", "http://127.0.0.1:8787"]) {
      expect(proxyFor(new URL(host), { HTTPS_PROXY: "http://p:1", HTTP_PROXY: "http://p:1" })).toBeUndefined();
    }
  });

  it("refuses proxies it cannot tunnel through, without quoting their URL", () => {
    expect(() => proxyFor(target, { HTTPS_PROXY: "socks5://u:hunter2@p:1080" })).toThrow(ConfigError);
    expect(() => proxyFor(target, { HTTPS_PROXY: "socks5://u:hunter2@p:1080" })).toThrow(/only http:\/\/ and https:\/\/ proxies/);
    expect(() => proxyFor(target, { HTTPS_PROXY: "http://u:hunter2@[bad" })).toThrow(
      /^HTTPS_PROXY is not a valid proxy URL; set it to http:\/\/host:port$/,
    );
  });

  it("reads NO_PROXY as curl does", () => {
    const m = (url: string, list: string) => noProxyMatches(new URL(url), list);
    expect(m("https://cp.example.com", "*")).toBe(true);
    expect(m("https://cp.example.com", "example.com")).toBe(true);
    expect(m("https://cp.example.com", ".example.com")).toBe(true);
    expect(m("https://cp.example.com", "*.example.com")).toBe(true);
    expect(m("https://example.com", ".example.com")).toBe(true);
    expect(m("https://notexample.com", "example.com")).toBe(false);
    expect(m("https://cp.example.com", "other.org, EXAMPLE.COM")).toBe(true);
    expect(m("https://cp.example.com:8443", "cp.example.com:8443")).toBe(true);
    expect(m("https://cp.example.com", "cp.example.com:8443")).toBe(false);
    expect(m("https://10.1.2.3", "10.0.0.0/8")).toBe(true);
    expect(m("https://11.1.2.3", "10.0.0.0/8")).toBe(false);
    expect(m("https://10.1.2.3", "10.1.2.3")).toBe(true);
    expect(m("https://[2001:db8::5]", "2001:db8::/32")).toBe(true);
    expect(m("https://[2001:db8::5]:443", "[2001:db8::5]:443")).toBe(true);
    expect(m("https://cp.example.com", "")).toBe(false);
  });
});
