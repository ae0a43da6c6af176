/**
 * What `secret-groups drift` reports for each kind of change made behind a
 * stack's back: the comparison of what the state recorded with what the
 * local control plane answers to the real client. (The command end to end,
 * with deletions, added keys and changed values: test/e2e/drift-command.test.ts.)
 */
import { compare } from "../../lib/cli/commands/drift";
import { ControlPlaneClient, SecretGroup } from "../../lib/client";
import { Collaborator, Recorded, collaboratorsKey, formatVersions } from "../../lib/shared/contract";
import { ControlPlane, startControlPlane } from "../../control-plane/server";

const TOKEN = "drift-findings-token";
const STACK = "app";
const REPAIR = `run "secret-groups drift --repair --stack ${STACK}" to put back the code's`;

let cp: ControlPlane;
let client: ControlPlaneClient;
beforeAll(async () => {
  cp = await startControlPlane({ port: 0, tokens: [TOKEN] });
  client = new ControlPlaneClient({ host: cp.url, apiKey: TOKEN, env: {} });
});
beforeEach(() => cp.reset());
afterAll(() => cp.close());

/** What a deploy records for the group it just wrote. */
function recorded(g: SecretGroup, collaborators: readonly Collaborator[] = []): Recorded {
  const versions = new Map((g.associatedSecrets ?? []).map((s) => [s.name, Math.max(...(s.secretVersions ?? []).map((v) => v.version))]));
  return {
    id: g.id,
    fqn: g.fqn,
    integrationId: g.integrationId,
    fingerprint: "f",
    removalPolicy: "destroy",
    forceDelete: false,
    versions: formatVersions(versions),
    secretFqns: {},
    collaborators: collaboratorsKey(collaborators),
  };
}

/** The findings for `name`, from one list of the tenant's groups, as the command makes them. */
async function findings(name: string, r: Recorded, edit: (g: SecretGroup) => SecretGroup = (g) => g) {
  const all = (await client.listGroups()).map(edit);
  return compare(STACK, name, r, all.find((g) => g.id === r.id), all).map((f) => `${f.what}; ${f.fix}`);
}

const create = (name: string, secrets: Record<string, string>) =>
  client.createGroup({ name, integrationId: "int-vault", secrets: Object.entries(secrets).map(([key, value]) => ({ key, value })) });

test("a group as the last deploy left it: no finding", async () => {
  const g = await create("calm-db", { A: "1", B: "2" });
  expect(await findings("calm-db", recorded(g))).toEqual([]);
});

test("renamed on the control plane: found by its recorded id under another name, left alone", async () => {
  const g = await create("orders-db", { A: "1" });
  // The API has no rename (the local control plane neither): the answer is edited as a real one would read.
  const renamed = (x: SecretGroup) => (x.id === g.id ? { ...x, name: "orders-db-old", fqn: "local:orders-db-old" } : x);
  expect(await findings("orders-db", recorded(g), renamed)).toEqual([
    `renamed to "orders-db-old" on the control plane (id ${g.id}); rename it back, or ${REPAIR} group under its name (the renamed one is left alone)`,
  ]);
});

test("deleted and created again under the same name: the new group is named, with the way to take it over", async () => {
  const first = await create("cache-db", { A: "1" });
  await client.deleteGroup(first.id);
  const second = await create("cache-db", { A: "1" });
  expect(await findings("cache-db", recorded(first))).toEqual([
    `the group the state recorded (id ${first.id}) is gone, and another group of that name exists (id ${second.id}); set adoptExisting: true on it and run "secret-groups drift --repair --stack ${STACK}" to take it over, or delete it by hand and repair`,
  ]);
});

test("keys removed by hand: named, and the values of the keys left are not reported as changed", async () => {
  const g = await create("keys-db", { USER: "u", PASSWORD: "p", HOST: "h" });
  await client.updateGroup(g.id, [{ key: "USER" }]);
  expect(await findings("keys-db", recorded(g))).toEqual([`keys removed by hand: PASSWORD, HOST; ${REPAIR} keys`]);
});

test("collaborators changed by hand, a role or a subject: found; the same set in another order is not", async () => {
  const declared: Collaborator[] = [
    { subject: "team:payments", role: "viewer" },
    { subject: "user:ana@example.com", role: "admin" },
  ];
  const g = await client.applyManifest({ name: "shared-db", integrationId: "int-vault", collaborators: declared });
  const r = recorded(g, declared);
  await client.applyManifest({ name: "shared-db", integrationId: "int-vault", collaborators: [...declared].reverse() });
  expect(await findings("shared-db", r)).toEqual([]);

  await client.applyManifest({ name: "shared-db", integrationId: "int-vault", collaborators: [declared[0], { ...declared[1], role: "editor" }] });
  expect(await findings("shared-db", r)).toEqual([`collaborators changed since the last deploy; ${REPAIR} collaborators`]);
  await client.applyManifest({ name: "shared-db", integrationId: "int-vault", collaborators: [declared[1]] });
  expect(await findings("shared-db", r)).toEqual([`collaborators changed since the last deploy; ${REPAIR} collaborators`]);
});
