/**
 * A team on one shared state: Terraform's pg backend on a real PostgreSQL,
 * two separate checkouts acting as two CI runners. The state is the only
 * truth: a runner's local files never change what it decides.
 */
import * as fs from "fs";
import { PgBackend, PgBackendConfig, TerraformStack } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { main as cli } from "../../lib/cli/main";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk } from "../../scripts/harness";
import { Postgres, startPostgres } from "../support/postgres";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STACK = "team";

/** Groups whose values come from the deploy environment; `gen` names the generation of values. */
function app(names: string[]) {
  return (stack: TerraformStack) => {
    for (const name of names) {
      new SecretGroup(stack, name, { name, integrationId: "int-vault", secrets: { TOKEN: SecretValue.fromEnv(envName(name)) } });
    }
  };
}
const envName = (name: string) => `T_${name.replace(/-/g, "_").toUpperCase()}`;
const valuesOf = (names: string[], gen: string) => Object.fromEntries(names.map((n) => [envName(n), `${gen}-${n}`]));

describe("two CI runners on one pg state", () => {
  let pg: Postgres;
  let cp: ControlPlane;
  let a: Project;
  let b: Project;
  const names = Array.from({ length: 6 }, (_, i) => `team-${i}`);

  // The connection string comes from the environment (PG_CONN_STR), never from cdk.tf.json.
  const pgBackend = (stack: TerraformStack) => new PgBackend(stack, {} as PgBackendConfig);
  const envFor = (gen: string, extra: NodeJS.ProcessEnv = {}) => ({ PG_CONN_STR: pg.connStr, ...valuesOf(names, gen), ...extra });

  beforeAll(async () => {
    pg = await startPostgres();
    cp = await controlPlane();
    a = new Project(cp, STACK, undefined, pgBackend);
    b = new Project(cp, STACK, undefined, pgBackend);
  });
  afterAll(async () => {
    await cp.close();
    a.cleanup();
    b.cleanup();
    pg.stop();
  });

  async function held(): Promise<Record<string, { id: string; token: string }>> {
    const client = apiClient(cp);
    const out: Record<string, { id: string; token: string }> = {};
    for (const g of await client.listGroups()) {
      const [secret] = await client.listSecrets(g.id, { withValue: true });
      out[g.name] = { id: g.id, token: secret.value! };
    }
    return out;
  }

  it("a new shared state is created once with secret-groups init-state; PG_CONN_STR stays out of the config", async () => {
    a.synth(app(names), envFor("v1"));
    expect(fs.readFileSync(`${a.stackDir}/cdk.tf.json`, "utf8")).not.toContain(pg.connStr);
    const env = { ...process.env, ...a.env(envFor("v1")) };
    const cwd = process.cwd();
    process.chdir(a.dir);
    try {
      expect(await cli(["init-state", "--stack", STACK], env)).toBe(0);
      expect(await cli(["init-state", "--stack", STACK], env)).toBe(0);
    } finally {
      process.chdir(cwd);
    }
  });

  it("A deploys; B, a fresh clone with no local files, plans no changes and sends nothing", async () => {
    expectOk(await a.apply(envFor("v1")));
    expect(Object.keys(await held()).sort()).toEqual(names);
    b.synth(app(names), envFor("v1"));
    const mark = cp.requests().length;
    const plan = await b.plan(envFor("v1"));
    expect(plan.output).toContain("No changes.");
    expect(plan.code).toBe(0);
    expect(cp.requests().slice(mark)).toEqual([]);
  });

  it("B rotates; A, holding stale local files, rolls back: the PUTs are sent and the control plane holds A's values", async () => {
    b.synth(app(names), envFor("v2"));
    expectOk(await b.apply(envFor("v2")));
    expect(Object.values(await held()).every((g) => g.token.startsWith("v2-"))).toBe(true);

    a.synth(app(names), envFor("v1"));
    const mark = cp.requests().length;
    expectOk(await a.apply(envFor("v1")));
    expect(cp.requests().slice(mark).filter((r) => r.method === "PUT")).toHaveLength(names.length);
    expect(Object.values(await held()).every((g) => g.token.startsWith("v1-"))).toBe(true);
  });

  it("a deploy killed mid-way on A is re-run on B: it converges, with no adoptExisting", async () => {
    const more = [...names, ...Array.from({ length: 6 }, (_, i) => `team-new-${i}`)];
    const envMore = { PG_CONN_STR: pg.connStr, ...valuesOf(more, "v3") };
    a.synth(app(more), envMore);
    cp.setFaults({ latencyMs: 150 });
    const mark = cp.requests().length;
    const killed = await a.startApply(envMore);
    while (cp.requests().slice(mark).filter((r) => r.status === 200).length < 3) await sleep(10);
    process.kill(-killed.pid, "SIGKILL");
    await killed.closed;
    cp.setFaults({ latencyMs: 0 });
    // The pg lock belonged to the killed process's session: it is gone with it.

    b.synth(app(more), envMore);
    const rerun = await b.apply(envMore);
    expectOk(rerun);
    expect(rerun.output).not.toContain("does not manage it");
    const now = await held();
    expect(Object.keys(now).sort()).toEqual([...more].sort());
    expect(Object.entries(now).every(([n, g]) => g.token === `v3-${n}`)).toBe(true);
    expect((await b.plan(envMore)).code).toBe(0);
  });

  it("A and B deploy at once: the second waits for the lock (TF_CLI_ARGS_apply=-lock-timeout), and the end state is exact", async () => {
    const final = names.slice(0, 4);
    const env = { PG_CONN_STR: pg.connStr, ...valuesOf(final, "v4"), TF_CLI_ARGS_apply: "-lock-timeout=120s" };
    a.synth(app(final), env);
    b.synth(app(final), env);
    cp.setFaults({ latencyMs: 100 });
    const [ra, rb] = await Promise.all([a.apply(env), b.apply(env)]);
    cp.setFaults({ latencyMs: 0 });
    expectOk(ra);
    expectOk(rb);
    const now = await held();
    expect(Object.keys(now).sort()).toEqual(final);
    expect(Object.entries(now).every(([n, g]) => g.token === `v4-${n}`)).toBe(true);
    expect((await a.plan(env)).code).toBe(0);
    expect((await b.plan(env)).code).toBe(0);
  });
});
