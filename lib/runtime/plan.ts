/**
 * The reconcile decision, a pure function: desired groups and what the
 * Terraform state recorded in, the smallest set of actions out. No I/O, so
 * every case is unit-tested without a server.
 */
import { GroupSpec, Recorded } from "../shared/contract";

export type Action =
  /** The state records no such group: POST it. */
  | { kind: "create"; spec: GroupSpec }
  /** Recorded, but what should be sent changed: one PUT to the same id. */
  | { kind: "update"; spec: GroupSpec; recorded: Recorded }
  /** Recorded under another integration: move it there in place, then set its secrets. */
  | { kind: "move"; spec: GroupSpec; recorded: Recorded }
  /** Recorded and unchanged: no request; its record is carried over. */
  | { kind: "keep"; spec: GroupSpec; recorded: Recorded };

export function planReconcile(desired: readonly GroupSpec[], recorded: Readonly<Record<string, Recorded | null | undefined>>): Action[] {
  return desired.map((spec): Action => {
    const r = recorded[spec.name];
    if (!r || !r.id) return { kind: "create", spec };
    if (r.integrationId !== spec.integrationId) return { kind: "move", spec, recorded: r };
    if (r.fingerprint !== spec.fingerprint) return { kind: "update", spec, recorded: r };
    return { kind: "keep", spec, recorded: r };
  });
}

/** The record of a group once its action succeeded. */
export function recordOf(spec: GroupSpec, group: { id: string; fqn: string }): Recorded {
  return {
    id: group.id,
    fqn: group.fqn,
    integrationId: spec.integrationId,
    fingerprint: spec.fingerprint,
    removalPolicy: spec.removalPolicy,
    forceDelete: spec.forceDelete,
  };
}
