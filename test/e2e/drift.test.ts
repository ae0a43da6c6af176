/**
 * A group deleted out of band: the next rotation says so and names the
 * command that recreates it; that command works.
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

  it("fails the rotation with the exact recovery command, which then recreates it", async () => {
    const env = { ES_PASSWORD: "es-pass-1" };
    project.synth(app("1"), env);
    expectOk(await project.apply(env));
    const first = (await apiClient(cp).findGroupByName("search-api"))!;
    await apiClient(cp).deleteGroup(first.id);

    project.synth(app("2"), env);
    const failed = await project.apply(env);
    expect(failed.code).not.toBe(0);
    const hint = failed.output.match(
      /secret group "search-api": the group \(id [^)]+\) no longer exists on the control plane; recreate it with terraform apply -replace=(\S+)/,
    );
    expect(hint).not.toBeNull();

    expectOk(await project.apply(env, [`-replace=${hint![1]}`]));
    const recreated = (await apiClient(cp).findGroupByName("search-api"))!;
    expect(recreated.id).not.toBe(first.id);
    expect((await project.outputsJson(env)).id).toBe(recreated.id);
    expect((await project.plan(env)).code).toBe(0);
  });
});
