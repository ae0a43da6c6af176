/**
 * `npm run demo`: deploys main.ts to the local control plane with demo values
 * and prints what now exists there (never values). Starts the control plane
 * in-process when none answers at TFY_HOST; its data file keeps the groups
 * between runs, so a second run has nothing to change.
 * `npm run demo -- --destroy` tears the stack down. `--output <dir>` puts the
 * synthesized stacks (and, through main.ts's backend path, the state next to
 * them) somewhere other than cdktf.out/. It runs whichever CLI is installed:
 * cdktf, or the fork's cdktn.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ControlPlaneClient } from "../lib/client";
import { ENV_API_KEY, ENV_HOST } from "../lib/shared/contract";
import { startControlPlane } from "../control-plane/server";
import { terraformEnv } from "./terraform-env";

const ROOT = path.join(__dirname, "..");
const DEFAULT_PORT = 8787;
const DEMO_TOKEN = "dev-token";

/** Stand-ins for what CI would take from its secret store. */
const DEMO_VALUES: Record<string, string> = {
  PAYMENTS_DB_USER: "payments_app",
  TF_VAR_payments_db_password: "demo-db-password-change-me",
  STRIPE_SECRET_KEY: "sk_test_demo_0000000000",
  TF_VAR_stripe_webhook_secret: "whsec_demo_0000000000",
  DATADOG_API_KEY: "dd-demo-0000000000",
  SENTRY_DSN: "https://demo@sentry.invalid/1",
  // Keys the change-detection digests; a real stack takes it from CI secrets.
  TFYSG_DIGEST_KEY: "demo-digest-key-not-a-secret",
  TF_VAR_secret_groups_digest_key: "demo-variable-digest-key-not-a-secret",
};

async function isUp(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_emulator/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** The local control plane's request log (methods and paths only); undefined for a real one. */
async function requestLog(url: string): Promise<{ method: string }[] | undefined> {
  try {
    const res = await fetch(`${url}/_emulator/requests`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? ((await res.json()) as { method: string }[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The CDKTF CLI this checkout has: cdktf, or cdktn when the fork replaces it. */
function cli(): string {
  const bins = ["cdktf", "cdktn"].map((name) => path.join(ROOT, "node_modules", ".bin", name));
  const found = bins.find((bin) => fs.existsSync(bin));
  if (!found) throw new Error('neither cdktf nor cdktn is installed; run "npm ci"');
  return found;
}

/**
 * Why the CLI cannot start on this Node, when we know it: the archived cdktf
 * CLI (cdktf-cli 0.21.0) loads node-pty, which ships native builds for Node
 * <= 22 only (and npm does not run its install scripts to build one), so on
 * Node 24 every `cdktf` command dies before synth with "Cannot find module
 * '../build/Release/pty.node'". Checked the way node-pty looks, without loading it.
 */
function cliCannotRun(bin: string): string | undefined {
  if (path.basename(bin) !== "cdktf") return undefined;
  let pty: string;
  let prebuilt: { ptyPath: string | null };
  try {
    pty = path.dirname(require.resolve("@cdktf/node-pty-prebuilt-multiarch/package.json", { paths: [path.join(ROOT, "node_modules", "cdktf-cli")] }));
    prebuilt = require(path.join(pty, "lib", "prebuild-file-path.js"));
  } catch {
    return undefined; // another layout: let the CLI speak for itself
  }
  if (prebuilt.ptyPath || ["Release", "Debug"].some((b) => fs.existsSync(path.join(pty, "build", b, "pty.node")))) return undefined;
  return [
    `demo: the cdktf CLI (cdktf-cli, archived at 0.21.0) cannot run on Node ${process.version}: its node-pty module has no build for this Node, and every cdktf command fails with "Cannot find module '../build/Release/pty.node'".`,
    `demo: run the demo on Node 22 (or 20), or switch this checkout to the fork's CLI, cdktn-cli, which runs on Node 24: see "Node versions" in the README.`,
  ].join("\n");
}

function runCli(bin: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: ROOT, env, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/** The machine's Terraform CLI config when it exists, else an empty one of our own. */
function demoTerraformEnv(): NodeJS.ProcessEnv {
  const own = terraformEnv();
  const current = process.env.TF_CLI_CONFIG_FILE;
  return { ...own, TF_CLI_CONFIG_FILE: current && fs.existsSync(current) ? current : own.TF_CLI_CONFIG_FILE };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const destroy = args.includes("--destroy");
  const outIndex = args.indexOf("--output");
  const output = outIndex >= 0 ? args[outIndex + 1] : undefined;
  if (outIndex >= 0 && !output) {
    console.error("demo: --output needs a folder");
    return 2;
  }
  const bin = cli();
  const cannotRun = cliCannotRun(bin);
  if (cannotRun) {
    console.error(cannotRun);
    return 1;
  }
  const environment = process.env.ENVIRONMENT ?? "dev";
  // 0: a control plane of this run's own on a free port (its data file keeps the groups between runs).
  const port = Number(process.env.TFY_EMULATOR_PORT ?? DEFAULT_PORT);
  let host = process.env[ENV_HOST] ?? `http://127.0.0.1:${port}`;
  const apiKey = process.env[ENV_API_KEY] ?? DEMO_TOKEN;

  let started: Awaited<ReturnType<typeof startControlPlane>> | undefined;
  if (port === 0 && !process.env[ENV_HOST]) {
    const dataFile = process.env.TFY_EMULATOR_DATA ?? path.join(ROOT, ".control-plane", "data.json");
    started = await startControlPlane({ port, tokens: [apiKey], dataFile });
    host = started.url;
    console.log(`demo: started a local control plane at ${started.url} (data in ${path.relative(ROOT, dataFile) || dataFile})`);
  } else if (!(await isUp(host))) {
    if (process.env[ENV_HOST]) {
      console.error(`demo: no control plane answers at ${host} (${ENV_HOST}); start one with "npm run control-plane" or unset ${ENV_HOST}`);
      return 1;
    }
    const dataFile = process.env.TFY_EMULATOR_DATA ?? path.join(ROOT, ".control-plane", "data.json");
    started = await startControlPlane({ port, tokens: [apiKey], dataFile });
    console.log(`demo: started a local control plane at ${started.url} (data in ${path.relative(ROOT, dataFile) || dataFile})`);
  } else {
    console.log(`demo: using the control plane at ${host}`);
  }

  try {
    // Values the user set themselves win over the demo's stand-ins.
    const env = { ...DEMO_VALUES, ...process.env, ...demoTerraformEnv(), [ENV_HOST]: host, [ENV_API_KEY]: apiKey, ENVIRONMENT: environment };
    const before = await requestLog(host);
    const command = destroy ? "destroy" : "deploy";
    const code = await runCli(bin, [command, "--auto-approve", ...(output ? ["--output", path.resolve(output)] : [])], env);
    if (code !== 0) {
      console.error(`demo: ${path.basename(bin)} ${command} failed (exit ${code})`);
      return code;
    }
    const after = await requestLog(host);
    if (before && after) {
      const sent = after.slice(before.length);
      const byMethod = new Map<string, number>();
      for (const r of sent) byMethod.set(r.method, (byMethod.get(r.method) ?? 0) + 1);
      console.log(
        sent.length === 0
          ? "\ndemo: this run sent no request to the control plane: nothing to change"
          : `\ndemo: this run sent ${sent.length} request(s) to the control plane: ${[...byMethod].sort(([a], [b]) => a.localeCompare(b)).map(([m, n]) => `${m} ${n}`).join(", ")}`,
      );
    }
    const client = new ControlPlaneClient({ host, apiKey });
    const groups = (await client.listGroups({ search: `${environment}-` })).filter((g) => g.name.startsWith(`${environment}-`));
    console.log(`\nSecret groups of environment "${environment}" on ${host}:`);
    if (groups.length === 0) {
      console.log("(none)");
    } else {
      const rows = [["GROUP", "ID", "FQN", "KEYS"]];
      for (const g of groups) rows.push([g.name, g.id, g.fqn, (g.associatedSecrets ?? []).map((s) => s.name).join(", ")]);
      console.log(table(rows));
    }
    return 0;
  } finally {
    await started?.close();
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
