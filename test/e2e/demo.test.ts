/**
 * The README's first command: `npm run demo` deploys main.ts with the real
 * cdktf CLI to a local control plane, a second run changes nothing, and
 * `--destroy` tears it down. Hermetic: its own environment name, a free port, data
 * file and output folder (state included) in a temp dir, and none of the
 * caller's environment (a TFY_HOST / TFY_API_KEY exported by the developer
 * must not send the demo to a real control plane).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hermeticEnv, run } from "../../scripts/harness";
import { NODE_22, NODE_24, installNode, nodeEnv, nodeRecord } from "../support/node";

const ROOT = path.join(__dirname, "..", "..");

/** The demo on this machine's Node, or on `node` (installed from the npm registry, see test/support/node.ts). */
function demoSuite(node?: string): void {
  describe(node ? `npm run demo on Node ${node}` : "npm run demo", () => {
    const environment = `demo${process.pid}${node ? `n${node.split(".")[0]}` : ""}`;
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-demo-"));
    const output = path.join(work, "cdktf.out");
    const inRoot = [`terraform.secrets-${environment}.tfstate`, path.join("cdktf.out", "stacks", `secrets-${environment}`), ".control-plane"];
    const existedBefore = new Set(inRoot.filter((p) => fs.existsSync(path.join(ROOT, p))));
    let env: NodeJS.ProcessEnv;

    const record = path.join(work, "node-record.txt");
    beforeAll(async () => {
      env = hermeticEnv({
        ...(node ? nodeEnv(await installNode(node), record) : {}),
        ENVIRONMENT: environment,
        // Port 0: each run starts its control plane on a port the system picks, on the same data file.
        TFY_EMULATOR_PORT: "0",
        TFY_EMULATOR_DATA: path.join(work, "data.json"),
      });
    });
    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    const demo = (...args: string[]) =>
      run("npm", ["run", "--silent", "demo", "--", "--output", output, ...args], { cwd: ROOT, env, isolated: true });
    const groupsIn = (text: string) =>
      text
        .split("\n")
        .filter((l) => l.startsWith(`${environment}-`))
        .map((l) => l.split(/\s+/)[0])
        .sort();

    it("deploys main.ts, prints the table without values, then has nothing to change, then tears down", async () => {
      const first = await demo();
      expect(first.code).toBe(0);
      expect(first.output).toMatch(/GROUP\s+ID\s+FQN\s+KEYS/);
      expect(groupsIn(first.output)).toEqual([`${environment}-observability`, `${environment}-payments-db`, `${environment}-stripe`]);
      expect(first.output).toContain("DB_USER, DB_PASSWORD");
      // One look-up of the names, then per group a POST (create markers) and a PUT (its values).
      expect(first.output).toMatch(/this run sent 7 request\(s\) to the control plane: GET 1, POST 3, PUT 3/);
      for (const value of ["demo-db-password-change-me", "sk_test_demo_0000000000", "whsec_demo_0000000000"]) {
        expect(first.output).not.toContain(value);
      }
      expect(fs.existsSync(path.join(work, `terraform.secrets-${environment}.tfstate`))).toBe(true);

      const second = await demo();
      expect(second.code).toBe(0);
      expect(second.output).toContain("No changes.");
      expect(second.output).toContain("this run sent no request to the control plane: nothing to change");

      const down = await demo("--destroy");
      expect(down.code).toBe(0);
      expect(down.output).toMatch(/this run sent 3 request\(s\) to the control plane: DELETE 3/);
      expect(groupsIn(down.output)).toEqual([]);
    });

    it("writes nothing into the repo: no cdktf.out/, state file or .control-plane/", () => {
      for (const p of inRoot) if (!existedBefore.has(p)) expect(fs.existsSync(path.join(ROOT, p))).toBe(false);
    });

    if (node) {
      it(`ran the demo, the cdktf CLI and the hook on Node ${node} only`, () => {
        const runs = nodeRecord(record);
        expect([...new Set(runs.map((r) => r.version))]).toEqual([`v${node}`]);
        expect(runs.map((r) => r.script)).toEqual(expect.arrayContaining([expect.stringMatching(/[/\\]cdktf$/), expect.stringMatching(/[/\\]hook\.js$/)]));
      });
    }
  });
}

demoSuite();
demoSuite(NODE_22);

describe(`npm run demo on Node ${NODE_24}, where the archived cdktf CLI cannot run`, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-demo-"));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it("says why and what to use instead, before it starts a control plane or a deploy", async () => {
    const env = hermeticEnv({
      ...nodeEnv(await installNode(NODE_24), path.join(work, "node-record.txt")),
      ENVIRONMENT: `demo${process.pid}n24`,
      TFY_EMULATOR_PORT: "0",
      TFY_EMULATOR_DATA: path.join(work, "data.json"),
    });
    const res = await run("npm", ["run", "--silent", "demo", "--", "--output", path.join(work, "cdktf.out")], { cwd: ROOT, env, isolated: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`the cdktf CLI (cdktf-cli, archived at 0.21.0) cannot run on Node v${NODE_24}`);
    expect(res.stderr).toContain("Cannot find module '../build/Release/pty.node'");
    expect(res.stderr).toContain("cdktn-cli");
    expect(res.output).not.toContain("started a local control plane");
    expect(fs.existsSync(path.join(work, "data.json"))).toBe(false);
    expect(fs.existsSync(path.join(work, "cdktf.out"))).toBe(false);
  }, 300_000);
});
