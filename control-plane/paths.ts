/**
 * The API's paths and fqn formats as the shared contract (docs: api-contract)
 * states them, written here again on purpose: the local control plane is a
 * second reading of the API, so it imports nothing from lib/ (a misreading in
 * the client must not be repeated here and tested against itself).
 */

const BASE = "/api/svc/v1";

/** Route patterns: a segment starting with ":" stands for one path segment. */
export const ROUTES = {
  groups: `${BASE}/secret-groups`,
  group: `${BASE}/secret-groups/:id`,
  secrets: `${BASE}/secrets`,
  secret: `${BASE}/secrets/:id`,
} as const;

/** Group fqn: `<tenant>:<group-name>`. */
export function groupFqn(tenant: string, name: string): string {
  return `${tenant}:${name}`;
}

/** Secret fqn: `tfy-secret://<tenant>:<group-name>:<key>`. */
export function secretFqn(tenant: string, name: string, key: string): string {
  return `tfy-secret://${tenant}:${name}:${key}`;
}
