/**
 * The rules of the per-stack reconcile, each through real deploys: the state
 * is the only truth (stale local files never win), a group's identity is its
 * name within a stack and workspace, create before delete, crash safety from
 * a fresh clone, orphaned hooks, and Linux's limits on a hook's environment.
 */
import * as fs from "fs";
import * as path from "path";
import { SecretGroup } from "../../lib";
import { GroupFixture, groupsApp, groupsEnv } from "../support/groups";
import { suiteProjects } from "../support/suite";
import { waitUntil } from "../support/wait";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, expectOk } from "../../scripts/harness";

type Spec = GroupFixture;
/** Groups whose values come from the deploy environment, each with an output of its id. */
const app = (specs: Spec[]) => groupsApp(specs, { outputs: true });
const envOf = groupsEnv;

async function held(cp: ControlPlane): Promise<Record<string, { id: string; integrationId: string; values: Record<string, string> }>> {
  const client = apiClient(cp);
  const out: Record<string, { id: string; integrationId: string; values: Record<string, string> }> = {};
  for (const g of await client.listGroups()) {
    const secrets = await client.listSecrets(g.id, { withValue: true });
    out[g.name] = { id: g.id, integrationId: g.integrationId, values: Object.fromEntries(secrets.map((s) => [s.name, s.value!])) };
  }
  return out;
}

/** A second checkout of the same app: no cdktf.out, no scratch files; the state file handed over (a CI cache). */
function freshClone(from: Project): Project {
  const clone = new Project(from.cp, from.stackName);
  fs.copyFileSync(from.stateFile, clone.stateFile);
  return clone;
}

/** Hook processes whose working directory is this stack folder. */
function hooksRunningIn(stackDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes("hook.js") && fs.readlinkSync(`/proc/${entry}/cwd`) === stackDir) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

describe("one reconcile per stack", () => {
  const { setup, onCleanup } = suiteProjects();
  const deploy = async (project: Project, specs: Spec[]) => {
    project.synth(app(specs), envOf(specs));
    const res = await project.apply(envOf(specs));
    expectOk(res);
    return res;
  };

  it("the state is the truth: a runner with stale local files rolls back what another runner rotated, with one PUT", async () => {
    const { cp, project: a } = await setup("stale");
    onCleanup(() => b.cleanup());
    const v1: Spec[] = [{ name: "stale-db", values: { PASSWORD: "pw-v1" } }, { name: "stale-cache", values: { URL: "redis://v1" } }];
    const v2: Spec[] = [{ name: "stale-db", values: { PASSWORD: "pw-v2" } }, v1[1]];
    await deploy(a, v1);
    const ids = Object.fromEntries(Object.entries(await held(cp)).map(([n, g]) => [n, g.id]));

    // Runner B: a fresh clone handed A's state. It plans nothing, then rotates.
    const b = freshClone(a);
    b.synth(app(v1), envOf(v1));
    let mark = cp.requests().length;
    expect((await b.plan(envOf(v1))).code).toBe(0);
    expect(cp.requests().slice(mark)).toEqual([]);
    await deploy(b, v2);
    expect((await held(cp))["stale-db"].values).toEqual({ PASSWORD: "pw-v2" });

    // Runner A gets B's state back, keeps its own cdktf.out and scratch files, and deploys v1 again.
    fs.copyFileSync(b.stateFile, a.stateFile);
    mark = cp.requests().length;
    await deploy(a, v1);
    expect(cp.requests().slice(mark).map((r) => `${r.method} ${r.path}`)).toEqual([`PUT /api/svc/v1/secret-groups/${ids["stale-db"]}`]);
    const now = await held(cp);
    expect(now["stale-db"]).toMatchObject({ id: ids["stale-db"], values: { PASSWORD: "pw-v1" } });
    expect((await a.plan(envOf(v1))).code).toBe(0);
  });

  it("identity is the name: renaming or moving the construct plans nothing and sends nothing", async () => {
    const { cp, project } = await setup("identity");
    const specs: Spec[] = [{ name: "identity-api", values: { TOKEN: "t-1" } }];
    await deploy(project, specs);
    const mark = cp.requests().length;
    const moved: Spec[] = [{ ...specs[0], movedTo: "api-renamed" }];
    project.synth(app(moved), envOf(moved));
    const plan = await project.plan(envOf(moved));
    expect(plan.output).toContain("No changes.");
    expect(plan.code).toBe(0);
    expectOk(await project.apply(envOf(moved)));
    expect(cp.requests().slice(mark)).toEqual([]);
  });

  it("two workspaces of one stack never take over each other's groups; destroying one leaves the other's group", async () => {
    const { cp, project } = await setup("ws");
    const blue: Spec[] = [{ name: "ws-shared", values: { KEY: "blue-value" } }];
    const green: Spec[] = [{ name: "ws-shared", values: { KEY: "green-value" } }];
    await deploy(project, blue);
    const blueGroup = (await held(cp))["ws-shared"];

    expectOk(await project.terraform(["workspace", "new", "green"]));
    project.synth(app(green), envOf(green));
    const refused = await project.apply(envOf(green));
    expect(refused.code).not.toBe(0);
    expect(refused.output.replace(/\s+/g, " ")).toContain(
      `secret group "ws-shared": a group of that name exists (id ${blueGroup.id}), created by a cdktf-secret-groups stack under another state: another stack, another workspace, or this stack before its state was lost.`,
    );
    expectOk(await project.destroy(envOf(green)));
    expect((await held(cp))["ws-shared"]).toEqual(blueGroup);

    expectOk(await project.terraform(["workspace", "select", "default"]));
    project.synth(app(blue), envOf(blue));
    expect((await project.plan(envOf(blue))).code).toBe(0);
  });

  it("create before delete: a rename onto a taken name fails naming both groups, and the old group is untouched", async () => {
    const { cp, project } = await setup("rename");
    const foreign = await apiClient(cp).createGroup({ name: "rename-taken", integrationId: "int-other", secrets: [{ key: "THEIRS", value: "theirs" }] });
    const before: Spec[] = [{ name: "rename-old", values: { KEY: "k-1" } }];
    await deploy(project, before);
    const old = (await held(cp))["rename-old"];

    const onto: Spec[] = [{ name: "rename-taken", values: { KEY: "k-1" } }];
    project.synth(app(onto), envOf(onto));
    const failed = await project.apply(envOf(onto));
    expect(failed.code).not.toBe(0);
    expect(failed.output).toContain(`secret group "rename-taken": a group of that name already exists on the control plane (id ${foreign.id})`);
    expect(failed.output).toContain('The groups removed from the code ("rename-old") are deleted only once every group exists: they are untouched.');
    const after = await held(cp);
    expect(after["rename-old"]).toEqual(old);
    expect(after["rename-taken"].values).toEqual({ THEIRS: "theirs" });

    const free: Spec[] = [{ name: "rename-new", values: { KEY: "k-1" } }];
    const ok = await deploy(project, free);
    expect(ok.output.indexOf('secret group "rename-new": created')).toBeLessThan(ok.output.indexOf('secret group "rename-old": removed from the code; deleted'));
    expect(Object.keys(await held(cp)).sort()).toEqual(["rename-new", "rename-taken"]);
  });

  it("an integration change moves the group in place; a failing integration leaves it untouched", async () => {
    const { cp, project } = await setup("move");
    const specs: Spec[] = [{ name: "move-db", values: { PASSWORD: "pw" } }];
    await deploy(project, specs);
    const before = (await held(cp))["move-db"];

    const faulty: Spec[] = [{ ...specs[0], integrationId: "int-faulty" }];
    project.synth(app(faulty), envOf(faulty));
    const failed = await project.apply(envOf(faulty));
    expect(failed.code).not.toBe(0);
    expect(failed.output).toMatch(/secret group "move-db": control plane answered 424 Failed Dependency/);
    expect((await held(cp))["move-db"]).toEqual(before);

    const moved: Spec[] = [{ ...specs[0], integrationId: "int-vault-2" }];
    await deploy(project, moved);
    expect((await held(cp))["move-db"]).toEqual({ ...before, integrationId: "int-vault-2" });
    expect((await project.plan(envOf(moved))).code).toBe(0);
  });

  it("terraform killed mid-deploy, the re-run on a fresh clone with the same state converges without adoptExisting", async () => {
    const { cp, project: a } = await setup("kill");
    const specs: Spec[] = Array.from({ length: 16 }, (_, i) => ({ name: `kill-${String(i).padStart(2, "0")}`, values: { A: `a-${i}`, B: `b-${i}` } }));
    a.synth(app(specs), envOf(specs));
    cp.setFaults({ latencyMs: 150 });
    const run1 = await a.startApply(envOf(specs));
    await waitUntil(() => cp.requests().filter((r) => r.method === "POST" && r.status === 200).length >= 3, "3 groups created");
    process.kill(-run1.pid, "SIGKILL");
    await run1.closed;
    cp.setFaults({ latencyMs: 0 });
    const created = (await apiClient(cp).listGroups()).length;
    expect(created).toBeGreaterThanOrEqual(3);
    expect(created).toBeLessThan(16);

    const b = freshClone(a);
    onCleanup(() => b.cleanup());
    b.synth(app(specs), envOf(specs));
    const rerun = await b.apply(envOf(specs));
    expectOk(rerun);
    expect(rerun.output).not.toContain("did not create it");
    const now = await held(cp);
    expect(Object.keys(now).sort()).toEqual(specs.map((s) => s.name));
    for (const s of specs) expect(now[s.name].values).toEqual(s.values);
    const recorded = b.state().outputs.secret_groups.value as Record<string, { id: string }>;
    expect(Object.fromEntries(Object.entries(recorded).map(([n, r]) => [n, r.id]))).toEqual(Object.fromEntries(Object.entries(now).map(([n, g]) => [n, g.id])));
    expect((await b.plan(envOf(specs))).code).toBe(0);
  });

  it("a hook left running after terraform was killed sends nothing more, and never overwrites what a later deploy sent", async () => {
    const { cp, project } = await setup("orphan");
    const gen = (v: string): Spec[] => Array.from({ length: 40 }, (_, i) => ({ name: `orphan-${String(i).padStart(2, "0")}`, values: { SECRET: `${v}-${i}` } }));
    await deploy(project, gen("v1"));

    // A slow rotation to v2 (8 requests at a time, 300 ms each); terraform alone is killed, its hook is not.
    project.synth(app(gen("v2")), envOf(gen("v2")));
    cp.setFaults({ latencyMs: 300 });
    const mark = cp.requests().length;
    const run2 = await project.startApply(envOf(gen("v2")));
    const puts = () => cp.requests().slice(mark).filter((r) => r.method === "PUT").length;
    await waitUntil(() => puts() >= 8, "8 PUTs of the rotation");
    process.kill(run2.pid, "SIGKILL");
    await run2.closed;
    // The orphaned hook notices and ends; the requests it had on the wire still land, and no more.
    await waitUntil(() => hooksRunningIn(project.stackDir).length === 0, "the orphaned hook to end", { timeoutMs: 30_000 });
    // What it had on the wire is handled (applied or not) and logged before the next deploy starts.
    await waitUntil(() => cp.inFlight() === 0, "the orphan's last requests to be handled");
    const landed = puts();
    expect(landed).toBeLessThanOrEqual(16);

    cp.setFaults({ latencyMs: 0 });
    const mark3 = cp.requests().length;
    await deploy(project, gen("v3"));
    // The orphan ended before this deploy began: every PUT since is the new deploy's, one per group.
    expect(cp.requests().slice(mark3).filter((r) => r.method === "PUT")).toHaveLength(40);
    const now = await held(cp);
    for (const s of gen("v3")) expect(now[s.name].values).toEqual(s.values);
  });

  it("groups whose values would overflow one hook's environment are split among runners, each literal is written once, and an apply with nothing to change writes no state", async () => {
    const { cp, project } = await setup("limits");
    const bulky = (tag: string) => Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`K${i}`, `${tag}-${i}-`.padEnd(64 * 1024, "z")]));
    const values = { "limits-one": bulky("one"), "limits-two": bulky("two") };
    project.synth((stack) => {
      for (const [name, secrets] of Object.entries(values)) new SecretGroup(stack, name, { name, integrationId: "int-vault", secrets });
    });
    const config = fs.readFileSync(path.join(project.stackDir, "cdk.tf.json"), "utf8");
    expect(config.split("one-3-").length - 1).toBe(1);
    expectOk(await project.apply());
    const now = await held(cp);
    expect(now["limits-one"].values).toEqual(values["limits-one"]);
    expect(now["limits-two"].values).toEqual(values["limits-two"]);
    expect((await project.plan()).code).toBe(0);
    // An apply with nothing to change writes no state: the stack's checks sit on one resource (Terraform
    // records checks of several resources in no fixed order, and rewrote the state at every apply, each
    // time with a chance of one in two of the same order). The first one stores the state read back anew.
    expectOk(await project.apply());
    const serial = () => (project.state() as unknown as { serial: number }).serial;
    const before = serial();
    for (let i = 0; i < 4; i++) expectOk(await project.apply());
    expect(serial()).toBe(before);
  });
});
