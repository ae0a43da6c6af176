/**
 * 12. A synthesized stack runs with plain Terraform: copied anywhere, without
 * cdktf, node_modules or this checkout, `terraform init && terraform apply`
 * creates the group and `terraform destroy` deletes it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, TOKEN, apiClient, controlPlane, run } from "../../scripts/harness";
import { terraformEnv } from "../../scripts/terraform-env";

describe("self-contained stack", () => {
  let cp: ControlPlane;
  let project: Project;
  let elsewhere: string;
  beforeAll(async () => {
    cp = await controlPlane();
    project = new Project(cp, "portable");
    elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-portable-"));
  });
  afterAll(async () => {
    await cp.close();
    project.cleanup();
    fs.rmSync(elsewhere, { recursive: true, force: true });
  });

  it("applies and destroys from a copy of cdktf.out/stacks/<stack> with plain terraform", async () => {
    project.synth((stack) => {
      new SecretGroup(stack, "edge", {
        name: "edge-tls",
        integrationId: "int-vault",
        secrets: { TLS_KEY: SecretValue.fromEnv("EDGE_TLS_KEY") },
      });
    });
    // The stack folder and its state, moved together: the backend path in
    // cdk.tf.json is relative (../../../terraform.portable.tfstate).
    const copy = path.join(elsewhere, "cdktf.out", "stacks", "portable");
    fs.cpSync(project.stackDir, copy, { recursive: true });
    // Synth writes no state file (nothing outside cdktf.out): a new stack starts with none, here as anywhere.
    expect(fs.existsSync(project.stateFile)).toBe(false);
    const json = fs.readFileSync(path.join(copy, "cdk.tf.json"), "utf8");
    expect(json).not.toContain(project.dir);
    expect(json).not.toContain(path.join(__dirname, "..", ".."));

    const env = { ...terraformEnv(), TFY_HOST: cp.url, TFY_API_KEY: TOKEN, EDGE_TLS_KEY: "tls-key-value-1", PATH: "/usr/local/bin:/usr/bin:/bin" };
    const tf = (...args: string[]) => run("terraform", [...args, "-no-color"], { cwd: copy, env });
    expect((await tf("init", "-input=false")).code).toBe(0);
    const apply = await tf("apply", "-auto-approve", "-input=false");
    expect(apply.output).toContain('secret group "edge-tls": created');
    expect(apply.code).toBe(0);
    const group = (await apiClient(cp).findGroupByName("edge-tls"))!;
    const secrets = await apiClient(cp).listSecrets(group.id, { withValue: true });
    expect(secrets.map((s) => [s.name, s.value])).toEqual([["TLS_KEY", "tls-key-value-1"]]);
    expect((await tf("destroy", "-auto-approve", "-input=false")).code).toBe(0);
    expect(await apiClient(cp).findGroupByName("edge-tls")).toBeUndefined();
  });
});
