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
import { ANSWER_LIMITS, AnswerLimits, ControlPlaneClient, runDeadlineMs } from "../../client/client";
import type { SecretGroup } from "../../client/types";
import { COLLABORATOR_ROLE_IDS } from "../../shared/api";
import { Collaborator, HOOK_ENV, Recorded, collaboratorsKey, parseVersions } from "../../shared/contract";
import { RECORDED_OUTPUT, RUNNER } from "../../shared/layout";
import { printable } from "../../shared/text";
import type { Command } from "../command";
import { hasConfig, stackDirs, stackName, terraformIn } from "../stacks";

const HELP = `Usage: secret-groups drift [--stack NAME]... [--dir PATH] [--repair]

Compares what each stack's state recorded with what the control plane holds,
and prints one line per difference: a group deleted or renamed, keys added or
removed, values or collaborators changed since the last deploy. Values are
never read: a value changed by hand shows as a newer secret version. It also
names the groups the next deploy would leave behind: those the state records
in a stack whose code declares no SecretGroup any more (run it before the
deploy, in CI). --repair does not touch those.

Options:
  --stack NAME  check cdktf.out/stacks/NAME (default: every synthesized stack)
  --dir PATH    check a stack folder run with plain terraform
  --repair      put the control plane back to the code: runs terraform apply
                in the stack folder (the runners of the drifted groups
                replaced, TFYSG_REPAIR naming those groups), then checks again

Exit status: 0 in sync, 2 drift found (after --repair: drift left), 1 error,
or something could not be checked (the control plane's answer lacked it).
The check (terraform output and the API requests) stops after TFYSG_DEADLINE
seconds (default 300).

It runs terraform in the stack folder with the environment it is given: the
backend's credentials, TFY_HOST and TFY_API_KEY, and for --repair everything
cdktf deploy needs (the values of SecretValue.fromEnv, TF_VAR_*).`;

/**
 * Drift sends one request at a time, so one answer may be twice what the
 * hook (8 in flight) allows: a page of 1000 groups of about 20 secrets each.
 */
const DRIFT_ANSWER_LIMITS: AnswerLimits = { bytes: 2 * ANSWER_LIMITS.bytes, values: 2 * ANSWER_LIMITS.values };

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
  /** Whether the synthesized stack still declares any SecretGroup: without one, nothing of this library runs there. */
  declaresGroups: boolean;
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
    // Everything printed may hold a server's strings: no control bytes reach the terminal.
    const say = (line: string) => console.log(printable(line));
    try {
      const deadline = Date.now() + runDeadlineMs(env);
      const stacks = stackDirs(args, { all: true }).map((dir) => readStack(dir, env, deadline));
      const client = () => new ControlPlaneClient({ env, deadline, answerLimits: DRIFT_ANSWER_LIMITS });
      let { findings, unchecked } = await check(stacks, client);
      for (const f of findings) say(`${f.stack}: secret group "${f.group}": ${f.what}; ${f.fix}`);
      if (unchecked.length) {
        for (const u of unchecked) console.error(printable(`${u.stack}: secret group "${u.group}": could not check ${u.what}`));
        console.error(`secret-groups drift: ${unchecked.length} ${unchecked.length === 1 ? "thing" : "things"} could not be checked, so this is not "in sync"; check that TFY_HOST is the control plane's API`);
        return ERROR;
      }
      if (findings.length === 0) {
        say(`in sync: ${stacks.map((s) => `${s.name} (${Object.keys(s.recorded).length} groups)`).join(", ")}`);
        return IN_SYNC;
      }
      if (!args.includes("--repair")) return DRIFT;
      for (const stack of stacks) {
        const names = [...new Set(findings.filter((f) => f.stack === stack.name).map((f) => f.group))];
        // A stack without groups has no runner to repair with: what it would leave behind stays a finding.
        if (names.length && stack.declaresGroups) repair(stack, names, env);
      }
      const after = stacks.map((s) => readStack(s.dir, env, Date.now() + runDeadlineMs(env)));
      ({ findings, unchecked } = await check(after, () => new ControlPlaneClient({ env, deadline: Date.now() + runDeadlineMs(env), answerLimits: DRIFT_ANSWER_LIMITS })));
      for (const f of findings) say(`after repair: ${f.stack}: secret group "${f.group}": ${f.what}; ${f.fix}`);
      for (const u of unchecked) console.error(printable(`after repair: ${u.stack}: secret group "${u.group}": could not check ${u.what}`));
      if (unchecked.length) return ERROR;
      if (findings.length) return DRIFT;
      say(`repaired: every group is back to the code`);
      return IN_SYNC;
    } catch (err) {
      console.error(printable(`secret-groups drift: ${err instanceof Error ? err.message : String(err)}`));
      return ERROR;
    }
  },
};

/** A failure of this command, its message complete. */
class DriftError extends Error {}

/** What the stack's state recorded: its output secret_groups, read through its own backend. */
function readStack(dir: string, env: NodeJS.ProcessEnv, deadline: number): Stack {
  const name = stackName(dir);
  if (!hasConfig(dir)) throw new DriftError(`${dir} holds no Terraform configuration; run cdktf synth first`);
  const { terraform, init } = terraformIn(dir, env, deadline);
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
  return { name, dir, recorded, declaresGroups: declaresGroups(dir) };
}

/** Whether the stack's configuration holds a runner of this library (a stack with a group has one). */
function declaresGroups(dir: string): boolean {
  return configs(dir).some((config) => Object.values(config.resource ?? {}).some((byName) => Object.keys(byName).some((n) => RUNNER.pattern.test(n))));
}

interface Config {
  locals?: Record<string, { [HOOK_ENV.groups]?: string }>;
  resource?: Record<string, Record<string, unknown>>;
}

function configs(dir: string): Config[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".tf.json"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Config);
}

/**
 * Removing the last SecretGroup of a stack removes every resource of this
 * library from it: Terraform then forgets its groups without running any
 * hook (a removed resource's destroy-time provisioner never runs), and they
 * stay on the control plane. Nothing at deploy time can see it; this can.
 */
export function leftBehind(stack: string, recorded: Record<string, Recorded>): Finding[] {
  return Object.entries(recorded).map(([group, r]) => ({
    stack,
    group,
    what: `the code declares no SecretGroup any more, so the next deploy leaves this group (id ${r.id}) on the control plane and forgets it`,
    fix: `to delete it, run "cdktf destroy" on the stack before removing its last group, or remove the groups in a deploy that keeps one; to keep it, deploy with removalPolicy "retain" first`,
  }));
}

/** Something the comparison needs that the control plane's answer lacked. */
export interface Unchecked {
  stack: string;
  group: string;
  what: string;
}

/** The findings of every stack, from one list of the tenant's groups (one request per 1000), and what could not be checked. */
async function check(stacks: Stack[], client: () => ControlPlaneClient): Promise<{ findings: Finding[]; unchecked: Unchecked[] }> {
  const left = stacks.filter((s) => !s.declaresGroups).flatMap((s) => leftBehind(s.name, s.recorded));
  if (stacks.every((s) => !s.declaresGroups || Object.keys(s.recorded).length === 0)) return { findings: left, unchecked: [] };
  const api = client();
  const groups = await api.listGroups();
  const findings: Finding[] = [...left];
  const unchecked: Unchecked[] = [];
  for (const stack of stacks) {
    if (!stack.declaresGroups) continue;
    for (const [name, r] of Object.entries(stack.recorded)) {
      let held = groups.find((g) => g.id === r.id);
      // A list without secrets: one request for this group's.
      if (held && held.associatedSecrets === undefined) held = { ...held, associatedSecrets: await api.listSecrets(held.id) };
      findings.push(...compare(stack.name, name, r, held, groups));
      if (held && held.name === name) unchecked.push(...uncheckable(r, held).map((what) => ({ stack: stack.name, group: name, what })));
    }
  }
  return { findings, unchecked };
}

/**
 * What compare cannot decide for a group the control plane still holds
 * under its name: a value whose version neither the record nor the answer
 * gives, collaborators the answer does not list. Never taken as "unchanged".
 */
export function uncheckable(r: Recorded, held: SecretGroup): string[] {
  const out: string[] = [];
  const versions = parseVersions(r.versions);
  if (!versions) {
    out.push("its values: the state records no secret versions for it (written by an older version; bump secretsVersion and deploy to record them)");
  } else {
    const secrets = new Map((held.associatedSecrets ?? []).map((s) => [s.name, s]));
    const unknown = [...versions.keys()].filter((k) => secrets.has(k) && (versions.get(k)! <= 0 || latestVersion(secrets.get(k)!.secretVersions) === undefined));
    if (unknown.length) out.push(`the values of ${unknown.join(", ")}: ${unknown.some((k) => versions.get(k)! <= 0) ? "the last deploy's answer gave no version, or " : ""}the control plane's answer has no secretVersions for them`);
  }
  if (r.collaborators && !Array.isArray(held.manifest?.collaborators)) out.push("its collaborators: the control plane's answer has no manifest.collaborators");
  return out;
}

/** The highest version number listed, or undefined when the list is missing or holds none. */
function latestVersion(versions: unknown): number | undefined {
  if (!Array.isArray(versions)) return undefined;
  const numbers = versions.map((v) => (v as { version?: unknown })?.version).filter((n): n is number => typeof n === "number" && Number.isInteger(n) && n > 0);
  return numbers.length ? Math.max(...numbers) : undefined;
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
    const now = new Map((held.associatedSecrets ?? []).map((s) => [s.name, latestVersion(s.secretVersions) ?? 0]));
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

/**
 * The runner resources whose groups include these names, from the stack's
 * configuration: runner <i>'s group list is its local of the same name.
 */
function runnersOf(dir: string, names: string[]): string[] {
  const found = new Set<string>();
  for (const config of configs(dir)) {
    for (const [id, env] of Object.entries(config.locals ?? {})) {
      if (!RUNNER.pattern.test(id) || typeof env?.[HOOK_ENV.groups] !== "string") continue;
      const groups = (JSON.parse(env[HOOK_ENV.groups]!) as { name: string }[]).map((g) => g.name);
      if (!names.some((n) => groups.includes(n))) continue;
      const type = Object.keys(config.resource ?? {}).find((t) => config.resource![t][id] !== undefined);
      if (type) found.add(`${type}.${id}`);
    }
  }
  if (found.size === 0) throw new DriftError(`${path.basename(dir)}: found no runner of ${names.join(", ")} in the stack's configuration; run cdktf synth first`);
  return [...found].sort();
}
