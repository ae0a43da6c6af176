/**
 * The two stacks the benchmark compares, built the same way for the in-process
 * synth and for the fresh-process synth (synth-app.ts).
 *
 * - "ours": N SecretGroups of 3 keys, every value from SecretValue.fromEnv (the
 *   documented way to keep values out of the config), so a rotation is a change
 *   of one environment variable plus a synth.
 * - "baseline": what a user writes by hand: one terraform_data per group with a
 *   create-time local-exec that POSTs the group with curl. The token comes from
 *   the environment; the values are literals in the command. No id is kept,
 *   nothing runs on a change or on destroy.
 */
import { DataResource, TerraformStack } from "cdktf";
import { SecretGroup, SecretValue } from "../lib";
import { API_ROUTES } from "../lib/shared/api";

export type Variant = "ours" | "baseline";

export const KEYS = ["DB_USER", "DB_PASSWORD", "API_TOKEN"] as const;
export const INTEGRATION_ID = "int-bench";

export interface StackSpec {
  variant: Variant;
  groups: number;
  /** Prefix of the group names, so that cases never collide on the control plane. */
  prefix: string;
  /** Base URL of the control plane (baseline only: it is a literal in the command). */
  url: string;
}

/** Name of the environment variable that carries key `k` of group `i` (ours). */
export function envName(i: number, k: number): string {
  return `BENCH_G${i}_${KEYS[k]}`;
}

/** The values of every group, as environment variables; `rotated` marks group 0's password as rotated. */
export function valuesEnv(groups: number, generation: { rotated: boolean }): Record<string, string> {
  const env: Record<string, string> = {};
  for (let i = 0; i < groups; i++) {
    for (let k = 0; k < KEYS.length; k++) {
      const rotated = generation.rotated && i === 0 && k === 1;
      env[envName(i, k)] = `v${i}-${k}-${rotated ? "rotated" : "initial"}-0123456789abcdef`;
    }
  }
  return env;
}

export function groupName(prefix: string, i: number): string {
  return `${prefix}-g${i}`;
}

export function buildStack(stack: TerraformStack, spec: StackSpec, env: Record<string, string | undefined>): void {
  for (let i = 0; i < spec.groups; i++) {
    const name = groupName(spec.prefix, i);
    if (spec.variant === "ours") {
      new SecretGroup(stack, `g${i}`, {
        name,
        integrationId: INTEGRATION_ID,
        secrets: Object.fromEntries(KEYS.map((key, k) => [key, SecretValue.fromEnv(envName(i, k))])),
      });
    } else {
      const body = JSON.stringify({
        name,
        integrationId: INTEGRATION_ID,
        secrets: KEYS.map((key, k) => ({ key, value: env[envName(i, k)] ?? "" })),
      });
      new DataResource(stack, `g${i}`, {
        provisioners: [
          {
            type: "local-exec",
            command:
              `curl -s -X POST ${spec.url}${API_ROUTES.groups} -H "Authorization: Bearer $TFY_API_KEY" ` +
              `-H 'Content-Type: application/json' -d '${body}'`,
          },
        ],
      });
    }
  }
}
