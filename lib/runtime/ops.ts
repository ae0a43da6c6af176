/**
 * The hook's operations, one plain async function each, run at deploy time by
 * the provisioners the construct wrote. Each takes its inputs from the
 * environment (see shared/contract) and talks to the control plane through the
 * one client. Cheap by design: a create is one POST, a rotation one PUT.
 */
import * as fs from "fs";
import * as path from "path";
import type { ControlPlaneClient } from "../client/client";
import { ConflictError, NotFoundError } from "../client/errors";
import { Redactor } from "../client/redact";
import { GroupRecord, HOOK_ENV, HookOp, ReapEntry, SecretSpec, parseRecordFile, recordFile } from "../shared/contract";
import { secretValueProblems } from "../shared/rules";
import { plural } from "../shared/text";

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

export const OPERATIONS: Record<HookOp, (ctx: HookContext) => Promise<void>> = { create, resume, update, delete: remove, reap };

async function create(ctx: HookContext): Promise<void> {
  const name = required(ctx.env, HOOK_ENV.name);
  const secrets = resolveSecrets(ctx, name);
  const integrationId = required(ctx.env, HOOK_ENV.integrationId);
  const client = ctx.client();
  // If this run is killed after the POST, the next one meets its own group as
  // a 409: the intent tells it the group is ours to take, not someone else's.
  const intent = recordFileOf(ctx.env, ".intent");
  const interrupted = intent !== undefined && readText(intent) === name;
  if (intent && !interrupted) writeAtomic(intent, name);
  let group;
  try {
    group = await client.createGroup({ name, integrationId, secrets });
    ctx.say(`secret group "${name}": created (id ${group.id})`);
  } catch (err) {
    if (!(err instanceof ConflictError) || err.method !== "POST") throw err;
    const existing = await client.findGroupByName(name);
    if (!existing) throw err;
    // Also ours when this group's record holds its id: the hook finished but
    // the state never learned it (a kill before terraform saved it, or a
    // backend that saves the state only now and then).
    const ours = interrupted || readRecord(ctx.env)?.id === existing.id;
    if (ctx.env[HOOK_ENV.adopt] !== "true" && !ours) {
      // The name was taken before our POST: left behind, the intent would make
      // the next run take this group for one it created.
      if (intent) fs.rmSync(intent, { force: true });
      throw new HookError(
        `secret group "${name}": a group of that name already exists on the control plane (id ${existing.id}) and this stack does not manage it; set adoptExisting: true to take it over, or choose another name`,
      );
    }
    group = await client.updateGroup(existing.id, secrets, name);
    ctx.say(
      ours
        ? `secret group "${name}": found the group an interrupted deploy created (id ${group.id}) and set its ${plural(secrets.length, "secret")}`
        : `secret group "${name}": adopted existing group (id ${group.id}) and set its ${plural(secrets.length, "secret")}`,
    );
  }
  writeRecord(ctx.env, { id: group.id, fqn: group.fqn, digest: ctx.env[HOOK_ENV.digest] ?? "" });
  if (intent) fs.rmSync(intent, { force: true });
}

/**
 * Runs right after the create resource. Terraform saves a resource before its
 * provisioners run, so a deploy killed during the create hook leaves a create
 * that looks done while its record holds no id; the next deploy runs this
 * step, which never ran, and it finishes that create. Otherwise the record
 * holds the id: nothing to do, no request.
 */
async function resume(ctx: HookContext): Promise<void> {
  if (!recordFileOf(ctx.env, "") || readRecord(ctx.env)) return;
  await create(ctx);
}

async function update(ctx: HookContext): Promise<void> {
  const name = required(ctx.env, HOOK_ENV.name);
  const id = ctx.env[HOOK_ENV.groupId];
  if (!id) {
    throw new HookError(
      `secret group "${name}": its id was lost (an interrupted deploy, and its local record is gone); run the deploy again with adoptExisting: true, or with -replace=${createAddress(ctx.env)}`,
    );
  }
  const digest = ctx.env[HOOK_ENV.digest] ?? "";
  const known = readRecord(ctx.env);
  // Created (or updated) with these very values in this apply: nothing to send.
  if (known && known.id === id && known.digest === digest) return;
  const secrets = resolveSecrets(ctx, name);
  let group;
  try {
    group = await ctx.client().updateGroup(id, secrets, name);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new HookError(
        `secret group "${name}": the group (id ${id}) no longer exists on the control plane; recreate it with terraform apply -replace=${createAddress(ctx.env)}`,
      );
    }
    throw err;
  }
  ctx.say(`secret group "${name}": updated ${plural(secrets.length, "secret")} in place (id ${id})`);
  writeRecord(ctx.env, { id, fqn: group.fqn, digest });
}

async function remove(ctx: HookContext): Promise<void> {
  const name = ctx.env[HOOK_ENV.name] || "(unnamed)";
  const id = ctx.env[HOOK_ENV.groupId];
  await deleteGroup(ctx, {
    id: id ?? "",
    name,
    removalPolicy: ctx.env[HOOK_ENV.removalPolicy] === "retain" ? "retain" : "destroy",
    forceDelete: ctx.env[HOOK_ENV.forceDelete] === "true",
  });
  const record = recordFileOf(ctx.env, "");
  if (record && readRecord(ctx.env)?.id === id) writeAtomic(record, recordFile(null));
}

/** Deletes the groups the previous configuration held and the current one does not. */
async function reap(ctx: HookContext): Promise<void> {
  const previous = parseJson<Record<string, ReapEntry>>(ctx.env[HOOK_ENV.reapPrevious], HOOK_ENV.reapPrevious) ?? {};
  const current = new Set(parseJson<string[]>(ctx.env[HOOK_ENV.reapCurrent], HOOK_ENV.reapCurrent) ?? []);
  for (const [address, entry] of Object.entries(previous)) {
    if (current.has(address)) continue;
    ctx.say(`secret group "${entry.name}": removed from the code (${address})`);
    await deleteGroup(ctx, entry);
  }
}

async function deleteGroup(ctx: HookContext, entry: ReapEntry): Promise<void> {
  const { id, name } = entry;
  if (entry.removalPolicy === "retain") {
    ctx.say(`secret group "${name}": retained on the control plane (removalPolicy "retain"; id ${id || "unknown"})`);
    return;
  }
  if (!id) {
    // The create never completed, so nothing was recorded to delete.
    ctx.say(`secret group "${name}": no id recorded, nothing to delete`);
    return;
  }
  try {
    const deleted = await ctx.client().deleteGroup(id, { forceDelete: entry.forceDelete, name });
    ctx.say(`secret group "${name}": ${deleted ? "deleted" : "already gone"} (id ${id})`);
  } catch (err) {
    if (err instanceof ConflictError && !entry.forceDelete) {
      throw new HookError(
        `secret group "${name}": the control plane refused to delete it (409: its secrets are in use by active deployments); detach them first, or set forceDelete: true on the SecretGroup to delete anyway`,
      );
    }
    throw err;
  }
}

/** The desired secrets with their values, from the literal, variable and env sources. */
function resolveSecrets(ctx: HookContext, name: string): { key: string; value: string }[] {
  const specs = parseJson<SecretSpec[]>(ctx.env[HOOK_ENV.secrets], HOOK_ENV.secrets) ?? [];
  const problems: string[] = [];
  const secrets = specs.map((spec) => {
    const value = spec.source === "env" ? ctx.env[spec.env] : ctx.env[`${HOOK_ENV.valuePrefix}${spec.index}`];
    if (value === undefined) {
      problems.push(
        spec.source === "env"
          ? `secret "${spec.key}" comes from SecretValue.fromEnv("${spec.env}"), which is not set in the deploy environment; set ${spec.env}`
          : `secret "${spec.key}" has no value (hook input ${HOOK_ENV.valuePrefix}${spec.index} missing)`,
      );
      return { key: spec.key, value: "" };
    }
    ctx.redactor.add(value);
    problems.push(...secretValueProblems(spec.key, value));
    return { key: spec.key, value };
  });
  if (problems.length) throw new HookError(`secret group "${name}": ${problems.join("; ")}`);
  return secrets;
}

/** The record file, or a file beside it with this suffix; undefined when the hook has none. */
function recordFileOf(env: Env, suffix: string): string | undefined {
  const file = env[HOOK_ENV.record];
  return file ? `${file}${suffix}` : undefined;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function readRecord(env: Env): GroupRecord | null {
  const file = recordFileOf(env, "");
  const text = file && readText(file);
  if (!text) return null;
  try {
    return parseRecordFile(text);
  } catch {
    return null;
  }
}

function writeRecord(env: Env, record: GroupRecord): void {
  const file = recordFileOf(env, "");
  if (file) writeAtomic(file, recordFile(record));
}

/** Write then rename: a reader never sees half a file, even under parallel hooks. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

function createAddress(env: Env): string {
  return env[HOOK_ENV.createAddress] || "<the group's create resource>";
}

function required(env: Env, name: string): string {
  const v = env[name];
  if (!v) throw new HookError(`hook input ${name} is missing; the synthesized stack is damaged, run cdktf synth again`);
  return v;
}

function parseJson<T>(text: string | undefined, name: string): T | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new HookError(`hook input ${name} is not valid JSON; the synthesized stack is damaged, run cdktf synth again`);
  }
}
