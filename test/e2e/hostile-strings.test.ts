/**
 * Strings that would not arrive as written, through real deploys: the hook
 * (fromEnv) and a validation on the variable (Terraform variables) refuse
 * them before any request, naming the group; what does arrive, arrives as
 * the README says (fromEnv byte for byte, variables in NFC).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { TOKEN, apiClient, expectOk } from "../../scripts/harness";
import { expectNoneOf } from "../network/support";
import { suiteProjects } from "../support/suite";

const suite = suiteProjects();
const NFD = "cafe\u0301-nfd-sentinel-31b7";

function withVariable(opts: { ephemeral?: boolean } = {}) {
  return (stack: TerraformStack) => {
    const v = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
    if (opts.ephemeral) v.addOverride("ephemeral", true);
    new SecretGroup(stack, "db", { name: "strings-var-db", integrationId: "int-vault", secrets: { DB_PASSWORD: SecretValue.fromVariable(v) }, secretsVersion: "1" });
  };
}

function fromEnv(stack: TerraformStack) {
  new SecretGroup(stack, "db", { name: "strings-env-db", integrationId: "int-vault", secrets: { DB_PASSWORD: SecretValue.fromEnv("DB_PASSWORD") } });
}

/** A -var-file of the test's own, outside the project: JSON can spell what no environment can (NUL, a lone surrogate). */
function varFile(json: string): { arg: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-vars-"));
  const file = path.join(dir, "values.tfvars.json");
  fs.writeFileSync(file, json);
  return { arg: `-var-file=${file}`, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

describe("values that cannot arrive as written are refused at deploy, before any request", () => {
  it("fromEnv: a lone surrogate (the environment carries U+FFFD) fails in the hook, naming the group and the variable", async () => {
    const { cp, project } = await suite.setup("envfffd");
    project.synth(fromEnv);
    const sentinel = "env-lone-\ud800-sentinel-6c2f";
    const res = await project.apply({ DB_PASSWORD: sentinel });
    expect(res.code).not.toBe(0);
    expect(res.output.replace(/\s+/g, " ")).toContain(
      'secret group "strings-env-db": secret "DB_PASSWORD": the value of SecretValue.fromEnv("DB_PASSWORD") contains U+FFFD, the replacement character',
    );
    expect(cp.requests()).toEqual([]);
    expectNoneOf(res.output, [TOKEN, "env-lone-", "sentinel-6c2f"]);
    for (const f of project.files()) expectNoneOf(fs.readFileSync(f), ["env-lone-", "sentinel-6c2f"]);
  });

  it.each([
    ["a NUL", '"var-nul-\\u0000-sentinel-0d4e"', "var-nul-"],
    ["a lone surrogate (Terraform reads U+FFFD)", '"var-lone-\\ud800-sentinel-0d4e"', "var-lone-"],
  ])("a sensitive variable with %s fails at plan, naming the group", async (_, literal, marker) => {
    const { cp, project } = await suite.setup(marker.includes("nul") ? "varnul" : "varlone");
    project.synth(withVariable());
    const vars = varFile(`{"db_password": ${literal}}`);
    try {
      const res = await project.apply({}, [vars.arg]);
      expect(res.code).not.toBe(0);
      const oneLine = res.output.replace(/\s+/g, " ");
      expect(oneLine).toContain('Secret group "strings-var-db": the value of secret "DB_PASSWORD" (variable db_password) contains a NUL character');
      expect(cp.requests()).toEqual([]);
      expectNoneOf(res.output, [TOKEN, marker, "sentinel-0d4e"]);
      for (const f of project.files()) expectNoneOf(fs.readFileSync(f), [marker, "sentinel-0d4e"]);
    } finally {
      vars.remove();
    }
  });

  it("an ephemeral variable with a NUL fails at plan the same way", async () => {
    const { cp, project } = await suite.setup("ephnul");
    project.synth(withVariable({ ephemeral: true }));
    const vars = varFile('{"db_password": "eph-nul-\\u0000-sentinel-a1f0"}');
    try {
      const res = await project.apply({}, [vars.arg]);
      expect(res.code).not.toBe(0);
      expect(res.output.replace(/\s+/g, " ")).toContain('Secret group "strings-var-db": the value of secret "DB_PASSWORD" (variable db_password) contains a NUL character');
      expect(cp.requests()).toEqual([]);
      expectNoneOf(res.output, ["eph-nul-", "sentinel-a1f0"]);
    } finally {
      vars.remove();
    }
  });
});

describe("what arrives, arrives as the README says", () => {
  it("fromEnv arrives byte for byte, NFD included", async () => {
    const { cp, project } = await suite.setup("envnfd");
    project.synth(fromEnv);
    expectOk(await project.apply({ DB_PASSWORD: NFD }));
    const client = apiClient(cp, TOKEN);
    const group = await client.findGroupByName("strings-env-db");
    const [secret] = await client.listSecrets(group!.id, { withValue: true });
    expect(Buffer.from(secret.value!, "utf8").equals(Buffer.from(NFD, "utf8"))).toBe(true);
    for (const f of project.files()) expectNoneOf(fs.readFileSync(f), [NFD, NFD.normalize("NFC")]);
  });

  it("a Terraform variable arrives in NFC: Terraform normalizes it before anything of ours sees it", async () => {
    const { cp, project } = await suite.setup("varnfd");
    project.synth(withVariable());
    expectOk(await project.apply({ TF_VAR_db_password: NFD }));
    const client = apiClient(cp, TOKEN);
    const group = await client.findGroupByName("strings-var-db");
    const [secret] = await client.listSecrets(group!.id, { withValue: true });
    expect(secret.value).toBe(NFD.normalize("NFC"));
    expect(secret.value).not.toBe(NFD);
  });
});
