/**
 * `npx ts-node --transpile-only bench/variants.ts [N] [reps]`: what a smaller
 * state would buy, measured before anyone changes lib/. Synthesizes our stack
 * of N groups, rewrites its cdk.tf.json into variants that keep the same
 * behaviour with less in the state, and deploys, redeploys and destroys each,
 * interleaved with the curl hook. Writes bench/variants-<N>.md and .json.
 *
 * - as is: what lib/ synthesizes today;
 * - compact marker: each group's resource keeps its desired state as one
 *   string, not an object of six (terraform_data stores `input` and `output`,
 *   each with its value and its type);
 * - runner hash: each runner is replaced on a hash of its groups' desired
 *   state computed at synth, instead of a map of every marker's output (a
 *   copy of them all, and an edge from every marker that makes Terraform force
 *   create_before_destroy on them and list them in the dependencies of every
 *   step after the runner);
 * - both.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { startControlPlane } from "../control-plane/server";
import { Project, TOKEN, apiClient } from "../scripts/harness";
import { synthInProcess } from "./deploy";
import { StackSpec, Variant, valuesEnv } from "./stacks";
import { fmtMs, spread } from "./stats";

type Edit = "as is" | "compact marker" | "runner hash" | "both" | "curl hook";
const EDITS: Edit[] = ["as is", "compact marker", "runner hash", "both", "curl hook"];

type Block = Record<string, any>;

function rewrite(file: string, edit: Edit): void {
  const config = JSON.parse(fs.readFileSync(file, "utf8")) as { resource: { terraform_data: Record<string, Block> } };
  const blocks = config.resource.terraform_data;
  const markerOf = (group: string) => blocks[`secret_group_${group}`];
  if (edit === "runner hash" || edit === "both") {
    for (const [name, b] of Object.entries(blocks)) {
      if (!/^secret_groups_reconcile_\d+$/.test(name)) continue;
      const desired = Object.keys(b.triggers_replace)
        .sort()
        .map((g) => [g, markerOf(g).input, markerOf(g).triggers_replace]);
      b.triggers_replace = { desired: crypto.createHash("sha256").update(JSON.stringify(desired)).digest("hex") };
    }
  }
  if (edit === "compact marker" || edit === "both") {
    for (const [name, b] of Object.entries(blocks)) {
      if (!name.startsWith("secret_group_")) continue;
      const input = b.input as Record<string, string>;
      b.input = Object.keys(input)
        .sort()
        .map((k) => input[k])
        .join("|");
    }
  }
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

interface Sample {
  edit: Edit;
  rep: number;
  deployMs: number;
  noopMs: number;
  destroyMs?: number;
  stateBytes: number;
}

async function main(): Promise<void> {
  const groups = Number(process.argv[2] ?? 100);
  const reps = Number(process.argv[3] ?? 3);
  const work = path.join(__dirname, "work", "variants");
  const cp = await startControlPlane({ port: 0, tokens: [TOKEN] });
  const samples: Sample[] = [];
  try {
    for (let rep = 1; rep <= reps; rep++) {
      for (const edit of EDITS) {
        cp.reset();
        const variant: Variant = edit === "curl hook" ? "baseline" : "ours";
        const dir = path.join(work, `${edit.replace(/ /g, "-")}-${rep}`);
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        const spec: StackSpec = { variant, groups, prefix: `v${rep}${EDITS.indexOf(edit)}`, url: cp.url };
        const env = valuesEnv(groups, { rotated: false });
        synthInProcess(dir, spec, env, { skipValidation: true });
        const project = new Project(cp, "bench", dir);
        if (variant === "ours") rewrite(path.join(project.stackDir, "cdk.tf.json"), edit);
        const timed = async (go: () => ReturnType<Project["apply"]>) => {
          const t = performance.now();
          const res = await go();
          if (res.code !== 0) throw new Error(`${edit}: terraform exited ${res.code}:\n${res.output.slice(-3000)}`);
          return performance.now() - t;
        };
        await project.terraform(["version"]);
        const deployMs = await timed(() => project.apply(env));
        const stateBytes = fs.statSync(project.stateFile).size;
        const noopMs = await timed(() => project.apply(env));
        const destroyMs = variant === "ours" ? await timed(() => project.destroy(env)) : undefined;
        if (variant === "ours" && (await apiClient(cp).listGroups()).length) throw new Error(`${edit}: groups left after destroy`);
        samples.push({ edit, rep, deployMs, noopMs, destroyMs, stateBytes });
        process.stderr.write(`${edit} rep ${rep}: deploy ${fmtMs(deployMs)}, no-op ${fmtMs(noopMs)}, destroy ${destroyMs ? fmtMs(destroyMs) : "–"}\n`);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await cp.close();
  }
  const med = (edit: Edit, pick: (s: Sample) => number | undefined) => {
    const v = samples.filter((s) => s.edit === edit).map(pick).filter((x): x is number => x !== undefined);
    return v.length ? spread(v) : undefined;
  };
  const fmt = (s: ReturnType<typeof med>) => (s ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})` : "–");
  const curlDeploy = med("curl hook", (s) => s.deployMs)!.median;
  const curlNoop = med("curl hook", (s) => s.noopMs)!.median;
  const lines = [
    `# What a smaller state would buy: variants of our synthesized stack, N = ${groups}`,
    "",
    `\`npx ts-node --transpile-only bench/variants.ts ${groups} ${reps}\` on ${new Date().toISOString()}; ${reps} reps, interleaved; median (min–max).` +
      " Each variant is our stack as lib/ synthesizes it, with its cdk.tf.json rewritten (see the top of bench/variants.ts); the curl hook as in the bench." +
      " The ratios are against the curl hook's first deploy (deploy, destroy) and no-op.",
    "",
    "| stack | state after deploy | first deploy | ÷ curl | no-op | ÷ curl | destroy | ÷ curl's deploy |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...EDITS.map((edit) => {
      const d = med(edit, (s) => s.deployMs);
      const n = med(edit, (s) => s.noopMs);
      const x = med(edit, (s) => s.destroyMs);
      const bytes = med(edit, (s) => s.stateBytes)!.median;
      return `| ${edit} | ${(bytes / 1024).toFixed(0)} KiB | ${fmt(d)} | ${(d!.median / curlDeploy).toFixed(2)}× | ${fmt(n)} | ${(n!.median / curlNoop).toFixed(2)}× | ${fmt(x)} | ${x ? `${(x.median / curlDeploy).toFixed(2)}×` : "–"} |`;
    }),
    "",
  ];
  fs.writeFileSync(path.join(__dirname, `variants-${groups}.md`), lines.join("\n"));
  fs.writeFileSync(path.join(__dirname, `variants-${groups}.json`), `${JSON.stringify({ groups, reps, samples }, null, 2)}\n`);
  process.stdout.write(lines.join("\n"));
}

main().catch((err) => {
  process.stderr.write(`variants failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
