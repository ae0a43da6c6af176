/**
 * What the construct (synth time) and the hook runtime (deploy time) must agree
 * on, defined once and imported by both so the compiler enforces the coupling.
 * Nothing here may import construct or runtime code.
 */
import type { COLLABORATOR_ROLES } from "./rules";
import { StateOutput, tfstateText } from "./tfstate";

/** Credentials and endpoint, read from the environment of `cdktf deploy` / `terraform apply`. */
export const ENV_HOST = "TFY_HOST";
export const ENV_API_KEY = "TFY_API_KEY";

/** Set to 1 to have the hook print a line per API request (no bodies, no values). */
export const ENV_DEBUG = "TFYSG_DEBUG";

/** Whether TFYSG_DEBUG turns the request log on: 1, true, yes or on; unset, 0, false, no, off or anything else leave it off. */
export function debugOn(value: string | undefined): boolean {
  return ["1", "true", "yes", "on"].includes((value ?? "").trim().toLowerCase());
}

/** Seconds one API request may take, its whole answer included (default 30). */
export const ENV_TIMEOUT = "TFYSG_TIMEOUT";
/** Seconds one hook run may take, retries included (default 300). */
export const ENV_DEADLINE = "TFYSG_DEADLINE";

/** Requests one hook run keeps in flight at most (default 8). */
export const ENV_CONCURRENCY = "TFYSG_CONCURRENCY";
export const DEFAULT_CONCURRENCY = 8;

/**
 * The key of the change-detection digests of the values synth sees (literals,
 * SecretValue.fromEnv), read while the app synthesizes. It is in no file,
 * plan or state, so nothing there lets anyone test a guess of a value. The
 * same key must be set on every machine that synthesizes the stack; changing
 * it re-sends those groups' values once.
 */
export const ENV_DIGEST_KEY = "TFYSG_DIGEST_KEY";
/**
 * The Terraform variable that keys the digests of Terraform variables' values,
 * which only Terraform sees (cdktf hides TF_VAR_* from synth). A saved plan
 * holds every variable, this key among them, as it holds the values
 * themselves; it must differ from TFYSG_DIGEST_KEY, whose digests cover
 * values no plan holds.
 */
export const DIGEST_KEY_VARIABLE = "secret_groups_digest_key";
export const MIN_DIGEST_KEY_LENGTH = 16;

/**
 * Hook operations, the first argument of the hook program:
 * - reconcile: bring the groups of one runner to their desired state (create,
 *   update, move), from what the state recorded;
 * - reap: delete the groups the state recorded and the code no longer has;
 * - destroy: delete the groups a keeper holds (`cdktf destroy`).
 */
export const OPS = ["reconcile", "reap", "destroy"] as const;
export type HookOp = (typeof OPS)[number];

/** Environment variables the construct sets on each provisioner and the runtime reads. */
export const HOOK_ENV = {
  /** reconcile: JSON of GroupSpec[], the desired groups of this runner. */
  groups: "TFYSG_GROUPS",
  /** reconcile: JSON of {name: fingerprint}, computed by Terraform where values only it sees take part. */
  fingerprints: "TFYSG_FINGERPRINTS",
  /** reconcile: JSON of {name: Recorded}, what the state recorded for these groups. */
  recorded: "TFYSG_RECORDED",
  /** reconcile: JSON array of the names the state recorded and the code no longer has (for error messages). */
  removing: "TFYSG_REMOVING",
  /** reap: JSON of {name: Recorded}, the groups to delete. destroy: the same, from the keeper (an empty id: look it up by name and proof). */
  doomed: "TFYSG_DOOMED",
  /** Prefix of the variables that carry literal and Terraform-variable values: TFYSG_VALUE_0, _1, ... */
  valuePrefix: "TFYSG_VALUE_",
  /** reconcile: where to write this runner's result, a file in Terraform state format (scratch for one apply). */
  record: "TFYSG_RECORD",
  /** The file to create once the step completed, named by the step's id: scratch for this apply. */
  done: "TFYSG_DONE",
  /**
   * Where to also write the failure message. Terraform suppresses a
   * provisioner's output when its config holds an ephemeral value, so a
   * second provisioner without one prints the message from this file.
   */
  report: "TFYSG_REPORT",
  /**
   * reconcile: comma-separated names of groups to push again although the
   * state says they are current (`secret-groups drift --repair` sets it in the
   * environment of the apply it runs): a group changed or deleted by hand.
   */
  repair: "TFYSG_REPAIR",
  /**
   * reconcile: the owner token of this stack's state, which keys the create
   * markers that prove a group was created by this stack (shared/ownership).
   */
  owner: "TFYSG_OWNER",
} as const;

/** Where the runtime finds one secret's value at deploy time. */
export type SecretSpec =
  | { key: string; source: "value"; index: number } // literal or Terraform variable, in TFYSG_VALUE_<index>
  | { key: string; source: "env"; env: string }; // read from the deploy environment

export type RemovalPolicy = "destroy" | "retain";

export type CollaboratorRole = (typeof COLLABORATOR_ROLES)[number];
export interface Collaborator {
  /** `user:<email>` or `team:<name>`. */
  subject: string;
  role: CollaboratorRole;
}

/**
 * The collaborators as one comparable string, order aside: what the state
 * records and what plan compares ("" for none). Subjects hold no "," or "="
 * (see rules).
 */
export function collaboratorsKey(collaborators: readonly Collaborator[]): string {
  return collaborators
    .map((c) => `${c.subject}=${c.role}`)
    .sort()
    .join(",");
}

/** One desired group, as the construct hands it to the runner. */
export interface GroupSpec {
  name: string;
  integrationId: string;
  secrets: SecretSpec[];
  /**
   * Changes whenever what should be sent changes: the keyed digest of the
   * values Terraform or synth can see, secretsVersion and the key set.
   */
  fingerprint: string;
  adopt: boolean;
  removalPolicy: RemovalPolicy;
  forceDelete: boolean;
  /** Who may do what on the group; [] when the code declares none. */
  collaborators: Collaborator[];
}

/**
 * What the Terraform state records for one group: the stack output
 * `secret_groups`, read back at plan time from the stack's own backend.
 * This is the only memory the runtime has between deploys.
 */
export interface Recorded {
  id: string;
  fqn: string;
  integrationId: string;
  /** The fingerprint of what was last sent. */
  fingerprint: string;
  removalPolicy: RemovalPolicy;
  forceDelete: boolean;
  /**
   * The version of each secret after our last write, "KEY:3,OTHER:1", as the
   * control plane answered it (0: the answer did not say). Its keys are the
   * keys we last wrote. Drift compares it with what the control plane holds.
   * Records written before it existed lack it.
   */
  versions?: string;
  /** Each secret's fqn as the control plane gave it, by key. */
  secretFqns?: Record<string, string>;
  /** collaboratorsKey of the collaborators last applied; "" for none. */
  collaborators?: string;
}

export const RECORDED_FIELDS = ["id", "fqn", "integrationId", "fingerprint", "removalPolicy", "forceDelete", "versions", "secretFqns", "collaborators"] as const;

/**
 * What the output `secret_groups_owner` (layout OWNER_OUTPUT) holds: whose
 * state this is, written by every apply and read back by the next one, so
 * that a deploy of another stack (or workspace) on it fails before any request.
 */
export interface Owner {
  /** The stack's name (its folder under cdktf.out/stacks). */
  stack: string;
  workspace: string;
  /** A random secret, set once per state and carried by every apply: keys the create markers. */
  token: string;
}

/**
 * The file one runner writes for its record data source to read back (a
 * `terraform_remote_state` with the local backend): Terraform state format,
 * one output `groups` with {name: Recorded} of the groups the run changed.
 * Scratch for one apply: synth writes an empty one so plans work anywhere,
 * and the stack output keeps what was read, which is the truth from then on.
 */
export function recordFile(groups: Record<string, Required<Recorded>> | null): string {
  const outputs: Record<string, StateOutput> = groups ? { groups: { value: groups, type: ["map", ["object", recordedType()]] } } : {};
  // A fixed lineage: synth writes the empty record, and the same app must synthesize the same files.
  return tfstateText({ outputs, serial: 1, lineage: "00000000-0000-4000-8000-000000000000" });
}

function recordedType(): Record<string, unknown> {
  const types: Partial<Record<(typeof RECORDED_FIELDS)[number], unknown>> = { forceDelete: "bool", secretFqns: ["map", "string"] };
  return Object.fromEntries(RECORDED_FIELDS.map((f) => [f, types[f] ?? "string"]));
}

/** The versions field of a record, as {key: version}; undefined when the record has none. */
export function parseVersions(versions: string | undefined): Map<string, number> | undefined {
  if (versions === undefined || versions === "") return undefined;
  return new Map(
    versions.split(",").map((entry) => {
      const i = entry.lastIndexOf(":");
      return [entry.slice(0, i), Number(entry.slice(i + 1))] as [string, number];
    }),
  );
}

export function formatVersions(versions: ReadonlyMap<string, number>): string {
  return [...versions].map(([key, version]) => `${key}:${version}`).join(",");
}

