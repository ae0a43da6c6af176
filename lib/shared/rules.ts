/**
 * The validation rules for secret groups, in one place: the construct checks
 * them at synth, so no input the control plane would refuse reaches it from a
 * deploy. The local control plane enforces its own reading of the API
 * (control-plane/rules.ts), so a rule misread here is caught by the tests.
 */

export const GROUP_NAME_PATTERN = /^[a-z][a-z0-9-]{1,62}[a-z0-9]$/;
export const SECRET_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_KEYS_PER_GROUP = 100;
export const MAX_VALUE_BYTES = 64 * 1024;
/**
 * Key names travel to the hook in environment variables (the group's spec,
 * then its record with each secret's fqn), which Linux caps at 128 KiB each:
 * a key is at most this long, and a group's key names together at most
 * MAX_KEY_NAMES_CHARS.
 */
export const MAX_KEY_LENGTH = 256;
export const MAX_KEY_NAMES_CHARS = 8 * 1024;

/**
 * What keeps a string from reaching the control plane as written, never
 * quoting it: a NUL (an environment variable ends there), a lone UTF-16
 * surrogate (not Unicode: Terraform and UTF-8 carry U+FFFD instead), and
 * U+FFFD itself (what such a character became on the way: the hook cannot
 * tell it from one that was written).
 */
export function carriedTextProblems(what: string, text: string): string[] {
  const problems: string[] = [];
  if (text.includes("\u0000")) problems.push(`${what} contains a NUL character, which no environment variable can carry`);
  if (/\p{Cs}/u.test(text)) problems.push(`${what} contains a lone UTF-16 surrogate, which is not Unicode text: it would arrive as U+FFFD`);
  if (text.includes("\ufffd")) {
    problems.push(`${what} contains U+FFFD, the replacement character: text that was not valid Unicode (or not valid UTF-8 in the environment) became it on the way`);
  }
  return problems;
}

/**
 * carriedTextProblems, and text that Terraform would change: it normalizes
 * every string of the configuration to Unicode NFC.
 */
export function literalTextProblems(what: string, text: string): string[] {
  const problems = carriedTextProblems(what, text);
  if (problems.length === 0 && text !== text.normalize("NFC")) {
    problems.push(`${what} is not in Unicode NFC: Terraform normalizes strings to NFC, so other bytes would arrive; write it in NFC (String.prototype.normalize("NFC"))`);
  }
  return problems;
}

/** Problems with a group name, as sentences; empty when the name is valid. */
export function groupNameProblems(name: unknown): string[] {
  if (typeof name !== "string") return [`name must be a string, got ${describe(name)}`];
  if (name.length === 0) return ["name is empty"];
  if (name !== name.trim()) return [`name ${JSON.stringify(name)} has leading or trailing whitespace`];
  if (!GROUP_NAME_PATTERN.test(name)) {
    return [
      `name ${JSON.stringify(name)} is invalid: use 3 to 64 characters, lowercase letters, digits and "-", starting with a letter and not ending with "-"`,
    ];
  }
  return [];
}

/** Problems with one secret key; empty when the key is valid. */
export function secretKeyProblems(key: unknown): string[] {
  if (typeof key !== "string") return [`secret key must be a string, got ${describe(key)}`];
  if (key.length === 0) return ["secret key is empty"];
  if (key.length > MAX_KEY_LENGTH) return [`secret key "${key.slice(0, 32)}…" is ${key.length} characters long, more than the ${MAX_KEY_LENGTH} allowed`];
  if (!SECRET_KEY_PATTERN.test(key)) {
    return [
      `secret key ${JSON.stringify(key)} is invalid: use letters, digits and "_", not starting with a digit`,
    ];
  }
  return [];
}

/**
 * Problems with a secret value's type and size (never quoting it); empty when
 * the value is valid. Its text is checked by carriedTextProblems (the hook)
 * and literalTextProblems (a literal, at synth).
 */
export function secretValueProblems(key: string, value: unknown): string[] {
  if (typeof value !== "string") return [`secret "${key}": value must be a string, got ${describe(value)}`];
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > MAX_VALUE_BYTES) {
    return [`secret "${key}": value is ${bytes} bytes, more than the ${MAX_VALUE_BYTES} allowed`];
  }
  return [];
}

/**
 * Problems with a whole key set: each key, duplicates, the count.
 * With `foldCase` (the construct's stricter check), keys differing only in case
 * are refused too: they are almost always a typo, and collide wherever
 * secrets become environment variables on a case-insensitive platform.
 */
export function keySetProblems(keys: readonly unknown[], opts: { foldCase?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (keys.length === 0) problems.push("secrets is empty: a group needs at least one secret");
  if (keys.length > MAX_KEYS_PER_GROUP) {
    problems.push(`secrets has ${keys.length} keys, more than the ${MAX_KEYS_PER_GROUP} allowed`);
  }
  const chars = keys.reduce<number>((n, k) => n + (typeof k === "string" ? k.length : 0), 0);
  if (chars > MAX_KEY_NAMES_CHARS) {
    problems.push(
      `the key names add up to ${chars} characters, more than the ${MAX_KEY_NAMES_CHARS} one hook run can carry for a group (Linux caps each environment variable at 128 KiB); use shorter keys or split the group`,
    );
  }
  const seen = new Map<string, string>();
  for (const key of keys) {
    problems.push(...secretKeyProblems(key));
    if (typeof key !== "string") continue;
    const folded = opts.foldCase ? key.toLowerCase() : key;
    const earlier = seen.get(folded);
    if (earlier === key) problems.push(`secret key "${key}" appears more than once`);
    else if (earlier !== undefined) problems.push(`secret keys "${earlier}" and "${key}" differ only in case`);
    else seen.set(folded, key);
  }
  return problems;
}

export function integrationIdProblems(integrationId: unknown): string[] {
  if (typeof integrationId !== "string") return [`integrationId must be a string, got ${describe(integrationId)}`];
  if (integrationId.trim().length === 0) return ["integrationId is empty"];
  if (integrationId !== integrationId.trim()) {
    return [`integrationId ${JSON.stringify(integrationId)} has leading or trailing whitespace`];
  }
  return literalTextProblems("integrationId", integrationId);
}

/** Collaborator subjects: a user by email or a team by name; no "," or "=" (see collaboratorsKey). */
export const USER_SUBJECT_PATTERN = /^user:[^\s@,=:]+@[^\s@,=:]+\.[^\s@,=:]+$/;
export const TEAM_SUBJECT_PATTERN = /^team:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
export const COLLABORATOR_ROLES = ["admin", "editor", "viewer"] as const;

/** Problems with one collaborator subject; empty when valid. */
export function subjectProblems(subject: unknown): string[] {
  if (typeof subject !== "string") return [`collaborator subject must be a string, got ${describe(subject)}`];
  if (USER_SUBJECT_PATTERN.test(subject) || TEAM_SUBJECT_PATTERN.test(subject)) return literalTextProblems(`collaborator ${JSON.stringify(subject)}`, subject);
  return [`collaborator subject ${JSON.stringify(subject)} is invalid: use "user:<email>" or "team:<name>"`];
}

/** Problems with a list of collaborators as a SecretGroup declares them: subjects, roles, one entry per subject. */
export function collaboratorProblems(collaborators: unknown): string[] {
  if (!Array.isArray(collaborators)) return [`collaborators must be an array, got ${describe(collaborators)}`];
  const problems: string[] = [];
  const seen = new Set<string>();
  collaborators.forEach((c, i) => {
    if (typeof c !== "object" || c === null || Array.isArray(c)) {
      problems.push(`collaborators[${i}] must be an object {subject, role}, got ${describe(c)}`);
      return;
    }
    const { subject, role } = c as { subject?: unknown; role?: unknown };
    problems.push(...subjectProblems(subject));
    if (!(COLLABORATOR_ROLES as readonly unknown[]).includes(role)) {
      problems.push(`collaborator ${JSON.stringify(subject)}: role must be one of ${COLLABORATOR_ROLES.map((r) => `"${r}"`).join(", ")}, got ${JSON.stringify(role)}`);
    }
    if (typeof subject === "string") {
      if (seen.has(subject)) problems.push(`collaborator ${JSON.stringify(subject)} appears more than once; give each subject one role`);
      seen.add(subject);
    }
  });
  return problems;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value;
}

/**
 * Linux limits what one hook run can carry in its environment: 128 KiB per
 * variable (MAX_ARG_STRLEN) and about 2 MiB in all (ARG_MAX), the inherited
 * environment included. Values from literals and Terraform variables travel
 * there, so a runner takes groups up to this many bytes of them and synth or
 * plan refuses more.
 */
export const RUNNER_VALUE_BUDGET_BYTES = 1024 * 1024;
/** What a Terraform variable's value counts for when groups are packed at synth; plan checks the real size. */
export const ASSUMED_VARIABLE_BYTES = 4 * 1024;
/** Groups per runner at most, so that their records stay far below 128 KiB. */
export const MAX_GROUPS_PER_RUNNER = 200;
/** The runner's group list is one environment variable: at most 128 KiB, with room to spare. */
export const RUNNER_SPEC_BUDGET_BYTES = 96 * 1024;
