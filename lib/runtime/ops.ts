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
import { groupNameOfFqn } from "../shared/api";
import { Decision, Provenance, createMarker, decideExisting, provenance } from "../shared/ownership";
import { DEFAULT_CONCURRENCY, ENV_CONCURRENCY, GroupSpec, HOOK_ENV, HookOp, RECORDED_FIELDS, Recorded, parseVersions, recordFile } from "../shared/contract";
import { carriedTextProblems, secretValueProblems } from "../shared/rules";
import type { Env } from "../shared/env";
import { plural } from "../shared/text";
import { Action, planReconcile, recordOf } from "./plan";


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
  const limit = concurrency(ctx.env);
  if (actions.some((a) => a.kind !== "keep")) ctx.client();
  const creates = actions.filter((a) => a.kind === "create").map((a) => a.spec);
  const token = creates.length ? ownerToken(ctx.env) : "";
  const waiting = removing.length
    ? ` The groups removed from the code (${removing.map((n) => `"${n}"`).join(", ")}) are deleted only once every group exists: they are untouched.`
    : "";
  // Groups of the names to create that exist already: each is finished,
  // adopted or refused before anything is written, so a collision changes nothing.
  const claims = await claimExisting(ctx, creates, token, Object.keys(recorded).length === 0, limit).catch((err: unknown) => {
    if (err instanceof HookError || creates.length === 1) throw new HookError(describeFailure(err, creates[0].name) + waiting);
    const names = creates.map((s) => `"${s.name}"`);
    const listed = names.length > 5 ? `${names.slice(0, 5).join(", ")} and ${names.length - 5} more` : names.join(", ");
    throw new HookError(`secret groups ${listed}: looking up whether they exist before creating them: ${err instanceof Error ? err.message : String(err)}${waiting}`);
  });
  const results: Record<string, Required<Recorded>> = {};
  const failures = await forEachLimited(actions, limit, async (action) => {
    const result = await carryOut(ctx, action, values.get(action.spec.name)!, claims.get(action.spec.name), token);
    // The record holds only what changed: a kept group's record stays in the state as it is.
    if (action.kind !== "keep" || !sameRecord(result, action.recorded)) results[action.spec.name] = result;
  });
  if (failures.length) throw new HookError(failures.map((f) => describeFailure(f.error, f.item.spec.name)).join("\n") + waiting);
  writeResult(ctx.env, results);
}

async function carryOut(ctx: HookContext, action: Action, secrets: Secrets, claim: Claim | undefined, token: string): Promise<Required<Recorded>> {
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
      return createWithAccess(ctx, spec, secrets, token, claim);
    case "update": {
      const recorded = action.recorded;
      if (action.repair && !(await stillOurs(ctx, spec, recorded))) return createWithAccess(ctx, spec, secrets, ownerToken(ctx.env));
      let group: SecretGroup;
      try {
        group = await client.updateGroup(recorded.id, secrets, name);
        ctx.say(`secret group "${name}": ${action.repair ? "repaired: set" : "updated"} ${changedSecrets(action.recorded, group, secrets.length)} in place (id ${group.id})`);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        // Deleted out of band: the name is the identity, so create it again.
        ctx.say(`secret group "${name}": the group the state recorded (id ${recorded.id}) no longer exists; creating it again`);
        return createWithAccess(ctx, spec, secrets, ownerToken(ctx.env));
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
async function createWithAccess(ctx: HookContext, spec: GroupSpec, secrets: Secrets, token: string, claim?: Claim): Promise<Required<Recorded>> {
  const group = await create(ctx, spec, secrets, token, claim);
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

/** An existing group of a name to create that this stack may write to: it created it, or adoptExisting takes it. */
interface Claim {
  decision: Exclude<Decision, "refuse">;
  group: SecretGroup;
}

/**
 * Looks up the names to create (one list request per 1000 groups), and
 * decides for each that exists: finished when its create markers prove this
 * stack created it, adopted with adoptExisting, else refused. Refusals fail
 * the run here, before any write.
 */
async function claimExisting(ctx: HookContext, creates: readonly GroupSpec[], token: string, recordsNothing: boolean, limit: number): Promise<Map<string, Claim>> {
  const claims = new Map<string, Claim>();
  if (creates.length === 0) return claims;
  const wanted = new Set(creates.map((s) => s.name));
  const existing = new Map<string, SecretGroup>();
  // One look-up for all of them: a name search per group would double a first deploy's requests.
  for (const group of await ctx.client().listGroups()) {
    const name = group.name ?? groupNameOfFqn(group.fqn);
    if (name !== undefined && wanted.has(name)) existing.set(name, group);
  }
  const refusals: string[] = [];
  let otherState = 0;
  await forEachLimited(
    creates.filter((s) => existing.has(s.name)),
    limit,
    async (spec) => {
      const group = existing.get(spec.name)!;
      const origin = await originOf(ctx, group, token, spec.name);
      const decision = decideExisting(spec.adopt, origin);
      if (decision !== "refuse") return void claims.set(spec.name, { decision, group });
      refusals.push(refusal(spec.name, group.id, origin));
      if (origin === "another-stack") otherState++;
    },
  ).then((failures) => {
    if (failures.length) throw new HookError(failures.map((f) => describeFailure(f.error, f.item.name)).join("\n"));
  });
  if (refusals.length) {
    // Every group of the code exists, made under another state, and this state records none: it looks lost.
    const lost =
      recordsNothing && otherState === creates.length
        ? "This stack's state records no secret group, yet every one of its groups exists with the create markers of another state: the state looks lost or emptied. " +
          "A terraform killed while writing a local state can leave the file empty beside its .backup: restore that backup (on a remote backend, the state's previous version) before deploying again, since the next deploy overwrites the backup.\n"
        : "";
    throw new HookError(`${lost}${refusals.sort().join("\n")}\nNothing was changed on the control plane.`);
  }
  return claims;
}

/** Who created a group, from its secrets' values and versions (read, compared with the markers, never printed). */
async function originOf(ctx: HookContext, group: SecretGroup, token: string, name: string): Promise<Provenance> {
  return provenance(await ctx.client().listSecrets(group.id, { withValue: true }), token, name);
}

function refusal(name: string, id: string, origin: Provenance): string {
  if (origin === "another-stack") {
    return (
      `secret group "${name}": a group of that name exists (id ${id}), created by a cdktf-secret-groups stack under another state: another stack, another workspace, or this stack before its state was lost. ` +
      `If this stack's state was lost or emptied, restore it (local backend: the state file's .backup; remote backend: its earlier versions) and deploy again; ` +
      `if another stack or workspace owns it, give this group a name of its own per environment (see "Environments and workspaces" in the README); adoptExisting: true takes it over`
    );
  }
  return `secret group "${name}": a group of that name already exists on the control plane (id ${id}) and this stack did not create it; set adoptExisting: true to take it over, or choose another name`;
}

/**
 * Creates the group with a create marker as each secret's value, then sets
 * the real values: the markers stay in the first versions, the proof that
 * this stack created it should the answer or the apply be lost. A group
 * claimed before (finished, adopted) only has its values set.
 */
async function create(ctx: HookContext, spec: GroupSpec, secrets: Secrets, token: string, claim?: Claim): Promise<SecretGroup> {
  const client = ctx.client();
  const name = spec.name;
  let decision: Decision | "create" = claim?.decision ?? "create";
  let id = claim?.group.id;
  let integration = claim?.group.integrationId;
  if (!id) {
    const markers = secrets.map((s) => ({ key: s.key, value: createMarker(token, name, s.key) }));
    const provedBy = async (group: SecretGroup) => (await originOf(ctx, group, token, name)) === "this-stack";
    try {
      id = (await client.createGroup({ name, integrationId: spec.integrationId, secrets: markers }, provedBy)).id;
    } catch (err) {
      if (!(err instanceof ConflictError) || err.method !== "POST") throw err;
      // Created since the look-up: by someone else, or by this stack's own earlier attempt.
      const existing = await client.findGroupByName(name);
      if (!existing) throw err;
      const origin = await originOf(ctx, existing, token, name);
      decision = decideExisting(spec.adopt, origin);
      if (decision === "refuse") throw new HookError(refusal(name, existing.id, origin));
      id = existing.id;
      integration = existing.integrationId;
    }
  }
  // An adopted group under another integration moves to the code's, in place, as a move does.
  const moving = decision === "adopt" && integration !== undefined && integration !== spec.integrationId;
  if (moving) await client.applyManifest({ name, integrationId: spec.integrationId, collaborators: spec.collaborators.length ? spec.collaborators : undefined });
  const group = await client.updateGroup(id, secrets, name);
  const set = plural(secrets.length, "secret");
  if (decision === "adopt") ctx.say(`secret group "${name}": adopted the existing group (id ${group.id})${moving ? `, moved it to integration "${spec.integrationId}"` : ""} and set its ${set}`);
  else if (decision === "finish") ctx.say(`secret group "${name}": finished the group an interrupted run of this stack created (id ${group.id}; its create markers prove it) and set its ${set}`);
  else ctx.say(`secret group "${name}": created (id ${group.id}) with ${set}`);
  return group;
}

/** How many secrets a PUT changed: those whose version moved, when both the record and the answer say. */
function changedSecrets(recorded: Recorded, group: SecretGroup, sent: number): string {
  const before = parseVersions(recorded.versions);
  const after = group.associatedSecrets?.map((s) => ({ key: s.name, version: Math.max(0, ...(s.secretVersions ?? []).map((v) => v.version)) }));
  if (!before || !after || after.some((a) => a.version === 0)) return plural(sent, "secret");
  const changed = after.filter((a) => before.get(a.key) !== a.version).length;
  return changed === sent ? plural(sent, "secret") : `${changed} of ${plural(sent, "secret")}`;
}

function sameRecord(a: Recorded, b: Recorded): boolean {
  return RECORDED_FIELDS.every((f) => JSON.stringify(a[f] ?? null) === JSON.stringify(b[f] ?? null));
}

/** The owner token the construct passes (shared/ownership). */
function ownerToken(env: Env): string {
  const token = env[HOOK_ENV.owner];
  if (!token) throw new HookError(`hook input ${HOOK_ENV.owner} is missing; the synthesized stack is damaged or older than this hook, run cdktf synth again`);
  return token;
}

/** Deletes the groups the state recorded and the code no longer has, once every create succeeded. */
async function reap(ctx: HookContext): Promise<void> {
  await deleteAll(ctx, parseJson<Record<string, Recorded>>(ctx.env, HOOK_ENV.doomed) ?? {}, "removed from the code");
  writeDone(ctx.env);
}

/**
 * `cdktf destroy`: deletes every group a runner's keeper holds. A group the
 * keeper has no id for, or whose id is gone (created, or created again after
 * a deletion by hand, by the last deploy), is looked up by name and deleted
 * only when its create markers prove this stack created it.
 */
async function destroy(ctx: HookContext): Promise<void> {
  const doomed = parseJson<Record<string, Recorded>>(ctx.env, HOOK_ENV.doomed) ?? {};
  const byName = async (name: string): Promise<Found | undefined> => {
    const group = await ctx.client().findGroupByName(name);
    if (!group) return undefined;
    return { id: group.id, ours: (await originOf(ctx, group, ownerToken(ctx.env), name)) === "this-stack" };
  };
  await deleteAll(ctx, doomed, "stack destroyed", byName);
}

/** A group found by name at destroy, and whether its create markers prove this stack created it. */
interface Found {
  id: string;
  ours: boolean;
}

async function deleteAll(ctx: HookContext, doomed: Record<string, Recorded>, why: string, byName?: (name: string) => Promise<Found | undefined>): Promise<void> {
  const entries = Object.entries(doomed).filter(([, r]) => r && (r.id || byName));
  const failures = await forEachLimited(entries, concurrency(ctx.env), async ([name, r]) => {
    if (r.removalPolicy === "retain") {
      ctx.say(`secret group "${name}": ${why}; retained on the control plane (removalPolicy "retain"${r.id ? `, id ${r.id}` : ""})`);
      return;
    }
    try {
      const deleted = r.id ? await ctx.client().deleteGroup(r.id, { forceDelete: r.forceDelete, name }) : false;
      if (deleted) return ctx.say(`secret group "${name}": ${why}; deleted (id ${r.id})`);
      const found = byName ? await byName(name) : undefined;
      if (found?.ours) {
        const gone = !(await ctx.client().deleteGroup(found.id, { forceDelete: r.forceDelete, name }));
        return ctx.say(`secret group "${name}": ${why}; ${gone ? "already gone" : "deleted"} (id ${found.id})`);
      }
      const recordedId = r.id ? ` (id ${r.id})` : "";
      if (found) return ctx.say(`secret group "${name}": ${why}; already gone${recordedId}; the group of that name (id ${found.id}) was not created by this stack: left as it is`);
      ctx.say(`secret group "${name}": ${why}; already gone${recordedId}`);
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
