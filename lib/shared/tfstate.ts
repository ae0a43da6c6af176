/**
 * Terraform state files this project writes itself: the state without
 * resources that a backend needs before a stack's first deploy (so the
 * stack's read-back of its own state works from then on), and the scratch
 * record a runner hands to Terraform.
 * One writer, so every such file has the same format.
 */
import { randomUUID } from "crypto";

/** A Terraform output as the state holds it: its value and its type, in Terraform's JSON type notation. */
export interface StateOutput {
  value: unknown;
  type: unknown;
  sensitive?: boolean;
}

/**
 * The text of a state (format 4) with no resources. `terraform_version` is
 * the oldest Terraform this project supports: a newer one reads the file, an
 * older one would refuse it. A new `lineage` each time unless one is given.
 */
export function tfstateText(opts: { outputs?: Record<string, StateOutput>; serial?: number; lineage?: string } = {}): string {
  const state = {
    version: 4,
    terraform_version: "1.4.0",
    serial: opts.serial ?? 0,
    lineage: opts.lineage ?? randomUUID(),
    outputs: opts.outputs ?? {},
    resources: [],
  };
  return `${JSON.stringify(state)}\n`;
}

