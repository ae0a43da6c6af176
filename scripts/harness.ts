/**
 * End-to-end harness, shared by the tests and the benchmark: a local control
 * plane on a free port, and projects that synthesize real CDKTF apps and apply
 * them with the real terraform binary.
 */
import { App, LocalBackend, TerraformStack } from "cdktf";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ControlPlaneClient } from "../lib/client";
import { ControlPlane, startControlPlane } from "../control-plane/server";
import { terraformEnv } from "./terraform-env";

export const TOKEN = "test-token-0d6f1c";
/** The digest key every test project synthesizes with (TFYSG_DIGEST_KEY). */
export const DIGEST_KEY = "test-digest-key-5b1e0c9a7d3f";
/** The key of Terraform variables' digests (TF_VAR_secret_groups_digest_key), another secret. */
export const VARIABLE_DIGEST_KEY = "test-variable-digest-key-8c2e4a";

export async function controlPlane(tokens: string[] = [TOKEN]): Promise<ControlPlane> {
  return startControlPlane({ port: 0, tokens });
}

export function apiClient(cp: ControlPlane, token = TOKEN): ControlPlaneClient {
  return new ControlPlaneClient({ host: cp.url, apiKey: token, baseDelayMs: 20, maxDelayMs: 200 });
}

/**
 * The environment of a child that must not see the caller's: enough to find
 * node, npm and terraform and to reuse the npm cache and registry setting
 * (and the machine's CA bundle, NODE_EXTRA_CA_CERTS: without it npm cannot
 * fetch what its cache lacks where the registry is reached through a TLS-
 * inspecting proxy), plus the Terraform settings of this machine; never
 * TFY_*, TF_VAR_* or cdktf's.
 */
export function hermeticEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const keep = ["PATH", "HOME", "TMPDIR", "LANG", "npm_config_cache", "npm_config_registry", "NODE_EXTRA_CA_CERTS"];
  const env: NodeJS.ProcessEnv = {};
  for (const key of keep) if (process.env[key] !== undefined) env[key] = process.env[key];
  return { ...env, ...terraformEnv(), ...extra };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for scans. */
  output: string;
}

/** Runs a command to its end; with `isolated`, its environment is `env` alone, nothing of the caller's. */
export function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; isolated?: boolean }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env = opts.isolated ? { ...opts.env } : { ...process.env, ...opts.env };
    const child = spawn(cmd, args, { cwd: opts.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (d) => ((stdout += d), (output += d)));
    child.stderr.on("data", (d) => ((stderr += d), (output += d)));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 170_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, output });
    });
  });
}

export type StackBuilder = (stack: TerraformStack) => void;

/**
 * A user's project: a folder with cdktf.out/ and the local state file, as
 * `cdktf deploy` lays them out. Every synth, apply and destroy output is kept
 * in `outputs` for leak scans.
 */
export class Project {
  readonly dir: string;
  readonly outputs: string[] = [];

  constructor(
    readonly cp: ControlPlane,
    readonly stackName = "test",
    dir?: string,
    /** The stack's backend; by default a local state file in the project folder. */
    private readonly backend: (stack: TerraformStack) => void = (stack) => new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` }),
  ) {
    this.dir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-e2e-"));
  }

  get stackDir(): string {
    return path.join(this.dir, "cdktf.out", "stacks", this.stackName);
  }

  get stateFile(): string {
    return path.join(this.dir, `terraform.${this.stackName}.tfstate`);
  }

  /** Synthesizes the stack in-process, as `cdktf synth` would. */
  synth(build: StackBuilder, env: NodeJS.ProcessEnv = {}): void {
    const saved = { ...process.env };
    Object.assign(process.env, { TFYSG_DIGEST_KEY: DIGEST_KEY }, env);
    try {
      const app = new App({ outdir: path.join(this.dir, "cdktf.out") });
      const stack = new TerraformStack(app, this.stackName);
      this.backend(stack);
      build(stack);
      app.synth();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return { ...terraformEnv(), TFY_HOST: this.cp.url, TFY_API_KEY: TOKEN, TFYSG_DIGEST_KEY: DIGEST_KEY, TF_VAR_secret_groups_digest_key: VARIABLE_DIGEST_KEY, ...extra };
  }

  private async init(env: NodeJS.ProcessEnv): Promise<void> {
    if (!fs.existsSync(path.join(this.stackDir, ".terraform"))) {
      const init = await run("terraform", ["init", "-input=false", "-no-color"], { cwd: this.stackDir, env: this.env(env) });
      if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
    }
  }

  async terraform(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
    await this.init(env);
    const res = await run("terraform", [...args, "-no-color"], { cwd: this.stackDir, env: this.env(env) });
    this.outputs.push(res.output);
    return res;
  }

  /**
   * Starts `terraform apply` without waiting, in a process group of its own,
   * for tests that kill it mid-way: `process.kill(-pid)` kills it with its
   * hooks, `process.kill(pid)` terraform alone.
   */
  async startApply(env: NodeJS.ProcessEnv = {}): Promise<{ pid: number; closed: Promise<void>; output: () => string }> {
    await this.init(env);
    const child = spawn("terraform", ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: this.stackDir,
      env: { ...process.env, ...this.env(env) },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.on("data", (c) => (output += c));
    child.stderr!.on("data", (c) => (output += c));
    const closed = new Promise<void>((r) => child.on("close", () => r()));
    return { pid: child.pid!, closed, output: () => output };
  }

  apply(env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<RunResult> {
    return this.terraform(["apply", "-auto-approve", "-input=false", ...extra], env);
  }

  /** Exit code 0: no changes; 2: changes. */
  plan(env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<RunResult> {
    return this.terraform(["plan", "-input=false", "-detailed-exitcode", ...extra], env);
  }

  destroy(env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<RunResult> {
    return this.terraform(["destroy", "-auto-approve", "-input=false", ...extra], env);
  }

  async outputsJson(env: NodeJS.ProcessEnv = {}): Promise<Record<string, string>> {
    const res = await this.terraform(["output", "-json"], env);
    const parsed = JSON.parse(res.stdout) as Record<string, { value: string }>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, v.value]));
  }

  state(): {
    outputs: Record<string, { value: any }>;
    resources: { type: string; name: string; instances: { attributes: Record<string, unknown> }[] }[];
  } {
    return JSON.parse(fs.readFileSync(this.stateFile, "utf8"));
  }

  /** Every file under the project, for leak scans. */
  files(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) out.push(p);
      }
    };
    walk(this.dir);
    return out;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Expects a terraform run to have succeeded, showing its output when not. */
export function expectOk(res: RunResult): void {
  if (res.code !== 0) throw new Error(`terraform exited ${res.code}:\n${res.output}`);
}

/** The API requests the control plane saw since `mark`, as "METHOD path" counts. */
export function requestsSince(cp: ControlPlane, mark: number): { method: string; path: string; status: number }[] {
  return cp.requests().slice(mark);
}
