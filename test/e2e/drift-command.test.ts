/**
 * `secret-groups drift` through the packaged command: groups changed by hand
 * are found with one list request, named with their fix, and `--repair`
 * puts the code back with a real terraform apply: same names, same fqns,
 * the code's values.
 */
import { TerraformOutput, TerraformStack } from "cdktf";
import * as path from "path";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, RunResult, apiClient, controlPlane, expectOk, hermeticEnv, run } from "../../scripts/harness";

const CLI = path.join(__dirname, "..", "..", "dist", "cli", "secret-groups.js");
const VALUES = { API_KEY: "api-key-9f2c41", API_URL: "https://api.internal", DB_PASSWORD: "db-pass-73ad0e" };
const HAND_VALUE = "typed-by-hand-51c0";

function app(stack: TerraformStack): void {
  const api = new SecretGroup(stack, "api", {
    name: "drift-api",
    integrationId: "int-vault",
    secrets: { KEY: SecretValue.fromEnv("API_KEY"), URL: SecretValue.fromEnv("API_URL") },
  });
  new SecretGroup(stack, "db", { name: "drift-db", integrationId: "int-vault", secrets: { PASSWORD: SecretValue.fromEnv("DB_PASSWORD") } });
  new TerraformOutput(stack, "api_key_fqn", { value: api.secretFqn("KEY") });
}

describe("secret-groups drift", () => {
  let cp: ControlPlane;
  let project: Project;
  const outputs: string[] = [];

  beforeAll(async () => {
    cp = await controlPlane();
    project = new Project(cp, "drifty");
    project.synth(app, VALUES);
    expectOk(await project.apply(VALUES));
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
  });

  /** The packaged command, in the project folder, with nothing of this process's environment. */
  async function drift(...args: string[]): Promise<RunResult> {
    const res = await run("node", [CLI, "drift", ...args], { cwd: project.dir, env: hermeticEnv(project.env(VALUES)), isolated: true });
    outputs.push(res.output);
    return res;
  }
  const groupNamed = async (name: string) => (await apiClient(cp).findGroupByName(name))!;
  const valuesOf = async (id: string) =>
    Object.fromEntries((await apiClient(cp).listSecrets(id, { withValue: true })).map((s) => [s.name, s.value]));
  const apiRequests = (mark: number) => cp.requests().slice(mark).map((r) => `${r.method} ${r.path}`);

  it("finds nothing after a deploy, with one list request, and exits 0", async () => {
    const mark = cp.requests().length;
    const res = await drift();
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("in sync: drifty (2 groups)");
    expect(apiRequests(mark)).toEqual(["GET /api/svc/v1/secret-groups"]);
  });

  it("secretFqn(key) gives the API's own secret fqn; the state keeps only those that differ from the composed format", async () => {
    const api = await groupNamed("drift-api");
    const recorded = project.state().outputs.secret_groups.value["drift-api"];
    // Only fqns that differ from the composed format are kept; these do not.
    expect(recorded.secretFqns).toEqual({});
    // Version 1 of each secret holds its create marker; the values the deploy wrote are version 2.
    expect(recorded.versions).toBe("KEY:2,URL:2");
    expect(project.state().outputs.api_key_fqn.value).toBe(api.associatedSecrets!.find((s) => s.name === "KEY")!.fqn);
  });

  let apiFqn: string;
  let dbId: string;
  it("a group deleted by hand, a value changed and a key added on another: exit 2, one line each, naming the group and the fix", async () => {
    const client = apiClient(cp);
    const api = await groupNamed("drift-api");
    apiFqn = api.fqn;
    await client.deleteGroup(api.id);
    const db = await groupNamed("drift-db");
    dbId = db.id;
    await client.updateGroup(db.id, [{ key: "PASSWORD", value: HAND_VALUE }, { key: "EXTRA", value: "x" }]);

    const mark = cp.requests().length;
    const res = await drift("--stack", "drifty");
    expect(res.code).toBe(2);
    const lines = res.stdout.trim().split("\n");
    expect(lines).toEqual([
      `drifty: secret group "drift-api": deleted on the control plane (the state recorded id ${api.id}); run "secret-groups drift --repair --stack drifty" to put back the code's group, under the same name`,
      `drifty: secret group "drift-db": keys added by hand: EXTRA; run "secret-groups drift --repair --stack drifty" to put back the code's keys`,
      `drifty: secret group "drift-db": values changed since the last deploy: PASSWORD (version 3, the last deploy wrote 2); run "secret-groups drift --repair --stack drifty" to put back the code's values`,
    ]);
    expect(apiRequests(mark)).toEqual(["GET /api/svc/v1/secret-groups"]);
    // Terraform alone still sees nothing: that is why the command exists.
    expect((await project.plan(VALUES)).code).toBe(0);
  });

  it("--repair re-creates the deleted group under the same fqn, re-pushes the code's keys and values, and exits 0", async () => {
    const res = await drift("--repair");
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('repairing "drift-api", "drift-db"');
    expect(res.stdout).toContain("repaired: every group is back to the code");
    expect(res.output).toMatch(/secret group "drift-api": the group the state recorded \(id [^)]+\) no longer exists; creating it again/);
    expect(res.output).toContain('secret group "drift-db": repaired: set 1 secret in place');

    const api = await groupNamed("drift-api");
    expect(api.fqn).toBe(apiFqn);
    expect(await valuesOf(api.id)).toEqual({ KEY: VALUES.API_KEY, URL: VALUES.API_URL });
    const db = await groupNamed("drift-db");
    expect(db.id).toBe(dbId);
    expect(await valuesOf(db.id)).toEqual({ PASSWORD: VALUES.DB_PASSWORD });

    expect((await drift()).code).toBe(0);
    expect(project.state().outputs.secret_groups.value["drift-api"].id).toBe(api.id);
    expect((await project.plan(VALUES)).code).toBe(0);
  });

  it("exits 1 when the control plane refuses the token, saying what to check", async () => {
    const res = await run("node", [CLI, "drift"], { cwd: project.dir, env: hermeticEnv(project.env({ TFY_API_KEY: "not-a-token" })), isolated: true });
    outputs.push(res.output);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("401");
    expect(res.stderr).toContain("check TFY_API_KEY");
  });

  it("names the groups a deploy without any SecretGroup would leave behind (exit 2, no request), and that deploy does leave them", async () => {
    const before = (await apiClient(cp).listGroups()).map((g) => g.name).sort();
    expect(before).toEqual(["drift-api", "drift-db"]);
    // The last groups removed from the code: the stack keeps its backend, nothing of this library.
    project.synth(() => undefined, VALUES);
    const mark = cp.requests().length;
    const res = await drift("--stack", "drifty");
    expect(res.code).toBe(2);
    for (const name of before) {
      expect(res.stdout).toContain(`drifty: secret group "${name}": the code declares no SecretGroup any more, so the next deploy leaves this group`);
    }
    expect(res.stdout).toContain('run "cdktf destroy" on the stack before removing its last group');
    expect(cp.requests().slice(mark)).toEqual([]);
    // --repair cannot put them back without the code: they stay findings, and nothing is applied.
    const repaired = await drift("--stack", "drifty", "--repair");
    expect(repaired.code).toBe(2);
    expect(cp.requests().slice(mark)).toEqual([]);
    // What the check warns of: the deploy forgets them, sends nothing, and they stay.
    expectOk(await project.apply(VALUES));
    expect(cp.requests().slice(mark)).toEqual([]);
    expect((await apiClient(cp).listGroups()).map((g) => g.name).sort()).toEqual(before);
  });

  it("prints no value and no token", () => {
    const all = outputs.join("\n");
    for (const secret of [...Object.values(VALUES), HAND_VALUE, "test-token-0d6f1c"]) expect(all).not.toContain(secret);
  });
});
