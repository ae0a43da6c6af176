/**
 * A user's infrastructure repo, outside this one: a fresh app in a temp dir
 * with its own package.json and a strict tsconfig, that installs this package
 * from the tarball `npm pack` made (global-setup), compiles with tsc and runs
 * as plain JavaScript. Commands run with an environment of their own
 * (hermeticEnv): nothing of the caller's TFY_* or TF_VAR_* reaches them.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ControlPlaneClient } from "../../lib/client";
import { RunResult, hermeticEnv, run } from "../../scripts/harness";
import { installNode, nodeEnv } from "./node";

const REPO = path.join(__dirname, "..", "..");
const repoPackage = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { devDependencies: Record<string, string> };

/** The versions this repo develops with: the top of the supported range, and what the npm cache holds. */
export const DEV = repoPackage.devDependencies;

export const STACK = "consumer";
export const TOKEN = "consumer-token-4b1e";

/** The user's code: two groups, one value from the environment, one from a sensitive variable. */
const mainTs = (dbName: string) => `import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretGroupProps, SecretValue } from "cdktf-secret-groups";

const app = new App();
const stack = new TerraformStack(app, "${STACK}");
new LocalBackend(stack, { path: "../../../terraform.${STACK}.tfstate" });
const password = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
const db = new SecretGroup(stack, "db", {
  name: "${dbName}",
  integrationId: "vault-main",
  secrets: { DB_USER: SecretValue.fromEnv("CONSUMER_DB_USER"), DB_PASSWORD: SecretValue.fromVariable(password) },
});
const apiProps: SecretGroupProps = {
  name: "consumer-api",
  integrationId: "vault-main",
  secrets: { API_TOKEN: SecretValue.fromEnv("CONSUMER_API_TOKEN") },
  removalPolicy: "destroy",
};
const api = new SecretGroup(stack, "api", apiProps);
new TerraformOutput(stack, "db-id", { value: db.groupId });
new TerraformOutput(stack, "api-fqn", { value: api.fqn });
app.synth();
`;

/** Valid under plain strict; refused under exactOptionalPropertyTypes, which forbids an explicit undefined for an optional prop. */
const PROBE_TS = `import { SecretGroupProps, SecretValue } from "cdktf-secret-groups";
export const props: SecretGroupProps = { name: "probe-db", integrationId: "i", secrets: { A: SecretValue.fromEnv("A") }, removalPolicy: undefined };
`;

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "commonjs", strict: true, exactOptionalPropertyTypes: true, outDir: "." },
  files: ["main.ts"],
};

export class ConsumerApp {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-consumer-"));
  readonly outputs: string[] = [];

  constructor(dependencies: Record<string, string>) {
    const tarball = process.env.TFYSG_TARBALL;
    if (!tarball) throw new Error("TFYSG_TARBALL is not set: run the consumer tests through jest (global-setup packs the package)");
    const pkg = { name: "consumer-app", private: true, dependencies: { ...dependencies, "cdktf-secret-groups": `file:${tarball}` } };
    fs.writeFileSync(path.join(this.dir, "package.json"), JSON.stringify(pkg, null, 2));
    fs.writeFileSync(path.join(this.dir, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    this.writeMain();
    fs.writeFileSync(path.join(this.dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: "node main.js", sendCrashReports: "false", terraformProviders: [], terraformModules: [] }));
  }

  /** Writes the user's main.ts; a new `dbName` is a rename in the code (compile again after it). */
  writeMain(dbName = "consumer-db"): void {
    fs.writeFileSync(path.join(this.dir, "main.ts"), mainTs(dbName));
  }

  /** What every command gets besides its own environment: set by `useNode`. */
  private nodeEnv: NodeJS.ProcessEnv = {};
  /** Where `useNode` records which Node ran which program (see node.ts). */
  readonly nodeRecordFile = path.join(this.dir, "node-record.txt");

  /** Runs every later command (and the control plane) under the Node whose `node` is in `binDir`. */
  useNode(binDir: string): void {
    this.nodeEnv = nodeEnv(binDir, this.nodeRecordFile);
  }

  /** The environment of a command: nothing of the caller's (hermeticEnv), the app's Node, then `extra`. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return hermeticEnv({ ...this.nodeEnv, ...extra });
  }

  get stackDir(): string {
    return path.join(this.dir, "cdktf.out", "stacks", STACK);
  }

  /** Runs a command in the app; an exit code other than `codes` (default: 0) throws, with its output. */
  async exec(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = this.dir, codes: number[] = [0]): Promise<RunResult> {
    const res = await run(cmd, args, { cwd, env: this.env(env), isolated: true, timeoutMs: 300_000 });
    this.outputs.push(res.output);
    if (!codes.includes(res.code)) throw new Error(`${cmd} ${args.join(" ")} exited ${res.code} in ${cwd}:\n${res.output}`);
    return res;
  }

  /** Installs from the npm cache when it can: only the registry is reachable, and CI time is short. */
  async install(): Promise<void> {
    await this.exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
  }

  async compile(): Promise<void> {
    await this.exec(path.join(this.dir, "node_modules", ".bin", "tsc"), ["-p", "."]);
  }

  /**
   * tsc on main.ts again, and on a probe that is wrong only under
   * exactOptionalPropertyTypes (an optional prop of this package set to
   * undefined), with the app's tsconfig: what each printed and its exit code.
   */
  async typecheck(): Promise<{ main: RunResult; probe: RunResult }> {
    const tsc = (project: string) => run(this.bin("tsc"), ["-p", project, "--noEmit"], { cwd: this.dir, env: hermeticEnv(), isolated: true });
    fs.writeFileSync(path.join(this.dir, "probe.ts"), PROBE_TS);
    fs.writeFileSync(path.join(this.dir, "tsconfig.probe.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["probe.ts"] }));
    try {
      return { main: await tsc("."), probe: await tsc("tsconfig.probe.json") };
    } finally {
      for (const f of ["probe.ts", "tsconfig.probe.json"]) fs.rmSync(path.join(this.dir, f));
    }
  }

  bin(name: string): string {
    return path.join(this.dir, "node_modules", ".bin", name);
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `secret-groups control-plane`, as installed in the app, on a free port. */
export class InstalledControlPlane {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static start(app: ConsumerApp): Promise<InstalledControlPlane> {
    const env = app.env({ TFY_EMULATOR_PORT: "0", TFY_EMULATOR_TOKENS: TOKEN, TFY_EMULATOR_DATA: path.join(app.dir, "control-plane.json") });
    const child = spawn(app.bin("secret-groups"), ["control-plane"], { cwd: app.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
      let out = "";
      const onData = (d: Buffer) => {
        out += d;
        const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
        if (url) resolve(new InstalledControlPlane(child, url));
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", (d: Buffer) => (out += d));
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`secret-groups control-plane exited ${code}:\n${out}`)));
    });
  }

  /** The API requests it has answered, oldest first, as "METHOD status". */
  async requests(): Promise<string[]> {
    const res = await fetch(`${this.url}/_emulator/requests`);
    return ((await res.json()) as { method: string; status: number }[]).map((r) => `${r.method} ${r.status}`);
  }

  client(): ControlPlaneClient {
    return new ControlPlaneClient({ host: this.url, apiKey: TOKEN });
  }

  async groupNames(): Promise<string[]> {
    const groups = await this.client().listGroups();
    return groups.map((g) => g.name).sort();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.once("exit", () => resolve());
      this.child.kill("SIGTERM");
    });
  }
}

/** What the hook reads at deploy time, against the given control plane. */
export function deployEnv(cp: InstalledControlPlane, dbPassword: string): NodeJS.ProcessEnv {
  return {
    TFY_HOST: cp.url,
    TFY_API_KEY: TOKEN,
    CONSUMER_DB_USER: "app-user",
    CONSUMER_API_TOKEN: "api-token-7f3a",
    TF_VAR_db_password: dbPassword,
    TFYSG_DIGEST_KEY: "consumer-digest-key-0c1d",
    TF_VAR_secret_groups_digest_key: "consumer-variable-digest-key-77aa",
  };
}

/**
 * A consumer app for one describe block: installed, compiled and given its
 * own control plane before the tests, removed after them. `send` runs a
 * command in the app's deploy environment and returns what it printed and
 * the requests the control plane received meanwhile.
 */
export function useConsumerApp(
  dependencies: Record<string, string>,
  options: {
    /** A Node version (node.ts) to run everything under, installed from the npm registry; default: this process's Node. */
    node?: string;
  } = {},
): {
  app: ConsumerApp;
  cp: () => InstalledControlPlane;
  send: (cmd: string, args: string[], dbPassword: string, opts?: { cwd?: string; codes?: number[] }) => Promise<{ output: string; stdout: string; sent: string[] }>;
} {
  const app = new ConsumerApp(dependencies);
  let cp: InstalledControlPlane;
  beforeAll(async () => {
    if (options.node) app.useNode(await installNode(options.node));
    await app.install();
    await app.compile();
    cp = await InstalledControlPlane.start(app);
  }, 600_000);
  afterAll(async () => {
    await cp?.stop();
    app.cleanup();
  });
  return {
    app,
    cp: () => cp,
    send: async (cmd, args, dbPassword, opts = {}) => {
      const before = (await cp.requests()).length;
      const res = await app.exec(cmd, args, deployEnv(cp, dbPassword), opts.cwd, opts.codes);
      return { output: res.output, stdout: res.stdout, sent: (await cp.requests()).slice(before) };
    },
  };
}
