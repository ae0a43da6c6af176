/**
 * What the local control plane refuses with 422, from the shared API contract
 * and the public SDK's types alone (never from lib/shared/rules, the client's
 * own reading): a client that gets a rule wrong is then caught here instead
 * of being confirmed. Messages never quote a value.
 */

// The contract's conventions for names and keys, and its limits.
const NAME = /^[a-z][a-z0-9-]{1,62}[a-z0-9]$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_KEYS = 100;
const MAX_VALUE_BYTES = 64 * 1024;

/** The SDK's manifest role ids. */
export const ROLE_IDS = ["secret-group-admin", "secret-group-editor", "secret-group-viewer"] as const;

// The SDK names two kinds of subject, `user:<email>` and `team:<name>`; it
// says nothing more about their text, so only the plain shape is checked.
const USER_SUBJECT = /^user:[^\s@]+@[^\s@]+$/;
const TEAM_SUBJECT = /^team:\S+$/;

export function nameProblems(name: string): string[] {
  if (name === "") return ["name is empty"];
  return NAME.test(name) ? [] : [`name ${JSON.stringify(name)} does not match ${NAME.source}`];
}

export function integrationProblems(integrationId: string): string[] {
  return integrationId.trim() === "" ? ["integrationId is empty"] : [];
}

/**
 * One request's secrets: valid keys, each once (exact match: keys differing
 * in case are distinct secrets), at most 100, values up to 64 KiB.
 * `atLeastOne`: create needs a secret, the manifest endpoint creates groups without.
 */
export function secretsProblems(secrets: { key: string; value?: string }[], atLeastOne = true): string[] {
  const problems: string[] = [];
  if (atLeastOne && secrets.length === 0) problems.push("secrets is empty");
  if (secrets.length > MAX_KEYS) problems.push(`${secrets.length} secrets, more than the ${MAX_KEYS} a group may hold`);
  const seen = new Set<string>();
  for (const { key, value } of secrets) {
    if (!KEY.test(key)) problems.push(`secret key ${JSON.stringify(key)} does not match ${KEY.source}`);
    if (seen.has(key)) problems.push(`secret key ${JSON.stringify(key)} is sent more than once`);
    seen.add(key);
    if (value !== undefined && Buffer.byteLength(value, "utf8") > MAX_VALUE_BYTES) {
      problems.push(`the value of secret ${JSON.stringify(key)} is larger than ${MAX_VALUE_BYTES} bytes`);
    }
  }
  return problems;
}

export function collaboratorsProblems(collaborators: { subject: string; role_id: string }[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  collaborators.forEach(({ subject, role_id }, i) => {
    if (!USER_SUBJECT.test(subject) && !TEAM_SUBJECT.test(subject)) {
      problems.push(`collaborators[${i}].subject must be "user:<email>" or "team:<name>", got ${JSON.stringify(subject)}`);
    }
    if (!(ROLE_IDS as readonly string[]).includes(role_id)) {
      problems.push(`collaborators[${i}].role_id must be one of ${ROLE_IDS.join(", ")}, got ${JSON.stringify(role_id)}`);
    }
    // An emulator convention: one role per subject, so the answer is unambiguous.
    if (seen.has(subject)) problems.push(`collaborators[${i}].subject ${JSON.stringify(subject)} appears more than once`);
    seen.add(subject);
  });
  return problems;
}
