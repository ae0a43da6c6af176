/**
 * The same hostile networks, through a real deploy: terraform runs the hook,
 * which must tunnel through the proxy, stop at its deadline and keep echoed
 * values out of Terraform's output. Written against the public API only.
 */
import * as fs from "fs";
import { TerraformStack } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlaneClient } from "../../lib/client";
import { ControlPlane, startControlPlane } from "../../control-plane/server";
import { Project, TOKEN, expectOk } from "../../scripts/harness";
import { Certs, RecordingProxy, TestServer, drip, expectNoneOf, makeCerts, recordingProxy, testServer } from "./support";

const VALUE = "deploy-proxy-value-sentinel-8f3b";
const HOST = "cp.test";
/** Whatever the caller's environment holds, these runs choose their own proxy settings. */
const NO_PROXY_ENV = { HTTPS_PROXY: "", https_proxy: "", ALL_PROXY: "", all_proxy: "", NO_PROXY: "", no_proxy: "" };

const app = (name: string) => (stack: TerraformStack) =>
  new SecretGroup(stack, name, { name, integrationId: "int-vault", secrets: { DB_PASSWORD: SecretValue.fromEnv("DB_PASSWORD") } });

describe("a deploy through an HTTPS proxy", () => {
  let certs: Certs;
  let cp: ControlPlane;
  let proxy: RecordingProxy;
  let project: Project;
  beforeAll(async () => {
    certs = makeCerts([HOST, "127.0.0.1"]);
    cp = await startControlPlane({ port: 0, tokens: [TOKEN], tls: { key: certs.key, cert: certs.cert }, hosts: [HOST] });
    proxy = await recordingProxy(cp.port);
    project = new Project(cp, "proxied");
  });
  afterAll(async () => {
    await proxy.close();
    await cp.close();
    project.cleanup();
    fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it("creates and deletes the group through a CONNECT tunnel; the proxy sees no token, no value, no header", async () => {
    const env = {
      ...NO_PROXY_ENV,
      TFY_HOST: `https://${HOST}:${cp.port}`,
      HTTPS_PROXY: proxy.url,
      NODE_EXTRA_CA_CERTS: certs.caFile,
      DB_PASSWORD: VALUE,
    };
    const direct = new ControlPlaneClient({ host: cp.url, apiKey: TOKEN, ca: certs.ca, env: {} });
    project.synth(app("proxied-db"));
    expectOk(await project.apply(env));
    const group = await direct.findGroupByName("proxied-db");
    expect(group).toBeDefined();
    const secrets = await direct.listSecrets(group!.id, { withValue: true });
    expect(secrets.map((s) => [s.name, s.value])).toEqual([["DB_PASSWORD", VALUE]]);

    expectOk(await project.destroy(env));
    expect(await direct.findGroupByName("proxied-db")).toBeUndefined();

    expect(proxy.connects.length).toBeGreaterThan(0);
    expect(new Set(proxy.connects)).toEqual(new Set([`${HOST}:${cp.port}`]));
    expectNoneOf(proxy.received(), [TOKEN, VALUE, "Authorization", "authorization", "Bearer", "proxied-db", "DB_PASSWORD"]);
    expectNoneOf(project.outputs.join("\n"), [TOKEN, VALUE]);
  });
});

describe("a deploy against hostile servers", () => {
  let server: TestServer;
  let project: Project;
  afterEach(async () => {
    await server?.close();
    project?.cleanup();
  });

  it("a control plane that never finishes its answer fails the deploy in bounded time, naming the group, the host and what to do", async () => {
    server = await testServer(drip(200));
    project = new Project({ url: server.url } as ControlPlane, "slow");
    project.synth(app("slow-db"));
    const res = await project.apply({ ...NO_PROXY_ENV, DB_PASSWORD: VALUE, TFYSG_TIMEOUT: "1", TFYSG_DEADLINE: "4" });
    expect(res.code).not.toBe(0);
    const oneLine = res.output.replace(/\s+/g, " ");
    expect(oneLine).toMatch(
      new RegExp(`secret group "slow-db": (the run.s deadline passed during (POST|GET) .* to the control plane at ${server.url}|control plane at ${server.url} did not answer (POST|GET))`),
    );
    expect(oneLine).toMatch(/raise TFYSG_(DEADLINE|TIMEOUT)/);
    expectNoneOf(res.output, [TOKEN, VALUE]);
  });

  it("a server that echoes the request in its error: the value never reaches Terraform's output, in any encoding, even when it holds the group's name", async () => {
    const dsn = `postgres://app:pw-${VALUE}@payments-db.internal:5432/app?sslmode=require&x="y"`;
    server = await testServer((_req, res, body) => {
      res.writeHead(422, { "Content-Type": "application/json" });
      const message = `${"-".repeat(290)} rejected ${dsn} in ${body} (${encodeURIComponent(dsn)})`;
      res.end(JSON.stringify({ statusCode: 422, code: "VALIDATION_FAILED", message, echo: JSON.parse(body || "{}") }));
    });
    project = new Project({ url: server.url } as ControlPlane, "echo");
    project.synth(app("payments-db"));
    const res = await project.apply({ ...NO_PROXY_ENV, DB_PASSWORD: dsn });
    expect(res.code).not.toBe(0);
    expect(res.output).toContain('secret group "payments-db"');
    expect(res.output).toContain("422");
    expectNoneOf(res.output, [dsn, VALUE, "pw-", JSON.stringify(dsn).slice(1, -1), encodeURIComponent(dsn), "postgres%3A", TOKEN]);
  });
});
