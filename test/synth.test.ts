/**
 * Synth-time behaviour: bad props fail with every problem listed at once; the
 * synthesized stack is self-contained, holds one resource per group named
 * after it, every literal once and escaped, and splits runners at Linux's
 * environment limits; the null_resource hook generates the same resources as
 * terraform_data (its provider cannot be downloaded here, so it is covered
 * at synth level).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Construct } from "constructs";
import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { SecretGroup, SecretGroupProps, SecretValue } from "../lib";
import { synthesizer } from "./support/synth";

const synth = synthesizer();

function synthError(props: Partial<SecretGroupProps> | Record<string, unknown>, build?: (stack: TerraformStack) => void, env?: Record<string, string | undefined>): string {
  try {
    synth((stack) => {
      build?.(stack);
      new SecretGroup(stack, "g", props as SecretGroupProps);
    }, env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("synth did not fail");
}

const ok = { name: "payments-db", integrationId: "int-1", secrets: { A: SecretValue.fromEnv("A_VALUE") } };
const big = "x".repeat(64 * 1024 + 1);
const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, SecretValue.fromEnv("V")]));
/** n literal values of 64 KiB, each different. */
const bulky = (n: number, tag: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, `${tag}${i}-`.padEnd(64 * 1024, "v")]));

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
    ["collaborators not an array", { ...ok, collaborators: { subject: "user:a@b.io", role: "admin" } }, "collaborators must be an array, got object"],
    ["collaborator subject without a kind", { ...ok, collaborators: [{ subject: "ana@example.com", role: "admin" }] }, 'collaborator subject "ana@example.com" is invalid: use "user:<email>" or "team:<name>"'],
    ["collaborator user without an email", { ...ok, collaborators: [{ subject: "user:ana", role: "admin" }] }, 'collaborator subject "user:ana" is invalid'],
    ["collaborator of another kind", { ...ok, collaborators: [{ subject: "serviceaccount:ci", role: "viewer" }] }, 'collaborator subject "serviceaccount:ci" is invalid'],
    ["collaborator with an unknown role", { ...ok, collaborators: [{ subject: "team:ops", role: "owner" }] }, 'collaborator "team:ops": role must be one of "admin", "editor", "viewer", got "owner"'],
    ["collaborator listed twice", { ...ok, collaborators: [{ subject: "team:ops", role: "viewer" }, { subject: "team:ops", role: "admin" }] }, 'collaborator "team:ops" appears more than once; give each subject one role'],
    ["literals too large for one hook run", { ...ok, secrets: bulky(17, "a") }, "literal secret values add up to 1114112 bytes, more than the 1048576 one hook run can carry"],
  ];

  it.each(table)("%s", (_label, props, expected) => {
    expect(synthError(props)).toContain(`[s/g] ${expected}`);
  });

  it("a value that is neither a string nor a SecretValue is refused", () => {
    const msg = synthError({ ...ok, secrets: { A: { toString: () => "" } } });
    expect(msg).toContain('[s/g] secret "A": value must be a string or a SecretValue, got object');
  });

  it("a variable that is neither sensitive nor ephemeral is refused", () => {
    const msg = synthError({}, (stack) => {
      const plain = new TerraformVariable(stack, "plain", { type: "string" });
      new SecretGroup(stack, "other", { ...ok, name: "other-db", secrets: { A: SecretValue.fromVariable(plain) } });
    });
    expect(msg).toContain('[s/other] secret "A": variable "plain" is neither sensitive nor ephemeral');
  });

  it("two groups with the same name in one stack are refused", () => {
    const msg = synthError(ok, (stack) => new SecretGroup(stack, "first", ok));
    expect(msg).toContain('[s/g] name "payments-db" is already used by the secret group at s/first in this stack');
  });

  it("a name only known at deploy time is refused: the name is the group's identity", () => {
    let msg = "";
    try {
      synth((stack) => {
        const v = new TerraformVariable(stack, "group_name", { type: "string" });
        new SecretGroup(stack, "g", { ...ok, name: v.stringValue });
      });
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain("[s/g] name must be a plain string known at synth: it is the group's identity in the stack");
  });

  it("values seen at synth need TFYSG_DIGEST_KEY, which keys their digests", () => {
    expect(synthError({ ...ok, secrets: { A: "literal" } }, undefined, { TFYSG_DIGEST_KEY: undefined })).toContain(
      "[s/g] TFYSG_DIGEST_KEY is not set while synthesizing",
    );
    expect(synthError({ ...ok, secrets: { A: "literal" } }, undefined, { TFYSG_DIGEST_KEY: "short" })).toContain("[s/g] TFYSG_DIGEST_KEY is shorter than 16 characters");
    // Values nobody can see at synth need no key.
    expect(() => synth((stack) => new SecretGroup(stack, "g", ok), { TFYSG_DIGEST_KEY: undefined, A_VALUE: undefined })).not.toThrow();
  });

  it("every group of a stack uses the same hook", () => {
    const msg = synthError({ ...ok, name: "other-db", hook: "null_resource" }, (stack) => {
      new NullProvider(stack, "null");
      new SecretGroup(stack, "first", ok);
    });
    expect(msg).toContain('[s/g] hook "null_resource" differs from the "terraform_data" of the other secret groups of this stack');
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
  const runnerOf = (json: any, i = 0) => json.resource.terraform_data[`secret_groups_reconcile_${i}`];

  it("holds no absolute path of this machine and ships the hook as an asset, run once per runner", () => {
    const { dir, json, text } = synth((stack) => new SecretGroup(stack, "g", ok));
    expect(text).not.toContain(dir);
    expect(text).not.toContain(process.cwd());
    expect(text).not.toContain(os.tmpdir());
    const command: string = runnerOf(json).provisioner[0]["local-exec"].command;
    const [, , hook, op] = command.split(" ");
    expect(command.startsWith("exec node ")).toBe(true);
    expect(op).toBe("reconcile");
    expect(hook).toMatch(/^assets\/.*\/hook\.js$/);
    expect(fs.existsSync(path.join(dir, "cdktf.out", "stacks", "s", hook))).toBe(true);
  });

  it("keeps each group as one line of its runner's map, keyed by its name: renaming or moving the construct changes nothing", () => {
    const a = synth((stack) => new SecretGroup(stack, "g", ok)).json;
    const b = synth((stack) => new SecretGroup(new Construct(stack, "team"), "renamed-construct", ok)).json;
    const strip = (j: any) => JSON.stringify(j.resource).replace(/"\/\/":\{[^}]*\}/g, "");
    expect(runnerOf(a).triggers_replace).toMatch(/^\$\{tomap\(\{ "payments-db" = "integration_id=int-1; fingerprint=public:[0-9a-f]{32}; keys=A" \}\)\}$/);
    // No resource per group: the state is rewritten after every resource change.
    expect(Object.keys(a.resource.terraform_data).filter((k) => !k.startsWith("secret_groups_"))).toEqual([]);
    expect(strip(b)).toBe(strip(a));
  });

  it("writes each literal once, escaped so that Terraform reads it byte for byte", () => {
    const literal = 'A$${B}%{if true}C%{endif}D${upper("e")}-unique-literal';
    const { text, json } = synth((stack) => new SecretGroup(stack, "g", { ...ok, integrationId: "vault-${path.module}", secrets: { L: literal } }));
    expect(text.split("-unique-literal").length - 1).toBe(1);
    expect(json.locals.secret_groups_reconcile_0.TFYSG_VALUE_0).toBe('A$$${B}%%{if true}C%%{endif}D$${upper("e")}-unique-literal');
    expect(runnerOf(json).triggers_replace).toContain('"payments-db" = "integration_id=vault-$${path.module}; fingerprint=');
  });

  it("warns at synth that a literal value will be in the synthesized config", () => {
    const warnings: string[] = [];
    synth((stack) => {
      const g = new SecretGroup(stack, "g", { ...ok, secrets: { A: "literal-value-1" } });
      for (const m of g.node.metadata) if (m.type === "@cdktf/warn") warnings.push(String(m.data));
    });
    expect(warnings).toEqual([
      'secret "A" is a literal: its value will be in plaintext in the synthesized configuration (cdk.tf.json); use SecretValue.fromEnv or SecretValue.fromVariable',
    ]);
  });

  it("splits the groups among runners so that no hook run carries more than Linux allows", () => {
    const { json } = synth((stack) => {
      new SecretGroup(stack, "one", { ...ok, name: "bulky-one", secrets: bulky(15, "one") });
      new SecretGroup(stack, "two", { ...ok, name: "bulky-two", secrets: bulky(15, "two") });
      new SecretGroup(stack, "three", { ...ok, name: "small-three" });
    });
    const runners = Object.keys(json.resource.terraform_data).filter((k) => /^secret_groups_reconcile_\d+$/.test(k));
    expect(runners.sort()).toEqual(["secret_groups_reconcile_0", "secret_groups_reconcile_1"]);
    const names = (i: number) => JSON.parse(json.locals[`secret_groups_reconcile_${i}`].TFYSG_GROUPS).map((g: { name: string }) => g.name);
    expect([names(0), names(1)]).toEqual([["bulky-one", "small-three"], ["bulky-two"]]);
  });

  it("keeps each runner's group list under one environment variable's 128 KiB", () => {
    const { json } = synth((stack) => {
      for (let i = 0; i < 40; i++) new SecretGroup(stack, `g${i}`, { ...ok, name: `wide-${i}`, secrets: keys(100) });
    });
    const lists = Object.entries(json.locals)
      .filter(([k]) => /^secret_groups_reconcile_\d+$/.test(k))
      .map(([, v]) => (v as { TFYSG_GROUPS: string }).TFYSG_GROUPS);
    expect(lists.length).toBeGreaterThan(1);
    for (const list of lists) expect(Buffer.byteLength(list)).toBeLessThan(128 * 1024);
    expect(lists.flatMap((l) => JSON.parse(l).map((g: { name: string }) => g.name))).toHaveLength(40);
  });

  it("secretFqn names a key of the group and refuses others", () => {
    const { json } = synth((stack) => {
      const g = new SecretGroup(stack, "g", ok);
      new TerraformOutput(stack, "fqn_a", { value: g.secretFqn("A") });
      expect(() => g.secretFqn("B")).toThrow('secret group s/g: no secret "B" (keys: A)');
    });
    // The fqn the control plane gave the secret, as the state records it where it differs; otherwise composed.
    const group = 'local.secret_groups_recorded["payments-db"]';
    expect(json.output.fqn_a.value).toBe(`\${lookup(try(${group}.secretFqns, {}), "A", "tfy-secret://\${${group}.fqn}:A")}`);
  });
});

describe("null_resource hook", () => {
  const build = (hook: "terraform_data" | "null_resource") => (stack: TerraformStack) => {
    if (hook === "null_resource") new NullProvider(stack, "null");
    new SecretGroup(stack, "g", { ...ok, hook, removalPolicy: "retain" });
  };

  it("has terraform_data's resources, provisioners and dependencies, with null_resource in their references; only the keeper's destroy step reads what it kept from triggers", () => {
    const td = synth(build("terraform_data")).json;
    const nr = synth(build("null_resource")).json;
    expect(Object.keys(nr.resource)).toEqual(["null_resource"]);
    const tdRes = td.resource.terraform_data;
    const nrRes = nr.resource.null_resource;
    expect(Object.keys(nrRes).sort()).toEqual(Object.keys(tdRes).sort());
    // The one rewrite applied to terraform_data's blocks: references name the other resource type.
    const asNull = (v: unknown) => JSON.parse(JSON.stringify(v ?? null).replace(/\bterraform_data\./g, "null_resource."));
    const envDiffs: unknown[] = [];
    for (const name of Object.keys(tdRes)) {
      expect([name, nrRes[name].depends_on ?? null]).toEqual([name, asNull(tdRes[name].depends_on)]);
      const tdSteps = (tdRes[name].provisioner ?? []).map((p: any) => p["local-exec"]);
      const nrSteps = (nrRes[name].provisioner ?? []).map((p: any) => p["local-exec"]);
      expect([name, nrSteps.map(({ environment: _, ...rest }: any) => rest)]).toEqual([name, asNull(tdSteps.map(({ environment: _, ...rest }: any) => rest))]);
      tdSteps.forEach((step: any, i: number) => {
        if (JSON.stringify(asNull(step.environment)) !== JSON.stringify(nrSteps[i].environment ?? null)) envDiffs.push([name, i, step.environment, nrSteps[i].environment]);
      });
    }
    // The one other difference: the keeper's destroy step reads what it kept from triggers, not input.
    expect(envDiffs.map((d: any) => d[0])).toEqual(["secret_groups_reconcile_0_keeper"]);
    const [, , tdEnv, nrEnv] = envDiffs[0] as [string, number, string, string];
    expect(tdEnv.replace(/self\.(input|triggers_replace)\./g, "self.triggers.")).toBe(nrEnv);
    // Kept values sit in null_resource's triggers, all of which replace it: its keeper is created before destroyed
    // (a deposed copy runs no destroy-time provisioner); terraform_data's is updated in place. The token is frozen.
    const keeper = nrRes.secret_groups_reconcile_0_keeper;
    expect(keeper.triggers.ids).toContain("secret_groups_reconcile_0_record.outputs.groups");
    expect(keeper.triggers.retain).toBe("payments-db");
    expect(keeper.lifecycle).toEqual({ create_before_destroy: true });
    expect(tdRes.secret_groups_reconcile_0_keeper.lifecycle).toBeUndefined();
    expect(tdRes.secret_groups_reconcile_0_keeper.input).toMatchObject({ retain: "payments-db", force: "" });
    expect(keeper.provisioner[0]["local-exec"].when).toBe("destroy");
    expect(keeper.provisioner[0]["local-exec"].environment).toContain("jsondecode(trimprefix(self.triggers.ids, \"ids:\"))");
    expect(tdRes.secret_groups_reconcile_0_keeper.provisioner[0]["local-exec"].environment).toContain("jsondecode(trimprefix(self.input.ids, \"ids:\"))");
    expect(nrRes.secret_groups_token.lifecycle).toMatchObject({ ignore_changes: ["triggers"] });
    expect(tdRes.secret_groups_token.lifecycle).toMatchObject({ ignore_changes: ["triggers_replace"] });
    expect(nrRes.secret_groups_reconcile_0.triggers).toMatch(/^\$\{tomap\(\{ "payments-db" = "integration_id=int-1; fingerprint=public:[0-9a-f]{32}; keys=A; removal_policy=retain" \}\)\}$/);
    expect(nr.terraform.required_providers.null.source).toBe("null");
  });
});

describe("the synth's environment", () => {
  it("is read from the construct context secret-groups:env when set, not from the process", () => {
    const viaContext = (value: string) =>
      synth((stack) => {
        const scope = new Construct(stack, "team");
        scope.node.setContext("secret-groups:env", { TFYSG_DIGEST_KEY: "context-digest-key-0123456789", CTX_ENV_VALUE: value });
        new SecretGroup(scope, "g", { name: "ctx-env", integrationId: "int", secrets: { A: SecretValue.fromEnv("CTX_ENV_VALUE") } });
      }, { TFYSG_DIGEST_KEY: undefined, CTX_ENV_VALUE: undefined }).json.resource.terraform_data.secret_groups_reconcile_0.triggers_replace;
    const one = viaContext("first");
    expect(one).toMatch(/^\$\{tomap\(\{ "ctx-env" = "integration_id=int; fingerprint=hmac:[0-9a-f]{32}; keys=A" \}\)\}$/);
    expect(viaContext("second")).not.toBe(one);
    expect(viaContext("first")).toBe(one);
  });
});
