/**
 * Proof of ownership: how a stack tells a group it created from one it did
 * not, without trusting names, shapes, values or clocks.
 *
 * Every stack state holds a random owner token (the output
 * `secret_groups_owner`, see docs/architecture.md). A group is created with
 * a create marker as the value of each of its secrets, an HMAC of its name
 * and key under that token, and only then given its real values: the marker
 * stays in each secret's first version. A group whose secrets carry this
 * state's markers was created by this stack, whatever happened to the answer
 * or to the apply that created it; no one without the state can forge one.
 * The markers digest names and keys only, never a value.
 */
import * as crypto from "crypto";

/** Every create marker starts so: a group created by any stack of this library is recognised as such. */
export const MARKER_PREFIX = "tfysg-created-by:";

/** The value a group's secret holds from its create request until its real value is set. */
export function createMarker(token: string, group: string, key: string): string {
  const mac = crypto.createHmac("sha256", token).update(`secret-group\0${group}\0${key}`).digest("hex");
  return `${MARKER_PREFIX}${mac}`;
}

/** A secret as the control plane lists it with values: its current value and its versions' values. */
export interface HeldSecret {
  name: string;
  value?: string;
  secretVersions?: { value?: string }[];
}

/**
 * Who created an existing group, as far as its secrets prove it:
 * - "this-stack": a secret holds this state's create marker for its key;
 * - "another-stack": a marker of this library, under another owner token (another
 *   stack, another workspace, or this stack's state before it was lost);
 * - "unknown": no marker at all (created by hand, by another tool, or adopted).
 */
export type Provenance = "this-stack" | "another-stack" | "unknown";

export function provenance(held: readonly HeldSecret[], token: string, group: string): Provenance {
  let foreign = false;
  for (const secret of held) {
    const ours = createMarker(token, group, secret.name);
    const values = [secret.value, ...(secret.secretVersions ?? []).map((v) => v.value)];
    for (const value of values) {
      if (value === ours) return "this-stack";
      if (typeof value === "string" && value.startsWith(MARKER_PREFIX)) foreign = true;
    }
  }
  return foreign ? "another-stack" : "unknown";
}

/**
 * What a stack may do with a group of a name it wants to create that already
 * exists and that its state does not record:
 * - "finish": this stack created it (an interrupted run, a lost answer): set its values;
 * - "adopt": adoptExisting says to take it over;
 * - "refuse": it belongs to someone else; nothing is written.
 */
export type Decision = "finish" | "adopt" | "refuse";

export function decideExisting(adopt: boolean, origin: Provenance): Decision {
  if (origin === "this-stack") return "finish";
  return adopt ? "adopt" : "refuse";
}
