/**
 * `npm run bench [-- --reps N --sizes 1,10,100 --large 1000 --hook-reps 30]`;
 * `-- --render-only` writes results.md again from results.json.
 *
 * Deploys stacks of N secret groups (3 keys each) with the real terraform
 * binary against a local control plane in this process, for SecretGroup and
 * for a hand-written curl hook, interleaved (the --large sizes once each);
 * measures the hook program's cost per invocation and the synth of both
 * stacks in fresh processes; checks the targets and writes bench/results.md
 * and bench/results.json.
 */
import { execFileSync, execSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startControlPlane } from "../control-plane/server";
import { DIGEST_KEY, TOKEN } from "../scripts/harness";
import { terraformEnv } from "../scripts/terraform-env";
import { CaseRun, runBaseline, runOurs } from "./deploy";
import { measureHookCost } from "./hook-cost";
import { FreshSynth, FreshSynthSample, Machine, Results, TreeState, renderMarkdown, targets } from "./report";
import { KEYS, Variant, valuesEnv } from "./stacks";
import { Timeline, measureTimelines } from "./timeline";
import { fmtMs, timedRun } from "./stats";

const ROOT = path.join(__dirname, "..");
const WORK = path.join(__dirname, "work");
// A plain JS script (npm run build:hook): required, not imported.
const { buildHook } = require("../scripts/build-hook.js") as { buildHook: () => Promise<string> };

interface Options {
  reps: number;
  sizes: number[];
  /** Sizes deployed once each, after the repeated ones (N = 1000). */
  large: number[];
  /** Size of the stacks whose runs are broken down by resource role and traced; 0: none. */
  timeline: number;
  hookReps: number;
  /** Render results.md again from results.json, measuring nothing. */
  renderOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { reps: 3, sizes: [1, 10, 100], large: [1000], timeline: 300, hookReps: 30, renderOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    const positive = (v: string | undefined, what: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a whole number of 1 or more, got ${JSON.stringify(v)}`);
      return n;
    };
    if (flag === "--reps") opts.reps = positive(value(), "--reps");
    else if (flag === "--hook-reps") opts.hookReps = positive(value(), "--hook-reps");
    else if (flag === "--render-only") opts.renderOnly = true;
    else if (flag === "--sizes") opts.sizes = (value() ?? "").split(",").map((s) => positive(s.trim(), "each of --sizes"));
    else if (flag === "--large") {
      const v = value() ?? "";
      opts.large = v === "none" ? [] : v.split(",").map((s) => positive(s.trim(), "each of --large"));
    } else if (flag === "--timeline") {
      const v = value();
      opts.timeline = v === "none" ? 0 : positive(v, "--timeline");
    } else throw new Error(`unknown argument ${JSON.stringify(argv[i])}; use --reps N, --sizes 1,10,100, --large 1000|none, --timeline 300|none, --hook-reps N, --render-only`);
  }
  return opts;
}

function machine(): Machine {
  const cpuinfo = fs.readFileSync("/proc/cpuinfo", "utf8");
  const tf = JSON.parse(execFileSync("terraform", ["version", "-json"], { env: { ...process.env, ...terraformEnv() } }).toString());
  return {
    date: new Date().toISOString(),
    nproc: Number(execFileSync("nproc").toString().trim()),
    cpu: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown",
    node: process.version,
    terraform: tf.terraform_version,
    os: `${os.type()} ${os.release()}`,
    loadAverage: os.loadavg(),
    nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
  };
}

/**
 * Both apps of N groups, each synthesized by a new `ts-node --transpile-only`
 * process as cdktf.json's app command does, the same command for both sides,
 * interleaved; with cdktf's validations and without.
 */
async function freshSynth(groups: number, reps: number): Promise<FreshSynth> {
  const tsNode = path.join(ROOT, "node_modules", ".bin", "ts-node");
  const app = path.join("bench", "synth-app.ts");
  const env = { ...process.env, ...terraformEnv(), TFYSG_DIGEST_KEY: DIGEST_KEY, ...valuesEnv(groups, { rotated: false }) };
  const once = async (variant: Variant, skip: boolean): Promise<FreshSynthSample> => {
    const outdir = path.join(WORK, "fresh-synth", "cdktf.out");
    fs.rmSync(path.dirname(outdir), { recursive: true, force: true });
    fs.mkdirSync(path.dirname(outdir), { recursive: true });
    const args = ["--transpile-only", app, variant, String(groups), outdir, ...(skip ? ["skip-validation"] : [])];
    const res = await timedRun(tsNode, args, { cwd: ROOT, env });
    if (res.code !== 0) throw new Error(`fresh synth of ${variant} exited ${res.code}:\n${res.output}`);
    const parts = JSON.parse(res.output.trim().split("\n").pop()!);
    return { totalMs: res.ms, ...parts };
  };
  const variants: FreshSynth["variants"] = {
    ours: { samples: [], noValidation: [] },
    baseline: { samples: [], noValidation: [] },
  };
  for (let i = 0; i < reps; i++) {
    for (const v of ["ours", "baseline"] as Variant[]) {
      variants[v].samples.push(await once(v, false));
      variants[v].noValidation.push(await once(v, true));
    }
  }
  return { groups, command: `ts-node --transpile-only bench/synth-app.ts <ours|baseline> ${groups} <outdir>`, variants };
}

const MEASURED = ["lib", "scripts", "control-plane", path.join("dist", "hook")];

/**
 * The code under measurement: the commit, uncommitted changes to it, and a
 * digest of the files themselves. Taken at the start and at the end: the hook
 * bundle is read from dist/ at every synth, so a rebuild during the run (a
 * test run next door) would mix versions.
 */
function treeState(): TreeState {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: ROOT, stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  let commit = "unknown";
  let dirty: string[] = [];
  try {
    commit = git("rev-parse", "--short", "HEAD");
    dirty = git("status", "--porcelain", "--", "lib", "scripts", "control-plane", "package.json", "package-lock.json")
      .split("\n")
      .filter(Boolean);
  } catch {
    // Not a git checkout: the digest still tells whether the files changed.
  }
  const hash = crypto.createHash("sha256");
  for (const dir of MEASURED) {
    const abs = path.join(ROOT, dir);
    if (!fs.existsSync(abs)) continue;
    const files = (fs.readdirSync(abs, { recursive: true }) as string[]).map((f) => path.join(abs, f)).filter((f) => fs.statSync(f).isFile());
    for (const f of files.sort()) hash.update(path.relative(ROOT, f)).update(fs.readFileSync(f));
  }
  return { commit, dirty, digest: hash.digest("hex").slice(0, 16) };
}

/**
 * What one of cdktf's Terraform version checks costs: every DataResource
 * (terraform_data) adds a validation that runs `terraform version` through
 * execSync when the app synthesizes. Run the same way, 10 times.
 */
function versionCheckCost(): number[] {
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    execSync("terraform version", { stdio: "pipe" });
    samples.push(performance.now() - t);
  }
  return samples;
}

function write(results: Results): void {
  const md = renderMarkdown(results);
  fs.writeFileSync(path.join(__dirname, "results.md"), md);
  fs.writeFileSync(path.join(__dirname, "results.json"), `${JSON.stringify({ ...results, targets: targets(results) }, null, 2)}\n`);
  process.stdout.write(`${md}\n`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.renderOnly) {
    write(JSON.parse(fs.readFileSync(path.join(__dirname, "results.json"), "utf8")) as Results);
    return;
  }
  const started = performance.now();
  const say = (line: string) => process.stderr.write(`[bench ${fmtMs(performance.now() - started).padStart(9)}] ${line}\n`);
  const info = machine();
  say(`${info.nproc} × ${info.cpu}, node ${info.node}, terraform ${info.terraform}; sizes ${opts.sizes.join(",")}, ${opts.reps} reps; once: ${opts.large.join(",") || "none"}`);

  // Deploy what the tree holds, never a stale bundle.
  const bundle = await buildHook();
  const treeAtStart = treeState();
  fs.mkdirSync(WORK, { recursive: true });
  const cp = await startControlPlane({ port: 0, tokens: [TOKEN] });
  try {
    say(`hook cost: ${opts.hookReps} runs of each invocation kind`);
    cp.reset();
    const hookCost = await measureHookCost({
      cp,
      token: TOKEN,
      bundle,
      workDir: path.join(WORK, "hook-cost"),
      reps: opts.hookReps,
      baseEnv: { ...process.env, ...terraformEnv() },
    });

    // A warm-up synth of each kind, not counted: the counted in-process synths
    // then measure the app, not the first load of cdktf and lib. The
    // fresh-process synth below measures the cold path.
    await runOurs({ cp, workDir: WORK, groups: 1, rep: 0 });
    await runBaseline({ cp, workDir: WORK, groups: 1, rep: 0 });

    const runs: CaseRun[] = [];
    for (let rep = 1; rep <= opts.reps; rep++) {
      for (const groups of opts.sizes) {
        say(`rep ${rep}/${opts.reps}, N=${groups}: ours`);
        runs.push(...(await runOurs({ cp, workDir: WORK, groups, rep })));
        say(`rep ${rep}/${opts.reps}, N=${groups}: baseline`);
        runs.push(await runBaseline({ cp, workDir: WORK, groups, rep }));
      }
    }
    for (const groups of opts.large) {
      say(`N=${groups}, once: ours`);
      runs.push(...(await runOurs({ cp, workDir: WORK, groups, rep: 1, large: true })));
      say(`N=${groups}, once: baseline`);
      runs.push(await runBaseline({ cp, workDir: WORK, groups, rep: 1, large: true }));
    }

    let timelines: Timeline[] = [];
    if (opts.timeline) {
      say(`timelines of N=${opts.timeline}, ours and baseline, plain and under TF_LOG=trace`);
      timelines = await measureTimelines(cp, WORK, opts.timeline);
    }

    const versionCheckMs = versionCheckCost();
    const largest = Math.max(...opts.sizes);
    say(`fresh-process synth of N=${largest}, ours and baseline, ${opts.reps}×`);
    const fresh = await freshSynth(largest, opts.reps);

    const treeAtEnd = treeState();
    if (treeAtEnd.digest !== treeAtStart.digest) {
      say("WARNING: lib/, scripts/, control-plane/ or dist/hook/ changed during the run: the figures mix versions");
    }
    const results: Results = {
      machine: { ...info, loadAverageAtEnd: os.loadavg() },
      tree: { atStart: treeAtStart, atEnd: treeAtEnd },
      config: { sizes: opts.sizes, large: opts.large, timeline: opts.timeline, reps: opts.reps, hookReps: opts.hookReps, keysPerGroup: KEYS.length, parallelism: "terraform default (10)" },
      runs,
      freshSynth: fresh,
      timelines,
      versionCheckMs,
      hookCost,
      totalMs: performance.now() - started,
    };
    write(results);
    say("wrote bench/results.md and bench/results.json");
  } finally {
    await cp.close();
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
