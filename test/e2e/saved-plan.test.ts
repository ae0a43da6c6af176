/**
 * What a saved plan reveals, as docs/security.md and the README say: every
 * non-ephemeral Terraform variable in clear, the key of variables' digests
 * (secret_groups_digest_key) included. With that key, the state's
 * fingerprint of a variable's value can be tested against guesses, also for
 * a value set after the plan was saved, until the key is rotated (and two
 * deploys ran: the state keeps one deploy's fingerprints back). Ephemeral
 * variables are in no plan.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { VARIABLE_DIGEST_KEY, expectOk, run } from "../../scripts/harness";
import { suiteProjects } from "../support/suite";

const suite = suiteProjects();
const PIN_IN_PLAN = "4821";
const PIN_LATER = "7306";

function app(opts: { ephemeral?: boolean } = {}) {
  return (stack: TerraformStack) => {
    const pin = new TerraformVariable(stack, "door_pin", { type: "string", sensitive: true });
    if (opts.ephemeral) pin.addOverride("ephemeral", true);
    new SecretGroup(stack, "p", { name: "plan-pins", integrationId: "int-vault", secrets: { DOOR_PIN: SecretValue.fromVariable(pin) }, secretsVersion: "1" });
  };
}

/** Guesses 0000-9999 against the state's fingerprints the way they are made, with a digest key read from a plan. */
function bruteForce(config: string, state: string, key: string): string[] {
  const synthFingerprint = /\[var\.secret_groups_digest_key, \\"([^\\"]+)\\", \\"DOOR_PIN\\", var\.door_pin\]/.exec(config)?.[1];
  expect(synthFingerprint).toBeDefined();
  const fingerprints = new Set([...state.matchAll(/tf:([0-9a-f]{32})/g)].map((m) => m[1]));
  expect(fingerprints.size).toBeGreaterThan(0);
  const found: string[] = [];
  for (let n = 0; n < 10_000; n++) {
    const guess = String(n).padStart(4, "0");
    const digest = crypto.createHash("sha256").update([key, synthFingerprint, "DOOR_PIN", guess].join("\n")).digest("hex").slice(0, 32);
    if (fingerprints.has(digest)) found.push(guess);
  }
  return found;
}

describe("a saved plan", () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-plans-"));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it("holds the digest key: with it, a PIN set after the plan is found in the state by brute force, until the key is rotated and two deploys ran", async () => {
    const { project } = await suite.setup("planpins");
    project.synth(app());
    expectOk(await project.apply({ TF_VAR_door_pin: PIN_IN_PLAN }));
    const planFile = path.join(scratch, "old.plan");
    expectOk(await project.terraform(["plan", "-input=false", `-out=${planFile}`], { TF_VAR_door_pin: PIN_IN_PLAN }));
    const shown = await run("terraform", ["show", "-json", planFile], { cwd: project.stackDir, env: project.env() });
    expect(shown.code).toBe(0);
    const variables = JSON.parse(shown.stdout).variables as Record<string, { value: string }>;
    // In clear, sensitive or not: what the README warns about.
    expect(variables.door_pin.value).toBe(PIN_IN_PLAN);
    expect(variables.secret_groups_digest_key.value).toBe(VARIABLE_DIGEST_KEY);

    // Later: the PIN is rotated; the old plan file is all an attacker kept, plus today's state.
    expectOk(await project.apply({ TF_VAR_door_pin: PIN_LATER }));
    const config = fs.readFileSync(path.join(project.stackDir, "cdk.tf.json"), "utf8");
    // The state also still holds the fingerprint of the value before (kept by the runner's record until its next change).
    const found = bruteForce(config, fs.readFileSync(project.stateFile, "utf8"), variables.secret_groups_digest_key.value);
    expect(found).toContain(PIN_LATER);

    // What to do after a plan leaked: rotate the key. The next deploy re-sends the values once, under the new key.
    const rotated = { TF_VAR_door_pin: PIN_LATER, TF_VAR_secret_groups_digest_key: "rotated-variable-digest-key-3f9d" };
    const res = await project.apply(rotated);
    expectOk(res);
    // The stack's read of its own outputs (data.terraform_remote_state.secret_groups_state) keeps the
    // previous deploy's fingerprints for one more deploy: so, deploy twice.
    const stillThere = bruteForce(config, fs.readFileSync(project.stateFile, "utf8"), variables.secret_groups_digest_key.value);
    expectOk(await project.apply(rotated));
    const after = bruteForce(config, fs.readFileSync(project.stateFile, "utf8"), variables.secret_groups_digest_key.value);
    console.log(`found with the old plan's key: after the PIN changed ${found.join(", ")}; one deploy after the key was rotated ${stillThere.join(", ") || "nothing"}; two deploys after ${after.join(", ") || "nothing"}`);
    expect(after).toEqual([]);
    expect((await project.plan(rotated)).code).toBe(0);
  });

  it("holds no ephemeral variable", async () => {
    const { project } = await suite.setup("ephplan");
    const value = "ephemeral-pin-sentinel-77c1";
    project.synth(app({ ephemeral: true }));
    expectOk(await project.apply({ TF_VAR_door_pin: value }));
    const planFile = path.join(scratch, "eph.plan");
    expectOk(await project.terraform(["plan", "-input=false", `-out=${planFile}`], { TF_VAR_door_pin: value }));
    const shown = await run("terraform", ["show", "-json", planFile], { cwd: project.stackDir, env: project.env() });
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(value);
    const unzipped = await run("unzip", ["-p", planFile], { cwd: scratch });
    expect(unzipped.stdout).not.toContain(value);
  });
});
