/**
 * `npx ts-node --transpile-only bench/locals-cost.ts [N] [reps]`: what the
 * expressions that split the recorded groups cost Terraform, apart from any
 * resource. Each variant is a configuration of locals and outputs alone, with
 * the record of N groups as a local map (in the stack it comes from the
 * stack's own state), timed with `terraform plan`, interleaved. Writes
 * bench/locals-cost-<N>.md.
 *
 * - the map alone: the floor;
 * - doomed, contains: `{ for k, v in recorded : k => v if !contains([every name], k) }`,
 *   as lib/construct/stack-runtime.ts writes `secret_groups_doomed`;
 * - doomed, setsubtract: `{ for k in setsubtract(keys(recorded), [every name]) : k => recorded[k] }`;
 * - runners, contains: one `{ for k, v in recorded : k => v if contains([its names], k) }` per runner of 200,
 *   as each runner's TFYSG_RECORDED is written;
 * - runners, setintersection: `{ for k in setintersection(keys(recorded), [its names]) : k => recorded[k] }`.
 */
import * as fs from "fs";
import * as path from "path";
import { terraformEnv } from "../scripts/terraform-env";
import { fmtMs, spread, timedRun } from "./stats";

const PER_RUNNER = 200;

function configs(n: number): Record<string, object> {
  const names = Array.from({ length: n }, (_, i) => `bench-g${i}`);
  const recorded = Object.fromEntries(
    names.map((name, i) => [
      name,
      { id: `id-${String(i).padStart(8, "0")}-0000-4000-8000`, fqn: `tenant:${name}`, integrationId: "int-bench", fingerprint: `hmac:${"ab".repeat(32)}`, removalPolicy: "destroy", forceDelete: false },
    ]),
  );
  const all = JSON.stringify(names);
  const runners = Array.from({ length: Math.ceil(n / PER_RUNNER) }, (_, i) => JSON.stringify(names.slice(i * PER_RUNNER, (i + 1) * PER_RUNNER)));
  const lengths = (keys: string[]) => Object.fromEntries(keys.map((k) => [`n_${k}`, { value: `\${length(local.${k})}` }]));
  const doomed = (expr: string) => ({ locals: { recorded, doomed: expr }, output: lengths(["doomed"]) });
  const perRunner = (expr: (names: string) => string) => {
    const locals: Record<string, unknown> = { recorded };
    runners.forEach((r, i) => (locals[`runner_${i}`] = expr(r)));
    return { locals, output: lengths(runners.map((_, i) => `runner_${i}`)) };
  };
  return {
    "the map alone": { locals: { recorded }, output: lengths(["recorded"]) },
    "doomed, contains": doomed(`\${jsonencode({ for k, v in local.recorded : k => v if !contains(${all}, k) })}`),
    "doomed, setsubtract": doomed(`\${jsonencode({ for k in setsubtract(keys(local.recorded), ${all}) : k => local.recorded[k] })}`),
    "runners, contains": perRunner((r) => `\${jsonencode({ for k, v in local.recorded : k => v if contains(${r}, k) })}`),
    "runners, setintersection": perRunner((r) => `\${jsonencode({ for k in setintersection(keys(local.recorded), ${r}) : k => local.recorded[k] })}`),
  };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 1000);
  const reps = Number(process.argv[3] ?? 3);
  const work = path.join(__dirname, "work", "locals-cost");
  const env = { ...process.env, ...terraformEnv() };
  const variants = configs(n);
  for (const [label, config] of Object.entries(variants)) {
    const dir = path.join(work, label.replace(/[^a-z]+/g, "-"));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify(config));
    const init = await timedRun("terraform", ["init", "-input=false", "-no-color"], { cwd: dir, env });
    if (init.code !== 0) throw new Error(`${label}: init failed\n${init.output}`);
  }
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let rep = 0; rep < reps; rep++) {
    for (const label of Object.keys(variants)) {
      const dir = path.join(work, label.replace(/[^a-z]+/g, "-"));
      const res = await timedRun("terraform", ["plan", "-input=false", "-no-color"], { cwd: dir, env });
      if (res.code !== 0) throw new Error(`${label}: plan failed\n${res.output}`);
      samples[label].push(res.ms);
      process.stderr.write(`${label}: ${fmtMs(res.ms)}\n`);
    }
  }
  const floor = spread(samples["the map alone"]).median;
  const lines = [
    `# What splitting the recorded groups costs Terraform, N = ${n}`,
    "",
    `\`npx ts-node --transpile-only bench/locals-cost.ts ${n} ${reps}\` on ${new Date().toISOString()}: \`terraform plan\` of locals and outputs alone (no resource), ${reps} reps interleaved, median (min–max). See the top of bench/locals-cost.ts for each expression.`,
    "",
    "| variant | terraform plan | over the map alone |",
    "| --- | --- | --- |",
    ...Object.entries(samples).map(([label, s]) => {
      const sp = spread(s);
      return `| ${label} | ${fmtMs(sp.median)} (${fmtMs(sp.min)}–${fmtMs(sp.max)}) | ${label === "the map alone" ? "–" : fmtMs(sp.median - floor)} |`;
    }),
    "",
  ];
  fs.writeFileSync(path.join(__dirname, `locals-cost-${n}.md`), lines.join("\n"));
  process.stdout.write(lines.join("\n"));
}

main().catch((err) => {
  process.stderr.write(`locals-cost failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
