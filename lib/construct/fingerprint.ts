/**
 * Change detection without a guessable digest: what Terraform compares
 * between deploys is an HMAC of the values under TFYSG_DIGEST_KEY, a key that
 * is read while the app synthesizes and written nowhere. Without the key,
 * the state, the plan and the config let nobody test a guess of a value.
 */
import * as crypto from "crypto";
import { ENV_DIGEST_KEY, MIN_DIGEST_KEY_LENGTH } from "../shared/contract";

/** One secret's part of the fingerprint: a value seen at synth, or what stands for one Terraform cannot see. */
export type FingerprintPart = { key: string; value: string } | { key: string; unseen: string };

export function digestKeyProblems(env: Readonly<Record<string, string | undefined>>): string[] {
  const key = env[ENV_DIGEST_KEY];
  if (key === undefined || key === "") {
    return [
      `${ENV_DIGEST_KEY} is not set while synthesizing: it keys the digests that detect changed values (and is written nowhere); set it to a random secret of at least ${MIN_DIGEST_KEY_LENGTH} characters, the same on every machine that deploys this stack`,
    ];
  }
  if (key.length < MIN_DIGEST_KEY_LENGTH) return [`${ENV_DIGEST_KEY} is shorter than ${MIN_DIGEST_KEY_LENGTH} characters; use a random secret`];
  return [];
}

/**
 * The fingerprint of a group's desired content: changes when a seen value,
 * the key set or secretsVersion changes. Keyed when any value is seen; a
 * group whose values are all unseen has only public parts to hash.
 */
export function fingerprint(name: string, version: string | undefined, parts: FingerprintPart[], digestKey: string | undefined): string {
  const canonical = JSON.stringify([
    "tfysg-fingerprint-v1",
    name,
    version ?? null,
    [...parts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((p) => ("value" in p ? [p.key, "value", p.value] : [p.key, "unseen", p.unseen])),
  ]);
  const seen = parts.some((p) => "value" in p);
  if (seen && !digestKey) throw new Error(`${ENV_DIGEST_KEY} is needed to fingerprint seen values`);
  // 128 bits tell a change apart; the state need not hold more.
  return seen
    ? `hmac:${crypto.createHmac("sha256", digestKey!).update(canonical).digest("hex").slice(0, 32)}`
    : `public:${crypto.createHash("sha256").update(canonical).digest("hex").slice(0, 32)}`;
}
