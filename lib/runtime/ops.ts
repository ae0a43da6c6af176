/**
 * The hook's operations, run at deploy time by the provisioners the construct
 * wrote: one Node start per runner, all of its groups handled in parallel
 * over keep-alive connections. Inputs come from the environment (see
 * shared/contract); every decision comes from what the Terraform state
 * recorded, never from files an earlier apply left on this machine.
 */
import * as fs from "fs";
import * as path from "path";
import type { ControlPlaneClient } from "../client/client";
import { ConflictError, NotFoundError } from "../client/errors";
import { Redactor } from "../client/redact";
import type { SecretGroup } from "../client/types";
import { DEFAULT_CONCURRENCY, ENV_CONCURRENCY, GroupSpec, HOOK_ENV, HookOp, Recorded, recordFile } from "../shared/contract";
import { carriedTextProblems, secretValueProblems } from "../shared/rules";
import { plural } from "../shared/text";
import { Action, planReconcile, recordOf } from "./plan";

export type Env = Record<string, string | undefined>;

export interface HookContext {
  env: Env;
  /** Scrubs the token and every value of this run from what is printed. */
  redactor: Redactor;
  /** Prints one (already redacted) line for the user. */
  say: (line: string) => void;
  client: () => ControlPlaneClient;
}

/** An error whose message is complete and safe to print as is. */
export class HookError extends Error {}

export const OPERATIONS: Record<HookOp, (ctx: HookContext) => Promise<void>> = { reconcile, reap, destroy };

type Secrets = { key: string; value: string }[];

/** Brings every group of this runner to its desired state. */
async function reconcile(ctx: HookContext): Promise<void> {
  const fingerprints = parseJson<Record<string, string>>(ctx.env, HOOK_ENV.fingerprints) ?? {};
  const specs = (parseJson<GroupSpec[]>(ctx.env, HOOK_ENV.groups) ?? []).map((s) => ({
    ...s,
    fingerprint: fingerprints[s.name] ?? s.fingerprint,
    collaborators: s.collaborators ?? [],
  }));
  const recorded = parseJson<Record<string, Recorded | null>>(ctx.env, HOOK_ENV.recorded) ?? {};
  const removing = parseJson<string[]>(ctx.env, HOOK_ENV.removing) ?? [];
  // Every value is known to the redactor before the first request.
  const values = resolveAll(ctx, specs);
  const repair = new Set((ctx.env[HOOK_ENV.repair] ?? "").split(",").filter(Boolean));
  const actions = planReconcile(specs, recorded, repair);
  // Settings are checked once, before any request, not once per group.
  if (actions.some((a) => a.kind !== "keep")) ctx.client();
  const results: Record<string, Required<Recorded>> = {};
  const failures = await forEachLimited(actions, concurrency(ctx.env), async (action) => {
    results[action.spec.name] = await carryOut(ctx, action, values.get(action.spec.name)!);
  });
  if (failures.length) {
    const waiting = removing.length
      ? ` The groups removed from the code (${removing.map((n) => `"${n}"`).join(", ")}) are deleted only once every group exists: they are untouched.`
      : "";
    throw new HookError(failures.map((f) => describeFailure(f.error, f.item.spec.name)).join("\n") + waiting);
  }
  writeResult(ctx.env, results);
}

async function carryOut(ctx: HookContext, action: Action, secrets: Secrets): Promise<Required<Recorded>> {
  const { spec } = action;
  const client = ctx.client();
  const name = spec.name;
  switch (action.kind) {
    case "keep":
      return recordOf(spec, action.recorded, action.recorded);
    case "access": {
      const group = await applyCollaborators(ctx, spec);
      return recordOf(spec, group, action.recorded);
    }
    case "create":
      return createWithAccess(ctx, spec, secrets);
    case "update": {
      const recorded = action.recorded;
      if (action.repair && !(await stillOurs(ctx, spec, recorded))) return createWithAccess(ctx, spec, secrets);
      let group: SecretGroup;
      try {
        group = await client.updateGroup(recorded.id, secrets, name);
        ctx.say(`secret group "${name}": ${action.repair ? "repaired: set" : "updated"} ${plural(secrets.length, "secret")} in place (id ${group.id})`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // Deleted out of band: the name is the identity, so create it again.
        ctx.say(`secret group "${name}": the group the state recorded (id ${recorded.id}) no longer exists; creating it again`);
        return createWithAccess(ctx, spec, secrets);
      }
      if (action.access) await applyCollaborators(ctx, spec);
      return recordOf(spec, group);
    }
    case "move": {
      // Names are unique, so the new group cannot exist beside the old one:
      // the group moves to the new integration in place, keeping its id.
      const managed = action.access || spec.collaborators.length > 0;
      const moved = await client.applyManifest({ name, integrationId: spec.integrationId, collaborators: managed ? spec.collaborators : undefined });
      const group = await client.updateGroup(moved.id, secrets, name);
      ctx.say(`secret group "${name}": moved to integration "${spec.integrationId}" and set its ${plural(secrets.length, "secret")} (id ${group.id})`);
      return recordOf(spec, group);
    }
  }
}

/** A new group of the code's name, then its collaborators: a new group has none, so none declared means no request. */
async function createWithAccess(ctx: HookContext, spec: GroupSpec, secrets: Secrets): Promise<Required<Recorded>> {
  const group = await create(ctx, spec, secrets);
  if (spec.collaborators.length > 0) await applyCollaborators(ctx, spec);
  return recordOf(spec, group);
}

/** One manifest PUT: the group's collaborators become exactly the code's. */
async function applyCollaborators(ctx: HookContext, spec: GroupSpec): Promise<SecretGroup> {
  const group = await ctx.client().applyManifest({ name: spec.name, integrationId: spec.integrationId, collaborators: spec.collaborators });
  const who = spec.collaborators.length ? spec.collaborators.map((c) => `${c.subject} (${c.role})`).join(", ") : "none";
  ctx.say(`secret group "${spec.name}": set its collaborators: ${who}`);
  return group;
}

/**
 * A repair looks before it writes: the group the state recorded may have
 * been deleted, or renamed by hand, and then belongs to nobody's code: a new
 * group of the code's name is created instead, and a renamed one left alone.
 */
async function stillOurs(ctx: HookContext, spec: GroupSpec, recorded: Recorded): Promise<boolean> {
  try {
    const group = await ctx.client().getGroup(recorded.id, spec.name);
    if (group.name === spec.name) return true;
    ctx.say(`secret group "${spec.name}": the group the state recorded (id ${recorded.id}) is now named "${group.name}"; leaving it as it is and creating "${spec.name}" again`);
    return false;
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    ctx.say(`secret group "${spec.name}": the group the state recorded (id ${recorded.id}) no longer exists; creating it again`);
    return false;
  }
}

/** How recent a group must be to be taken as one an interrupted deploy created (a re-run follows its failure). */
const RECOGNITION_WINDOW_MS = 60 * 60 * 1000;

/**
 * One POST. A name that is taken is ours only with adoptExisting, or when the
 * group there is exactly the one an interrupted deploy of this stack created:
 * created within the hour, same integration, same keys, every value the one
 * this deploy sends, none rotated since. Anything else belongs to someone
 * else and is refused. (An interrupted deploy's creates may never reach the
 * state: a remote backend saves it at most every 20 s during an apply.)
 */
async function create(ctx: HookContext, spec: GroupSpec, secrets: Secrets): Promise<SecretGroup> {
  const client = ctx.client();
  const name = spec.name;
  try {
    const group = await client.createGroup({ name, integrationId: spec.integrationId, secrets });
    ctx.say(`secret group "${name}": created (id ${group.id})`);
    return group;
  } catch (err) {
    if (!(err instanceof ConflictError) || err.method !== "POST") throw err;
    const existing = await client.findGroupByName(name);
    if (!existing) throw err;
    if (spec.adopt) {
      const group = await client.updateGroup(existing.id, secrets, name);
      ctx.say(`secret group "${name}": adopted the existing group (id ${group.id}) and set its ${plural(secrets.length, "secret")}`);
      return group;
    }
    if (await createdByUs(client, existing, spec, secrets)) {
      ctx.say(`secret group "${name}": found the group an interrupted deploy of this stack created (id ${existing.id}); it already holds the desired values`);
      return existing;
    }
    throw new HookError(
      `secret group "${name}": a group of that name already exists on the control plane (id ${existing.id}) and this stack does not manage it; set adoptExisting: true to take it over, or choose another name`,
    );
  }
}

async function createdByUs(client: ControlPlaneClient, group: SecretGroup, spec: GroupSpec, secrets: Secrets): Promise<boolean> {
  if (group.integrationId !== spec.integrationId) return false;
  const created = Date.parse(group.createdAt);
  if (!(created >= Date.now() - RECOGNITION_WINDOW_MS)) return false;
  const held = await client.listSecrets(group.id, { withValue: true });
  if (held.length !== secrets.length) return false;
  const want = new Map(secrets.map((s) => [s.key, s.value]));
  return held.every((s) => want.get(s.name) === s.value && (s.secretVersions ?? []).every((v) => v.version === 1));
}

/** Deletes the groups the state recorded and the code no longer has, once every create succeeded. */
async function reap(ctx: HookContext): Promise<void> {
  await deleteAll(ctx, parseJson<Record<string, Recorded>>(ctx.env, HOOK_ENV.doomed) ?? {}, "removed from the code");
  writeDone(ctx.env);
}

/** `cdktf destroy`: deletes every group the holder recorded. */
async function destroy(ctx: HookContext): Promise<void> {
  await deleteAll(ctx, parseJson<Record<string, Recorded>>(ctx.env, HOOK_ENV.doomed) ?? {}, "stack destroyed");
}

async function deleteAll(ctx: HookContext, doomed: Record<string, Recorded>, why: string): Promise<void> {
  const entries = Object.entries(doomed).filter(([, r]) => r && r.id);
  const failures = await forEachLimited(entries, concurrency(ctx.env), async ([name, r]) => {
    if (r.removalPolicy === "retain") {
      ctx.say(`secret group "${name}": ${why}; retained on the control plane (removalPolicy "retain", id ${r.id})`);
      return;
    }
    try {
      const deleted = await ctx.client().deleteGroup(r.id, { forceDelete: r.forceDelete, name });
      ctx.say(`secret group "${name}": ${why}; ${deleted ? "deleted" : "already gone"} (id ${r.id})`);
    } catch (err) {
      if (err instanceof ConflictError && !r.forceDelete) {
        throw new HookError(
          `secret group "${name}": the control plane refused to delete it (409: its secrets are in use by active deployments); detach them first, or set forceDelete: true on the SecretGroup to delete anyway`,
        );
      }
      throw err;
    }
  });
  if (failures.length) throw new HookError(failures.map((f) => describeFailure(f.error, f.item[0])).join("\n"));
}

/** The desired secrets of every group, with their values; all problems at once. */
function resolveAll(ctx: HookContext, specs: GroupSpec[]): Map<string, Secrets> {
  const problems: string[] = [];
  const out = new Map<string, Secrets>();
  for (const spec of specs) {
    const mine: string[] = [];
    const secrets = spec.secrets.map((s) => {
      const value = s.source === "env" ? ctx.env[s.env] : ctx.env[`${HOOK_ENV.valuePrefix}${s.index}`];
      if (value === undefined) {
        mine.push(
          s.source === "env"
            ? `secret "${s.key}" comes from SecretValue.fromEnv("${s.env}"), which is not set in the deploy environment; set ${s.env}`
            : `secret "${s.key}" has no value (hook input ${HOOK_ENV.valuePrefix}${s.index} missing); run cdktf synth again`,
        );
        return { key: s.key, value: "" };
      }
      ctx.redactor.add(value);
      mine.push(...secretValueProblems(s.key, value));
      const from = s.source === "env" ? ` of SecretValue.fromEnv("${s.env}")` : "";
      mine.push(...carriedTextProblems(`secret "${s.key}": the value${from}`, value));
      return { key: s.key, value };
    });
    if (mine.length) problems.push(`secret group "${spec.name}": ${mine.join("; ")}`);
    out.set(spec.name, secrets);
  }
  if (problems.length) throw new HookError(problems.join("\n"));
  return out;
}

function writeResult(env: Env, groups: Record<string, Required<Recorded>>): void {
  const file = env[HOOK_ENV.record];
  if (file) writeAtomic(file, recordFile(groups));
  writeDone(env);
}

/** Marks this step complete for its resume step (see doneFile). */
function writeDone(env: Env): void {
  const file = env[HOOK_ENV.done];
  if (file) writeAtomic(file, "");
}

/** Write then rename: a reader never sees half a file. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function concurrency(env: Env): number {
  const raw = env[ENV_CONCURRENCY];
  if (raw === undefined || raw === "") return DEFAULT_CONCURRENCY;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new HookError(`${ENV_CONCURRENCY} must be a whole number from 1 to 64, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Runs `fn` over the items with at most `limit` at once; every item runs, failures are returned. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<{ item: T; error: unknown }[]> {
  const failures: { item: T; error: unknown }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return failures;
}

/** A failure as one line that names the group. */
export function describeFailure(err: unknown, name: string): string {
  if (err instanceof HookError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  const prefix = `secret group "${name}": `;
  if (message.startsWith(prefix) || message.startsWith("secret group ")) return message;
  const known = err instanceof Error && err.constructor.name !== "Error";
  return `${prefix}${known ? "" : "unexpected error in the hook: "}${message}`;
}

function parseJson<T>(env: Env, name: string): T | undefined {
  const text = env[name];
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new HookError(`hook input ${name} is not valid JSON; the synthesized stack is damaged, run cdktf synth again`);
  }
}
