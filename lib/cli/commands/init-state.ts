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
import { Owner } from "../../shared/contract";
import { OWNER_OUTPUT } from "../../shared/layout";
import { tfstateText } from "../../shared/tfstate";
import type { Command } from "../command";
import { hasConfig, stackDirs, stackName, terraformIn } from "../stacks";

const HELP = `Usage: secret-groups init-state [--stack NAME | --dir PATH]

Creates the Terraform state of a stack in its backend when the backend holds
none yet, so that the stack's first deploy can read it: empty but for whose
state it is (the stack, the workspace, and a random owner token that proves
which groups the stack created). Safe to run again: a backend that holds this
stack's state is left as it is; one that holds another stack's state is an
error, since two stacks on one state delete each other's groups. Run it once
per stack (and per workspace: TF_WORKSPACE) on a remote backend; the local
backend needs nothing.

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
    const stack = stackName(dir);
    const workspace = env.TF_WORKSPACE || "default";
    const stored = storedState(pulled.stdout);
    const owner = stored?.outputs?.[OWNER_OUTPUT]?.value as Partial<Owner> | undefined;
    if (owner && (owner.stack !== stack || owner.workspace !== workspace)) {
      console.error(
        `secret-groups init-state: the backend of ${dir} already holds the state of stack "${owner.stack}" (workspace "${owner.workspace}"), not of "${stack}" (workspace "${workspace}"): ` +
          `each stack needs a state of its own, or deploying one deletes the other's secret groups. Give this stack's backend its own state (pg: its own schemaName; s3: its own key) and run init-state again.`,
      );
      return 1;
    }
    if (stored && (owner || (stored.resources ?? []).length > 0)) {
      console.log(`secret-groups init-state: the backend already holds the state of stack "${stack}" for ${dir}; nothing to do`);
      return 0;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secret-groups-state-"));
    try {
      const file = path.join(tmp, "empty.tfstate");
      const value: Owner = { stack, workspace, token: crypto.randomBytes(32).toString("hex") };
      const outputs = { [OWNER_OUTPUT]: { value, type: ["object", { stack: "string", token: "string", workspace: "string" }], sensitive: true } };
      // An empty state stored earlier (by an older init-state) gets its owner as its next serial.
      fs.writeFileSync(file, tfstateText({ outputs, serial: (stored?.serial ?? -1) + 1, lineage: stored?.lineage }), { mode: 0o600 });
      const pushed = terraform("state", "push", file);
      if (pushed.status !== 0) return fail("terraform state push", pushed);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    console.log(`secret-groups init-state: created the state of stack "${stack}" (workspace "${workspace}") for ${dir}`);
    return 0;
  },
};

interface StoredState {
  serial?: number;
  lineage?: string;
  outputs?: Record<string, { value?: unknown }>;
  resources?: unknown[];
}

/** The state `terraform state pull` printed, if the backend stores one: with none, it prints nothing or an empty one without lineage. */
function storedState(text: string): StoredState | undefined {
  if (text.trim() === "") return undefined;
  let state: StoredState;
  try {
    state = JSON.parse(text) as StoredState;
  } catch {
    throw new Error("terraform state pull printed something that is not a state; is the backend configured right?");
  }
  return state.lineage ? state : undefined;
}

function fail(what: string, res: { status: number | null; stderr: string; stdout: string }): number {
  console.error(`secret-groups init-state: ${what} failed (exit ${res.status}):\n${(res.stderr || res.stdout).trim()}`);
  return 1;
}
