import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { startControlPlane, type ControlPlane } from "../control-plane/server";

// The contract's paths, written out: the control plane is checked against the contract, not against our client's constants.
const GROUPS = "/api/svc/v1/secret-groups";
const SECRETS = "/api/svc/v1/secrets";
const SECRET_VALUE = "s3cr3t-value-never-logged";

let cp: ControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ port: 0, tokens: ["t1", "ro:read"] });
});
beforeEach(() => cp.reset());
afterAll(() => cp.close());

interface Call {
  method?: string;
  body?: unknown;
  /** Sent as is, not JSON-encoded. */
  raw?: string;
  /** null: no Authorization header. */
  token?: string | null;
}

// Answers are checked field by field: a loose type keeps that short.
type Json = any;

async function call(urlPath: string, { method = "GET", body, raw, token = "t1" }: Call = {}, base = cp.url) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(base + urlPath, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: (text ? JSON.parse(text) : undefined) as Json };
}

function createGroup(name: string, secrets: Record<string, string> = { A: "1" }, integrationId = "int-1", base = cp.url) {
  const body = { name, integrationId, secrets: Object.entries(secrets).map(([key, value]) => ({ key, value })) };
  return call(GROUPS, { method: "POST", body }, base);
}

async function created(name: string, secrets?: Record<string, string>): Promise<Json> {
  const res = await createGroup(name, secrets);
  expect(res.status).toBe(200);
  return res.json.data;
}

function admin(urlPath: string, method = "GET", body?: unknown) {
  return call(`/_emulator${urlPath}`, { method, body, token: null });
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function expectError(res: { status: number; json: Json }, status: number) {
  expect(res.status).toBe(status);
  expect(res.json).toEqual(expect.objectContaining({ statusCode: status, message: expect.any(String) }));
}

describe("auth", () => {
  test("401 without a token or with an unknown one, never echoing the token", async () => {
    expectError(await call(GROUPS, { token: null }), 401);
    const wrong = await call(GROUPS, { token: "not-a-token" });
    expectError(wrong, 401);
    expect(wrong.text).not.toContain("not-a-token");
  });

  test("a read-only token reads but gets 403 on every write", async () => {
    const group = await created("ro-group");
    expect((await call(GROUPS, { token: "ro" })).status).toBe(200);
    expect((await call(`${GROUPS}/${group.id}`, { token: "ro" })).status).toBe(200);
    expect((await call(SECRETS, { method: "POST", body: { secretGroupId: group.id }, token: "ro" })).status).toBe(200);

    const body = { name: "other", integrationId: "i", secrets: [{ key: "A", value: "1" }] };
    expectError(await call(GROUPS, { method: "POST", body, token: "ro" }), 403);
    expectError(await call(`${GROUPS}/${group.id}`, { method: "PUT", body: { secrets: [{ key: "A" }] }, token: "ro" }), 403);
    expectError(await call(`${GROUPS}/${group.id}`, { method: "DELETE", token: "ro" }), 403);
    const manifest = { manifest: { type: "secret-group", name: "ro-group", integration_fqn: "x" } };
    expectError(await call(GROUPS, { method: "PUT", body: manifest, token: "ro" }), 403);
  });

  test("the read-only marker is not part of the token", async () => {
    expectError(await call(GROUPS, { token: "ro:read" }), 401);
  });
});

describe("routing", () => {
  test("404 for an unknown route", async () => {
    expectError(await call("/api/svc/v1/nothing-here"), 404);
    expectError(await call(`${GROUPS}/some-id/extra`), 404);
  });

  test("405 for a wrong method on a known path, with Allow", async () => {
    const res = await call(GROUPS, { method: "DELETE" });
    expectError(res, 405);
    expect(res.headers.get("allow")).toBe("GET, POST, PUT");
    expectError(await call(`${GROUPS}/x`, { method: "PATCH", body: {} }), 405);
    expectError(await call(SECRETS), 405);
  });
});

describe("create", () => {
  test("answers the published SDK's shape: accountId, no values, no empty secret in versions", async () => {
    const res = await createGroup("my-group", { API_KEY: SECRET_VALUE }, "int-1");
    expect(res.status).toBe(200);
    const group = res.json.data;
    expect(group).toEqual({
      id: expect.any(String),
      fqn: "local:my-group",
      name: "my-group",
      accountId: expect.any(String),
      tenantName: "local",
      createdBySubject: {
        subjectId: expect.any(String),
        subjectType: "user",
        subjectSlug: expect.any(String),
        subjectDisplayName: expect.any(String),
      },
      associatedSecrets: [
        {
          id: expect.any(String),
          fqn: "tfy-secret://local:my-group:API_KEY",
          name: "API_KEY",
          secretGroupId: group.id,
          createdBySubject: group.createdBySubject,
          createdAt: expect.stringMatching(ISO_UTC),
          updatedAt: expect.stringMatching(ISO_UTC),
          secretVersions: [
            {
              id: expect.any(String),
              fqn: expect.stringContaining("tfy-secret://local:my-group:API_KEY"),
              version: 1,
              secretId: group.associatedSecrets[0].id,
              createdAt: expect.stringMatching(ISO_UTC),
              updatedAt: expect.stringMatching(ISO_UTC),
            },
          ],
          activeDeploymentsCount: 0,
          createdBy: expect.any(String),
        },
      ],
      integrationId: "int-1",
      createdAt: expect.stringMatching(ISO_UTC),
      updatedAt: expect.stringMatching(ISO_UTC),
      createdBy: expect.any(String),
      manifest: { type: "secret-group", name: "my-group", integration_fqn: "int-1", collaborators: [] },
    });
  });

  test("409 when the name exists", async () => {
    await created("taken");
    const res = await createGroup("taken");
    expectError(res, 409);
    expect((await call(GROUPS)).json.pagination.total).toBe(1);
  });

  const manyKeys = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`K${i}`, "v"]));
  test.each([
    ["an invalid name", { name: "Bad_Name", integrationId: "i", secrets: [{ key: "A", value: "1" }] }],
    ["an empty name", { name: "", integrationId: "i", secrets: [{ key: "A", value: "1" }] }],
    ["an invalid key", { name: "grp", integrationId: "i", secrets: [{ key: "1BAD", value: "1" }] }],
    ["duplicate keys", { name: "grp", integrationId: "i", secrets: [{ key: "A", value: "1" }, { key: "A", value: "2" }] }],
    ["empty secrets", { name: "grp", integrationId: "i", secrets: [] }],
    ["more than 100 keys", { name: "grp", integrationId: "i", secrets: Object.entries(manyKeys).map(([key, value]) => ({ key, value })) }],
    ["a value over 64 KiB", { name: "grp", integrationId: "i", secrets: [{ key: "A", value: "x".repeat(64 * 1024 + 1) }] }],
    ["an empty integrationId", { name: "grp", integrationId: " ", secrets: [{ key: "A", value: "1" }] }],
  ])("422 for %s, storing nothing", async (_, body) => {
    const res = await call(GROUPS, { method: "POST", body });
    expectError(res, 422);
    expect(res.text).not.toContain("xxxxxxxx");
    expect((await call(GROUPS)).json.pagination.total).toBe(0);
  });

  test("keys differing only in case are distinct", async () => {
    expect((await createGroup("cased", { key: "1", KEY: "2" })).status).toBe(200);
  });

  test.each([
    ["malformed JSON", { raw: `{"name": "grp", "secrets": [{"value": "${SECRET_VALUE}"` }],
    ["a body that is not an object", { body: [1, 2] }],
    ["secrets not an array", { body: { name: "grp", integrationId: "i", secrets: "A=1" } }],
    ["a name that is not a string", { body: { name: 7, integrationId: "i", secrets: [{ key: "A", value: "1" }] } }],
    ["a missing value", { body: { name: "grp", integrationId: "i", secrets: [{ key: "A" }] } }],
    ["a value that is not a string", { body: { name: "grp", integrationId: "i", secrets: [{ key: "A", value: 1 }] } }],
    ["a missing integrationId", { body: { name: "grp", secrets: [{ key: "A", value: "1" }] } }],
  ])("400 for %s, never quoting the body", async (_, request) => {
    const res = await call(GROUPS, { method: "POST", ...request });
    expectError(res, 400);
    expect(res.text).not.toContain(SECRET_VALUE);
  });

  test("424 when the integration fails, storing nothing", async () => {
    expectError(await createGroup("broken", { A: "1" }, "my-faulty-store"), 424);
    expect((await call(GROUPS)).json.pagination.total).toBe(0);
  });
});

describe("list and get", () => {
  test("pages in creation order with total, offset and limit", async () => {
    for (const name of ["g-one", "g-two", "g-three", "g-four", "g-five"]) await created(name);
    const first = await call(`${GROUPS}?limit=2`);
    expect(first.json.pagination).toEqual({ total: 5, offset: 0, limit: 2 });
    expect(first.json.data.map((g: Json) => g.name)).toEqual(["g-one", "g-two"]);
    const last = await call(`${GROUPS}?limit=2&offset=4`);
    expect(last.json.data.map((g: Json) => g.name)).toEqual(["g-five"]);
    expect((await call(`${GROUPS}?offset=9`)).json).toEqual({ data: [], pagination: { total: 5, offset: 9, limit: 100 } });
    expect((await call(`${GROUPS}?limit=1000`)).json.data).toHaveLength(5);
  });

  test.each(["0", "1001", "abc", "1.5", "", "-1"])("400 for limit=%j", async (limit) => {
    expectError(await call(`${GROUPS}?limit=${limit}`), 400);
  });

  test("400 for a bad offset", async () => {
    expectError(await call(`${GROUPS}?offset=-1`), 400);
  });

  test("filters by name (contains) and by exact fqn", async () => {
    for (const name of ["api-keys", "db-keys", "api-tokens"]) await created(name);
    const names = async (query: string) => (await call(`${GROUPS}?${query}`)).json.data.map((g: Json) => g.name);
    expect(await names("search=api")).toEqual(["api-keys", "api-tokens"]);
    expect(await names("search=KEYS")).toEqual(["api-keys", "db-keys"]);
    expect(await names(`fqn=${encodeURIComponent("local:db-keys")}`)).toEqual(["db-keys"]);
    expect(await names("fqn=local:db")).toEqual([]);
    expect((await call(`${GROUPS}?search=api&limit=1`)).json.pagination).toEqual({ total: 2, offset: 0, limit: 1 });
  });

  test("never return secret values", async () => {
    const group = await created("values", { A: SECRET_VALUE });
    const list = await call(GROUPS);
    const get = await call(`${GROUPS}/${group.id}`);
    expect(get.json.data.associatedSecrets[0]).not.toHaveProperty("value");
    expect(get.json.data.associatedSecrets[0].secretVersions[0]).not.toHaveProperty("value");
    expect(list.text).not.toContain(SECRET_VALUE);
    expect(get.text).not.toContain(SECRET_VALUE);
    expect(get.json.data.id).toBe(group.id);
  });

  test("404 for an unknown id", async () => {
    expectError(await call(`${GROUPS}/no-such-id`), 404);
  });

  test("attributes: only the fields asked for, id always; repeated or comma-separated", async () => {
    await created("trimmed", { A: "1" });
    expect((await call(`${GROUPS}?attributes=fqn`)).json.data).toEqual([{ id: expect.any(String), fqn: "local:trimmed" }]);
    const both = await call(`${GROUPS}?attributes=fqn&attributes=integrationId`);
    expect(Object.keys(both.json.data[0]).sort()).toEqual(["fqn", "id", "integrationId"]);
    expect((await call(`${GROUPS}?attributes=fqn,integrationId`)).json.data).toEqual(both.json.data);
    expect(Object.keys((await call(GROUPS)).json.data[0])).toContain("associatedSecrets");
  });
});

describe("update", () => {
  const update = (id: string, secrets: unknown) => call(`${GROUPS}/${id}`, { method: "PUT", body: { secrets } });
  const secretsOf = async (id: string) => {
    const res = await call(SECRETS, { method: "POST", body: { secretGroupId: id, withValue: true } });
    return Object.fromEntries(res.json.data.map((s: Json) => [s.name, s]));
  };

  test("replaces the key set: no value keeps, a new value rotates, a left-out key goes", async () => {
    const group = await created("rotating", { KEEP: "k1", ROTATE: "r1", SAME: "s1", DROP: "d1" });
    // Timestamps have millisecond resolution: let the clock pass the creation's.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(group.updatedAt) + 1 - Date.now())));
    const res = await update(group.id, [{ key: "KEEP" }, { key: "ROTATE", value: "r2" }, { key: "SAME", value: "s1" }, { key: "NEW", value: "n1" }]);
    expect(res.status).toBe(200);
    expect(res.json.data.updatedAt > group.updatedAt).toBe(true);
    // The answer says which version each secret is at, never its value.
    expect(res.text).not.toMatch(/"value"/);
    expect(res.json.data.associatedSecrets.find((s: Json) => s.name === "ROTATE").secretVersions.map((v: Json) => v.version)).toEqual([1, 2]);

    const secrets = await secretsOf(group.id);
    expect(Object.keys(secrets).sort()).toEqual(["KEEP", "NEW", "ROTATE", "SAME"]);
    expect(secrets.KEEP.value).toBe("k1");
    expect(secrets.KEEP.secretVersions).toHaveLength(1);
    expect(secrets.SAME.secretVersions).toHaveLength(1);
    expect(secrets.ROTATE.value).toBe("r2");
    expect(secrets.ROTATE.secretVersions.map((v: Json) => [v.version, v.value])).toEqual([[1, "r1"], [2, "r2"]]);
    expect(secrets.NEW.secretVersions.map((v: Json) => v.version)).toEqual([1]);
    expect(secrets.ROTATE.id).toBe(group.associatedSecrets.find((s: Json) => s.name === "ROTATE").id);
  });

  test("422 for a key without value that does not exist yet, changing nothing", async () => {
    const group = await created("partial", { A: "1" });
    expectError(await update(group.id, [{ key: "A", value: "2" }, { key: "GHOST" }]), 422);
    expect((await secretsOf(group.id)).A.value).toBe("1");
  });

  test("422 for duplicate keys or an empty set, 400 for a wrong shape, 404 for an unknown id", async () => {
    const group = await created("strict");
    expectError(await update(group.id, [{ key: "A" }, { key: "A" }]), 422);
    expectError(await update(group.id, []), 422);
    expectError(await update(group.id, "A"), 400);
    expectError(await update(group.id, [{ key: "A", value: null }]), 400);
    expectError(await update("no-such-id", [{ key: "A" }]), 404);
  });
});

describe("delete", () => {
  const remove = (id: string, query = "") => call(`${GROUPS}/${id}${query}`, { method: "DELETE" });

  test("deletes, then the group is gone", async () => {
    const group = await created("doomed");
    const res = await remove(group.id);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({});
    expectError(await call(`${GROUPS}/${group.id}`), 404);
    expectError(await remove(group.id), 404);
  });

  test("409 while secrets have active deployments, unless forceDelete=true", async () => {
    const group = await created("in-use", { A: "1", B: "2" });
    const set = await admin(`/groups/${group.id}/active-deployments`, "PUT", { count: 2 });
    expect(set.json.data.associatedSecrets.map((s: Json) => s.activeDeploymentsCount)).toEqual([2, 2]);
    expectError(await remove(group.id), 409);
    expectError(await remove(group.id, "?forceDelete=false"), 409);
    expect((await remove(group.id, "?forceDelete=true")).status).toBe(200);
  });

  test("424 when the integration fails, unless forceDelete=true", async () => {
    const manifest = { manifest: { type: "secret-group", name: "stuck", integration_fqn: "faulty-vault" } };
    const group = (await call(GROUPS, { method: "PUT", body: manifest })).json.data;
    expectError(await remove(group.id), 424);
    expect((await call(`${GROUPS}/${group.id}`)).status).toBe(200);
    expect((await remove(group.id, "?forceDelete=true")).status).toBe(200);
  });

  test("400 for a forceDelete that is not a boolean", async () => {
    const group = await created("flagged");
    expectError(await remove(group.id, "?forceDelete=yes"), 400);
  });
});

describe("create-or-update by manifest", () => {
  const apply = (manifest: unknown, dryRun?: boolean) => call(GROUPS, { method: "PUT", body: { manifest, dryRun } });
  const manifest = (name: string, integration = "int-1") => ({
    type: "secret-group",
    name,
    integration_fqn: integration,
    collaborators: [{ subject: "user:someone@example.com", role_id: "secret-group-admin" }],
  });

  test("creates, then updates the same group by name, keeping its secrets", async () => {
    const made = await apply(manifest("by-manifest"));
    expect(made.status).toBe(200);
    expect(made.json.data).toEqual(expect.objectContaining({ name: "by-manifest", integrationId: "int-1", associatedSecrets: [] }));

    const group = await created("with-secrets", { A: SECRET_VALUE });
    const updated = await apply(manifest("with-secrets", "int-2"));
    expect(updated.json.data).toEqual(expect.objectContaining({ id: group.id, integrationId: "int-2" }));
    expect(updated.json.data.associatedSecrets.map((s: Json) => s.name)).toEqual(["A"]);
    expect(updated.text).not.toContain(SECRET_VALUE);
  });

  test("a dry run answers the would-be group and stores nothing", async () => {
    const dry = await apply(manifest("dry-group"), true);
    expect(dry.json.data).toEqual(expect.objectContaining({ name: "dry-group", fqn: "local:dry-group" }));
    expect((await call(GROUPS)).json.pagination.total).toBe(0);

    const group = await created("existing");
    expect((await apply(manifest("existing", "int-9"), true)).json.data.integrationId).toBe("int-9");
    expect((await call(`${GROUPS}/${group.id}`)).json.data.integrationId).toBe("int-1");
  });

  test("keeps the collaborators and answers them as manifest.collaborators; left out, they stay", async () => {
    const team = { subject: "team:payments", role_id: "secret-group-viewer" };
    const made = await apply({ ...manifest("shared"), collaborators: [team] });
    expect(made.json.data.manifest).toEqual({ type: "secret-group", name: "shared", integration_fqn: "int-1", collaborators: [team] });
    const { collaborators: _dropped, ...without } = manifest("shared", "int-2");
    await apply(without);
    const held = (await call(`${GROUPS}/${made.json.data.id}`)).json.data;
    expect(held.manifest.collaborators).toEqual([team]);
    expect((await apply({ ...manifest("shared"), collaborators: [] })).json.data.manifest.collaborators).toEqual([]);
  });

  test.each([
    ["a subject that is no user or team", { subject: "someone", role_id: "secret-group-admin" }],
    ["a user without an email", { subject: "user:someone", role_id: "secret-group-admin" }],
    ["an unknown role", { subject: "team:ops", role_id: "owner" }],
  ])("422 for %s, storing nothing", async (_label, collaborator) => {
    expectError(await apply({ ...manifest("refused"), collaborators: [collaborator] }), 422);
    expect((await call(GROUPS)).json.pagination.total).toBe(0);
  });

  test("422 for another manifest type or a bad name, 400 without a manifest", async () => {
    expectError(await apply({ ...manifest("typed"), type: "service" }), 422);
    expectError(await apply(manifest("No Good")), 422);
    expectError(await call(GROUPS, { method: "PUT", body: { dryRun: true } }), 400);
    expectError(await apply({ ...manifest("typed"), collaborators: "everyone" }), 400);
  });
});

describe("secrets", () => {
  test("get answers one secret with its value and versions", async () => {
    const group = await created("readable", { A: SECRET_VALUE });
    const res = await call(`${SECRETS}/${group.associatedSecrets[0].id}`);
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual(expect.objectContaining({ name: "A", secretGroupId: group.id, value: SECRET_VALUE }));
    expect(res.json.data.secretVersions[0].value).toBe(SECRET_VALUE);
    expectError(await call(`${SECRETS}/no-such-id`), 404);
  });

  test("list answers values only with withValue, and pages", async () => {
    const group = await created("listed", { A: "value-of-a", B: "value-of-b", C: "value-of-c" });
    const list = (body: object) => call(SECRETS, { method: "POST", body: { secretGroupId: group.id, ...body } });
    const bare = await list({});
    expect(bare.json.pagination).toEqual({ total: 3, offset: 0, limit: 100 });
    expect(bare.json.data.map((s: Json) => s.name)).toEqual(["A", "B", "C"]);
    expect(bare.text).not.toContain("value-of");
    expect((await list({ withValue: false })).text).not.toContain("value-of");
    const valued = await list({ withValue: true, limit: 2, offset: 1 });
    expect(valued.json.data.map((s: Json) => [s.name, s.value])).toEqual([["B", "value-of-b"], ["C", "value-of-c"]]);
    expect(valued.json.pagination).toEqual({ total: 3, offset: 1, limit: 2 });
  });

  test("list refuses bad input and unknown groups", async () => {
    const group = await created("guarded");
    expectError(await call(SECRETS, { method: "POST", body: { secretGroupId: group.id, limit: 0 } }), 400);
    expectError(await call(SECRETS, { method: "POST", body: { secretGroupId: group.id, withValue: "yes" } }), 400);
    expectError(await call(SECRETS, { method: "POST", body: { secretFqns: "tfy-secret://local:guarded:A" } }), 400);
    expectError(await call(SECRETS, { method: "POST", body: { secretFqns: [7] } }), 400);
    expectError(await call(SECRETS, { method: "POST", body: { secretGroupId: "no-such-id" } }), 404);
  });

  test("list takes every field as optional: no group lists every secret, secretFqns picks by fqn", async () => {
    const one = await created("first-group", { A: "1", B: "2" });
    await created("second-group", { C: "3" });
    const all = await call(SECRETS, { method: "POST", body: {} });
    expect(all.json.data.map((s: Json) => s.fqn)).toEqual([
      "tfy-secret://local:first-group:A",
      "tfy-secret://local:first-group:B",
      "tfy-secret://local:second-group:C",
    ]);
    const picked = await call(SECRETS, { method: "POST", body: { secretFqns: ["tfy-secret://local:second-group:C", one.associatedSecrets[1].fqn] } });
    expect(picked.json.data.map((s: Json) => s.name)).toEqual(["B", "C"]);
    const inGroup = await call(SECRETS, { method: "POST", body: { secretGroupId: one.id, secretFqns: ["tfy-secret://local:second-group:C"] } });
    expect(inGroup.json.data).toEqual([]);
  });

  test("delete removes one secret and answers a number; 404 for an unknown id", async () => {
    const group = await created("pruned", { A: "1", B: "2" });
    const res = await call(`${SECRETS}/${group.associatedSecrets[0].id}`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(res.json).toBe(1);
    expect((await call(`${GROUPS}/${group.id}`)).json.data.associatedSecrets.map((s: Json) => s.name)).toEqual(["B"]);
    expectError(await call(`${SECRETS}/${group.associatedSecrets[0].id}`, { method: "DELETE" }), 404);
    expect((await call(`${SECRETS}/${group.associatedSecrets[1].id}`, { method: "DELETE", token: "ro" })).status).toBe(403);
  });
});

describe("faults", () => {
  test("failRate 1 answers failStatus without applying anything", async () => {
    cp.setFaults({ failRate: 1 });
    expectError(await createGroup("never"), 500);
    await admin("/faults", "PUT", { failStatus: 503 });
    expectError(await createGroup("never"), 503);
    cp.setFaults({ failRate: 0 });
    expect((await call(GROUPS)).json.pagination.total).toBe(0);
  });

  test("rateLimitEvery N answers every Nth API request 429 with Retry-After", async () => {
    await admin("/faults", "PUT", { rateLimitEvery: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(GROUPS);
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get("retry-after")).toBe("1");
        expectError(res, 429);
      }
    }
    expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
  });

  test("latencyMs delays API requests: the log's time of each answer includes it", async () => {
    cp.setFaults({ latencyMs: 150 });
    expect((await call(GROUPS)).status).toBe(200);
    // A lower bound only (a busy machine answers later, never sooner); a timer may fire up to 1 ms early.
    expect(cp.requests()[0].ms).toBeGreaterThanOrEqual(149);
  });

  test("dropRate 1 closes every connection unanswered; every second drop comes after the write was applied", async () => {
    cp.setFaults({ dropRate: 1 });
    await expect(call(GROUPS)).rejects.toThrow();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => createGroup(`dropped-${i}`)));
    expect(outcomes.every((o) => o.status === "rejected")).toBe(true);
    cp.setFaults({ dropRate: 0 });
    // Drops alternate before and after applying: the GET was the 1st (before), so 10 of the 20 creates happened.
    expect((await call(GROUPS)).json.pagination.total).toBe(10);
    expect(cp.requests().filter((r) => r.status === 0)).toHaveLength(21);
  });

  /** The statuses of `n` sequential list requests. */
  const statusesOf = async (n: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < n; i++) statuses.push((await call(GROUPS)).status);
    return statuses;
  };

  test("seed: the same faults with the same seed fail the same requests; another seed fails others", async () => {
    await admin("/faults", "PUT", { failRate: 0.5, seed: 42 });
    const first = await statusesOf(40);
    expect(new Set(first)).toEqual(new Set([200, 500]));
    await admin("/faults", "PUT", { failRate: 0.5, seed: 42 });
    expect(await statusesOf(40)).toEqual(first);
    await admin("/faults", "PUT", { failRate: 0.5, seed: 43 });
    expect(await statusesOf(40)).not.toEqual(first);
  });

  test("seed: every change of the faults restarts the draws, a reset restarts them from the default seed", async () => {
    cp.setFaults({ failRate: 0.5, seed: 7 });
    const first = await statusesOf(20);
    cp.setFaults({ latencyMs: 0 });
    expect((await admin("/faults")).json.seed).toBe(7);
    expect(await statusesOf(20)).toEqual(first);

    cp.reset();
    cp.setFaults({ failRate: 0.5 });
    const byDefault = await statusesOf(20);
    cp.reset();
    cp.setFaults({ failRate: 0.5, seed: (await admin("/faults")).json.seed });
    expect(await statusesOf(20)).toEqual(byDefault);
  });

  test("seed: dropRate draws are seeded too, independently of failRate's", async () => {
    const fates = async (faults: object) => {
      cp.reset();
      cp.setFaults(faults);
      const out: string[] = [];
      for (let i = 0; i < 30; i++) out.push(await call(GROUPS).then((r) => String(r.status), () => "dropped"));
      return out;
    };
    const once = await fates({ dropRate: 0.4, seed: 9 });
    expect(new Set(once)).toEqual(new Set(["200", "dropped"]));
    expect(await fates({ dropRate: 0.4, seed: 9 })).toEqual(once);
  });

  test("faults are readable and validated, and spare the admin endpoints", async () => {
    expect((await admin("/faults", "PUT", { failRate: 1, latencyMs: 10 })).json).toEqual({
      failRate: 1,
      failStatus: 500,
      rateLimitEvery: 0,
      latencyMs: 10,
      dropRate: 0,
      seed: 1,
    });
    expect((await admin("/faults")).json.latencyMs).toBe(10);
    expect((await admin("/health")).json).toEqual({ ok: true });
    for (const bad of [{ failRate: 2 }, { failStatus: 200 }, { rateLimitEvery: 1.5 }, { latencyMs: -1 }, { dropRate: "all" }, { nope: 1 }, { seed: -1 }, { seed: 1.5 }, { seed: 2 ** 32 }, { seed: "42" }]) {
      expectError(await admin("/faults", "PUT", bad), 400);
    }
    expectError(await call("/_emulator/faults", { method: "PUT", raw: "{", token: null }), 400);
    expect(() => cp.setFaults({ dropRate: -1 })).toThrow(/dropRate/);
    expect((await admin("/faults")).json.failRate).toBe(1);
  });
});

describe("admin", () => {
  test("the request log has method, path, status and ms; never queries, tokens, values or admin calls", async () => {
    await createGroup("logged", { A: SECRET_VALUE });
    await call(`${GROUPS}?search=logged&limit=5`);
    await call(GROUPS, { token: "wrong-token" });
    await admin("/health");
    const log = (await admin("/requests")).json;
    expect(log).toEqual([
      { method: "POST", path: GROUPS, status: 200, ms: expect.any(Number) },
      { method: "GET", path: GROUPS, status: 200, ms: expect.any(Number) },
      { method: "GET", path: GROUPS, status: 401, ms: expect.any(Number) },
    ]);
    expect(cp.requests()).toEqual(log);
    const text = JSON.stringify(log);
    for (const secret of [SECRET_VALUE, "t1", "wrong-token", "search"]) expect(text).not.toContain(secret);
  });

  test("reset empties the store, the log and the faults", async () => {
    await created("to-forget");
    cp.setFaults({ latencyMs: 5 });
    expect((await admin("/reset", "POST")).status).toBe(200);
    expect(await admin("/requests").then((r) => r.json)).toEqual([]);
    expect((await admin("/faults")).json.latencyMs).toBe(0);
    expect((await call(GROUPS)).json.pagination.total).toBe(0);
  });

  test("active-deployments refuses bad counts and unknown groups; unknown admin paths are 404", async () => {
    const group = await created("counted");
    expectError(await admin(`/groups/${group.id}/active-deployments`, "PUT", { count: -1 }), 400);
    expectError(await admin(`/groups/no-such-id/active-deployments`, "PUT", { count: 1 }), 404);
    expectError(await admin("/nothing"), 404);
    expectError(await admin("/health", "POST"), 405);
  });
});

describe("admin requests from a web page", () => {
  test("every admin request that changes something needs Content-Type: application/json (415 otherwise), so a cross-site simple request cannot", async () => {
    const group = await created("csrf-target");
    cp.setFaults({ latencyMs: 5 });
    const changes: [string, string, string][] = [
      ["/_emulator/reset", "POST", "{}"],
      ["/_emulator/faults", "PUT", JSON.stringify({ failRate: 1 })],
      [`/_emulator/groups/${group.id}/active-deployments`, "PUT", JSON.stringify({ count: 3 })],
    ];
    for (const [urlPath, method, body] of changes) {
      for (const type of [undefined, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        const res = await fetch(cp.url + urlPath, { method, body, headers: type ? { "Content-Type": type } : {} });
        expect(res.status).toBe(415);
        expect(await res.json()).toEqual(expect.objectContaining({ statusCode: 415, message: expect.stringContaining("application/json") }));
      }
    }
    // Nothing changed: the group, its secrets' deployments and the faults are as they were.
    expect((await call(`${GROUPS}/${group.id}`)).json.data.associatedSecrets[0].activeDeploymentsCount).toBe(0);
    expect((await admin("/faults")).json).toEqual(expect.objectContaining({ failRate: 0, latencyMs: 5 }));
    // Reads need no header, and a JSON request still works.
    expect((await fetch(`${cp.url}/_emulator/health`)).status).toBe(200);
    expect((await admin("/reset", "POST", {})).status).toBe(200);
  });
});

describe("requests addressed to another host (DNS rebinding)", () => {
  /** One request with the Host header given; fetch() would set its own. */
  function withHost(host: string, urlPath: string, method = "GET", body?: unknown, token: string | null = "t1"): Promise<{ status: number; json: Json }> {
    return new Promise((done, fail) => {
      const headers: Record<string, string> = { Host: host, "Content-Type": "application/json" };
      if (token !== null) headers.Authorization = `Bearer ${token}`;
      const req = http.request(`${cp.url}${urlPath}`, { method, headers, setHost: false }, (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => done({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
      });
      req.on("error", fail);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  const create = { name: "rebound", integrationId: "i", secrets: [{ key: "A", value: SECRET_VALUE }] };

  test.each(["evil.example", "evil.example:80", "127.0.0.1.evil.example", "localhost.evil.example", "127.0.0.256", "128.0.0.1", "[::2]", "0.0.0.0", "", "localhost:99999"])(
    "Host %j: 421 for the API and the admin endpoints, with a body that says why, changing nothing",
    async (host) => {
      const group = await created("resident", { A: SECRET_VALUE });
      const answers = [
        await withHost(host, GROUPS),
        await withHost(host, `${SECRETS}/${group.associatedSecrets[0].id}`),
        await withHost(host, GROUPS, "POST", create),
        await withHost(host, "/_emulator/requests", "GET", undefined, null),
        await withHost(host, "/_emulator/reset", "POST", {}, null),
      ];
      for (const res of answers) {
        expectError(res, 421);
        expect(res.json.message).toContain("loopback host");
        expect(JSON.stringify(res.json)).not.toContain(SECRET_VALUE);
      }
      expect((await call(GROUPS)).json.data.map((g: Json) => g.name)).toEqual(["resident"]);
    },
  );

  test.each(["127.0.0.1", "127.0.0.1:1", "127.1.2.3:8080", "localhost", "LocalHost:4000", "[::1]", "[::1]:443"])("Host %j is answered", async (host) => {
    expect((await withHost(host, GROUPS)).status).toBe(200);
    expect((await withHost(host, "/_emulator/health", "GET", undefined, null)).status).toBe(200);
  });

  test("a name given in `hosts` is answered too (a test reaching it through a proxy's tunnel), with any port", async () => {
    const named = await startControlPlane({ port: 0, tokens: ["t1"], hosts: ["cp.test"] });
    try {
      const get = (host: string) =>
        new Promise<number>((done, fail) =>
          http.get(`${named.url}${GROUPS}`, { headers: { Host: host, Authorization: "Bearer t1" }, setHost: false }, (res) => (res.resume(), done(res.statusCode ?? 0))).on("error", fail),
        );
      expect(await get("cp.test:8443")).toBe(200);
      expect(await get("CP.TEST")).toBe(200);
      expect(await get("other.test")).toBe(421);
    } finally {
      await named.close();
    }
  });
});

describe("an independent model of the API", () => {
  test("no file of the control plane imports anything outside control-plane/ but Node's own modules", () => {
    const dir = path.join(__dirname, "..", "control-plane");
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files).toContain("server.ts");
    const imports = files.flatMap((file) =>
      [...fs.readFileSync(path.join(dir, file), "utf8").matchAll(/(?:from|import|require\()\s*["']([^"']+)["']/g)].map((m) => [file, m[1]]),
    );
    expect(imports).toContainEqual(["server.ts", "node:http"]);
    for (const [file, specifier] of imports) expect([file, specifier]).toEqual([file, expect.stringMatching(/^(\.\/[\w-]+|node:[\w/]+)$/)]);
  });
});

describe("options and persistence", () => {
  const tmpDirs: string[] = [];
  const tmpDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "control-plane-test-"));
    tmpDirs.push(dir);
    return dir;
  };
  afterAll(() => tmpDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  test("a restart on the same data file keeps every group, written atomically", async () => {
    const dir = tmpDir();
    const dataFile = path.join(dir, "nested", "data.json");
    const first = await startControlPlane({ port: 0, tokens: ["t1"], dataFile });
    let group: Json;
    try {
      group = (await createGroup("kept", { A: SECRET_VALUE }, "int-1", first.url)).json.data;
      await call(`${GROUPS}/${group.id}`, { method: "PUT", body: { secrets: [{ key: "A", value: "rotated" }] } }, first.url);
      await createGroup("also-kept", { B: "b" }, "int-1", first.url);
    } finally {
      await first.close();
    }
    expect(fs.readdirSync(path.dirname(dataFile))).toEqual(["data.json"]);
    expect(fs.statSync(dataFile).mode & 0o777).toBe(0o600);

    const second = await startControlPlane({ port: 0, tokens: ["t1"], dataFile });
    try {
      const list = await call(GROUPS, {}, second.url);
      expect(list.json.data.map((g: Json) => g.name)).toEqual(["kept", "also-kept"]);
      const secret = await call(`${SECRETS}/${group.associatedSecrets[0].id}`, {}, second.url);
      expect(secret.json.data.secretVersions.map((v: Json) => v.value)).toEqual([SECRET_VALUE, "rotated"]);
    } finally {
      await second.close();
    }
  });

  test("a corrupt data file is refused without quoting it", async () => {
    const dataFile = path.join(tmpDir(), "data.json");
    fs.writeFileSync(dataFile, `{"groups": [{"value": "${SECRET_VALUE}"`);
    const err: Error = await startControlPlane({ dataFile }).catch((e) => e);
    expect(err.message).toMatch(/not valid JSON/);
    expect(err.message).not.toContain(SECRET_VALUE);
  });

  test("listens on 127.0.0.1 only, and names groups after the tenant", async () => {
    await expect(startControlPlane({ host: "0.0.0.0" })).rejects.toThrow(/127\.0\.0\.1/);
    await expect(startControlPlane({ tokens: [" "] })).rejects.toThrow(/token/);
    const other = await startControlPlane({ tenant: "acme" });
    try {
      expect(other.url).toBe(`http://127.0.0.1:${other.port}`);
      const res = await call(GROUPS, { method: "POST", body: { name: "tenanted", integrationId: "i", secrets: [{ key: "A", value: "1" }] }, token: "dev-token" }, other.url);
      expect(res.json.data).toEqual(expect.objectContaining({ fqn: "acme:tenanted", tenantName: "acme" }));
      expect(res.json.data.associatedSecrets[0].fqn).toBe("tfy-secret://acme:tenanted:A");
    } finally {
      await other.close();
    }
  });

  test("`npm run control-plane` prints one line, never a token, answers the names of TFY_EMULATOR_HOSTS, and exits cleanly on SIGTERM", async () => {
    const dataFile = path.join(tmpDir(), "data.json");
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "lib/cli/main.ts", "control-plane"], {
      cwd: path.join(__dirname, ".."),
      env: { ...process.env, TFY_EMULATOR_PORT: "0", TFY_EMULATOR_TOKENS: "main-secret-token", TFY_EMULATOR_DATA: dataFile, TFY_EMULATOR_HOSTS: "cp.test, other.test" },
    });
    let output = "";
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    const firstLine = new Promise<void>((done) => {
      const take = (chunk: Buffer) => {
        output += chunk;
        if (output.includes("\n")) done();
      };
      child.stdout.on("data", take);
      child.stderr.on("data", take);
    });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((done) => (timer = setTimeout(done, 30_000)));
    try {
      await Promise.race([firstLine, exited, deadline]);
      clearTimeout(timer);
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(output)?.[1];
      expect(output).toBe(`control plane listening on ${url} (data: ${dataFile})\n`);
      expect((await call(GROUPS, { token: "main-secret-token" }, url)).status).toBe(200);
      const status = (host: string) =>
        new Promise<number>((done, fail) =>
          http.get(`${url}${GROUPS}`, { headers: { Host: host, Authorization: "Bearer main-secret-token" }, setHost: false }, (res) => (res.resume(), done(res.statusCode ?? 0))).on("error", fail),
        );
      expect([await status("cp.test:443"), await status("other.test"), await status("third.test")]).toEqual([200, 200, 421]);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).not.toContain("main-secret-token");
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });
});
