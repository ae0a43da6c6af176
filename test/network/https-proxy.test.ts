/**
 * HTTPS_PROXY=https://...: two TLS sessions, one inside the other. The outer
 * one is with the proxy and is checked against the proxy's own host; the
 * inner one, through the CONNECT tunnel, is with the control plane and is
 * checked against TFY_HOST's host. Every certificate comes from private CAs
 * made here; everything listens on 127.0.0.1. The proxy records what it
 * reads after decrypting: never a token, a header or a value.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack } from "cdktf";
import { ControlPlane, startControlPlane } from "../../control-plane/server";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlaneClient, TlsError } from "../../lib/client";
import { Project, TOKEN, expectOk } from "../../scripts/harness";
import { Certs, RecordingProxy, expectNoneOf, makeCerts, recordingProxy } from "./support";

const VALUE = "https-proxy-value-sentinel-c41d";
const ROTATED = "https-proxy-rotated-sentinel-77e0";
const PROXY_PASSWORD = "https-proxy-pass-sentinel-2b9a";
// Never resolved here: only the proxy knows where it is.
const HOST = "cp.test";
const NO_PROXY_ENV = { HTTPS_PROXY: "", https_proxy: "", ALL_PROXY: "", all_proxy: "", NO_PROXY: "", no_proxy: "" };

let cpCerts: Certs;
/** The proxy's certificate, for its own address only. */
let proxyCerts: Certs;
/** A certificate that names the control plane, not the proxy. */
let namesControlPlane: Certs;
let cp: ControlPlane;
let trusted: string;
let proxy: RecordingProxy | undefined;

beforeAll(async () => {
  cpCerts = makeCerts([HOST]);
  proxyCerts = makeCerts(["127.0.0.1"]);
  namesControlPlane = makeCerts([HOST]);
  trusted = [cpCerts.ca, proxyCerts.ca, namesControlPlane.ca].join("\n");
  // Reached as cp.test through the proxy: the local control plane answers only loopback names and those it is told.
  cp = await startControlPlane({ port: 0, tokens: [TOKEN], hosts: [HOST], tls: { key: cpCerts.key, cert: cpCerts.cert } });
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});
afterAll(async () => {
  await cp.close();
  for (const c of [cpCerts, proxyCerts, namesControlPlane]) fs.rmSync(c.dir, { recursive: true, force: true });
});

function client(proxyUrl: string, opts: { ca?: string; port?: number; lines?: string[] } = {}) {
  return new ControlPlaneClient({
    host: `https://${HOST}:${opts.port ?? cp.port}`,
    apiKey: TOKEN,
    ca: opts.ca ?? trusted,
    env: { HTTPS_PROXY: proxyUrl },
    log: opts.lines ? (l) => opts.lines!.push(l) : undefined,
    maxAttempts: 2,
    baseDelayMs: 10,
    maxDelayMs: 20,
  });
}

describe("an https:// proxy", () => {
  it("works: TLS to the proxy checked against its own host, TLS in the tunnel against TFY_HOST's; the proxy reads no token, header or value", async () => {
    proxy = await recordingProxy(cp.port, { tls: proxyCerts, credentials: `alice:${PROXY_PASSWORD}` });
    const lines: string[] = [];
    const c = client(`https://alice:${PROXY_PASSWORD}@127.0.0.1:${proxy.port}`, { lines });
    const g = await c.createGroup({ name: "tls-proxied-db", integrationId: "int-1", secrets: [{ key: "PASSWORD", value: VALUE }] });
    await c.updateGroup(g.id, [{ key: "PASSWORD", value: ROTATED }], "tls-proxied-db");
    expect(await c.deleteGroup(g.id, { name: "tls-proxied-db" })).toBe(true);

    expect(new Set(proxy.connects)).toEqual(new Set([`${HOST}:${cp.port}`]));
    const seen = proxy.received();
    expect(seen.toString("latin1")).toContain("Proxy-Authorization: Basic"); // what the proxy may read: its own credentials
    expect(seen.length).toBeGreaterThan(1000);
    expectNoneOf(seen, [TOKEN, VALUE, ROTATED, "Authorization: Bearer", "authorization:", "Bearer", "tls-proxied-db", "/api/svc/v1", "PASSWORD"]);
    expect(lines.join("\n")).toContain(`through the proxy at 127.0.0.1:${proxy.port}`);
    expectNoneOf(lines.join("\n"), [PROXY_PASSWORD, TOKEN, VALUE, ROTATED]);
  });

  it("refuses a proxy whose certificate names another host (here: the control plane), before anything is sent", async () => {
    proxy = await recordingProxy(cp.port, { tls: namesControlPlane });
    const err = await client(proxy.url).getGroup("x", "payments-db").catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toBe(
      `secret group "payments-db": the certificate of the proxy 127.0.0.1:${proxy.port} is issued for another name; check HTTPS_PROXY (ERR_TLS_CERT_ALTNAME_INVALID, on GET /api/svc/v1/secret-groups/x)`,
    );
    expect(proxy.connects).toEqual([]);
    expect(proxy.received().length).toBe(0);
  });

  it("refuses a proxy whose certificate no trusted CA signed, naming the proxy", async () => {
    proxy = await recordingProxy(cp.port, { tls: proxyCerts });
    const err = await client(proxy.url, { ca: cpCerts.ca }).listGroups().catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.message).toMatch(`the certificate of the proxy 127.0.0.1:${proxy.port} is not trusted; set NODE_EXTRA_CA_CERTS to your CA bundle`);
    expect(proxy.received().length).toBe(0);
  });

  it("refuses a control plane whose certificate, inside the tunnel, names another host, naming TFY_HOST's host", async () => {
    const other = makeCerts(["other.test"]);
    const impostor = await startControlPlane({ port: 0, tokens: [TOKEN], hosts: [HOST], tls: { key: other.key, cert: other.cert } });
    try {
      proxy = await recordingProxy(impostor.port, { tls: proxyCerts });
      const err = await client(proxy.url, { ca: `${trusted}\n${other.ca}`, port: impostor.port }).listGroups().catch((e) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect(err.message).toMatch(`the certificate of ${HOST} is issued for another name; check TFY_HOST`);
      expect(proxy.connects).toEqual([`${HOST}:${impostor.port}`]);
      expectNoneOf(proxy.received(), [TOKEN, "Authorization", "/api/svc/v1"]);
    } finally {
      await impostor.close();
      fs.rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it("a real deploy goes through it: terraform runs the hook, which trusts NODE_EXTRA_CA_CERTS for both TLS sessions", async () => {
    proxy = await recordingProxy(cp.port, { tls: proxyCerts });
    const bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-ca-")), "bundle.pem");
    fs.writeFileSync(bundle, `${cpCerts.ca}\n${proxyCerts.ca}`);
    const project = new Project(cp, "tlsproxy");
    try {
      const env = { ...NO_PROXY_ENV, TFY_HOST: `https://${HOST}:${cp.port}`, HTTPS_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: bundle, DB_PASSWORD: VALUE };
      project.synth((stack: TerraformStack) => {
        new SecretGroup(stack, "db", { name: "tls-proxy-db", integrationId: "int-vault", secrets: { DB_PASSWORD: SecretValue.fromEnv("DB_PASSWORD") } });
      });
      expectOk(await project.apply(env));
      // The control plane's certificate names cp.test alone: the test looks through the proxy too.
      const direct = client(proxy.url);
      const group = await direct.findGroupByName("tls-proxy-db");
      expect((await direct.listSecrets(group!.id, { withValue: true })).map((s) => s.value)).toEqual([VALUE]);
      expectOk(await project.destroy(env));
      expect(await direct.findGroupByName("tls-proxy-db")).toBeUndefined();

      expect(new Set(proxy.connects)).toEqual(new Set([`${HOST}:${cp.port}`]));
      expectNoneOf(proxy.received(), [TOKEN, VALUE, "Authorization", "Bearer", "tls-proxy-db", "DB_PASSWORD"]);
      expectNoneOf(project.outputs.join("\n"), [TOKEN, VALUE]);
      for (const f of project.files()) expectNoneOf(fs.readFileSync(f), [TOKEN, VALUE]);
    } finally {
      project.cleanup();
      fs.rmSync(path.dirname(bundle), { recursive: true, force: true });
    }
  });
});
