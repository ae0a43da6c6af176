/**
 * What the construct (synth time) and the hook runtime (deploy time) must agree
 * on, defined once and imported by both so the compiler enforces the coupling.
 * Nothing here may import construct or runtime code.
 */

/** Credentials and endpoint, read from the environment of `cdktf deploy` / `terraform apply`. */
export const ENV_HOST = "TFY_HOST";
export const ENV_API_KEY = "TFY_API_KEY";

/** Set to 1 to have the hook print a line per API request (no bodies, no values). */
export const ENV_DEBUG = "TFYSG_DEBUG";

/** Seconds one API request may take, its whole answer included (default 30). */
export const ENV_TIMEOUT = "TFYSG_TIMEOUT";
/** Seconds one hook run may take, retries included (default 300). */
export const ENV_DEADLINE = "TFYSG_DEADLINE";

/** Hook operations: the first argument of the hook program. */
export const OPS = ["create", "resume", "update", "delete", "reap"] as const;
export type HookOp = (typeof OPS)[number];

/** Environment variables the construct sets on each provisioner and the runtime reads. */
export const HOOK_ENV = {
  /** Name of the group on the control plane. */
  name: "TFYSG_NAME",
  integrationId: "TFYSG_INTEGRATION_ID",
  /** JSON of SecretSpec[]: which keys, and where the runtime finds each value. */
  secrets: "TFYSG_SECRETS",
  /** Prefix of the variables that carry literal and Terraform-variable values: TFYSG_VALUE_0, _1, ... */
  valuePrefix: "TFYSG_VALUE_",
  /** Digest of the desired values (never the values), to tell a fresh create from a rotation. */
  digest: "TFYSG_DIGEST",
  /** Terraform address of the group's create step, for the recovery hints of errors. */
  createAddress: "TFYSG_CREATE_ADDRESS",
  /** Control-plane id of the group (update, delete). */
  groupId: "TFYSG_GROUP_ID",
  /** Path, relative to the stack directory, of this group's record file. */
  record: "TFYSG_RECORD",
  /**
   * Where to also write the failure message. Terraform suppresses a
   * provisioner's output when its config holds an ephemeral value, so a
   * second provisioner without one prints the message from this file.
   */
  report: "TFYSG_REPORT",
  adopt: "TFYSG_ADOPT",
  removalPolicy: "TFYSG_REMOVAL_POLICY",
  forceDelete: "TFYSG_FORCE_DELETE",
  /** reap: JSON of the groups the previous configuration held, {address: ReapEntry}. */
  reapPrevious: "TFYSG_REAP_PREVIOUS",
  /** reap: JSON array of the addresses the current configuration holds. */
  reapCurrent: "TFYSG_REAP_CURRENT",
} as const;

/** Where the runtime finds one secret's value at deploy time. */
export type SecretSpec =
  | { key: string; source: "value"; index: number } // literal or Terraform variable, in TFYSG_VALUE_<index>
  | { key: string; source: "env"; env: string }; // read from the deploy environment

export type RemovalPolicy = "destroy" | "retain";

/** One group as the stack-level reaper remembers it. */
export interface ReapEntry {
  id: string;
  name: string;
  removalPolicy: RemovalPolicy;
  forceDelete: boolean;
}

/**
 * The record file: written by the hook after a create or update, read back by
 * a `terraform_remote_state` data source (local backend) so that the id the
 * control plane assigned reaches the Terraform state. It is in Terraform's state
 * format; synth writes an empty one so that plans work on a fresh machine.
 */
export interface GroupRecord {
  id: string;
  fqn: string;
  /** Digest of the values the control plane was last given from this machine. */
  digest: string;
}

export const RECORD_OUTPUTS = ["id", "fqn", "digest"] as const;

export function recordFile(record: GroupRecord | null): string {
  const outputs: Record<string, { value: string; type: string }> = {};
  if (record) {
    for (const k of RECORD_OUTPUTS) outputs[k] = { value: record[k], type: "string" };
  }
  return (
    JSON.stringify({
      version: 4,
      terraform_version: "1.4.0",
      serial: 1,
      lineage: "00000000-0000-4000-8000-000000000000",
      outputs,
      resources: [],
    }) + "\n"
  );
}

/**
 * Shell tests a provisioner runs before starting the hook, so that a step
 * with nothing to do costs a `sh`, not a Node start. They read the record as
 * recordFile() writes it and mirror the runtime's own checks (ops.ts).
 */
export const RECORD_SHELL_TESTS = {
  /** The record holds an id: the create completed. */
  hasId: (file: string) => `grep -qsF '"id":{"value":"' ${file}`,
  /** The record holds $TFYSG_GROUP_ID with $TFYSG_DIGEST: these values were sent. */
  holdsDigest: (file: string) =>
    `grep -qsF "\\"id\\":{\\"value\\":\\"$${HOOK_ENV.groupId}\\"," ${file} && grep -qsF "\\"digest\\":{\\"value\\":\\"$${HOOK_ENV.digest}\\"," ${file}`,
};

export function parseRecordFile(text: string): GroupRecord | null {
  const outputs = JSON.parse(text)?.outputs ?? {};
  const value = (k: string) => (typeof outputs[k]?.value === "string" ? outputs[k].value : undefined);
  const id = value("id");
  if (!id) return null;
  return { id, fqn: value("fqn") ?? "", digest: value("digest") ?? "" };
}
