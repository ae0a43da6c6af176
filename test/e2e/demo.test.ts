/**
 * The README's first command: `npm run demo` deploys main.ts with the real
 * cdktf CLI to a local control plane, a second run changes nothing, and
 * `--destroy` tears it down. Isolated by its own environment name, port and
 * data file, so a developer's own demo is left alone.
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { run } from "../support/harness";

const ROOT = path.join(__dirname, "..", "..");

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe("npm run demo", () => {
  const environment = `demo${process.pid}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-demo-"));
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = {
      ENVIRONMENT: environment,
      TFY_EMULATOR_PORT: String(await freePort()),
      TFY_EMULATOR_DATA: path.join(dataDir, "data.json"),
      TFY_HOST: "",
      TFY_API_KEY: "",
    };
    delete env.TFY_HOST;
    delete env.TFY_API_KEY;
  });
  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(path.join(ROOT, `terraform.secrets-${environment}.tfstate`), { force: true });
    fs.rmSync(path.join(ROOT, `terraform.secrets-${environment}.tfstate.backup`), { force: true });
    fs.rmSync(path.join(ROOT, "cdktf.out", "stacks", `secrets-${environment}`), { recursive: true, force: true });
  });

  const demo = (...args: string[]) => {
    const childEnv = { ...process.env, ...env };
    delete childEnv.TFY_HOST;
    delete childEnv.TFY_API_KEY;
    return run("npm", ["run", "--silent", "demo", "--", ...args], { cwd: ROOT, env: childEnv });
  };
  const groupsIn = (output: string) =>
    output
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
    expect(first.output).toMatch(/this run sent 3 request\(s\) to the control plane: POST 3/);
    for (const value of ["demo-db-password-change-me", "sk_test_demo_0000000000", "whsec_demo_0000000000"]) {
      expect(first.output).not.toContain(value);
    }

    const second = await demo();
    expect(second.code).toBe(0);
    expect(second.output).toContain("No changes.");
    expect(second.output).toContain("this run sent no request to the control plane: nothing to change");

    const down = await demo("--destroy");
    expect(down.code).toBe(0);
    expect(down.output).toMatch(/this run sent 3 request\(s\) to the control plane: DELETE 3/);
    expect(groupsIn(down.output)).toEqual([]);
  });
});
