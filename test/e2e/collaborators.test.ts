/**
 * Access as code through real deploys: collaborators are applied at create,
 * re-applied with one manifest request when they change, and a no-op sends
 * nothing. Each step asserts on what the control plane holds and on the
 * requests it saw.
 */
import { TerraformStack } from "cdktf";
import { SecretGroup, SecretGroupProps, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk } from "../../scripts/harness";

const ENV = { ORDERS_TOKEN: "orders-token-a81c" };

function app(collaborators?: SecretGroupProps["collaborators"]) {
  return (stack: TerraformStack) => {
    new SecretGroup(stack, "orders", {
      name: "orders-access",
      integrationId: "int-vault",
      secrets: { TOKEN: SecretValue.fromEnv("ORDERS_TOKEN") },
      collaborators,
    });
  };
}

describe("collaborators as code", () => {
  let cp: ControlPlane;
  let project: Project;
  beforeAll(async () => {
    cp = await controlPlane();
    project = new Project(cp, "access");
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
  });

  /** Synthesizes and applies; the API requests the apply sent, as "METHOD path". */
  async function deploy(collaborators?: SecretGroupProps["collaborators"]): Promise<string[]> {
    project.synth(app(collaborators), ENV);
    const mark = cp.requests().length;
    expectOk(await project.apply(ENV));
    return cp.requests().slice(mark).map((r) => `${r.method} ${r.path}`);
  }
  const held = async () => {
    const group = (await apiClient(cp).findGroupByName("orders-access"))!;
    return { id: group.id, collaborators: group.manifest?.collaborators };
  };
  let id: string;

  it("create: one look-up, one POST and one PUT of its values, then one manifest PUT with every collaborator", async () => {
    const sent = await deploy([
      { subject: "user:ana@example.com", role: "admin" },
      { subject: "team:payments", role: "viewer" },
    ]);
    expect(sent.map((r) => r.replace(/[0-9a-f-]{36}$/, "{id}"))).toEqual([
      "GET /api/svc/v1/secret-groups",
      "POST /api/svc/v1/secret-groups",
      "PUT /api/svc/v1/secret-groups/{id}",
      "PUT /api/svc/v1/secret-groups",
    ]);
    const now = await held();
    id = now.id;
    expect(now.collaborators).toEqual([
      { subject: "user:ana@example.com", role_id: "secret-group-admin" },
      { subject: "team:payments", role_id: "secret-group-viewer" },
    ]);
  });

  it("a changed role: one manifest PUT, the secrets untouched, the same group", async () => {
    const sent = await deploy([
      { subject: "user:ana@example.com", role: "admin" },
      { subject: "team:payments", role: "editor" },
    ]);
    expect(sent).toEqual(["PUT /api/svc/v1/secret-groups"]);
    expect(await held()).toEqual({
      id,
      collaborators: [
        { subject: "user:ana@example.com", role_id: "secret-group-admin" },
        { subject: "team:payments", role_id: "secret-group-editor" },
      ],
    });
  });

  it("the same collaborators in another order: no change planned, nothing sent", async () => {
    project.synth(
      app([
        { subject: "team:payments", role: "editor" },
        { subject: "user:ana@example.com", role: "admin" },
      ]),
      ENV,
    );
    expect((await project.plan(ENV)).code).toBe(0);
    expect(await deploy([
      { subject: "user:ana@example.com", role: "admin" },
      { subject: "team:payments", role: "editor" },
    ])).toEqual([]);
  });

  it("a removed collaborator: one manifest PUT, and the control plane holds only the other", async () => {
    expect(await deploy([{ subject: "user:ana@example.com", role: "admin" }])).toEqual(["PUT /api/svc/v1/secret-groups"]);
    expect(await held()).toEqual({ id, collaborators: [{ subject: "user:ana@example.com", role_id: "secret-group-admin" }] });
  });

  it("no collaborators left in the code: one manifest PUT that removes the last one", async () => {
    expect(await deploy(undefined)).toEqual(["PUT /api/svc/v1/secret-groups"]);
    expect(await held()).toEqual({ id, collaborators: [] });
    expect(await deploy(undefined)).toEqual([]);
  });
});
