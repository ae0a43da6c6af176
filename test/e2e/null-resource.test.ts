/**
 * hook: "null_resource", deployed. The null provider cannot be downloaded
 * here, so the synthesized stack is applied with each null_resource written
 * as a terraform_data whose `triggers_replace` takes its `triggers`: the same
 * rule, any change replaces it, and the same provisioners. What it shows: a
 * keeper replaced by a rotation deletes nothing (only a real destroy does).
 */
import * as fs from "fs";
import * as path from "path";
import { TerraformStack } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { SecretGroup, SecretValue } from "../../lib";
import { suiteProjects } from "../support/suite";
import { Project, apiClient, expectOk } from "../../scripts/harness";

const NAMES = ["nr-one", "nr-two", "nr-three"];
const envName = (name: string) => `NR_${name.replace(/-/g, "_").toUpperCase()}`;
const valuesOf = (gen: string, only?: string) => Object.fromEntries(NAMES.map((n) => [envName(n), `${!only || only === n ? gen : "v1"}-${n}`]));

function app(stack: TerraformStack): void {
  new NullProvider(stack, "null");
  for (const name of NAMES) {
    new SecretGroup(stack, name, { name, integrationId: "int-vault", hook: "null_resource", secrets: { TOKEN: SecretValue.fromEnv(envName(name)) } });
  }
}

/** The synthesized null_resource stack, rewritten to terraform_data with triggers_replace (no provider to download). */
function asTerraformData(project: Project): void {
  const file = path.join(project.stackDir, "cdk.tf.json");
  const config = JSON.parse(
    fs
      .readFileSync(file, "utf8")
      .replace(/\bnull_resource\./g, "terraform_data.")
      .replace(/\b(self|terraform_data\.[\w-]+)\.triggers\./g, "$1.triggers_replace."),
  );
  delete config.provider;
  delete config.terraform.required_providers;
  const blocks = config.resource.null_resource as Record<string, Record<string, unknown>>;
  delete config.resource.null_resource;
  config.resource.terraform_data = Object.fromEntries(
    Object.entries(blocks).map(([name, { triggers, lifecycle, ...rest }]) => {
      const life = lifecycle as { ignore_changes?: string[] } | undefined;
      const ignore = life?.ignore_changes?.length ? { ignore_changes: ["triggers_replace"] } : {};
      return [name, { ...rest, triggers_replace: triggers, ...(life ? { lifecycle: { ...life, ...ignore } } : {}) }];
    }),
  );
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
}

describe('hook: "null_resource" (emulated: any change replaces)', () => {
  const { setup } = suiteProjects();

  it("a rotation replaces the keeper and deletes nothing; destroy deletes every group", async () => {
    const { cp, project } = await setup("nullres");
    const deploy = async (values: Record<string, string>) => {
      project.synth(app, values);
      asTerraformData(project);
      const res = await project.apply(values);
      expectOk(res);
      return res;
    };
    await deploy(valuesOf("v1"));
    const ids = Object.fromEntries((await apiClient(cp).listGroups()).map((g) => [g.name, g.id]));
    expect(Object.keys(ids).sort()).toEqual([...NAMES].sort());

    const mark = cp.requests().length;
    const rotated = await deploy(valuesOf("v2", "nr-two"));
    // The keeper is replaced, create before destroy: the deposed copy runs no destroy-time provisioner.
    expect(rotated.output).toMatch(/terraform_data\.secret_groups_reconcile_0_keeper must be replaced/);
    expect(cp.requests().slice(mark).map((r) => `${r.method} ${r.status}`)).toEqual(["PUT 200"]);
    const now = await apiClient(cp).listGroups();
    expect(Object.fromEntries(now.map((g) => [g.name, g.id]))).toEqual(ids);
    const two = await apiClient(cp).listSecrets(ids["nr-two"], { withValue: true });
    expect(two.map((s) => s.value)).toEqual(["v2-nr-two"]);

    const values = valuesOf("v2", "nr-two");
    project.synth(app, values);
    asTerraformData(project);
    expectOk(await project.destroy(values));
    expect(await apiClient(cp).listGroups()).toEqual([]);
  });
});
