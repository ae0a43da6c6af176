/**
 * A team on one shared state: Terraform's pg backend on a real PostgreSQL,
 * two separate checkouts acting as two CI runners. The state is the only
 * truth: a runner's local files never change what it decides.
 */
import * as fs from "fs";
import * as path from "path";
import { PgBackend, PgBackendConfig, TerraformStack } from "cdktf";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk, hermeticEnv, run } from "../../scripts/harness";
import { groupsApp, groupsEnv } from "../support/groups";
import { Postgres, startPostgres } from "../support/postgres";
import { waitUntil } from "../support/wait";

const STACK = "team";
const CLI = path.join(__dirname, "..", "..", "dist", "cli", "secret-groups.js");

/** One TOKEN per group; `gen` names the generation of values. */
const tokens = (names: string[], gen: string) => names.map((name) => ({ name, values: { TOKEN: `${gen}-${name}` } }));
/** Groups whose values come from the deploy environment. */
const app = (names: string[]) => groupsApp(tokens(names, ""));
const valuesOf = (names: string[], gen: string) => groupsEnv(tokens(names, gen));

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

  it("secret-groups init-state creates the shared state once, and a second run leaves it as it is; PG_CONN_STR stays out of the config", async () => {
    a.synth(app(names), envFor("v1"));
    expect(fs.readFileSync(`${a.stackDir}/cdk.tf.json`, "utf8")).not.toContain(pg.connStr);
    // The packaged command, in the project folder, with only the environment it needs.
    const initState = () => run("node", [CLI, "init-state", "--stack", STACK], { cwd: a.dir, env: hermeticEnv(a.env(envFor("v1"))), isolated: true });
    /** The lineage of the state the backend holds; undefined when it holds none (pull prints nothing, or a state without one). */
    const lineage = async () => {
      const pulled = await a.terraform(["state", "pull"], envFor("v1"));
      expect(pulled.code).toBe(0);
      return pulled.stdout.trim() === "" ? undefined : (JSON.parse(pulled.stdout) as { lineage?: string }).lineage || undefined;
    };
    expect(await lineage()).toBeUndefined();

    const first = await initState();
    expect([first.code, first.stdout.trim()]).toEqual([0, expect.stringMatching(/^secret-groups init-state: created the state of stack "team" \(workspace "default"\) for \/.*\/cdktf\.out\/stacks\/team$/)]);
    const created = await lineage();
    expect(created).toMatch(/^[0-9a-f-]{36}$/);

    const second = await initState();
    expect([second.code, second.stdout]).toEqual([0, expect.stringContaining('the backend already holds the state of stack "team"')]);
    expect(await lineage()).toBe(created);
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
    await waitUntil(() => cp.requests().slice(mark).filter((r) => r.status === 200).length >= 3, "3 requests of the deploy answered");
    process.kill(-killed.pid, "SIGKILL");
    await killed.closed;
    cp.setFaults({ latencyMs: 0 });
    // The pg lock belonged to the killed process's session: it is gone with it.

    b.synth(app(more), envMore);
    const rerun = await b.apply(envMore);
    expectOk(rerun);
    expect(rerun.output).not.toContain("did not create it");
    const now = await held();
    expect(Object.keys(now).sort()).toEqual([...more].sort());
    expect(Object.entries(now).every(([n, g]) => g.token === `v3-${n}`)).toBe(true);
    expect((await b.plan(envMore)).code).toBe(0);
  });

  it("A and B deploy at once: one waits for the other's lock (TF_CLI_ARGS_apply=-lock-timeout), then finds nothing to do; each write is sent once", async () => {
    const final = names.slice(0, 4);
    const env = { PG_CONN_STR: pg.connStr, ...valuesOf(final, "v4"), TF_CLI_ARGS_apply: "-lock-timeout=120s" };
    a.synth(app(final), env);
    b.synth(app(final), env);
    const before = await held();
    cp.setFaults({ latencyMs: 100 });
    const mark = cp.requests().length;
    const [ra, rb] = await Promise.all([a.apply(env), b.apply(env)]);
    cp.setFaults({ latencyMs: 0 });
    expectOk(ra);
    expectOk(rb);
    // Had both planned from the same state, both would have sent these writes.
    const reads = (r: { method: string; path: string }) => r.method === "GET" || (r.method === "POST" && r.path === "/api/svc/v1/secrets");
    const writes = cp.requests().slice(mark).filter((r) => !reads(r)).map((r) => `${r.method} ${r.path} ${r.status}`);
    const group = (n: string) => `/api/svc/v1/secret-groups/${before[n].id}`;
    expect(writes.sort()).toEqual(
      [...final.map((n) => `PUT ${group(n)} 200`), ...Object.keys(before).filter((n) => !final.includes(n)).map((n) => `DELETE ${group(n)} 200`)].sort(),
    );
    // The one that waited planned from the other's state.
    expect([ra, rb].filter((r) => r.output.includes("No changes.")).length).toBe(1);
    const now = await held();
    expect(Object.keys(now).sort()).toEqual(final);
    expect(Object.entries(now).every(([n, g]) => g.token === `v4-${n}`)).toBe(true);
    expect((await a.plan(env)).code).toBe(0);
    expect((await b.plan(env)).code).toBe(0);
  });
});
