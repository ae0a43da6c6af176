/**
 * `secret-groups drift` against control planes that lie: answers without
 * what the comparison needs, names holding terminal control bytes, a list
 * that never ends. Never "in sync" from such an answer; nothing printed acts
 * on the terminal; the whole check ends by TFYSG_DEADLINE.
 */
import * as path from "path";
import { TerraformStack } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import type { SecretGroup as Group } from "../../lib/client";
import { Project, RunResult, apiClient, expectOk, hermeticEnv, run } from "../../scripts/harness";
import { TestServer, expectNoneOf, testServer } from "../network/support";
import { suiteProjects } from "../support/suite";

const CLI = path.join(__dirname, "..", "..", "dist", "cli", "secret-groups.js");
const VALUES = { DB_PASSWORD: "drift-liar-value-sentinel-e5a2", API_KEY: "drift-liar-key-sentinel-90bd" };
const suite = suiteProjects();

function app(stack: TerraformStack): void {
  new SecretGroup(stack, "db", {
    name: "liar-db",
    integrationId: "int-vault",
    secrets: { PASSWORD: SecretValue.fromEnv("DB_PASSWORD") },
    collaborators: [{ subject: "team:ops", role: "viewer" }],
  });
  new SecretGroup(stack, "api", { name: "liar-api", integrationId: "int-vault", secrets: { KEY: SecretValue.fromEnv("API_KEY") } });
}

describe("secret-groups drift against a lying control plane", () => {
  let project: Project;
  /** What the real control plane lists after the deploy: the truth the liars bend. */
  let truth: Group[];
  let server: TestServer | undefined;
  const outputs: string[] = [];

  beforeAll(async () => {
    const setup = await suite.setup("liar");
    project = setup.project;
    project.synth(app, VALUES);
    expectOk(await project.apply(VALUES));
    truth = await apiClient(setup.cp).listGroups();
    suite.onCleanup(() => server?.close());
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(() => expectNoneOf(outputs.join("\n"), [...Object.values(VALUES), "test-token-0d6f1c"]));

  /** A control plane that lists `groups` (a bent copy of the truth) for every list request. */
  async function liar(groups: (copy: Group[]) => unknown[]): Promise<string> {
    const body = JSON.stringify({ data: groups(JSON.parse(JSON.stringify(truth))), pagination: { total: truth.length } });
    server = await testServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body);
    });
    return server.url;
  }

  async function drift(host: string, env: Record<string, string> = {}): Promise<RunResult & { seconds: number }> {
    const started = Date.now();
    const res = await run("node", [CLI, "drift"], { cwd: project.dir, env: hermeticEnv(project.env({ ...VALUES, TFY_HOST: host, ...env })), isolated: true, timeoutMs: 60_000 });
    outputs.push(res.output);
    return { ...res, seconds: (Date.now() - started) / 1000 };
  }

  it("the truth: in sync, exit 0", async () => {
    const res = await drift(await liar((g) => g));
    expect(res.stdout).toContain("in sync: liar (2 groups)");
    expect(res.code).toBe(0);
  });

  it("an answer without secretVersions: says which values it could not check, exit 1, never 'in sync'", async () => {
    const res = await drift(await liar((groups) => groups.map((g) => ({ ...g, associatedSecrets: g.associatedSecrets!.map(({ secretVersions: _, ...s }) => s) }))));
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain("in sync");
    expect(res.stderr).toContain('liar: secret group "liar-db": could not check the values of PASSWORD: the control plane\'s answer has no secretVersions for them');
    expect(res.stderr).toContain('liar: secret group "liar-api": could not check the values of KEY');
    expect(res.stderr).toContain('2 things could not be checked, so this is not "in sync"');
  });

  it("secretVersions without version numbers count as missing", async () => {
    const res = await drift(await liar((groups) => groups.map((g) => ({ ...g, associatedSecrets: g.associatedSecrets!.map((s) => ({ ...s, secretVersions: [{ id: "v" }] })) }))));
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("could not check the values of PASSWORD");
  });

  it("an answer without the manifest: says the collaborators could not be checked, exit 1", async () => {
    const res = await drift(await liar((groups) => groups.map(({ manifest: _, ...g }) => g)));
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain("in sync");
    expect(res.stderr).toContain('liar: secret group "liar-db": could not check its collaborators: the control plane\'s answer has no manifest.collaborators');
    expect(res.stderr).not.toContain('"liar-api": could not check its collaborators'); // it declares none
  });

  it("names and keys holding terminal control bytes are printed escaped: no escape sequence, no forged line", async () => {
    const evil = "\u001b[2J\u001b]0;owned\u0007x\r\nin sync: liar (2 groups)\u202e";
    const res = await drift(
      await liar((groups) =>
        groups.map((g) =>
          g.name === "liar-db"
            ? { ...g, name: `renamed${evil}`, fqn: `${g.fqn}${evil}` }
            : { ...g, associatedSecrets: [...g.associatedSecrets!, { ...g.associatedSecrets![0], id: "added", name: `ADDED${evil}` }] },
        ),
      ),
    );
    expect(res.code).toBe(2);
    expectNoneOf(res.output, ["\u001b", "\u0007", "\r", "\u202e"]);
    expect(res.stdout.split("\n").some((l) => l.startsWith("in sync"))).toBe(false);
    expect(res.stdout).toContain('renamed to "renamed\\u001b[2J\\u001b]0;owned\\u0007x\\u000d\\u000ain sync: liar (2 groups)\\u202e"');
    expect(res.stdout).toContain("keys added by hand: ADDED\\u001b[2J");
  });

  it("answers over drift's limit (16 MiB) fail as 'answer too large', exit 1; a 12 MiB page, over the hook's 8 MiB, is read", async () => {
    const padded = await drift(await liar((groups) => groups.map((g, i) => (i === 0 ? { ...g, padding: "x".repeat(12 * 1024 * 1024) } : g))));
    expect(padded.stdout).toContain("in sync: liar (2 groups)");
    expect(padded.code).toBe(0);
    await server!.close();
    const huge = await drift(await liar((groups) => groups.map((g, i) => (i === 0 ? { ...g, padding: "x".repeat(17 * 1024 * 1024) } : g))));
    expect(huge.code).toBe(1);
    expect(huge.stdout).not.toContain("in sync");
    expect(huge.stderr).toContain("answered GET /api/svc/v1/secret-groups with more than 16 MiB: answer too large, cut there");
  });

  it("a list that never ends stops at TFYSG_DEADLINE: exit 1, saying so", async () => {
    let page = 0;
    server = await testServer((_req, res) => {
      const items = Array.from({ length: 1000 }, (_, i) => ({ id: `endless-${page}-${i}`, fqn: `t:endless-${page}-${i}` }));
      page++;
      // Slow enough that the deadline, not the page limit, ends it.
      const timer = setTimeout(() => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ data: items }));
      }, 300);
      res.on("close", () => clearTimeout(timer));
    });
    const res = await drift(server.url, { TFYSG_DEADLINE: "3" });
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain("in sync");
    expect(res.stderr).toContain("the run's deadline passed during GET /api/svc/v1/secret-groups");
    expect(res.stderr).toContain("raise TFYSG_DEADLINE");
    expect(page).toBeLessThan(100);
    expect(res.seconds).toBeLessThan(15);
  });
});
