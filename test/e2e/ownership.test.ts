/**
 * Exact ownership: a stack writes to or deletes a group only when its state
 * (or adoptExisting) proves the group is its own. Two stacks declaring one
 * name under lost answers, two workspaces with identical values, two stacks
 * on one state, and kills at random points re-run here and from a fresh
 * clone: each through real deploys, asserting on what the control plane holds.
 */
import * as fs from "fs";
import * as path from "path";
import { LocalBackend } from "cdktf";
import { ConflictError } from "../../lib/client/errors";
import { createMarker, provenance } from "../../lib/shared/ownership";
import { suiteProjects } from "../support/suite";
import { Desired, fromDesired, groupsApp, groupsEnv } from "../support/groups";
import { ControlPlane } from "../../control-plane/server";
// The local control plane's seeded generator: a failing run's kill points can be replayed.
import { seeded } from "../../control-plane/faults";
import { Project, apiClient, expectOk } from "../../scripts/harness";

const envOf = (d: Desired) => groupsEnv(fromDesired(d));
const appOf = (d: Desired) => groupsApp(fromDesired(d));

/** name -> {id, values}, as the control plane holds them. */
async function held(cp: ControlPlane): Promise<Record<string, { id: string; values: Record<string, string> }>> {
  cp.setFaults({ failRate: 0, dropRate: 0, rateLimitEvery: 0, latencyMs: 0 });
  const client = apiClient(cp);
  const out: Record<string, { id: string; values: Record<string, string> }> = {};
  for (const g of await client.listGroups()) {
    const secrets = await client.listSecrets(g.id, { withValue: true });
    out[g.name] = { id: g.id, values: Object.fromEntries(secrets.map((s) => [s.name, s.value!])) };
  }
  return out;
}

function recordedIds(project: Project): Record<string, string> {
  const recorded = (project.state().outputs.secret_groups?.value ?? {}) as Record<string, { id: string }>;
  return Object.fromEntries(Object.entries(recorded).map(([name, r]) => [name, r.id]));
}

/** Writes to the control plane (anything but the reads a look-up and a proof make). */
const writes = (cp: ControlPlane, mark: number) =>
  cp.requests().slice(mark).filter((r) => r.method !== "GET" && !(r.method === "POST" && r.path === "/api/svc/v1/secrets"));

describe("exact ownership: a stack acts only on groups it can prove are its own", () => {
  const { setup, onCleanup } = suiteProjects();

  it("two stacks declare one name: under 503s and dropped answers the second never takes the first's group, in the client (40 tries) and in deploys (4 tries)", async () => {
    const { cp, project: a } = await setup("team-a");
    const mine: Desired = { "shared-grp": { KEY: "value-of-team-a" } };
    a.synth(appOf(mine), envOf(mine));
    expectOk(await a.apply(envOf(mine)));
    const before = (await held(cp))["shared-grp"];
    const mark = cp.requests().length;

    // The client, as the hook of stack B drives it: markers under B's token, proof by them.
    const tokenB = "token-of-stack-b-5f0e2d9c8b7a6f5e";
    const client = apiClient(cp);
    cp.setFaults({ failRate: 0.4, failStatus: 503, dropRate: 0.4, seed: 11 });
    let takeovers = 0;
    let conflicts = 0;
    for (let i = 0; i < 40; i++) {
      const proof = async (g: { id: string }) => provenance(await client.listSecrets(g.id, { withValue: true }), tokenB, "shared-grp") === "this-stack";
      const outcome = await client
        .createGroup({ name: "shared-grp", integrationId: "int-vault", secrets: [{ key: "KEY", value: createMarker(tokenB, "shared-grp", "KEY") }] }, proof)
        .catch((e: unknown) => e);
      if (!(outcome instanceof Error)) takeovers++;
      if (outcome instanceof ConflictError) conflicts++;
    }
    expect(takeovers).toBe(0);
    expect(conflicts).toBeGreaterThan(0);

    // Stack B itself, deploying its own state under the same faults.
    const b = new Project(cp, "team-b");
    onCleanup(() => b.cleanup());
    const theirs: Desired = { "shared-grp": { KEY: "value-of-team-b" } };
    b.synth(appOf(theirs), envOf(theirs));
    for (let i = 0; i < 4; i++) {
      cp.setFaults({ failRate: 0.4, failStatus: 503, dropRate: 0.4, seed: 100 + i });
      const res = await b.apply(envOf(theirs));
      expect(res.code).not.toBe(0);
      expect(recordedIds(b)).toEqual({});
    }
    expect((await held(cp))["shared-grp"]).toEqual(before);
    expect(cp.requests().slice(mark).filter((r) => r.path.endsWith(before.id) && r.method !== "GET")).toEqual([]);
    // Without faults the refusal names the group and says what to do.
    const res = await b.apply(envOf(theirs));
    expect(res.output.replace(/\s+/g, " ")).toContain(
      `secret group "shared-grp": a group of that name exists (id ${before.id}), created by a cdktf-secret-groups stack under another state`,
    );
  });

  it("a lost answer to this stack's own create is proven by its markers: each group created once, none refused", async () => {
    const { cp, project } = await setup("lossy");
    const d: Desired = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`lossy-${i}`, { KEY: `value-of-lossy-${i}` }]));
    project.synth(appOf(d), envOf(d));
    // Every other dropped answer is dropped after the control plane applied the request.
    cp.setFaults({ dropRate: 0.3, seed: 5 });
    let runs = 0;
    for (; runs < 3; runs++) if ((await project.apply(envOf(d))).code === 0) break;
    expect(runs).toBeLessThan(3);
    const now = await held(cp);
    expect(Object.keys(now).sort()).toEqual(Object.keys(d).sort());
    for (const [name, secrets] of Object.entries(d)) expect(now[name].values).toEqual(secrets);
    expect(recordedIds(project)).toEqual(Object.fromEntries(Object.entries(now).map(([n, g]) => [n, g.id])));
  });

  it("the owner token stays in the state: no plan, apply, rotation or destroy output and no file but the state holds it", async () => {
    const { project } = await setup("token-kept");
    const d: Desired = { "token-kept": { KEY: "value-1" } };
    project.synth(appOf(d), envOf(d));
    expectOk(await project.apply(envOf(d)));
    const token = project.state().outputs.secret_groups_owner.value.token as string;
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    const rotated: Desired = { "token-kept": { KEY: "value-2" } };
    project.synth(appOf(rotated), envOf(rotated));
    await project.plan(envOf(rotated));
    expectOk(await project.apply(envOf(rotated), ["-json"]));
    expectOk(await project.destroy(envOf(rotated)));
    for (const out of project.outputs) expect(out).not.toContain(token);
    const holders = project.files().filter((f) => fs.readFileSync(f, "utf8").includes(token)).map((f) => path.basename(f));
    expect(holders.every((f) => /\.tfstate(\.backup)?$/.test(f))).toBe(true);
  });

  it("one stack in two workspaces with identical values: the second workspace is refused before it writes anything, and destroying it leaves the first's group", async () => {
    const { cp, project } = await setup("ws-same");
    const d: Desired = { "ws-same-grp": { KEY: "identical-value" } };
    project.synth(appOf(d), envOf(d));
    expectOk(await project.apply(envOf(d)));
    const first = (await held(cp))["ws-same-grp"];

    expectOk(await project.terraform(["workspace", "new", "staging"]));
    const mark = cp.requests().length;
    const refused = await project.apply(envOf(d));
    expect(refused.code).not.toBe(0);
    const said = refused.output.replace(/\s+/g, " ");
    expect(said).toContain(`secret group "ws-same-grp": a group of that name exists (id ${first.id}), created by a cdktf-secret-groups stack under another state: another stack, another workspace`);
    expect(said).toContain("give this group a name of its own per environment");
    expect(writes(cp, mark)).toEqual([]);
    expectOk(await project.destroy(envOf(d)));
    expect((await held(cp))["ws-same-grp"]).toEqual(first);
    expect(writes(cp, mark)).toEqual([]);
  });

  it("two stacks on one state: the second fails at plan, naming both stacks and the fix, before any request", async () => {
    const { cp, project: staging } = await setup("staging");
    const d: Desired = { "staging-db": { KEY: "staging-value" } };
    staging.synth(appOf(d), envOf(d));
    expectOk(await staging.apply(envOf(d)));
    const before = await held(cp);

    // The second stack's backend names the first one's state file (as two stacks with one pg schemaName would).
    const prod = new Project(cp, "prod", undefined, (stack) => new LocalBackend(stack, { path: staging.stateFile }));
    onCleanup(() => prod.cleanup());
    const p: Desired = { "prod-db": { KEY: "prod-value" } };
    prod.synth(appOf(p), envOf(p));
    const mark = cp.requests().length;
    const res = await prod.apply(envOf(p));
    expect(res.code).not.toBe(0);
    expect(res.output.replace(/\s+/g, " ")).toContain(
      'This state belongs to stack "staging" (workspace "default"), not to stack "prod" (workspace "default"): each stack needs a state of its own',
    );
    expect(cp.requests().slice(mark)).toEqual([]);
    expect(await held(cp)).toEqual(before);
    expect(Object.keys(recordedIds(staging))).toEqual(["staging-db"]);
  });

  it.each([
    ["in the same folder", false],
    ["from a fresh clone", true],
  ])("kills at seeded random points, re-run %s: converges without adoptExisting, every group created once", async (_where, fresh) => {
    const rand = seeded(fresh ? 1729 : 42);
    const stackName = fresh ? "kill-fresh" : "kill-here";
    const { cp, project } = await setup(stackName);
    const d: Desired = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`${stackName}-${i}`, { A: `a-of-${i}`, B: `b-of-${i}` }]));
    project.synth(appOf(d), envOf(d));
    cp.setFaults({ latencyMs: 40 });
    // One look-up, then a POST and a PUT per group: kill after 1 to 16 of those answers.
    const killAfter = 1 + Math.floor(rand() * 16);
    const run = await project.startApply(envOf(d));
    let exited = false;
    void run.closed.then(() => (exited = true));
    const deadline = Date.now() + 60_000;
    while (!exited && cp.requests().filter((r) => r.status === 200).length < killAfter) {
      if (Date.now() > deadline) throw new Error(`no ${killAfter} answers within 60 s:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    if (!exited) process.kill(-run.pid, "SIGKILL");
    await run.closed;
    cp.setFaults({ latencyMs: 0 });

    let again = project;
    if (fresh) {
      again = new Project(cp, stackName);
      onCleanup(() => again.cleanup());
      if (fs.existsSync(project.stateFile)) fs.copyFileSync(project.stateFile, again.stateFile);
      if (fs.existsSync(`${project.stateFile}.backup`)) fs.copyFileSync(`${project.stateFile}.backup`, `${again.stateFile}.backup`);
      again.synth(appOf(d), envOf(d));
    }
    const rerun = await again.apply(envOf(d));
    expectOk(rerun);
    expect(rerun.output).not.toContain("did not create it");
    const now = await held(cp);
    expect(Object.keys(now).sort()).toEqual(Object.keys(d).sort());
    for (const [name, secrets] of Object.entries(d)) expect(now[name].values).toEqual(secrets);
    const posts = cp.requests().filter((r) => r.method === "POST" && r.path === "/api/svc/v1/secret-groups" && r.status === 200);
    expect(posts.length).toBe(8);
    expect(recordedIds(again)).toEqual(Object.fromEntries(Object.entries(now).map(([n, g]) => [n, g.id])));
    expect((await again.plan(envOf(d))).code).toBe(0);
    expect(path.basename(again.stateFile)).toBe(`terraform.${stackName}.tfstate`);
  });
});
