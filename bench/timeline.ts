/**
 * Where one terraform run's time goes, from its machine-readable output
 * (`-json`): when planning ended, and for each kind of resource when its
 * first change started and its last one completed, with the time its
 * provisioners ran; and, from the same runs under TF_LOG=trace, what the
 * state snapshots after each resource change cost. `npm run bench` runs it
 * on ours and the curl hook at one size (--timeline N), apart from the timed
 * phases.
 */
import * as fs from "fs";
import * as path from "path";
import { ControlPlane } from "../control-plane/server";
import { Project } from "../scripts/harness";
import { synthInProcess } from "./deploy";
import { StackSpec, Variant, valuesEnv } from "./stacks";
import { timedRun } from "./stats";

export interface Span {
  /** ms since the terraform process was spawned. */
  first: number;
  last: number;
  count: number;
}

export interface Timeline {
  variant: Variant;
  groups: number;
  command: "apply" | "destroy" | "apply (no-op)";
  totalMs: number;
  /** From spawn to the plan's change summary (refresh, data sources, plan). */
  planMs: number;
  /** Per resource kind: the span of its apply_start..apply_complete messages. */
  applies: Record<string, Span>;
  /** Per resource kind: the span of its provision_start..provision_complete messages. */
  provisions: Record<string, Span>;
  /** Resource instances in the plan, by kind. */
  planned: Record<string, number>;
  /**
   * From a second, identical run under TF_LOG=trace (slower as a whole): the
   * state snapshots Terraform took after each resource change, and the time
   * from each change to its snapshot being compared and written (the local
   * backend does this under one lock, so the changes queue behind it).
   */
  snapshots?: { count: number; compareMs: number; writeMs: number; applyPhaseMs: number; totalMs: number };
  /** Bytes of the state file after this run, and by resource role. */
  stateBytes?: number;
}

/** The role of a resource in our layout (or the baseline's one kind), from its address. */
export function kindOf(address: string): string {
  const m = /^(data\.)?([a-z_]+)\.([A-Za-z0-9_-]+)/.exec(address);
  if (!m) return address;
  const name = m[3];
  if (m[1]) return `data ${name.replace(/_\d+_/, "_<i>_")}`;
  if (/^secret_groups_reconcile_\d+$/.test(name)) return "runner";
  const r = /^secret_groups_reconcile_\d+_(\w+)$/.exec(name);
  if (r) return r[1];
  if (name.startsWith("secret_groups_")) return name.slice("secret_groups_".length);
  return `${m[2]} (per group)`;
}

function bump(spans: Record<string, Span>, kind: string, t: number, end: boolean): void {
  const s = (spans[kind] ??= { first: t, last: t, count: 0 });
  s.first = Math.min(s.first, t);
  s.last = Math.max(s.last, t);
  if (end) s.count++;
}

async function timeline(project: Project, variant: Variant, groups: number, command: Timeline["command"], env: Record<string, string>, trace?: string): Promise<Timeline> {
  const args = command === "destroy" ? ["destroy", "-auto-approve", "-input=false", "-json"] : ["apply", "-auto-approve", "-input=false", "-json"];
  const traced = trace ? { TF_LOG: "trace", TF_LOG_PATH: trace } : {};
  const spawned = Date.now();
  const res = await timedRun("terraform", args, { cwd: project.stackDir, env: { ...process.env, ...project.env({ ...env, ...traced }) } });
  if (res.code !== 0) throw new Error(`terraform ${command} exited ${res.code}:\n${res.output.slice(-3000)}`);
  const t: Timeline = { variant, groups, command, totalMs: res.ms, planMs: NaN, applies: {}, provisions: {}, planned: {} };
  for (const line of res.output.split("\n")) {
    if (!line.startsWith("{")) continue;
    const msg = JSON.parse(line) as { type: string; "@timestamp": string; hook?: { resource?: { addr: string } }; change?: { resource?: { addr: string } } };
    const at = Date.parse(msg["@timestamp"]) - spawned;
    const addr = msg.hook?.resource?.addr ?? msg.change?.resource?.addr;
    if (msg.type === "planned_change" && addr) t.planned[kindOf(addr)] = (t.planned[kindOf(addr)] ?? 0) + 1;
    if (msg.type === "change_summary" && Number.isNaN(t.planMs)) t.planMs = at;
    if (!addr) continue;
    if (msg.type === "apply_start") bump(t.applies, kindOf(addr), at, false);
    if (msg.type === "apply_complete") bump(t.applies, kindOf(addr), at, true);
    if (msg.type === "provision_start") bump(t.provisions, kindOf(addr), at, false);
    if (msg.type === "provision_complete") bump(t.provisions, kindOf(addr), at, true);
  }
  if (fs.existsSync(project.stateFile)) t.stateBytes = fs.statSync(project.stateFile).size;
  return t;
}

/** What the state snapshots cost in a TF_LOG=trace log (see Timeline.snapshots). */
function snapshotCost(log: string, totalMs: number): NonNullable<Timeline["snapshots"]> {
  const at = (line: string) => Date.parse(line.slice(0, 24));
  let count = 0;
  let compareMs = 0;
  let writeMs = 0;
  let changed: number | undefined;
  let writing: number | undefined;
  let applyStart: number | undefined;
  let last = NaN;
  for (const line of log.split("\n")) {
    if (!/^\d{4}-/.test(line)) continue;
    last = at(line);
    if (applyStart === undefined && line.includes("Starting apply for")) applyStart = last;
    if (line.includes("writeResourceInstanceState to workingState")) changed = last;
    else if (line.includes("state has changed since last snapshot") && changed !== undefined) {
      compareMs += last - changed;
      changed = undefined;
      count++;
    }
    if (line.includes("writing snapshot at")) writing = last;
    else if (line.includes("declined to persist") && writing !== undefined) {
      writeMs += last - writing;
      writing = undefined;
    }
  }
  return { count, compareMs, writeMs, applyPhaseMs: applyStart === undefined ? NaN : last - applyStart, totalMs };
}

/** First deploy, no-op and (ours) destroy of a stack of N groups, each as a timeline. */
export async function measureTimelines(cp: ControlPlane, workDir: string, groups: number): Promise<Timeline[]> {
  const out: Timeline[] = [];
  for (const variant of ["ours", "baseline"] as Variant[]) {
    cp.reset();
    const dir = path.join(workDir, `timeline-${variant}-${groups}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const spec: StackSpec = { variant, groups, prefix: `t${variant[0]}${groups}`, url: cp.url };
    const env = valuesEnv(groups, { rotated: false });
    synthInProcess(dir, spec, env, { skipValidation: true });
    const project = new Project(cp, "bench", dir);
    const init = await timedRun("terraform", ["init", "-input=false", "-no-color"], { cwd: project.stackDir, env: { ...process.env, ...project.env() } });
    if (init.code !== 0) throw new Error(`terraform init failed:\n${init.output}`);
    out.push(await timeline(project, variant, groups, "apply", env));
    out.push(await timeline(project, variant, groups, "apply (no-op)", env));
    if (variant === "ours") out.push(await timeline(project, variant, groups, "destroy", env));
    // The same runs again under TF_LOG=trace, for what the state snapshots cost.
    cp.reset();
    const trace = path.join(dir, "trace.log");
    const traced = async (command: Timeline["command"]) => {
      fs.rmSync(trace, { force: true });
      const t = await timeline(project, variant, groups, command, env, trace);
      const first = out.find((o) => o.variant === variant && o.command === command)!;
      first.snapshots = snapshotCost(fs.readFileSync(trace, "utf8"), t.totalMs);
    };
    if (variant === "ours") {
      await traced("apply");
      await traced("destroy");
    } else {
      const destroyed = await timedRun("terraform", ["destroy", "-auto-approve", "-input=false"], { cwd: project.stackDir, env: { ...process.env, ...project.env(env) } });
      if (destroyed.code !== 0) throw new Error(`terraform destroy failed:\n${destroyed.output.slice(-3000)}`);
      await traced("apply");
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** Bytes of a state file, by resource role (outputs apart). */
export function stateBreakdown(file: string): { bytes: number; byRole: Record<string, number> } {
  const text = fs.readFileSync(file, "utf8");
  const state = JSON.parse(text) as { outputs?: object; resources?: { mode: string; type: string; name: string }[] };
  const byRole: Record<string, number> = { outputs: JSON.stringify(state.outputs ?? {}).length };
  for (const r of state.resources ?? []) {
    const role = kindOf(`${r.mode === "data" ? "data." : ""}${r.type}.${r.name}`);
    byRole[role] = (byRole[role] ?? 0) + JSON.stringify(r).length;
  }
  return { bytes: Buffer.byteLength(text), byRole };
}
