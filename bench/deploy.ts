/**
 * One case of the deploy benchmark: a stack of N groups taken through its
 * phases with the real terraform binary, timing each phase and counting what
 * the control plane saw and how many provisioners Terraform ran.
 */
import { App, LocalBackend, TerraformStack } from "cdktf";
import * as fs from "fs";
import * as path from "path";
import { ControlPlane } from "../control-plane/server";
import { DIGEST_KEY, Project, RunResult, apiClient, run } from "../scripts/harness";
import { StackSpec, buildStack, valuesEnv } from "./stacks";
import { stateBreakdown } from "./timeline";

export type Phase = "init" | "deploy" | "noop" | "rotate" | "destroy";
export const PHASES: Phase[] = ["init", "deploy", "noop", "rotate", "destroy"];

/** "control" is our synthesized stack with every hook command replaced by `true`: Terraform's share alone. */
export type CaseKind = "ours" | "control" | "baseline";

export interface PhaseResult {
  ms: number;
  /** API requests by method, e.g. {POST: 100}. */
  requests: Record<string, number>;
  /** Provisioners Terraform started ("Provisioning with 'local-exec'" lines). */
  invocations: number;
  /** Node processes those provisioners started, by hook operation. */
  nodeStarts: Record<string, number>;
  /** Terraform's closing line, e.g. "Apply complete! Resources: 301 added, 0 changed, 0 destroyed." */
  summary: string;
  /** The plan's line, e.g. "Plan: 2 to add, 2 to change, 2 to destroy."; "" when there was nothing to do. */
  plan?: string;
  /** Lines of the plan a reviewer reads: from "Terraform will perform" to the last line before the apply starts (resources and outputs). */
  planLines?: number;
}

export interface CaseRun {
  kind: CaseKind;
  groups: number;
  rep: number;
  /** In-process synth time of the first synth. */
  synthMs: number[];
  /** Commands cdktf ran through execSync during that synth (its `terraform version` checks). */
  synthCommands?: number;
  /**
   * The app synthesized with App({skipValidation: true}): what synth costs
   * without cdktf's checks. For ours, the synth before the rotation.
   */
  synthNoValidationMs?: number;
  phases: Partial<Record<Phase, PhaseResult>>;
  /** The state file after the first deploy: its size, and compact JSON bytes by resource role. */
  stateAfterDeploy?: { bytes: number; byRole: Record<string, number> };
  /** Blocks in the synthesized cdk.tf.json by kind, e.g. {"terraform_data": 301, "data.terraform_remote_state": 100}. */
  blocks?: Record<string, number>;
}

// The module object itself (an import would be read-only), so that its
// execSync can be wrapped while an app synthesizes.
const childProcess: { execSync: typeof import("child_process").execSync } = require("child_process");

const NODE_STARTS_PRELOAD = path.join(__dirname, "node-starts.js");

const SUMMARY = /^(Apply complete!|Destroy complete!|No changes\.).*$/m;
const PLAN = /^Plan: .*$/m;

/** The plan's length in lines, as `terraform apply` prints it before applying: resources, totals, outputs. */
function planLines(output: string): number {
  const lines = output.split("\n");
  const start = lines.findIndex((l) => l.startsWith("Terraform will perform the following actions"));
  if (start < 0) return 0;
  const end = lines.findIndex((l, i) => i > start && /^[a-z_.]+\.[A-Za-z0-9_-]+(\[[^\]]*\])?: (Creating|Destroying|Modifying|Reading|Provisioning)/.test(l));
  return (end < 0 ? lines.length : end) - start;
}
const PROVISIONING = /Provisioning with 'local-exec'/g;
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function isWrite(method: string): boolean {
  return WRITES.has(method);
}

/**
 * Synthesizes the app in this process, as `cdktf synth` runs it (App, stack,
 * local backend, the groups, app.synth()), with `env` visible to the app.
 */
export function synthInProcess(
  dir: string,
  spec: StackSpec,
  env: Record<string, string>,
  opts: { skipValidation?: boolean } = {},
): { ms: number; commands: number } {
  const saved = { ...process.env };
  // Every synth of ours needs the digest key (the baseline ignores it): the same environment for both.
  Object.assign(process.env, { TFYSG_DIGEST_KEY: DIGEST_KEY }, env);
  // cdktf's validations may run commands (`terraform version`) through
  // execSync: counted here, since each one costs a process start.
  const execSync = childProcess.execSync;
  let commands = 0;
  childProcess.execSync = ((...args: Parameters<typeof execSync>) => (commands++, execSync(...args))) as typeof execSync;
  try {
    const started = performance.now();
    const app = new App({ outdir: path.join(dir, "cdktf.out"), skipValidation: opts.skipValidation === true });
    const stack = new TerraformStack(app, "bench");
    new LocalBackend(stack, { path: "../../../terraform.bench.tfstate" });
    buildStack(stack, spec, process.env);
    app.synth();
    return { ms: performance.now() - started, commands };
  } finally {
    childProcess.execSync = execSync;
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

class PhaseRunner {
  constructor(
    private readonly cp: ControlPlane,
    private readonly project: Project,
  ) {}

  async init(): Promise<PhaseResult> {
    return this.timed((counted) => this.terraform(["init", "-input=false"], counted));
  }

  async apply(env: Record<string, string>): Promise<PhaseResult> {
    return this.timed((counted) => this.terraform(["apply", "-auto-approve", "-input=false"], { ...env, ...counted }));
  }

  async destroy(env: Record<string, string>): Promise<PhaseResult> {
    return this.timed((counted) => this.terraform(["destroy", "-auto-approve", "-input=false"], { ...env, ...counted }));
  }

  /** As Project runs terraform, with room for N = 1000 (its destroy takes minutes; the harness stops a run at 170 s). */
  private terraform(args: string[], env: Record<string, string>): Promise<RunResult> {
    return run("terraform", [...args, "-no-color"], { cwd: this.project.stackDir, env: this.project.env(env), timeoutMs: 15 * 60_000 });
  }

  private async timed(go: (counted: Record<string, string>) => Promise<RunResult>): Promise<PhaseResult> {
    const starts = path.join(this.project.dir, "node-starts.txt");
    fs.rmSync(starts, { force: true });
    const counted = {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${NODE_STARTS_PRELOAD}`.trim(),
      BENCH_NODE_STARTS: starts,
    };
    const mark = this.cp.requests().length;
    const started = performance.now();
    const res = await go(counted);
    const ms = performance.now() - started;
    const nodeStarts: Record<string, number> = {};
    for (const op of fs.existsSync(starts) ? fs.readFileSync(starts, "utf8").split("\n").filter(Boolean) : []) {
      nodeStarts[op] = (nodeStarts[op] ?? 0) + 1;
    }
    if (res.code !== 0) throw new Error(`terraform exited ${res.code} in ${this.project.stackDir}:\n${res.output.slice(-4000)}`);
    const log = this.cp.requests().slice(mark);
    const failed = log.filter((r) => r.status < 200 || r.status >= 300);
    if (failed.length) {
      throw new Error(`the control plane answered ${failed.map((r) => `${r.method} ${r.path} ${r.status}`).join(", ")} in ${this.project.stackDir}`);
    }
    const requests: Record<string, number> = {};
    for (const r of log) requests[r.method] = (requests[r.method] ?? 0) + 1;
    return { ms, requests, invocations: res.output.match(PROVISIONING)?.length ?? 0, nodeStarts, summary: SUMMARY.exec(res.output)?.[0] ?? "", plan: PLAN.exec(res.output)?.[0] ?? "", planLines: planLines(res.output) };
  }
}

/** Every provisioner command that runs our hook program, replaced by `true`; throws if none was found. */
function neuterHooks(stackDir: string): void {
  const file = path.join(stackDir, "cdk.tf.json");
  const config = JSON.parse(fs.readFileSync(file, "utf8")) as { resource?: Record<string, Record<string, { provisioner?: Record<string, { command?: string }>[] }>> };
  let replaced = 0;
  for (const blocks of Object.values(config.resource ?? {})) {
    for (const block of Object.values(blocks)) {
      for (const provisioner of block.provisioner ?? []) {
        const exec = provisioner["local-exec"];
        if (exec?.command?.includes("hook.js")) {
          exec.command = "true";
          replaced++;
        }
      }
    }
  }
  if (replaced === 0) throw new Error(`no hook command found in ${file}`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

function countBlocks(stackDir: string): Record<string, number> {
  const config = JSON.parse(fs.readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")) as {
    resource?: Record<string, object>;
    data?: Record<string, object>;
  };
  const counts: Record<string, number> = {};
  for (const [type, blocks] of Object.entries(config.resource ?? {})) counts[type] = Object.keys(blocks).length;
  for (const [type, blocks] of Object.entries(config.data ?? {})) counts[`data.${type}`] = Object.keys(blocks).length;
  return counts;
}

function copyStack(from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.cpSync(from, to, { recursive: true, filter: (src) => path.basename(src) !== ".terraform" });
}

export interface CaseContext {
  cp: ControlPlane;
  workDir: string;
  groups: number;
  rep: number;
  /**
   * A large case (N = 1000): synthesized with cdktf's validations skipped on
   * both sides (the output is the same; the baseline's DataResource would
   * otherwise run `terraform version` 1000 times), no rotation and no control.
   */
  large?: boolean;
}

/**
 * Ours, then the control built from the very same synthesized stack: synth,
 * init, first deploy, no-op redeploy, rotation of one value (group 0's second
 * key, new synth), destroy.
 */
export async function runOurs(ctx: CaseContext): Promise<CaseRun[]> {
  const { cp, groups, rep } = ctx;
  const large = ctx.large === true;
  cp.reset();
  const dir = path.join(ctx.workDir, `ours-${groups}-r${rep}`);
  const controlDir = path.join(ctx.workDir, `control-${groups}-r${rep}`);
  for (const d of [dir, controlDir]) {
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d, { recursive: true });
  }
  const spec: StackSpec = { variant: "ours", groups, prefix: `o${groups}r${rep}`, url: cp.url };
  const initial = valuesEnv(groups, { rotated: false });
  const rotated = valuesEnv(groups, { rotated: true });

  const ours: CaseRun = { kind: "ours", groups, rep, synthMs: [], phases: {} };
  const first = synthInProcess(dir, spec, initial, { skipValidation: large });
  if (large) ours.synthNoValidationMs = first.ms;
  else ours.synthMs.push(first.ms);
  ours.synthCommands = first.commands;

  const project = new Project(cp, "bench", dir);
  ours.blocks = countBlocks(project.stackDir);
  const control = new Project(cp, "bench", controlDir);
  if (!large) {
    // Copied before the first apply: a new stack with no state, as ours.
    copyStack(project.stackDir, control.stackDir);
    neuterHooks(control.stackDir);
  }

  const p = new PhaseRunner(cp, project);
  ours.phases.init = await p.init();
  ours.phases.deploy = await p.apply(initial);
  ours.stateAfterDeploy = stateBreakdown(project.stateFile);
  ours.phases.noop = await p.apply(initial);
  if (!large) {
    // Validation only checks, it writes nothing: skipping it here gives the same
    // stack, and the measure of synth without cdktf's checks.
    ours.synthNoValidationMs = synthInProcess(dir, spec, rotated, { skipValidation: true }).ms;
    ours.phases.rotate = await p.apply(rotated);
  }
  ours.phases.destroy = await p.destroy(large ? initial : rotated);
  const left = await listLeft(cp);
  if (left) throw new Error(`ours N=${groups}: ${left} group(s) left on the control plane after destroy`);
  if (large) {
    fs.rmSync(dir, { recursive: true, force: true });
    return [ours];
  }

  const ctl: CaseRun = { kind: "control", groups, rep, synthMs: [], phases: {} };
  const c = new PhaseRunner(cp, control);
  ctl.phases.init = await c.init();
  ctl.phases.deploy = await c.apply(initial);
  ctl.phases.noop = await c.apply(initial);
  ctl.phases.destroy = await c.destroy(initial);
  for (const [phase, r] of Object.entries(ctl.phases)) {
    if (Object.keys(r.requests).length) throw new Error(`control ${phase} sent API requests: ${JSON.stringify(r.requests)}`);
  }

  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(controlDir, { recursive: true, force: true });
  return [ours, ctl];
}

/** Groups still on the control plane (read after the phase was timed and counted). */
async function listLeft(cp: ControlPlane): Promise<number> {
  return (await apiClient(cp).listGroups()).length;
}

/** The hand-written hook: synth, init, first deploy, redeploy with nothing changed. */
export async function runBaseline(ctx: CaseContext): Promise<CaseRun> {
  const { cp, groups, rep } = ctx;
  const large = ctx.large === true;
  cp.reset();
  const dir = path.join(ctx.workDir, `baseline-${groups}-r${rep}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const spec: StackSpec = { variant: "baseline", groups, prefix: `b${groups}r${rep}`, url: cp.url };
  const env = valuesEnv(groups, { rotated: false });

  const base: CaseRun = { kind: "baseline", groups, rep, synthMs: [], phases: {} };
  if (large) {
    const first = synthInProcess(dir, spec, env, { skipValidation: true });
    base.synthNoValidationMs = first.ms;
    base.synthCommands = first.commands;
  } else {
    const scratch = path.join(ctx.workDir, "scratch-synth");
    fs.rmSync(scratch, { recursive: true, force: true });
    fs.mkdirSync(scratch, { recursive: true });
    base.synthNoValidationMs = synthInProcess(scratch, spec, env, { skipValidation: true }).ms;
    const first = synthInProcess(dir, spec, env);
    base.synthMs.push(first.ms);
    base.synthCommands = first.commands;
  }
  const project = new Project(cp, "bench", dir);
  base.blocks = countBlocks(project.stackDir);
  const p = new PhaseRunner(cp, project);
  base.phases.init = await p.init();
  base.phases.deploy = await p.apply(env);
  base.stateAfterDeploy = stateBreakdown(project.stateFile);
  base.phases.noop = await p.apply(env);
  fs.rmSync(dir, { recursive: true, force: true });
  return base;
}
