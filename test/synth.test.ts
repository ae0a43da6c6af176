/**
 * Synth-time behaviour: bad props fail with every problem listed at once, the
 * synthesized stack is self-contained, and the null_resource hook generates
 * the same resources as terraform_data (its provider cannot be downloaded
 * here, so it is covered at synth level).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, Annotations, LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { SecretGroup, SecretGroupProps, SecretValue } from "../lib";

function synth(build: (stack: TerraformStack) => void): { dir: string; json: any } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-synth-"));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, "s");
  // cdktf's default backend path is absolute; a portable app names its own.
  new LocalBackend(stack, { path: "../../../terraform.s.tfstate" });
  build(stack);
  app.synth();
  return { dir: outdir, json: JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "s", "cdk.tf.json"), "utf8")) };
}

function synthError(props: Partial<SecretGroupProps> | Record<string, unknown>, build?: (stack: TerraformStack) => void): string {
  try {
    synth((stack) => {
      build?.(stack);
      new SecretGroup(stack, "g", props as SecretGroupProps);
    });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("synth did not fail");
}

const ok = { name: "payments-db", integrationId: "int-1", secrets: { A: SecretValue.fromEnv("A_VALUE") } };
const big = "x".repeat(64 * 1024 + 1);
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, SecretValue.fromEnv("V")]));

describe("bad props fail at synth, naming the construct and the problem", () => {
  const table: [string, Record<string, unknown>, string][] = [
    ["empty name", { ...ok, name: "" }, "name is empty"],
    ["name too short", { ...ok, name: "ab" }, 'name "ab" is invalid: use 3 to 64 characters, lowercase letters, digits and "-", starting with a letter and not ending with "-"'],
    ["name too long", { ...ok, name: "a".repeat(65) }, `name "${"a".repeat(65)}" is invalid`],
    ["uppercase name", { ...ok, name: "Payments" }, 'name "Payments" is invalid'],
    ["name starting with a digit", { ...ok, name: "1payments" }, 'name "1payments" is invalid'],
    ["name ending with -", { ...ok, name: "payments-" }, 'name "payments-" is invalid'],
    ["underscore in name", { ...ok, name: "pay_ments" }, 'name "pay_ments" is invalid'],
    ["unicode name", { ...ok, name: "paiements-é" }, 'name "paiements-é" is invalid'],
    ["name with whitespace", { ...ok, name: " payments" }, 'name " payments" has leading or trailing whitespace'],
    ["name not a string", { ...ok, name: 42 }, "name must be a string, got number"],
    ["missing integration id", { ...ok, integrationId: undefined }, "integrationId must be a string, got undefined"],
    ["empty integration id", { ...ok, integrationId: "" }, "integrationId is empty"],
    ["blank integration id", { ...ok, integrationId: "   " }, "integrationId is empty"],
    ["integration id with whitespace", { ...ok, integrationId: " int-1" }, 'integrationId " int-1" has leading or trailing whitespace'],
    ["no secrets", { ...ok, secrets: {} }, "secrets is empty: a group needs at least one secret"],
    ["secrets missing", { ...ok, secrets: undefined }, "secrets must be an object of key to value, got undefined"],
    ["secrets as an array", { ...ok, secrets: [["A", "x"]] }, "secrets must be an object of key to value, got an array"],
    ["too many keys", { ...ok, secrets: keys(101) }, "secrets has 101 keys, more than the 100 allowed"],
    ["key starting with a digit", { ...ok, secrets: { "1KEY": SecretValue.fromEnv("V") } }, 'secret key "1KEY" is invalid: use letters, digits and "_", not starting with a digit'],
    ["key with a dash", { ...ok, secrets: { "DB-PASS": SecretValue.fromEnv("V") } }, 'secret key "DB-PASS" is invalid'],
    ["key with a space", { ...ok, secrets: { "DB PASS": SecretValue.fromEnv("V") } }, 'secret key "DB PASS" is invalid'],
    ["unicode key", { ...ok, secrets: { "CLÉ": SecretValue.fromEnv("V") } }, 'secret key "CLÉ" is invalid'],
    ["empty key", { ...ok, secrets: { "": SecretValue.fromEnv("V") } }, "secret key is empty"],
    ["keys differing only in case", { ...ok, secrets: { Token: SecretValue.fromEnv("V"), TOKEN: SecretValue.fromEnv("W") } }, 'secret keys "Token" and "TOKEN" differ only in case'],
    ["value too large", { ...ok, secrets: { BIG: big } }, 'secret "BIG": value is 65537 bytes, more than the 65536 allowed'],
    ["value not a string", { ...ok, secrets: { N: 5 } }, 'secret "N": value must be a string or a SecretValue, got number'],
    ["value null", { ...ok, secrets: { N: null } }, 'secret "N": value must be a string or a SecretValue, got null'],
    ["bad env variable name", { ...ok, secrets: { A: SecretValue.fromEnv("MY-VAR") } }, 'secret "A": SecretValue.fromEnv("MY-VAR") is not a valid environment variable name'],
    ["reserved env prefix", { ...ok, secrets: { A: SecretValue.fromEnv("TFYSG_NAME") } }, 'secret "A": SecretValue.fromEnv("TFYSG_NAME") uses the TFYSG_ prefix, reserved for the hook'],
    ["bad hook", { ...ok, hook: "local_exec" }, 'hook must be "terraform_data" or "null_resource", got "local_exec"'],
    ["bad removal policy", { ...ok, removalPolicy: "keep" }, 'removalPolicy must be "destroy" or "retain", got "keep"'],
    ["adoptExisting not a boolean", { ...ok, adoptExisting: "yes" }, "adoptExisting must be a boolean, got string"],
    ["secretsVersion not a string", { ...ok, secretsVersion: 2 }, "secretsVersion must be a string, got number"],
  ];

  it.each(table)("%s", (_label, props, expected) => {
    expect(synthError(props)).toContain(`[s/g] ${expected}`);
  });

  it("a variable that is neither sensitive nor ephemeral is refused", () => {
    let v: TerraformVariable;
    const msg = synthError({ ...ok, secrets: { A: { toString: () => "" } } }, () => undefined);
    expect(msg).toContain('secret "A": value must be a string or a SecretValue, got object');
    const msg2 = (() => {
      try {
        synth((stack) => {
          v = new TerraformVariable(stack, "plain", { type: "string" });
          new SecretGroup(stack, "g", { ...ok, secrets: { A: SecretValue.fromVariable(v) } });
        });
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    })();
    expect(msg2).toContain('[s/g] secret "A": variable "plain" is neither sensitive nor ephemeral');
  });

  it("two groups with the same name in one stack are refused", () => {
    const msg = synthError(ok, (stack) => new SecretGroup(stack, "first", ok));
    expect(msg).toContain('[s/g] name "payments-db" is already used by the secret group at first in this stack');
  });

  it("lists every problem at once", () => {
    const msg = synthError({ name: "Bad Name", integrationId: "", secrets: { "1X": big, "1x": "y" } });
    for (const expected of [
      'name "Bad Name" is invalid',
      "integrationId is empty",
      'secret key "1X" is invalid',
      'secret key "1x" is invalid',
      'secret keys "1X" and "1x" differ only in case',
      'secret "1X": value is 65537 bytes',
    ]) {
      expect(msg).toContain(expected);
    }
    expect(msg).not.toContain("x".repeat(100));
  });
});

describe("synthesized stack", () => {
  it("holds no absolute path of this machine and ships the hook as an asset", () => {
    const { dir, json } = synth((stack) => new SecretGroup(stack, "g", ok));
    const text = JSON.stringify(json);
    expect(text).not.toContain(dir);
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain(os.tmpdir());
    const command: string = json.resource.terraform_data[Object.keys(json.resource.terraform_data).find((k) => k.startsWith("g_create"))!].provisioner[0]["local-exec"].command;
    const hook = command.split(" ")[1];
    expect(hook).toMatch(/^assets\/.*\/hook\.js$/);
    expect(fs.existsSync(path.join(dir, "stacks", "s", hook))).toBe(true);
  });

  it("warns at synth that a literal value will be in the synthesized config", () => {
    const warnings: string[] = [];
    synth((stack) => {
      const g = new SecretGroup(stack, "g", { ...ok, secrets: { A: "literal-value-1" } });
      for (const m of g.node.metadata) if (m.type === "@cdktf/warn") warnings.push(String(m.data));
    });
    expect(warnings.join("\n")).toContain('secret "A" is a literal: its value will be in plaintext in the synthesized configuration');
    expect(Annotations).toBeDefined();
  });

  it("secretFqn names a key of the group and refuses others", () => {
    synth((stack) => {
      const g = new SecretGroup(stack, "g", ok);
      expect(g.secretFqn("A")).toMatch(/^tfy-secret:\/\/\$\{.*\}:A$/);
      expect(() => g.secretFqn("B")).toThrow('secret group s/g: no secret "B" (keys: A)');
    });
  });
});

describe("13. null_resource hook", () => {
  const build = (hook: "terraform_data" | "null_resource") => (stack: TerraformStack) => {
    if (hook === "null_resource") new NullProvider(stack, "null");
    new SecretGroup(stack, "g", { ...ok, hook, removalPolicy: "retain" });
  };

  it("generates the same hooks, provisioners and dependencies as terraform_data", () => {
    const td = synth(build("terraform_data")).json;
    const nr = synth(build("null_resource")).json;
    expect(Object.keys(nr.resource)).toEqual(["null_resource"]);
    const tdRes = td.resource.terraform_data;
    const nrRes = nr.resource.null_resource;
    expect(Object.keys(nrRes).sort()).toEqual(Object.keys(tdRes).sort());
    for (const name of Object.keys(tdRes)) {
      const strip = (p: any) =>
        JSON.stringify(p)
          .replace(/self\.(input|triggers)/g, "self.X")
          .replace(/terraform_data\.(\w+)\.output\./g, "null_resource.$1.triggers.")
          .replace(/terraform_data\./g, "null_resource.");
      expect(strip(nrRes[name].provisioner)).toBe(strip(tdRes[name].provisioner));
    }
    const holder = Object.keys(nrRes).find((k) => k.startsWith("g_id"))!;
    expect(nrRes[holder].triggers).toMatchObject({ id: expect.stringContaining("outputs.id"), name: "payments-db" });
    expect(nrRes[holder].lifecycle.ignore_changes).toEqual(['triggers["id"]', 'triggers["fqn"]', 'triggers["name"]']);
    expect(nrRes[holder].provisioner[0]["local-exec"]).toMatchObject({
      when: "destroy",
      environment: { TFYSG_GROUP_ID: "${self.triggers.id}", TFYSG_REMOVAL_POLICY: "retain" },
    });
    const update = Object.keys(nrRes).find((k) => k.startsWith("g_update"))!;
    expect(nrRes[update].depends_on).toEqual([`null_resource.${holder}`]);
    expect(nr.data.terraform_remote_state).toBeDefined();
    expect(nr.terraform.required_providers.null.source).toBe("null");
  });
});
