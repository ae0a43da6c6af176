/**
 * Where the commands find stacks and how they run terraform there: the
 * synthesized stacks under cdktf.out/stacks, or a folder given with --dir,
 * with the caller's environment (backend credentials, TFY_*).
 */
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const STACKS = path.join("cdktf.out", "stacks");

/** The value after a flag, every occurrence. */
export function flagValues(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag && args[i + 1] !== undefined ? [args[i + 1]] : []));
}

/** The stacks named with --stack, or the folder given with --dir, or (with `all`) every synthesized stack. */
export function stackDirs(args: string[], opts: { all: boolean }): string[] {
  const dirs = flagValues(args, "--dir");
  if (dirs.length) return dirs.map((d) => path.resolve(d));
  const named = flagValues(args, "--stack");
  if (named.length) return named.map((n) => path.resolve(STACKS, n));
  const stacks = fs.existsSync(STACKS) ? fs.readdirSync(STACKS).filter((n) => fs.statSync(path.join(STACKS, n)).isDirectory()).sort() : [];
  if (stacks.length === 0) throw new Error(`found no synthesized stack in ${STACKS}; run cdktf synth first, or name a stack folder with --dir`);
  if (!opts.all && stacks.length !== 1) throw new Error(`name the stack with --stack (found ${stacks.join(", ")} in ${STACKS})`);
  return stacks.map((n) => path.resolve(STACKS, n));
}

/** The stack's name as cdktf wrote it into the configuration (what the state's owner records), else the folder's name. */
export function stackName(dir: string): string {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dir, "cdk.tf.json"), "utf8")) as { "//"?: { metadata?: { stackName?: string } } };
    return config["//"]?.metadata?.stackName ?? path.basename(dir);
  } catch {
    return path.basename(dir);
  }
}

/** Whether the folder holds a Terraform configuration. */
export function hasConfig(dir: string): boolean {
  return fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith(".tf") || f.endsWith(".tf.json"));
}

export type Terraform = (...args: string[]) => SpawnSyncReturns<string>;

/**
 * Runs terraform in the folder with the given environment, initializing it
 * first when it never was; with a deadline (epoch ms), a run still going then
 * is killed and fails.
 */
export function terraformIn(dir: string, env: NodeJS.ProcessEnv, deadline?: number): { terraform: Terraform; init(): SpawnSyncReturns<string> | undefined } {
  const terraform: Terraform = (...a) => {
    const timeout = deadline === undefined ? undefined : Math.max(1, deadline - Date.now());
    const res = spawnSync("terraform", a, { cwd: dir, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout });
    if (res.error && (res.error as NodeJS.ErrnoException).code === "ETIMEDOUT") {
      return { ...res, status: 1, stderr: `terraform ${a[0]} was stopped: the deadline passed (raise TFYSG_DEADLINE, seconds)` };
    }
    return res;
  };
  return {
    terraform,
    init: () => (fs.existsSync(path.join(dir, ".terraform")) ? undefined : terraform("init", "-input=false", "-no-color")),
  };
}
