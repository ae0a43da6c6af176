/**
 * A server that echoes the values it was sent back in its error message,
 * encoded or in part, through a real deploy: nothing of a value reaches
 * Terraform's output or a file; a message that cannot be made safe is
 * withheld while the status, method, path and group are still given.
 */
import * as fs from "fs";
import { TerraformStack } from "cdktf";
import { ControlPlane } from "../../control-plane/server";
import { SecretGroup, SecretValue } from "../../lib";
import { WITHHELD } from "../../lib/client";
import { Project, TOKEN } from "../../scripts/harness";
import { TestServer, expectNoneOf, testServer } from "./support";

const VALUE = "Echo'<Sentinel>&\"pw\"-4b7e-9c21";
const NO_PROXY_ENV = { HTTPS_PROXY: "", https_proxy: "", ALL_PROXY: "", all_proxy: "", NO_PROXY: "", no_proxy: "" };
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Every form the server uses, and what must not appear in the output because of it. */
const FORMS: [string, (v: string) => string][] = [
  ["HTML-escaped", html],
  ["base64 inside a longer base64 text", (v) => b64(`k=${v};`)],
  ["URL-safe base64", (v) => b64(v).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")],
  ["hex", (v) => Buffer.from(v).toString("hex")],
  ["upper case", (v) => v.toUpperCase()],
  ["its first 14 characters", (v) => v.slice(0, 14)],
  ["a run from its middle", (v) => v.slice(8, 22)],
];

describe("a deploy against a server that echoes values back, encoded or in part", () => {
  let server: TestServer;
  let project: Project;
  afterEach(async () => {
    await server?.close();
    project?.cleanup();
  });

  const app = (stack: TerraformStack) =>
    new SecretGroup(stack, "db", { name: "echo-db", integrationId: "int-vault", secrets: { DB_PASSWORD: SecretValue.fromEnv("DB_PASSWORD") } });

  async function deployAgainst(message: (value: string) => string, value: string) {
    // The name look-up finds nothing and the create (its values are create markers) succeeds; the PUT of the values is echoed back.
    server = await testServer((req, res, body) => {
      res.writeHead(req.method === "PUT" ? 422 : 200, { "Content-Type": "application/json" });
      if (req.method === "GET") return void res.end(JSON.stringify({ data: [], pagination: { total: 0, offset: 0, limit: 1000 } }));
      if (req.method === "POST") return void res.end(JSON.stringify({ data: { id: "g-echo", fqn: "t:echo-db", integrationId: "int-vault", associatedSecrets: [] } }));
      const sent = (JSON.parse(body || "{}").secrets ?? [])[0]?.value ?? "";
      res.end(JSON.stringify({ statusCode: 422, code: "VALIDATION_FAILED", message: message(sent) }));
    });
    project = new Project({ url: server.url } as ControlPlane, "echoes");
    project.synth(app);
    return project.apply({ ...NO_PROXY_ENV, DB_PASSWORD: value });
  }

  it("every form at once: the deploy fails naming the group and the status, and no form reaches the output or a file", async () => {
    const res = await deployAgainst((v) => FORMS.map(([name, form]) => `${name}: ${form(v)}`).join(" | "), VALUE);
    expect(res.code).not.toBe(0);
    const oneLine = res.output.replace(/\s+/g, " ");
    expect(oneLine).toContain('secret group "echo-db": control plane answered 422 Unprocessable Entity to PUT /api/svc/v1/secret-groups/g-echo');
    expect(oneLine).toContain("[REDACTED]");
    const forbidden = FORMS.map(([, form]) => form(VALUE));
    expectNoneOf(res.output, [VALUE, TOKEN, ...forbidden, ...forbidden.map((f) => f.slice(0, 12)), b64(VALUE).slice(0, 12)]);
    for (const f of project.files()) expectNoneOf(fs.readFileSync(f), [VALUE, ...forbidden]);
  });

  it("a value too short to scrub: the server's message is withheld, the status, method, path and group are given", async () => {
    const res = await deployAgainst((v) => `value ${v} is not allowed`, "x7q");
    expect(res.code).not.toBe(0);
    const oneLine = res.output.replace(/\s+/g, " ");
    expect(oneLine).toContain(`secret group "echo-db": control plane answered 422 Unprocessable Entity to PUT /api/svc/v1/secret-groups/g-echo from ${server.url} (${WITHHELD})`);
    expectNoneOf(res.output, ["x7q"]);
  });
});
