/**
 * Facts of the control-plane API that more than one side of the library
 * needs: the paths (the client sends them, the benchmark's curl baseline
 * posts to them) and the fqn formats (the construct exposes them, the client
 * reads names back from them). The local control plane keeps its own copy
 * (control-plane/paths.ts) on purpose: it is a second reading of the API.
 * Nothing here may import construct, runtime, client or emulator code.
 */

const BASE = "/api/svc/v1";

/** Route patterns: a segment starting with ":" stands for one path segment. */
export const API_ROUTES = {
  groups: `${BASE}/secret-groups`,
  group: `${BASE}/secret-groups/:id`,
  secrets: `${BASE}/secrets`,
  secret: `${BASE}/secrets/:id`,
} as const;

/** A concrete path: the route with its `:id` filled in, percent-encoded. */
export function apiPath(route: string, id?: string): string {
  return id === undefined ? route : route.replace(":id", encodeURIComponent(id));
}

/** Group fqn: `<tenant>:<group-name>`. */
export function groupFqn(tenant: string, name: string): string {
  return `${tenant}:${name}`;
}

/** The group name an fqn carries (names have no ":"), or undefined when it is not an fqn. */
export function groupNameOfFqn(fqn: string): string | undefined {
  const i = fqn.lastIndexOf(":");
  return i > 0 && i < fqn.length - 1 ? fqn.slice(i + 1) : undefined;
}

/** Secret fqn: `tfy-secret://<tenant>:<group-name>:<key>`, from the group's fqn. */
export function secretFqn(groupFqnValue: string, key: string): string {
  return `tfy-secret://${groupFqnValue}:${key}`;
}

/** The role ids of the manifest's collaborators, by the role a SecretGroup declares. */
export const COLLABORATOR_ROLE_IDS = {
  admin: "secret-group-admin",
  editor: "secret-group-editor",
  viewer: "secret-group-viewer",
} as const;
