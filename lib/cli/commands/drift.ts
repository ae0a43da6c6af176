/**
 * `secret-groups drift`: what changed on the control plane behind the
 * stacks' back. The state's record (the stack output `secret_groups`) says
 * what the last deploy wrote: ids, keys and each secret's version; one list
 * of the tenant's groups says what is there now. Values are never read:
 * a value changed by hand shows as a newer version.
 *
 * `--repair` runs, in the caller's environment, the apply that pushes the
 * code again: the runners of the drifted groups replaced, and the hook told
 * (TFYSG_REPAIR) to send those groups although the state says they are
 * current.
 */
import * as fs from "fs";
import * as path from "path";
import { ControlPlaneClient } from "../../client/client";
import type { SecretGroup } from "../../client/types";
import { COLLABORATOR_ROLE_IDS } from "../../shared/api";
import { Collaborator, HOOK_ENV, RECORDED_OUTPUT, Recorded, collaboratorsKey, parseVersions } from "../../shared/contract";
import type { Command } from "../command";
import { hasConfig, stackDirs, terraformIn } from "../stacks";

const HELP = `Usage: secret-groups drift [--stack NAME]... [--dir PATH] [--repair]

Compares what each stack's state recorded with what the control plane holds,
and prints one line per difference: a group deleted or renamed, keys added or
removed, values or collaborators changed since the last deploy. Values are
never read: a value changed by hand shows as a newer secret version.

Options:
  --stack NAME  check cdktf.out/stacks/NAME (default: every synthesized stack)
  --dir PATH    check a stack folder run with plain terraform
  --repair      put the control plane back to the code: runs terraform apply
                in the stack folder (the runners of the drifted groups
                replaced, TFYSG_REPAIR naming those groups), then checks again

Exit status: 0 in sync, 2 drift found (after --repair: drift left), 1 error.

It runs terraform in the stack folder with the environment it is given: the
backend's credentials, TFY_HOST and TFY_API_KEY, and for --repair everything
cdktf deploy needs (the values of SecretValue.fromEnv, TF_VAR_*).`;

export const IN_SYNC = 0;
export const DRIFT = 2;
const ERROR = 1;

/** One difference, printed as one line. */
export interface Finding {
  stack: string;
  group: string;
  what: string;
  fix: string;
}

interface Stack {
  name: string;
  dir: string;
  recorded: Record<string, Recorded>;
}

export const drift: Command = {
  name: "drift",
  summary: "find what changed on the control plane since the last deploy; --repair puts it back",
  help: HELP,
  async run(args, env) {
    const unknown = args.filter((a, i) => a.startsWith("--") && !["--stack", "--dir", "--repair"].includes(a) && !["--stack", "--dir"].includes(args[i - 1]));
    if (unknown.length) {
      console.error(`secret-groups drift: unknown option ${unknown[0]} (see --help)`);
      return ERROR;
    }
    try {
      const stacks = stackDirs(args, { all: true }).map((dir) => readStack(dir, env));
      const client = () => new ControlPlaneClient({ env });
      let findings = await check(stacks, client);
      for (const f of findings) console.log(`${f.stack}: secret group "${f.group}": ${f.what}; ${f.fix}`);
      if (findings.length === 0) {
        console.log(`in sync: ${stacks.map((s) => `${s.name} (${Object.keys(s.recorded).length} groups)`).join(", ")}`);
        return IN_SYNC;
      }
      if (!args.includes("--repair")) return DRIFT;
      for (const stack of stacks) {
        const names = [...new Set(findings.filter((f) => f.stack === stack.name).map((f) => f.group))];
        if (names.length) repair(stack, names, env);
      }
      const after = stacks.map((s) => readStack(s.dir, env));
      findings = await check(after, client);
      for (const f of findings) console.log(`after repair: ${f.stack}: secret group "${f.group}": ${f.what}; ${f.fix}`);
      if (findings.length) return DRIFT;
      console.log(`repaired: every group is back to the code`);
      return IN_SYNC;
    } catch (err) {
      console.error(`secret-groups drift: ${err instanceof Error ? err.message : String(err)}`);
      return ERROR;
    }
  },
};

/** A failure of this command, its message complete. */
class DriftError extends Error {}

/** What the stack's state recorded: its output secret_groups, read through its own backend. */
function readStack(dir: string, env: NodeJS.ProcessEnv): Stack {
  const name = path.basename(dir);
  if (!hasConfig(dir)) throw new DriftError(`${dir} holds no Terraform configuration; run cdktf synth first`);
  const { terraform, init } = terraformIn(dir, env);
  const initialized = init();
  if (initialized && initialized.status !== 0) throw new DriftError(`${name}: terraform init failed:\n${(initialized.stderr || initialized.stdout).trim()}`);
  const res = terraform("output", "-json", "-no-color");
  if (res.status !== 0) throw new DriftError(`${name}: terraform output failed:\n${(res.stderr || res.stdout).trim()}`);
  let outputs: Record<string, { value?: unknown }>;
  try {
    outputs = JSON.parse(res.stdout || "{}");
  } catch {
    throw new DriftError(`${name}: terraform output -json printed something that is not JSON`);
  }
  // A stack never deployed records nothing: nothing can have drifted.
  const recorded = (outputs[RECORDED_OUTPUT]?.value ?? {}) as Record<string, Recorded>;
  return { name, dir, recorded };
}

/** The findings of every stack, from one list of the tenant's groups (one request per 1000). */
async function check(stacks: Stack[], client: () => ControlPlaneClient): Promise<Finding[]> {
  if (stacks.every((s) => Object.keys(s.recorded).length === 0)) return [];
  const api = client();
  const groups = await api.listGroups();
  const findings: Finding[] = [];
  for (const stack of stacks) {
    for (const [name, r] of Object.entries(stack.recorded)) {
      let held = groups.find((g) => g.id === r.id);
      // A list without secrets: one request for this group's.
      if (held && held.associatedSecrets === undefined) held = { ...held, associatedSecrets: await api.listSecrets(held.id) };
      findings.push(...compare(stack.name, name, r, held, groups));
    }
  }
  return findings;
}

/**
 * The differences of one recorded group: `held` is the group with the
 * recorded id, if the control plane still has one; `all` every group.
 */
export function compare(stack: string, name: string, r: Recorded, held: SecretGroup | undefined, all: readonly SecretGroup[]): Finding[] {
  const repair = `run "secret-groups drift --repair ${stackFlag(stack)}" to put back the code's`;
  const finding = (what: string, fix: string): Finding => ({ stack, group: name, what, fix });
  if (!held) {
    const other = all.find((g) => g.name === name);
    if (other) {
      return [
        finding(
          `the group the state recorded (id ${r.id}) is gone, and another group of that name exists (id ${other.id})`,
          `set adoptExisting: true on it and run "secret-groups drift --repair ${stackFlag(stack)}" to take it over, or delete it by hand and repair`,
        ),
      ];
    }
    return [finding(`deleted on the control plane (the state recorded id ${r.id})`, `${repair} group, under the same name`)];
  }
  if (held.name !== name) {
    return [finding(`renamed to "${held.name}" on the control plane (id ${r.id})`, `rename it back, or ${repair} group under its name (the renamed one is left alone)`)];
  }
  const findings: Finding[] = [];
  const versions = parseVersions(r.versions);
  if (versions) {
    const now = new Map((held.associatedSecrets ?? []).map((s) => [s.name, Math.max(0, ...(s.secretVersions ?? []).map((v) => v.version))]));
    const added = [...now.keys()].filter((k) => !versions.has(k));
    const removed = [...versions.keys()].filter((k) => !now.has(k));
    if (added.length || removed.length) {
      const parts = [added.length ? `keys added by hand: ${added.join(", ")}` : "", removed.length ? `keys removed by hand: ${removed.join(", ")}` : ""];
      findings.push(finding(parts.filter(Boolean).join("; "), `${repair} keys`));
    }
    const changed = [...versions].filter(([k, v]) => v > 0 && now.has(k) && now.get(k)! > 0 && now.get(k) !== v);
    if (changed.length) {
      const list = changed.map(([k, v]) => `${k} (version ${now.get(k)}, the last deploy wrote ${v})`).join(", ");
      findings.push(finding(`values changed since the last deploy: ${list}`, `${repair} values`));
    }
  }
  const collaborators = held.manifest?.collaborators;
  if (r.collaborators && collaborators) {
    const roles = Object.fromEntries(Object.entries(COLLABORATOR_ROLE_IDS).map(([role, id]) => [id, role]));
    const current = collaboratorsKey(collaborators.map((c): Collaborator => ({ subject: c.subject, role: (roles[c.role_id] ?? c.role_id) as Collaborator["role"] })));
    if (current !== r.collaborators) findings.push(finding("collaborators changed since the last deploy", `${repair} collaborators`));
  }
  return findings;
}

function stackFlag(stack: string): string {
  return `--stack ${stack}`;
}

/**
 * The apply of a repair: the runners that hold the drifted groups are
 * replaced, so their hook runs; TFYSG_REPAIR makes it send those groups
 * (a group gone or renamed is created again under its name).
 */
function repair(stack: Stack, names: string[], env: NodeJS.ProcessEnv): void {
  const runners = runnersOf(stack.dir, names);
  console.log(`${stack.name}: repairing ${names.map((n) => `"${n}"`).join(", ")}: terraform apply, replacing ${runners.join(", ")}`);
  const { terraform } = terraformIn(stack.dir, { ...env, [HOOK_ENV.repair]: names.join(",") });
  const res = terraform("apply", "-auto-approve", "-input=false", "-no-color", ...runners.map((r) => `-replace=${r}`));
  process.stdout.write(res.stdout);
  process.stderr.write(res.stderr);
  if (res.status !== 0) throw new DriftError(`${stack.name}: the repair's terraform apply failed (exit ${res.status}); see its output above`);
}

const RUNNER = /^secret_groups_runner_\d+$/;

/**
 * The runner resources whose groups include these names, from the stack's
 * configuration: runner <i>'s group list is its local of the same name.
 */
function runnersOf(dir: string, names: string[]): string[] {
  const found = new Set<string>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".tf.json"))) {
    const config = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as {
      locals?: Record<string, { [HOOK_ENV.groups]?: string }>;
      resource?: Record<string, Record<string, unknown>>;
    };
    for (const [id, env] of Object.entries(config.locals ?? {})) {
      if (!RUNNER.test(id) || typeof env?.[HOOK_ENV.groups] !== "string") continue;
      const groups = (JSON.parse(env[HOOK_ENV.groups]!) as { name: string }[]).map((g) => g.name);
      if (!names.some((n) => groups.includes(n))) continue;
      const type = Object.keys(config.resource ?? {}).find((t) => config.resource![t][id] !== undefined);
      if (type) found.add(`${type}.${id}`);
    }
  }
  if (found.size === 0) throw new DriftError(`${path.basename(dir)}: found no runner of ${names.join(", ")} in the stack's configuration; run cdktf synth first`);
  return [...found].sort();
}
