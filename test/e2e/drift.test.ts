/**
 * A group deleted out of band: the name is the group's identity, so the next
 * deploy that sends its values creates it again, and the state follows.
 */
import { TerraformOutput, TerraformStack } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk } from "../../scripts/harness";

describe("a group deleted out of band", () => {
  let cp: ControlPlane;
  let project: Project;
  beforeAll(async () => {
    cp = await controlPlane();
    project = new Project(cp, "drift");
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
  });

  const app = (version: string) => (stack: TerraformStack) => {
    const g = new SecretGroup(stack, "search", {
      name: "search-api",
      integrationId: "int-vault",
      secrets: { ES_PASSWORD: SecretValue.fromEnv("ES_PASSWORD") },
      secretsVersion: version,
    });
    new TerraformOutput(stack, "id", { value: g.groupId });
  };

  it("the next rotation creates it again under the same name, and the state records the new id", async () => {
    const env = { ES_PASSWORD: "es-pass-1" };
    project.synth(app("1"), env);
    expectOk(await project.apply(env));
    const first = (await apiClient(cp).findGroupByName("search-api"))!;
    await apiClient(cp).deleteGroup(first.id);

    project.synth(app("2"), env);
    const res = await project.apply(env);
    expectOk(res);
    expect(res.output).toContain(`secret group "search-api": the group the state recorded (id ${first.id}) no longer exists; creating it again`);
    const recreated = (await apiClient(cp).findGroupByName("search-api"))!;
    expect(recreated.id).not.toBe(first.id);
    const secrets = await apiClient(cp).listSecrets(recreated.id, { withValue: true });
    expect(secrets.map((s) => [s.name, s.value])).toEqual([["ES_PASSWORD", "es-pass-1"]]);
    expect((await project.outputsJson(env)).id).toBe(recreated.id);
    expect((await project.plan(env)).code).toBe(0);
  });
});
