/**
 * The lifecycle of groups through real deploys: create, no-op, rotations,
 * key changes, rename, removal from the code, destroy, and a fresh machine.
 * One project, steps in order, each asserting on what the control plane holds.
 */
import * as fs from "fs";
import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk } from "../../scripts/harness";

interface Desired {
  user?: string;
  extraKey?: boolean;
  dropKey?: boolean;
  ordersName?: string;
  ordersRetain?: boolean;
  withCache?: boolean;
  cacheRetain?: boolean;
  version?: string;
}

function app(d: Desired) {
  return (stack: TerraformStack) => {
    const password = new TerraformVariable(stack, "orders_password", { type: "string", sensitive: true });
    const secrets: Record<string, string | SecretValue> = {
      DB_USER: d.user ?? "orders-svc",
      DB_PASSWORD: SecretValue.fromVariable(password),
      API_TOKEN: SecretValue.fromEnv("ORDERS_API_TOKEN"),
    };
    if (d.extraKey) secrets.DB_HOST = "db.internal";
    if (d.dropKey) delete secrets.DB_USER;
    const orders = new SecretGroup(stack, "orders", {
      name: d.ordersName ?? "orders-db",
      integrationId: "int-vault",
      secrets,
      secretsVersion: d.version,
      removalPolicy: d.ordersRetain ? "retain" : "destroy",
    });
    new TerraformOutput(stack, "orders_id", { value: orders.groupId });
    new TerraformOutput(stack, "orders_fqn", { value: orders.fqn });
    if (d.withCache ?? true) {
      new SecretGroup(stack, "cache", {
        name: "orders-cache",
        integrationId: "int-vault",
        secrets: { REDIS_URL: SecretValue.fromEnv("CACHE_URL") },
        removalPolicy: d.cacheRetain ? "retain" : "destroy",
      });
    }
  };
}

describe("SecretGroup lifecycle against the local control plane", () => {
  let cp: ControlPlane;
  let project: Project;
  let env: NodeJS.ProcessEnv;
  let ordersId: string;

  beforeAll(async () => {
    cp = await controlPlane();
    project = new Project(cp, "lifecycle");
    env = { TF_VAR_orders_password: "pw-1-aaaa", ORDERS_API_TOKEN: "tok-1-bbbb", CACHE_URL: "redis://cache-1" };
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
  });

  const client = () => apiClient(cp);
  const mark = () => cp.requests().length;
  const since = (m: number) => cp.requests().slice(m).map((r) => `${r.method} ${r.status}`);
  async function deploy(d: Desired) {
    project.synth(app(d), env);
    const res = await project.apply(env);
    expectOk(res);
    return res;
  }
  async function values(name: string) {
    const g = await client().findGroupByName(name);
    if (!g) return undefined;
    const secrets = await client().listSecrets(g.id, { withValue: true });
    return { id: g.id, values: Object.fromEntries(secrets.map((s) => [s.name, s.value])), secrets };
  }

  it("create: the group holds every key and value, and its id is in the state and the output", async () => {
    const m = mark();
    await deploy({});
    // One look-up of the names, then per group a POST (create markers) and a PUT (its values).
    expect(since(m).sort()).toEqual(["GET 200", "POST 200", "POST 200", "PUT 200", "PUT 200"]);
    const orders = await values("orders-db");
    expect(orders?.values).toEqual({ DB_USER: "orders-svc", DB_PASSWORD: "pw-1-aaaa", API_TOKEN: "tok-1-bbbb" });
    expect((await values("orders-cache"))?.values).toEqual({ REDIS_URL: "redis://cache-1" });
    ordersId = orders!.id;
    const outputs = await project.outputsJson(env);
    expect(outputs.orders_id).toBe(ordersId);
    expect(outputs.orders_fqn).toBe((await client().getGroup(ordersId)).fqn);
    // The state records the id under the group's name; each group is a line of its runner's map, named after it.
    const state = project.state();
    expect(state.outputs.secret_groups.value["orders-db"]).toMatchObject({ id: ordersId, fqn: outputs.orders_fqn, integrationId: "int-vault" });
    const runner = state.resources.find((r) => r.name === "secret_groups_reconcile_0") as unknown as { instances: { attributes: { triggers_replace: { value: Record<string, string> } } }[] };
    expect(Object.keys(runner.instances[0].attributes.triggers_replace.value).sort()).toEqual(["orders-cache", "orders-db"]);
    expect(state.resources.filter((r) => !r.name.startsWith("secret_groups_"))).toEqual([]);
  });

  it("no-op: a second deploy plans no changes and sends no request", async () => {
    const m = mark();
    project.synth(app({}), env);
    const plan = await project.plan(env);
    expect(plan.code).toBe(0);
    expectOk(await project.apply(env));
    expect(since(m)).toEqual([]);
  });

  it("rotate a variable value in place: same id, a new version, one PUT", async () => {
    env.TF_VAR_orders_password = "pw-2-cccc";
    const m = mark();
    await deploy({});
    expect(since(m)).toEqual(["PUT 200"]);
    const orders = await values("orders-db");
    expect(orders?.id).toBe(ordersId);
    expect(orders?.values.DB_PASSWORD).toBe("pw-2-cccc");
    const pw = orders!.secrets.find((s) => s.name === "DB_PASSWORD")!;
    // Version 1 holds the create marker, version 2 the first value.
    expect(pw.secretVersions?.map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it("rotate a literal and an env value: one PUT each, same id", async () => {
    let m = mark();
    await deploy({ user: "orders-svc-2" });
    expect(since(m)).toEqual(["PUT 200"]);
    env.ORDERS_API_TOKEN = "tok-2-dddd";
    m = mark();
    await deploy({ user: "orders-svc-2" });
    expect(since(m)).toEqual(["PUT 200"]);
    const orders = await values("orders-db");
    expect(orders?.id).toBe(ordersId);
    expect(orders?.values).toMatchObject({ DB_USER: "orders-svc-2", API_TOKEN: "tok-2-dddd" });
  });

  it("an env value Terraform cannot see change is pushed by bumping secretsVersion", async () => {
    // Synth without the variable: the digest falls back to the variable's name, a change once.
    const synthEnv = { ...env, ORDERS_API_TOKEN: undefined };
    project.synth(app({ user: "orders-svc-2" }), synthEnv);
    expect((await project.plan(env)).code).toBe(2);
    let m = mark();
    expectOk(await project.apply(env));
    expect(since(m)).toEqual(["PUT 200"]);
    // From then on nothing tells Terraform the value moved: no change, the old value stays.
    env.ORDERS_API_TOKEN = "tok-3-eeee";
    project.synth(app({ user: "orders-svc-2" }), synthEnv);
    expect((await project.plan(env)).code).toBe(0);
    expect((await values("orders-db"))?.values.API_TOKEN).toBe("tok-2-dddd");
    // Bumping secretsVersion pushes it: one PUT.
    project.synth(app({ user: "orders-svc-2", version: "2" }), synthEnv);
    m = mark();
    expectOk(await project.apply(env));
    expect(since(m)).toEqual(["PUT 200"]);
    expect((await values("orders-db"))?.values.API_TOKEN).toBe("tok-3-eeee");
  });

  it("add and remove a key: one update with the full key set each", async () => {
    let m = mark();
    await deploy({ user: "orders-svc-2", version: "2", extraKey: true });
    expect(since(m)).toEqual(["PUT 200"]);
    expect(Object.keys((await values("orders-db"))!.values).sort()).toEqual(["API_TOKEN", "DB_HOST", "DB_PASSWORD", "DB_USER"]);
    m = mark();
    await deploy({ version: "2", extraKey: true, dropKey: true });
    expect(since(m)).toEqual(["PUT 200"]);
    const orders = await values("orders-db");
    expect(orders?.id).toBe(ordersId);
    expect(Object.keys(orders!.values).sort()).toEqual(["API_TOKEN", "DB_HOST", "DB_PASSWORD"]);
  });

  it("rename: the new group exists and the old one is deleted", async () => {
    await deploy({ version: "2", ordersName: "orders-db-v2" });
    expect(await client().findGroupByName("orders-db")).toBeUndefined();
    const renamed = await values("orders-db-v2");
    expect(renamed?.values).toEqual({ DB_USER: "orders-svc", DB_PASSWORD: "pw-2-cccc", API_TOKEN: "tok-3-eeee" });
    const outputs = await project.outputsJson(env);
    expect(outputs.orders_id).toBe(renamed!.id);
  });

  it("rename under removalPolicy retain keeps the old group, same id and values, and sends it no delete", async () => {
    await deploy({ version: "2", ordersName: "orders-db-v2", ordersRetain: true });
    const old = await values("orders-db-v2");
    expect(old).not.toBeUndefined();
    const m = mark();
    await deploy({ version: "2", ordersName: "orders-db-v3", ordersRetain: true });
    expect(cp.requests().slice(m).filter((r) => r.method === "DELETE")).toEqual([]);
    const kept = await values("orders-db-v2");
    expect([kept?.id, kept?.values]).toEqual([old!.id, old!.values]);
    expect((await values("orders-db-v3"))?.values).toEqual(old!.values);
  });

  it("removing a group from the code deletes it on the next deploy", async () => {
    const orders = await values("orders-db-v3");
    await deploy({ version: "2", ordersName: "orders-db-v3", withCache: false });
    expect(await client().findGroupByName("orders-cache")).toBeUndefined();
    expect((await values("orders-db-v3"))?.id).toBe(orders!.id);
  });

  it("removing a retained group from the code keeps it", async () => {
    await deploy({ version: "2", ordersName: "orders-db-v3", cacheRetain: true });
    const cache = await client().findGroupByName("orders-cache");
    expect(cache?.name).toBe("orders-cache");
    await deploy({ version: "2", ordersName: "orders-db-v3", withCache: false });
    expect((await client().findGroupByName("orders-cache"))?.id).toBe(cache!.id);
    await client().deleteGroup(cache!.id);
  });

  it("fresh machine: the same state, no local cache: plans no changes and deploys", async () => {
    await deploy({ version: "2", ordersName: "orders-db-v3" });
    const fresh = new Project(cp, "lifecycle");
    try {
      fs.copyFileSync(project.stateFile, fresh.stateFile);
      fresh.synth(app({ version: "2", ordersName: "orders-db-v3" }), env);
      const m = mark();
      const plan = await fresh.plan(env);
      expect(plan.code).toBe(0);
      expectOk(await fresh.apply(env));
      expect(since(m)).toEqual([]);
      // And a rotation from the fresh machine is still one PUT to the same group.
      const before = (await client().findGroupByName("orders-db-v3"))!.id;
      fresh.synth(app({ version: "3", ordersName: "orders-db-v3" }), env);
      const m2 = mark();
      expectOk(await fresh.apply(env));
      expect(since(m2)).toEqual(["PUT 200"]);
      expect((await client().findGroupByName("orders-db-v3"))!.id).toBe(before);
      fs.copyFileSync(fresh.stateFile, project.stateFile);
    } finally {
      fresh.cleanup();
    }
  });

  it("destroy deletes every group of the stack except retained ones", async () => {
    await deploy({ version: "3", ordersName: "orders-db-v3", cacheRetain: true });
    expectOk(await project.destroy(env));
    const names = (await client().listGroups()).map((g) => g.name).sort();
    // orders-db-v2 was retained by the earlier rename; orders-cache is retained now.
    expect(names).toEqual(["orders-cache", "orders-db-v2"]);
  });
});
