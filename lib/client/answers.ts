/**
 * Checks of what the control plane answered, before anything is used: an
 * answer that breaks the contract (no id, HTML from a proxy or login page,
 * `{}`) becomes a clear error instead of "created (id undefined)". Each check
 * returns the answer as the client's types promise it, or throws an
 * AnswerProblem saying what was wrong (the client adds the host and the call).
 * Problems never quote the answer: it may echo what was sent.
 */
import { groupNameOfFqn } from "../shared/api";
import { Secret, SecretGroup } from "./types";

type Obj = Record<string, unknown>;

export class AnswerProblem extends Error {}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The body as JSON: a string here means axios could not parse it (HTML, text). */
function envelope(body: unknown, contentType: string): Obj {
  if (typeof body === "string") {
    if (body.trim() === "") throw new AnswerProblem("the body is empty, not JSON");
    throw new AnswerProblem(/html/i.test(contentType) || /^\s*</.test(body) ? "the body is HTML, not JSON" : "the body is not JSON");
  }
  if (!isObj(body)) throw new AnswerProblem(`the body is ${kind(body)}, not a JSON object`);
  return body;
}

function nonEmptyString(obj: Obj, field: string, where: string): string {
  const v = obj[field];
  if (v === undefined) throw new AnswerProblem(`${where}.${field} is missing`);
  if (typeof v !== "string" || v === "") throw new AnswerProblem(`${where}.${field} is ${v === "" ? "empty" : kind(v)}, not a non-empty string`);
  return v;
}

function group(v: unknown, where: string): SecretGroup {
  if (!isObj(v)) throw new AnswerProblem(`${where} is ${v === undefined ? "missing" : kind(v)}, not a secret group`);
  nonEmptyString(v, "id", where);
  const fqn = nonEmptyString(v, "fqn", where);
  const fromFqn = groupNameOfFqn(fqn);
  if (!fromFqn) throw new AnswerProblem(`${where}.fqn is not of the form <tenant>:<name>`);
  if (v.name !== undefined && typeof v.name !== "string") throw new AnswerProblem(`${where}.name is ${kind(v.name)}, not a string`);
  const secrets = v.associatedSecrets;
  if (secrets !== undefined) {
    if (!Array.isArray(secrets)) throw new AnswerProblem(`${where}.associatedSecrets is ${kind(secrets)}, not an array`);
    secrets.forEach((s, i) => {
      if (!isObj(s) || typeof s.name !== "string") throw new AnswerProblem(`${where}.associatedSecrets[${i}] has no name`);
    });
  }
  // The published SDK's SecretGroup has no `name`: the fqn carries it.
  return { ...(v as unknown as SecretGroup), name: (v.name as string | undefined) ?? fromFqn };
}

function secret(v: unknown, where: string): Secret {
  if (!isObj(v)) throw new AnswerProblem(`${where} is ${v === undefined ? "missing" : kind(v)}, not a secret`);
  nonEmptyString(v, "id", where);
  nonEmptyString(v, "name", where);
  if (v.value !== undefined && typeof v.value !== "string") throw new AnswerProblem(`${where}.value is ${kind(v.value)}, not a string`);
  return v as unknown as Secret;
}

export function oneGroup(body: unknown, contentType: string): SecretGroup {
  return group(envelope(body, contentType).data, "data");
}

export function oneSecret(body: unknown, contentType: string): Secret {
  return secret(envelope(body, contentType).data, "data");
}

export interface Page<T> {
  items: T[];
  total?: number;
}

function page<T>(item: (v: unknown, where: string) => T): (body: unknown, contentType: string) => Page<T> {
  return (body, contentType) => {
    const env = envelope(body, contentType);
    if (!Array.isArray(env.data)) throw new AnswerProblem(`data is ${env.data === undefined ? "missing" : kind(env.data)}, not a list`);
    const items = env.data.map((v, i) => item(v, `data[${i}]`));
    const pagination = env.pagination;
    if (pagination !== undefined && !isObj(pagination)) throw new AnswerProblem(`pagination is ${kind(pagination)}, not an object`);
    const total = pagination?.total;
    if (total !== undefined && (typeof total !== "number" || !Number.isInteger(total) || total < 0)) {
      throw new AnswerProblem("pagination.total is not a whole number");
    }
    return { items, total: total as number | undefined };
  };
}

export const groupPage = page(group);
export const secretPage = page(secret);

/** Delete answers `{}`; an empty body is accepted too, anything else is not the API. */
export function deleted(body: unknown, contentType: string): void {
  if (typeof body === "string" && body.trim() === "") return;
  envelope(body, contentType);
}
