/**
 * The digest-key variable: a stack with a secret from a Terraform variable
 * declares `secret_groups_digest_key`, and a precondition makes terraform plan
 * refuse a key shorter than 16 characters, before anything is sent, without
 * printing it (a variable's validation would print a sensitive value).
 */
import * as fs from "fs";
import * as path from "path";
import { TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "../lib";
import { ControlPlane } from "../control-plane/server";
import { Project, controlPlane } from "../scripts/harness";

let cp: ControlPlane;
let project: Project;
beforeAll(async () => {
  cp = await controlPlane();
  project = new Project(cp, "digest");
  project.synth((stack: TerraformStack) => {
    const password = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
    new SecretGroup(stack, "db", { name: "digest-db", integrationId: "int-vault", secrets: { PASSWORD: SecretValue.fromVariable(password) } });
  });
});
afterAll(async () => {
  await cp.close();
  project.cleanup();
});

const plan = (key: string) => project.plan({ TF_VAR_db_password: "pw-digest-1", TF_VAR_secret_groups_digest_key: key });

test("the stack declares secret_groups_digest_key, sensitive", () => {
  const config = JSON.parse(fs.readFileSync(path.join(project.stackDir, "cdk.tf.json"), "utf8"));
  expect(config.variable.secret_groups_digest_key).toMatchObject({ type: "string", sensitive: true });
});

test.each(["", "shortKEY9", "x".repeat(15)])("plan refuses a digest key of %j, naming the variable and the rule, before any request, without printing it", async (key) => {
  const res = await plan(key);
  expect(res.code).toBe(1);
  expect(res.output.replace(/\s+/g, " ")).toContain("secret_groups_digest_key must be a random secret of at least 16 characters.");
  if (key) expect(res.output).not.toContain(key);
  expect(cp.requests()).toEqual([]);
});

test("plan takes a key of 16 characters", async () => {
  const res = await plan("k".repeat(16));
  expect([res.code, res.output]).toEqual([2, expect.stringContaining("Plan:")]);
  expect(cp.requests()).toEqual([]);
});
