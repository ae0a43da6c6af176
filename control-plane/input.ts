/** Checks of the JSON shapes clients send: a wrong shape is a 400, before any rule is applied. */
import { badRequest } from "./errors";

export type Obj = Record<string, unknown>;

interface Kinds {
  string: string;
  number: number;
  boolean: boolean;
  array: unknown[];
  object: Obj;
}

export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

// The parser's own message would quote the body, which may hold secret values.
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("body is not valid JSON");
  }
}

export function asObject(value: unknown, where = "body"): Obj {
  if (kindOf(value) !== "object") throw badRequest(`${where} must be an object, got ${kindOf(value)}`);
  return value as Obj;
}

/** The field, or undefined when absent; 400 when present with another type. */
export function optional<K extends keyof Kinds>(obj: Obj, name: string, kind: K, where?: string): Kinds[K] | undefined {
  const value = obj[name];
  if (value === undefined) return undefined;
  const label = where ? `${where}.${name}` : name;
  if (kindOf(value) !== kind) throw badRequest(`${label} must be ${/^[ao]/.test(kind) ? "an" : "a"} ${kind}, got ${kindOf(value)}`);
  return value as Kinds[K];
}

export function required<K extends keyof Kinds>(obj: Obj, name: string, kind: K, where?: string): Kinds[K] {
  const value = optional(obj, name, kind, where);
  if (value === undefined) throw badRequest(`${where ? `${where}.${name}` : name} is required`);
  return value;
}
