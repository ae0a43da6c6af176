/** Turns the raw runs into the tables, the target verdicts and bench/results.md. */
import { CaseKind, CaseRun, PHASES, Phase, PhaseResult } from "./deploy";
import { BARE, CURL, HookCost, RUNNER_POST } from "./hook-cost";
import { Variant } from "./stacks";
import { Timeline } from "./timeline";
import { Spread, fmtMs, fmtSpread, spread } from "./stats";

export interface Machine {
  date: string;
  nproc: number;
  cpu: string;
  node: string;
  terraform: string;
  os: string;
  loadAverage: number[];
  /** At the end of the run: other work on the machine skews every figure. */
  loadAverageAtEnd?: number[];
  /** Set in this environment; Node parses the file at every start-up. */
  nodeExtraCaCerts: string | null;
}

export interface FreshSynthSample {
  /** Spawn to exit, as measured by the parent. */
  totalMs: number;
  /** Reported by the child, ms since its process started. */
  loaded: number;
  constructed: number;
  synthesized: number;
}

export interface FreshSynth {
  groups: number;
  command: string;
  /** The same command for both apps: with cdktf's validations (samples) and App({skipValidation: true}). */
  variants: Record<Variant, { samples: FreshSynthSample[]; noValidation: FreshSynthSample[] }>;
}

export interface TreeState {
  commit: string;
  /** `git status --porcelain` lines for the measured code. */
  dirty: string[];
  /** Of lib/, scripts/, control-plane/ and dist/hook/. */
  digest: string;
}

export interface Results {
  machine: Machine;
  tree: { atStart: TreeState; atEnd: TreeState };
  config: { sizes: number[]; large: number[]; timeline?: number; reps: number; hookReps: number; keysPerGroup: number; parallelism: string };
  runs: CaseRun[];
  freshSynth?: FreshSynth;
  /** Runs broken down by resource role, and their state snapshots under TF_LOG=trace. */
  timelines?: Timeline[];
  /** `terraform version` through execSync, as cdktf's check for each terraform_data runs it. */
  versionCheckMs: number[];
  hookCost: HookCost;
  totalMs: number;
}

export type Verdict = "PASS" | "FAIL" | "SKIP";

export interface Target {
  name: string;
  verdict: Verdict;
  detail: string;
}

const PHASE_TITLES: Record<Phase, string> = {
  init: "terraform init",
  deploy: "first deploy",
  noop: "no-op redeploy",
  rotate: "rotate one value",
  destroy: "destroy",
};

function runsOf(results: Results, kind: CaseKind, groups: number): CaseRun[] {
  return results.runs.filter((r) => r.kind === kind && r.groups === groups);
}

function phaseResults(results: Results, kind: CaseKind, groups: number, phase: Phase): PhaseResult[] {
  return runsOf(results, kind, groups).flatMap((r) => (r.phases[phase] ? [r.phases[phase]!] : []));
}

export function phaseSpread(results: Results, kind: CaseKind, groups: number, phase: Phase): Spread | undefined {
  const rs = phaseResults(results, kind, groups, phase);
  return rs.length ? spread(rs.map((r) => r.ms)) : undefined;
}

function synthSpread(results: Results, kind: CaseKind, groups: number): Spread | undefined {
  const all = runsOf(results, kind, groups).flatMap((r) => r.synthMs);
  return all.length ? spread(all) : undefined;
}

function synthFloorSpread(results: Results, kind: CaseKind, groups: number): Spread | undefined {
  const all = runsOf(results, kind, groups).flatMap((r) => (r.synthNoValidationMs === undefined ? [] : [r.synthNoValidationMs]));
  return all.length ? spread(all) : undefined;
}

/** "100 POST", "1 PUT + 1 GET", "0"; a range when the repetitions disagree. */
function fmtRequests(rs: PhaseResult[]): string {
  if (!rs.length) return "n/a";
  const one = (r: PhaseResult) => {
    const parts = Object.entries(r.requests)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([m, n]) => `${n} ${m}`);
    return parts.length ? parts.join(" + ") : "0";
  };
  const distinct = [...new Set(rs.map(one))];
  return distinct.join(" / ");
}

/** "101 (100 delete, 1 reap)"; a range of variants when the repetitions disagree. */
function fmtStarts(rs: PhaseResult[]): string {
  if (!rs.length) return "n/a";
  const one = (r: PhaseResult) => {
    const byOp = Object.entries(r.nodeStarts ?? {}).sort(([a], [b]) => a.localeCompare(b));
    const total = byOp.reduce((a, [, n]) => a + n, 0);
    return total ? `${total} (${byOp.map(([op, n]) => `${n} ${op}`).join(", ")})` : "0";
  };
  return [...new Set(rs.map(one))].join(" / ");
}

function medianStarts(rs: PhaseResult[]): number {
  return rs.length ? spread(rs.map((r) => Object.values(r.nodeStarts ?? {}).reduce((a, b) => a + b, 0))).median : NaN;
}

function fmtCount(values: number[]): string {
  if (!values.length) return "n/a";
  const s = spread(values);
  return s.min === s.max ? String(s.min) : `${s.min}–${s.max}`;
}

function ratio(a: Spread | undefined, b: Spread | undefined): string {
  if (!a || !b || !b.median) return "n/a";
  return `${(a.median / b.median).toFixed(1)}×`;
}

function signedMs(ms: number): string {
  return `${ms < 0 ? "−" : "+"}${Math.abs(Math.round(ms))} ms`;
}

function hookMedian(results: Results, label: string): number {
  return results.hookCost.kinds.find((k) => k.label === label)?.stats?.median ?? NaN;
}

/** Every size measured: the repeated ones, then those deployed once. */
function allSizes(results: Results): number[] {
  return [...results.config.sizes, ...(results.config.large ?? [])];
}

function total(r: PhaseResult, pick: (method: string) => boolean = () => true): number {
  return Object.entries(r.requests).filter(([m]) => pick(m)).reduce((a, [, n]) => a + n, 0);
}

function startsOf(r: PhaseResult): number {
  return Object.values(r.nodeStarts ?? {}).reduce((a, b) => a + b, 0);
}

/** ours / reference on medians, against a limit. */
function ratioTarget(name: string, ours: Spread | undefined, ref: Spread | undefined, limit: number, what: string): Target {
  if (!ours || !ref) return { name, verdict: "SKIP", detail: "not measured in this run" };
  const r = ours.median / ref.median;
  return {
    name,
    verdict: r <= limit ? "PASS" : "FAIL",
    detail: `${r.toFixed(2)}×: ours ${fmtSpread(ours)} vs ${what} ${fmtSpread(ref)}`,
  };
}

export function targets(results: Results): Target[] {
  const out: Target[] = [];
  const sizes = allSizes(results);

  out.push(ratioTarget("first deploy, N = 100: ≤ 0.75× the curl hook", phaseSpread(results, "ours", 100, "deploy"), phaseSpread(results, "baseline", 100, "deploy"), 0.75, "curl"));
  out.push(ratioTarget("first deploy, N = 1000: ≤ 1.0× the curl hook", phaseSpread(results, "ours", 1000, "deploy"), phaseSpread(results, "baseline", 1000, "deploy"), 1.0, "curl"));
  for (const n of [100, 1000]) {
    out.push(
      ratioTarget(`destroy of ${n} groups: ≤ 1.0× the curl hook's first deploy`, phaseSpread(results, "ours", n, "destroy"), phaseSpread(results, "baseline", n, "deploy"), 1.0, "curl's first deploy"),
    );
  }
  for (const n of sizes.filter((n) => n >= 100)) {
    const o = runsOf(results, "ours", n)[0]?.stateAfterDeploy;
    const b = runsOf(results, "baseline", n)[0]?.stateAfterDeploy;
    if (!o || !b) continue;
    const r = o.bytes / b.bytes;
    out.push({
      name: `state bytes per group after the first deploy, N = ${n}: ≤ 3× the curl hook's`,
      verdict: r <= 3 ? "PASS" : "FAIL",
      detail: `${Math.round(o.bytes / n)} B vs ${Math.round(b.bytes / n)} B per group (${r.toFixed(2)}×)`,
    });
  }

  for (const n of sizes) {
    const rs = phaseResults(results, "ours", n, "noop");
    if (!rs.length) continue;
    const zero = rs.every((r) => total(r) === 0);
    const t = ratioTarget(`no-op redeploy, N = ${n}: 0 requests and ≤ 2× the curl hook's no-op`, phaseSpread(results, "ours", n, "noop"), phaseSpread(results, "baseline", n, "noop"), 2.0, "curl");
    out.push({ ...t, verdict: zero && t.verdict === "PASS" ? "PASS" : t.verdict === "SKIP" ? "SKIP" : "FAIL", detail: `${fmtRequests(rs)} requests; ${t.detail}` });
  }

  const rot = phaseResults(results, "ours", 100, "rotate");
  if (!rot.length) {
    out.push({ name: "rotate one value in a stack of 100: exactly 1 PUT and 1 Node start", verdict: "SKIP", detail: "N=100 not in --sizes" });
  } else {
    const ok = rot.every((r) => total(r) === 1 && (r.requests.PUT ?? 0) === 1 && startsOf(r) === 1);
    out.push({
      name: "rotate one value in a stack of 100: exactly 1 PUT (no other request) and 1 Node start",
      verdict: ok ? "PASS" : "FAIL",
      detail: `${fmtRequests(rot)}; Node starts: ${fmtStarts(rot)}; provisioner runs: ${fmtCount(rot.map((r) => r.invocations))}`,
    });
    const counts = (plan: string | undefined) => (plan ?? "").match(/(\d+) to add, (\d+) to change, (\d+) to destroy/)?.slice(1).map(Number);
    const small = rot.every((r) => {
      const c = counts(r.plan);
      return c !== undefined && c[0] <= 1 && c[1] <= 1 && c[2] <= 1;
    });
    out.push({
      name: "rotate one value in a stack of 100: a plan of at most 1 to add, 1 to change, 1 to destroy",
      verdict: small ? "PASS" : "FAIL",
      detail:
        [...new Set(rot.map((r) => r.plan || "(no plan line)"))].join("; ") +
        ` (${fmtCount(rot.map((r) => r.planLines ?? 0))} lines of plan, outputs included)` +
        (small
          ? ""
          : " The runner's replacement (whose diff names the group) is the work; the resume step's replacement and the keeper's update are the machinery left:" +
            " Terraform puts the runner in its working state before its provisioner runs and writes that state whenever another resource completes meanwhile, so only a later step can finish a runner a kill left looking done (docs/architecture.md, Rotation, has the measurement)."),
    });
  }

  const over = results.hookCost.overMedianMs;
  const curl = hookMedian(results, CURL);
  out.push({
    name: "hook start-up ≤ 60 ms over bare node (median), on the runner creating one group",
    verdict: over <= 60 ? "PASS" : "FAIL",
    detail: `runner (\`exec node hook.js reconcile\`, look-up + POST + PUT) ${fmtMs(hookMedian(results, RUNNER_POST))} vs \`node -e 0\` ${fmtMs(
      hookMedian(results, BARE),
    )}: ${signedMs(over)}; the curl POST ${fmtMs(curl)} (runner = ${(hookMedian(results, RUNNER_POST) / curl).toFixed(1)}× curl)`,
  });

  const inProc = synthSpread(results, "ours", 100);
  if (inProc) {
    out.push({
      name: "synth of 100 groups < 3 s, in-process (App + stack + groups + app.synth())",
      verdict: inProc.median < 3000 ? "PASS" : "FAIL",
      detail: `median ${fmtSpread(inProc)}`,
    });
  }
  const fresh = results.freshSynth;
  if (fresh && fresh.groups === 100) {
    const o = spread(fresh.variants.ours.samples.map((x) => x.totalMs));
    const b = spread(fresh.variants.baseline.samples.map((x) => x.totalMs));
    out.push({
      name: "synth of 100 groups < 3 s, fresh `ts-node` process (what `cdktf synth` runs)",
      verdict: o.median < 3000 ? "PASS" : "FAIL",
      detail: `median ${fmtSpread(o)}; the curl hook's app the same way ${fmtSpread(b)} (${(o.median / b.median).toFixed(2)}×)`,
    });
  }
  return out;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Where the time of each phase goes: Terraform alone (hooks replaced by `true`) and our hook program. */
function breakdownRows(results: Results): string[][] {
  const rows: string[][] = [];
  for (const n of allSizes(results)) {
    for (const phase of ["deploy", "noop", "rotate", "destroy"] as Phase[]) {
      const ours = phaseSpread(results, "ours", n, phase);
      const ctl = phaseSpread(results, "control", n, phase);
      const base = phaseSpread(results, "baseline", n, phase);
      const oursRuns = phaseResults(results, "ours", n, phase);
      const inv = oursRuns.map((r) => r.invocations);
      const starts = medianStarts(oursRuns);
      const hookShare = ours && ctl ? ours.median - ctl.median : NaN;
      const per = starts > 0 ? hookShare / starts : NaN;
      const graph = ctl && base ? ctl.median - base.median : NaN;
      rows.push([
        String(n),
        PHASE_TITLES[phase],
        fmtSpread(ours),
        fmtSpread(ctl),
        base ? fmtSpread(base) : "n/a",
        Number.isFinite(graph) ? fmtMs(graph) : "n/a",
        fmtCount(inv),
        fmtStarts(oursRuns),
        Number.isFinite(hookShare) ? fmtMs(hookShare) : "n/a",
        Number.isFinite(per) ? fmtMs(per) : "n/a",
      ]);
    }
  }
  return rows;
}

export function renderMarkdown(results: Results): string {
  const m = results.machine;
  const out: string[] = [];
  out.push("# Benchmark: cost per group, scaling, and a hand-written curl hook side by side");
  out.push("");
  out.push(
    `Run with \`npm run bench${
      results.config.reps !== 3 || results.config.sizes.join(",") !== "1,10,100" || (results.config.large ?? []).join(",") !== "1000"
        ? ` -- --reps ${results.config.reps} --sizes ${results.config.sizes.join(",")} --large ${(results.config.large ?? []).join(",") || "none"}`
        : ""
    }\`` +
      ` on ${m.date}: ${m.nproc} × ${m.cpu}, ${m.os}, Node ${m.node}, Terraform ${m.terraform}` +
      ` (load average ${m.loadAverage.map((x) => x.toFixed(2)).join(" ")} at start${
        m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.map((x) => x.toFixed(2)).join(" ")} at the end` : ""
      }). Whole run: ${fmtMs(results.totalMs)}.`,
  );
  out.push("");
  out.push(
    `Each case is repeated ${results.config.reps}× (interleaved: ours, baseline, ours, baseline, …); figures are median (min–max).` +
      ` ${results.config.keysPerGroup} keys per group. Terraform runs \`apply -auto-approve -input=false -no-color\` with the default` +
      ` -parallelism (10) against a local control plane in the same process (127.0.0.1).` +
      ` Ours takes every value from \`SecretValue.fromEnv\`; the baseline is a \`terraform_data\` per group whose create-time` +
      " `local-exec` runs `curl -s -X POST …/secret-groups` with the token from `$TFY_API_KEY` and the values as literals." +
      " Ours is the reconcile layout: no resource per group; per runner of up to 200 groups a runner holding its groups' desired states (one line of its map per group)" +
      " (one Node start, `exec node hook.js reconcile`, 8 requests in flight over keep-alive: a look-up of the names, then per new group a POST with create markers and a PUT of its values)," +
      " a resume step (a shell test), the runner's record read back and a keeper whose destroy-time provisioner deletes the runner's groups (one Node start per runner);" +
      " per stack the owner token, the state read back, a reaper and its resume step (docs/architecture.md)" +
      " (shell tests when nothing was removed) and the stack's own state read back; every synth and deploy sets `TFYSG_DIGEST_KEY`." +
      " \"ours with `true` hooks\" is our very synthesized stack with each hook command replaced by `true`: Terraform's share alone." +
      " Deploy phases are `terraform` alone (`cdktf deploy` adds one synth before each); the no-op redeploy applies the same folder again;" +
      " the rotation changes group 0's second value and synthesizes again first, with validations skipped (that synth is the" +
      " \"validations skipped\" figure; validation only checks, the output is the same). Request counts come from the control plane's log.",
  );
  const t = results.tree;
  out.push("");
  out.push(
    `Code measured: commit ${t.atStart.commit}` +
      (t.atStart.dirty.length ? ` with uncommitted changes (${t.atStart.dirty.map((d) => `\`${d.trim()}\``).join(", ")})` : ", lib/, scripts/ and control-plane/ clean") +
      (t.atEnd.digest === t.atStart.digest
        ? "; unchanged during the run."
        : ". **Warning: the measured code or the hook bundle changed during the run; the figures mix versions.**"),
  );
  if (m.nodeExtraCaCerts) {
    out.push("");
    out.push(
      `Note: \`NODE_EXTRA_CA_CERTS=${m.nodeExtraCaCerts}\` is set in this environment, and Terraform passes it to every hook:` +
        " Node 20 parses that file at every start-up (see the hook cost table for what it costs here).",
    );
  }
  out.push("");
  out.push("## Targets");
  out.push("");
  out.push(table(["target", "verdict", "measured"], targets(results).map((t) => [t.name, `**${t.verdict}**`, t.detail])));

  for (const n of allSizes(results)) {
    const once = !results.config.sizes.includes(n);
    out.push("");
    out.push(`## N = ${n} groups${once ? " (one run each)" : ""}`);
    out.push("");
    if (once) {
      out.push("Deployed once each, after the repeated sizes; synthesized with cdktf's validations skipped on both sides (the output is the same), no rotation, no `true`-hooks control.");
      out.push("");
    }
    const rows: string[][] = [];
    const oursSynth = synthSpread(results, "ours", n);
    const baseSynth = synthSpread(results, "baseline", n);
    rows.push(["synth (in-process)", fmtSpread(oursSynth), fmtSpread(baseSynth), ratio(oursSynth, baseSynth), "0", "0", "–", "–", "–"]);
    const oursFloor = synthFloorSpread(results, "ours", n);
    const baseFloor = synthFloorSpread(results, "baseline", n);
    rows.push(["synth, cdktf validations skipped", fmtSpread(oursFloor), fmtSpread(baseFloor), ratio(oursFloor, baseFloor), "0", "0", "–", "–", "–"]);
    for (const phase of PHASES) {
      const ours = phaseSpread(results, "ours", n, phase);
      const base = phaseSpread(results, "baseline", n, phase);
      const ctl = phaseSpread(results, "control", n, phase);
      rows.push([
        PHASE_TITLES[phase],
        fmtSpread(ours),
        base ? fmtSpread(base) : "n/a",
        ratio(ours, base),
        fmtRequests(phaseResults(results, "ours", n, phase)),
        base ? fmtRequests(phaseResults(results, "baseline", n, phase)) : "n/a",
        `${fmtCount(phaseResults(results, "ours", n, phase).map((r) => r.invocations))} / ${
          base ? fmtCount(phaseResults(results, "baseline", n, phase).map((r) => r.invocations)) : "n/a"
        }`,
        fmtStarts(phaseResults(results, "ours", n, phase)),
        ctl ? fmtSpread(ctl) : "–",
      ]);
    }
    out.push(
      table(
        ["phase", "ours", "baseline (curl)", "ours / baseline", "API requests, ours", "API requests, baseline", "provisioner runs (ours / baseline)", "Node starts, ours", "ours with `true` hooks"],
        rows,
      ),
    );
  }

  out.push("");
  out.push("## Synth in a fresh process");
  out.push("");
  const fs = results.freshSynth;
  if (!fs) {
    out.push("Not measured in this run.");
  } else {
    out.push(
      `\`${fs.command}\` for N = ${fs.groups} (as \`cdktf synth\` runs the app from cdktf.json, minus npx and the CLI's own start-up).` +
        " Times are spawn-to-exit; the parts come from the child's `performance.now()`.",
    );
    out.push("");
    const total = (ss: FreshSynthSample[]) => spread(ss.map((x) => x.totalMs));
    const vs = (a: FreshSynthSample[], b: FreshSynthSample[]) => `${(total(a).median / total(b).median).toFixed(2)}×`;
    const row = (label: string, ss: FreshSynthSample[], ratioCell: string) => [
      label,
      fmtSpread(total(ss)),
      fmtSpread(spread(ss.map((s) => s.loaded))),
      fmtSpread(spread(ss.map((s) => s.constructed - s.loaded))),
      fmtSpread(spread(ss.map((s) => s.synthesized - s.constructed))),
      ratioCell,
    ];
    const v = fs.variants;
    out.push(
      table(
        ["app", "total", "node + ts-node + imports", "construct", "app.synth()", "ours / curl hook"],
        [
          row("ours", v.ours.samples, vs(v.ours.samples, v.baseline.samples)),
          row("curl hook", v.baseline.samples, "–"),
          row("ours, App({skipValidation: true})", v.ours.noValidation, vs(v.ours.noValidation, v.baseline.noValidation)),
          row("curl hook, App({skipValidation: true})", v.baseline.noValidation, "–"),
        ],
      ),
    );
    out.push("");
    out.push(
      "Both apps run the same command in turn (ours, curl hook, ours, …). The curl hook is written as users write it, with cdktf's `DataResource`," +
        " whose validation runs `terraform version` once per resource; ours writes `terraform_data` through its own class, which has no such check.",
    );
  }

  out.push("");
  out.push("## Where our time goes");
  out.push("");
  out.push(
    "Terraform alone = ours with every hook command replaced by `true` (same graph, same provisioner count)." +
      " Graph overhead = that minus the baseline (a different graph: see the synth table below for its blocks)." +
      " Hook share = ours minus Terraform alone, spread over the Node starts (counted by a preload in NODE_OPTIONS; a provisioner whose shell test finds nothing to do starts none)." +
      " Terraform runs up to 10 provisioners at once on the 2 cores, so the per-start figure is wall time added per start, not the latency of one.",
  );
  out.push("");
  out.push(
    table(
      ["N", "phase", "ours", "Terraform alone (`true` hooks)", "baseline (curl)", "graph overhead vs baseline", "provisioner runs", "Node starts", "hook share", "hook share per Node start"],
      breakdownRows(results),
    ),
  );

  out.push("");
  out.push(...stateSection(results));
  out.push("");
  out.push("### Synth");
  out.push("");
  const check = spread(results.versionCheckMs);
  out.push(
    "cdktf's `DataResource` class (`terraform_data`) adds to every instance a validation that runs `terraform version` through" +
      ` \`execSync\` when the app synthesizes: ${fmtSpread(check)} each here. The commands column counts what cdktf actually ran during the synth;` +
      " synth minus synth with validations skipped is what validation cost.",
  );
  out.push("");
  const synthRows: string[][] = [];
  for (const n of allSizes(results)) {
    for (const kind of ["ours", "baseline"] as CaseKind[]) {
      const full = synthSpread(results, kind, n);
      const floor = synthFloorSpread(results, kind, n);
      const first = runsOf(results, kind, n)[0];
      const commands = first?.synthCommands ?? 0;
      synthRows.push([
        String(n),
        kind,
        Object.entries(first?.blocks ?? {})
          .map(([t, c]) => `${c} ${t}`)
          .join(", "),
        fmtSpread(full),
        fmtSpread(floor),
        full && floor ? fmtMs(full.median - floor.median) : "n/a",
        commands ? `${commands} × ${fmtMs(check.median)} = ${fmtMs(commands * check.median)}` : "0",
      ]);
    }
  }
  out.push(
    table(["N", "stack", "blocks in cdk.tf.json", "synth", "synth, validations skipped", "difference", "commands run by validations × one `terraform version`"], synthRows),
  );

  out.push("");
  out.push("## Cost of one hook invocation");
  out.push("");
  const hc = results.hookCost;
  out.push(
    `Each started as Terraform's local-exec does (\`/bin/sh -c "<command>"\`), one at a time, ${hc.reps} times each, the kinds interleaved;` +
      ` a warm-up round first. Hook bundle: ${Math.round(hc.bundleBytes / 1024)} KiB (dist/hook/hook.js).`,
  );
  out.push("");
  out.push(
    table(
      ["invocation", "what it does", "API requests", "median (min–max)", "over bare node (same environment)"],
      hc.kinds.map((k) => {
        const over = k.reference ? k.stats!.median - hookMedian(results, k.reference) : NaN;
        return [
          k.label,
          k.note,
          String(k.requestsPerRun ?? 0),
          fmtSpread(k.stats),
          Number.isFinite(over) ? signedMs(over) : "–",
        ];
      }),
    ),
  );
  out.push("");
  return out.join("\n");
}

function kib(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

/** The state's size by N and by role, and the traced timelines: what grows with N besides the hook. */
function stateSection(results: Results): string[] {
  const out: string[] = [];
  out.push("### Terraform's state: what grows with N");
  out.push("");
  out.push(
    "The local backend takes a snapshot of the whole state after every resource change (copy, compare with the last one, write the file), under one lock:" +
      " each of the resource changes of a deploy or a destroy costs time in proportion to the state's size, so the curl hook's phase costs about N × state size" +
      " (Terraform's parallelism does not help: the changes queue behind the lock), ours a few changes per runner. Sizes below are of the state file after the first deploy.",
  );
  out.push("");
  const rows: string[][] = [];
  for (const n of allSizes(results)) {
    const o = runsOf(results, "ours", n)[0]?.stateAfterDeploy;
    const b = runsOf(results, "baseline", n)[0]?.stateAfterDeploy;
    if (!o || !b) continue;
    rows.push([String(n), kib(o.bytes), kib(b.bytes), `${(o.bytes / b.bytes).toFixed(1)}×`, `${Math.round(o.bytes / n)} B`, `${Math.round(b.bytes / n)} B`]);
  }
  out.push(table(["N", "ours", "curl hook", "ours / curl", "ours per group", "curl per group"], rows));
  const big = Math.max(...allSizes(results).filter((n) => runsOf(results, "ours", n)[0]?.stateAfterDeploy));
  const roles = runsOf(results, "ours", big)[0]?.stateAfterDeploy;
  if (roles) {
    out.push("");
    out.push(`Ours at N = ${big}, compact JSON bytes by resource role (the file is indented, hence larger):`);
    out.push("");
    const total = Object.values(roles.byRole).reduce((a, b) => a + b, 0);
    out.push(
      table(
        ["role", "bytes", "share", "per group"],
        Object.entries(roles.byRole)
          .sort(([, a], [, b]) => b - a)
          .map(([role, bytes]) => [role, kib(bytes), `${Math.round((bytes / total) * 100)}%`, `${Math.round(bytes / big)} B`]),
      ),
    );
  }
  const tls = results.timelines ?? [];
  const at = (variant: Variant, command: Timeline["command"]) => tls.find((t) => t.variant === variant && t.command === command);
  const oursDestroy = at("ours", "destroy");
  const curlApply = at("baseline", "apply");
  const s100 = runsOf(results, "ours", 100)[0]?.stateAfterDeploy;
  const c100 = runsOf(results, "baseline", 100)[0]?.stateAfterDeploy;
  if (oursDestroy?.snapshots && curlApply?.snapshots && s100 && c100) {
    const share = (t: Timeline) => Math.round(((t.snapshots!.compareMs + t.snapshots!.writeMs) / t.snapshots!.applyPhaseMs) * 100);
    out.push("");
    out.push(
      `**Findings.** A deploy or destroy changes a handful of resources per runner of up to 200 groups, whatever N: no group has a resource of its own since 0.3.0` +
        " (0.2.0 kept `terraform_data.secret_group_<name>`, 695 B per group, and the local backend wrote the whole state after each of those N changes, a cost of N × the state's size)." +
        ` Under TF_LOG=trace, ${share(oursDestroy)}% of our destroy's apply phase at N = ${oursDestroy.groups} is spent from a change to its snapshot, against ${share(curlApply)}% of the curl hook's deploy.` +
        ` What is left of a first deploy is mostly the hook's requests: at N = 100 it takes ${fmtMs(
          (phaseSpread(results, "ours", 100, "deploy")?.median ?? NaN) - (phaseSpread(results, "control", 100, "deploy")?.median ?? NaN),
        )} over the same stack with \`true\` hooks (one look-up, then a POST with create markers and a PUT of the values per group, 8 in flight; the curl hook sends one POST per group, 10 at once under Terraform's parallelism).` +
        ` State: ${(s100.bytes / c100.bytes).toFixed(1)}× the curl hook's at N = 100 (${Math.round(s100.bytes / 100)} B per group against ${Math.round(c100.bytes / 100)} B).` +
        " Where the bytes are: each group's desired state is one line of its runner's map (`triggers_replace`, kept once);" +
        " each group's record is kept in the `secret_groups` output, the record read back (only for the groups a run wrote) and, from the second apply on, the stack's own state read back; its id once more in its runner's keeper." +
        " A no-op reads the stack's own state back (the whole file, parsed), and evaluates the runners' inputs over every group. Earlier steps (closing notes of issues 9 and 18):" +
        " the runner replaced on its groups' desired state, not on a copy of every group's resource; `setsubtract`/`setintersection` instead of `contains()` filters over every name" +
        " (`bench/locals-cost-1000.md`: 2.6 s of each plan at N = 1000); records merged without `try()`; the checks on one resource (with several, every apply wrote the state); secret fqns recorded only where the API's differ from the composed format.",
    );
  }
  if (tls.length) {
    out.push("");
    out.push(
      `Timelines at N = ${tls[0].groups}, from \`terraform apply|destroy -json\` (ms since the process started; the spans are first start to last completion of each role;` +
        " the baseline's destroy is not timed). The snapshot columns come from the same run repeated under `TF_LOG=trace` (slower as a whole):" +
        " the time from each change until its snapshot was compared, plus the time writing it, against the apply phase (first change to exit) of that traced run.",
    );
    out.push("");
    out.push(
      table(
        ["stack", "run", "total", "plan done", "apply spans by role", "state after", "snapshots (traced)", "compare + write", "share of traced apply phase"],
        tls.map((t) => {
          const spans = Object.entries(t.applies)
            .sort(([, a], [, b]) => a.first - b.first)
            .map(([role, sp]) => `${role} ${Math.round(sp.first)}–${Math.round(sp.last)} (${sp.count})`)
            .join("; ");
          const sn = t.snapshots;
          return [
            t.variant === "ours" ? "ours" : "curl hook",
            t.command,
            fmtMs(t.totalMs),
            fmtMs(t.planMs),
            spans || "–",
            t.stateBytes === undefined ? "–" : kib(t.stateBytes),
            sn ? String(sn.count) : "–",
            sn ? fmtMs(sn.compareMs + sn.writeMs) : "–",
            sn ? `${Math.round(((sn.compareMs + sn.writeMs) / sn.applyPhaseMs) * 100)}% of ${fmtMs(sn.applyPhaseMs)}` : "–",
          ];
        }),
      ),
    );
  }
  return out;
}
