/**
 * `secret-groups init-state`: creates the empty state a stack on a remote
 * backend needs before its first deploy. Each deploy reads what the last one
 * recorded from the stack's own backend; a remote backend (pg, s3, ...)
 * holds nothing for the default workspace until an apply saved it, and
 * Terraform saves it at most every 20 s during an apply.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Command } from "../command";
import { hasConfig, stackDirs, terraformIn } from "../stacks";

const HELP = `Usage: secret-groups init-state [--stack NAME | --dir PATH]

Creates an empty Terraform state in the stack's backend when it holds none
yet, so that the stack's first deploy can read it. Safe to run again: a
backend that holds a state is left as it is. Run it once per stack (and per
workspace: TF_WORKSPACE) on a remote backend; the local backend needs nothing.

Options:
  --stack NAME  the synthesized stack cdktf.out/stacks/NAME (run cdktf synth first)
  --dir PATH    a stack folder, for stacks run with plain terraform

It runs terraform in that folder, with the environment it is given (the
backend's credentials, e.g. PG_CONN_STR).`;

export const initState: Command = {
  name: "init-state",
  summary: "create the empty state a remote backend needs before a stack's first deploy",
  help: HELP,
  async run(args, env) {
    const [dir] = stackDirs(args, { all: false });
    if (!hasConfig(dir)) {
      console.error(`secret-groups init-state: ${dir} holds no Terraform configuration; run cdktf synth first`);
      return 1;
    }
    const { terraform, init } = terraformIn(dir, env);
    const initialized = init();
    if (initialized && initialized.status !== 0) return fail("terraform init", initialized);
    const pulled = terraform("state", "pull");
    if (pulled.status !== 0) return fail("terraform state pull", pulled);
    if (storedState(pulled.stdout)) {
      console.log(`secret-groups init-state: the backend already holds a state for ${dir}; nothing to do`);
      return 0;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secret-groups-state-"));
    try {
      const file = path.join(tmp, "empty.tfstate");
      fs.writeFileSync(file, JSON.stringify({ version: 4, serial: 0, lineage: crypto.randomUUID(), outputs: {}, resources: [] }));
      const pushed = terraform("state", "push", file);
      if (pushed.status !== 0) return fail("terraform state push", pushed);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    console.log(`secret-groups init-state: created an empty state for ${dir}`);
    return 0;
  },
};

/** Whether `terraform state pull` printed a stored state: with none, it prints nothing or an empty one without lineage. */
function storedState(text: string): boolean {
  if (text.trim() === "") return false;
  try {
    return Boolean((JSON.parse(text) as { lineage?: string }).lineage);
  } catch {
    return true;
  }
}

function fail(what: string, res: { status: number | null; stderr: string; stdout: string }): number {
  console.error(`secret-groups init-state: ${what} failed (exit ${res.status}):\n${(res.stderr || res.stdout).trim()}`);
  return 1;
}
