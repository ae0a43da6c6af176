import * as fs from "fs";
import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk } from "../../scripts/harness";

describe("a group of the same name already on the control plane", () => {
  let cp: ControlPlane;
  let project: Project;
  beforeAll(async () => {
    cp = await controlPlane();
    project = new Project(cp, "adopt");
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
  });

  const app = (adoptExisting: boolean) => (stack: TerraformStack) => {
    const group = new SecretGroup(stack, "billing", {
      name: "billing",
      integrationId: "int-vault",
      secrets: { STRIPE_KEY: SecretValue.fromEnv("STRIPE_KEY"), MODE: "live" },
      adoptExisting,
    });
    new TerraformOutput(stack, "billing-id", { value: group.groupId });
  };

  it("without adoptExisting: the deploy fails with a clear error and changes nothing", async () => {
    const existing = await apiClient(cp).createGroup({ name: "billing", integrationId: "int-old", secrets: [{ key: "OLD", value: "old-value" }] });
    project.synth(app(false));
    const res = await project.apply({ STRIPE_KEY: "sk-new-1234" });
    expect(res.code).not.toBe(0);
    expect(res.output).toContain(
      `secret group "billing": a group of that name already exists on the control plane (id ${existing.id}) and this stack did not create it; set adoptExisting: true to take it over, or choose another name`,
    );
    const secrets = await apiClient(cp).listSecrets(existing.id, { withValue: true });
    expect(secrets.map((s) => [s.name, s.value])).toEqual([["OLD", "old-value"]]);
    expect((await apiClient(cp).listGroups()).map((g) => g.name)).toEqual(["billing"]);
  });

  it("with adoptExisting: the group is adopted, moved to the declared integration and brought to the desired secrets", async () => {
    const before = (await apiClient(cp).findGroupByName("billing"))!;
    expect(before.integrationId).toBe("int-old");
    project.synth(app(true));
    const res = await project.apply({ STRIPE_KEY: "sk-new-1234" });
    expectOk(res);
    expect(res.output).toContain(`secret group "billing": adopted the existing group (id ${before.id}), moved it to integration "int-vault" and set its 2 secrets`);
    const after = (await apiClient(cp).findGroupByName("billing"))!;
    expect(after.id).toBe(before.id);
    expect(after.integrationId).toBe("int-vault");
    expect((await project.plan({ STRIPE_KEY: "sk-new-1234" })).code).toBe(0);
    const secrets = await apiClient(cp).listSecrets(after.id, { withValue: true });
    expect(Object.fromEntries(secrets.map((s) => [s.name, s.value]))).toEqual({ STRIPE_KEY: "sk-new-1234", MODE: "live" });
    // The stack now holds the existing group's id: it manages that group.
    expect((await project.outputsJson({}))["billing-id"]).toBe(before.id);
    // Adopted means managed: a destroy deletes it.
    expectOk(await project.destroy({ STRIPE_KEY: "sk-new-1234" }));
    expect(await apiClient(cp).findGroupByName("billing")).toBeUndefined();
  });
});

describe("no leaks: values and the token appear in no file and no output", () => {
  const SENTINEL = {
    env: "SENTINEL-ENV-7d1e9a",
    sensitive: "SENTINEL-SENSITIVE-31c0f2",
    ephemeral: "SENTINEL-EPHEMERAL-a94b17",
    rotated: "SENTINEL-ROTATED-5e2d88",
    token: "SENTINEL-TOKEN-c3f0b6",
  };
  let cp: ControlPlane;
  let project: Project;
  beforeAll(async () => {
    cp = await controlPlane([SENTINEL.token]);
    project = new Project(cp, "leaks");
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
  });

  const app = (version: string) => (stack: TerraformStack) => {
    const sensitive = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
    const ephemeral = new TerraformVariable(stack, "signing_key", { type: "string", sensitive: true });
    ephemeral.addOverride("ephemeral", true);
    new SecretGroup(stack, "vault", {
      name: "leak-check",
      integrationId: "int-vault",
      secrets: {
        FROM_ENV: SecretValue.fromEnv("LEAK_ENV_VALUE"),
        FROM_SENSITIVE: SecretValue.fromVariable(sensitive),
        FROM_EPHEMERAL: SecretValue.fromVariable(ephemeral),
      },
      secretsVersion: version,
    });
  };

  it("create, rotate, a failed deploy and destroy leave no sentinel anywhere", async () => {
    const env = {
      TFY_API_KEY: SENTINEL.token,
      LEAK_ENV_VALUE: SENTINEL.env,
      TF_VAR_db_password: SENTINEL.sensitive,
      TF_VAR_signing_key: SENTINEL.ephemeral,
    };
    project.synth(app("1"), env);
    expectOk(await project.apply(env));
    expectOk(await project.plan(env).then((r) => ({ ...r, code: r.code === 2 ? 1 : r.code })));

    // Rotate every source at once.
    const rotated = { ...env, LEAK_ENV_VALUE: `${SENTINEL.rotated}-env`, TF_VAR_db_password: `${SENTINEL.rotated}-var`, TF_VAR_signing_key: `${SENTINEL.rotated}-eph` };
    project.synth(app("2"), rotated);
    expectOk(await project.apply(rotated));

    // The control plane does hold them: the scan below is not vacuous.
    const client = apiClient(cp, SENTINEL.token);
    const group = (await client.findGroupByName("leak-check"))!;
    const held = (await client.listSecrets(group.id, { withValue: true })).map((s) => s.value).join(" ");
    expect(held).toContain(`${SENTINEL.rotated}-eph`);

    // A failed deploy: wrong token, with a change pending so the hook runs.
    project.synth(app("3"), rotated);
    const failed = await project.apply({ ...rotated, TFY_API_KEY: `${SENTINEL.token}-wrong` });
    expect(failed.code).not.toBe(0);
    // Terraform hides the hook's own output (ephemeral value); the report provisioner shows the error.
    expect(failed.output).toContain("output suppressed due to ephemeral value");
    expect(failed.output).toMatch(/secret group "leak-check": control plane answered 401 Unauthorized .*check TFY_API_KEY/);

    expectOk(await project.destroy(rotated));

    const haystacks = [...project.outputs, ...project.files().map((f) => fs.readFileSync(f, "latin1"))];
    const needles = [...Object.values(SENTINEL)];
    const hits = needles.filter((n) => haystacks.some((h) => h.includes(n)));
    expect(hits).toEqual([]);
    // Files really were scanned: state, backups, synth output, records.
    const names = project.files().map((f) => f.slice(project.dir.length));
    expect(names.some((n) => n.endsWith(".tfstate"))).toBe(true);
    expect(names.some((n) => n.endsWith("cdk.tf.json"))).toBe(true);
  });
});
