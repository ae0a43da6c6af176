/** The secret-groups API: request shapes in, store operations, contract shapes out. */
import { ApiError, badRequest } from "./errors";
import { asObject, kindOf, optional, required, type Obj } from "./input";
import type { Context, Route } from "./router";
import { ROUTES, groupFqn } from "./paths";
import { pick, renderGroup, renderSecret } from "./shapes";
import type { GroupRecord, Store } from "./store";

export interface Operation {
  /** Writes are refused to read-only tokens. */
  write: boolean;
  run(ctx: Context): unknown;
}

const read = (run: Operation["run"]): Operation => ({ write: false, run });
const write = (run: Operation["run"]): Operation => ({ write: true, run });

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export function apiRoutes(store: Store, tenant: string): Route<Operation>[] {
  const group = (g: GroupRecord, withValues: boolean) => ({ data: renderGroup(tenant, g, withValues) });

  return [
    {
      path: ROUTES.groups,
      methods: {
        GET: read(({ query }) => {
          const { limit, offset } = paging(fromQuery(query, "limit"), fromQuery(query, "offset"));
          const fqn = query.get("fqn");
          // Names are lowercase by rule, so this makes the search case-insensitive.
          const search = query.get("search")?.toLowerCase();
          // Repeated (attributes=a&attributes=b) or comma-separated.
          const attributes = query.getAll("attributes").flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean);
          const found = store
            .all()
            .filter((g) => fqn === null || groupFqn(tenant, g.name) === fqn)
            .filter((g) => search === undefined || g.name.includes(search));
          return page(found.map((g) => pick(renderGroup(tenant, g, false), attributes)), limit, offset);
        }),
        POST: write(({ body }) => {
          const b = asObject(body());
          const name = required(b, "name", "string");
          const integrationId = required(b, "integrationId", "string");
          const secrets = secretItems(b).map(([item, where]) => ({
            key: required(item, "key", "string", where),
            value: required(item, "value", "string", where),
          }));
          // The API reference: create answers carry no values.
          return group(store.create(name, integrationId, secrets), false);
        }),
        PUT: write(({ body }) => {
          const b = asObject(body());
          const manifest = required(b, "manifest", "object");
          const dryRun = optional(b, "dryRun", "boolean") ?? false;
          const type = required(manifest, "type", "string", "manifest");
          const name = required(manifest, "name", "string", "manifest");
          const integrationFqn = required(manifest, "integration_fqn", "string", "manifest");
          // Kept and returned; with a single local user, they grant nothing.
          const collaborators = optional(manifest, "collaborators", "array", "manifest")?.map((item, i) => {
            const where = `manifest.collaborators[${i}]`;
            const c = asObject(item, where);
            return { subject: required(c, "subject", "string", where), role_id: required(c, "role_id", "string", where) };
          });
          if (type !== "secret-group") {
            throw new ApiError(422, `manifest.type must be "secret-group", got ${JSON.stringify(type)}`, "VALIDATION_FAILED");
          }
          return group(store.applyManifest(name, integrationFqn, collaborators, dryRun), false);
        }),
      },
    },
    {
      path: ROUTES.group,
      methods: {
        GET: read(({ params }) => group(store.group(params.id), false)),
        PUT: write(({ params, body }) => {
          store.group(params.id); // an unknown id is a 404 whatever the body

          const secrets = secretItems(asObject(body())).map(([item, where]) => ({
            key: required(item, "key", "string", where),
            value: optional(item, "value", "string", where),
          }));
          return group(store.update(params.id, secrets), false);
        }),
        DELETE: write(({ params, query }) => {
          store.delete(params.id, flag(query, "forceDelete"));
          return {};
        }),
      },
    },
    {
      path: ROUTES.secrets,
      methods: {
        // A list, sent as POST: reading only. Every field is optional: without
        // a group or fqns it lists every secret the caller may see.
        POST: read(({ body }) => {
          const b = asObject(body());
          const groupId = optional(b, "secretGroupId", "string");
          const fqns = optional(b, "secretFqns", "array")?.map((f, i) => {
            if (typeof f !== "string") throw badRequest(`secretFqns[${i}] must be a string, got ${kindOf(f)}`);
            return f;
          });
          const withValue = optional(b, "withValue", "boolean") ?? false;
          const { limit, offset } = paging(optional(b, "limit", "number"), optional(b, "offset", "number"));
          const groups = groupId === undefined ? store.all() : [store.group(groupId)];
          const wanted = fqns && new Set(fqns);
          const secrets = groups
            .flatMap((g) => g.secrets.map((s) => renderSecret(tenant, g, s, withValue)))
            .filter((s) => !wanted || wanted.has(s.fqn));
          return page(secrets, limit, offset);
        }),
      },
    },
    {
      path: ROUTES.secret,
      methods: {
        GET: read(({ params }) => {
          const { group: g, secret } = store.secret(params.id);
          return { data: renderSecret(tenant, g, secret, true) };
        }),
        // The published API answers a number: how many secrets were deleted.
        DELETE: write(({ params }) => store.deleteSecret(params.id)),
      },
    },
  ];
}

/** Each element of body.secrets, checked to be an object, with its place for messages. */
function secretItems(body: Obj): [Obj, string][] {
  return required(body, "secrets", "array").map((item, i) => {
    const where = `secrets[${i}]`;
    if (kindOf(item) !== "object") throw badRequest(`${where} must be an object, got ${kindOf(item)}`);
    return [item as Obj, where];
  });
}

function paging(limit = DEFAULT_LIMIT, offset = 0): { limit: number; offset: number } {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  if (!Number.isInteger(offset) || offset < 0) throw badRequest("offset must be an integer of 0 or more");
  return { limit, offset };
}

function page<T>(items: T[], limit: number, offset: number) {
  return { data: items.slice(offset, offset + limit), pagination: { total: items.length, offset, limit } };
}

/** A query number: undefined when absent, NaN (refused by the caller) when not plain digits. */
function fromQuery(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : NaN;
}

function flag(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === "false") return false;
  if (raw === "true") return true;
  throw badRequest(`${name} must be true or false`);
}
