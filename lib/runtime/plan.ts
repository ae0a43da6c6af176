/**
 * The reconcile decision, a pure function: desired groups and what the
 * Terraform state recorded in, the smallest set of actions out. No I/O, so
 * every case is unit-tested without a server.
 */
import { secretFqn } from "../shared/api";
import { GroupSpec, Recorded, collaboratorsKey, formatVersions } from "../shared/contract";

export type Action =
  /** The state records no such group: POST it, then apply its collaborators when it has any (`access`). */
  | { kind: "create"; spec: GroupSpec; access: boolean }
  /**
   * Recorded, but what should be sent changed, or a repair asked for it: one
   * PUT to the same id, and one manifest PUT when the collaborators changed.
   */
  | { kind: "update"; spec: GroupSpec; recorded: Recorded; access: boolean; repair: boolean }
  /** Recorded under another integration: move it there in place (collaborators included), then set its secrets. */
  | { kind: "move"; spec: GroupSpec; recorded: Recorded; access: boolean }
  /** Recorded with the same secrets, other collaborators: one manifest PUT. */
  | { kind: "access"; spec: GroupSpec; recorded: Recorded }
  /** Recorded and unchanged: no request; its record is carried over. */
  | { kind: "keep"; spec: GroupSpec; recorded: Recorded };

/**
 * `repair`: names to push again although the record says they are current
 * (a group changed or deleted by hand, see `secret-groups drift --repair`).
 */
export function planReconcile(
  desired: readonly GroupSpec[],
  recorded: Readonly<Record<string, Recorded | null | undefined>>,
  repair: ReadonlySet<string> = new Set(),
): Action[] {
  return desired.map((spec): Action => {
    const r = recorded[spec.name];
    if (!r || !r.id) return { kind: "create", spec, access: spec.collaborators.length > 0 };
    const access = collaboratorsKey(spec.collaborators) !== (r.collaborators ?? "");
    if (r.integrationId !== spec.integrationId) return { kind: "move", spec, recorded: r, access };
    const repairing = repair.has(spec.name);
    // A repair puts back collaborators changed by hand, too, where the code declares some.
    if (repairing) return { kind: "update", spec, recorded: r, access: access || spec.collaborators.length > 0, repair: true };
    if (r.fingerprint !== spec.fingerprint) return { kind: "update", spec, recorded: r, access, repair: false };
    if (access) return { kind: "access", spec, recorded: r };
    return { kind: "keep", spec, recorded: r };
  });
}

/** What an answer tells about a group's secrets: their fqns and current versions. */
export interface Answered {
  id: string;
  fqn: string;
  associatedSecrets?: { name: string; fqn?: string; secretVersions?: { version: number }[] }[];
}

/**
 * The record of a group once its action succeeded: ids and secrets from the
 * answer that last touched its secrets (`group`), or carried over from the
 * earlier record when no secret was written (`earlier`).
 */
export function recordOf(spec: GroupSpec, group: Answered, earlier?: Recorded): Required<Recorded> {
  const carried = earlier !== undefined;
  return {
    id: group.id,
    fqn: group.fqn,
    integrationId: spec.integrationId,
    fingerprint: spec.fingerprint,
    removalPolicy: spec.removalPolicy,
    forceDelete: spec.forceDelete,
    versions: carried ? (earlier.versions ?? "") : versionsOf(spec, group),
    secretFqns: carried ? (earlier.secretFqns ?? {}) : secretFqnsOf(group),
    collaborators: collaboratorsKey(spec.collaborators),
  };
}

/** Each desired key's version in the answer; 0 where the answer did not say. */
function versionsOf(spec: GroupSpec, group: Answered): string {
  const held = new Map((group.associatedSecrets ?? []).map((s) => [s.name, s]));
  const versions = new Map<string, number>();
  for (const { key } of spec.secrets) {
    const numbers = (held.get(key)?.secretVersions ?? []).map((v) => v.version).filter((v) => Number.isInteger(v));
    versions.set(key, numbers.length ? Math.max(...numbers) : 0);
  }
  return formatVersions(versions);
}

/**
 * The secret fqns the API gave that differ from the one its fqn format
 * composes: the state keeps every record five times over, so the usual case
 * costs nothing, and the construct composes it (lookup with that default).
 */
function secretFqnsOf(group: Answered): Record<string, string> {
  return Object.fromEntries(
    (group.associatedSecrets ?? [])
      .filter((s) => typeof s.fqn === "string" && s.fqn !== "" && s.fqn !== secretFqn(group.fqn, s.name))
      .map((s) => [s.name, s.fqn!]),
  );
}
