/**
 * Strings that would not arrive as written: NUL, lone surrogates, U+FFFD,
 * text Terraform normalizes (non-NFC), and key sets too long to carry.
 * The rules (lib/shared/rules.ts) and what synth makes of them.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, LocalBackend, TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretGroupProps, SecretValue } from "../../lib";
import { hclStringBody } from "../../lib/construct/terraform-text";
import { MAX_KEY_LENGTH, MAX_KEY_NAMES_CHARS, carriedTextProblems, keySetProblems, literalTextProblems } from "../../lib/shared/rules";

const NFD = "cafe\u0301-sentinel-9e1a";
const LONE = "lone-\ud800-sentinel";

describe("string rules", () => {
  it.each([
    ["NUL", "a\u0000b", "contains a NUL character"],
    ["a lone high surrogate", LONE, "contains a lone UTF-16 surrogate"],
    ["a lone low surrogate", "x\udc00y", "contains a lone UTF-16 surrogate"],
    ["U+FFFD", "bad-\ufffd-byte", "contains U+FFFD, the replacement character"],
  ])("refuses %s wherever it goes, never quoting it", (_, text, reason) => {
    const problems = carriedTextProblems("the value", text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`the value ${reason}`);
    expect(problems[0]).not.toContain(text);
    expect(literalTextProblems("the value", text)).toEqual(problems);
  });

  it("accepts a well-formed surrogate pair, and NFD text where it arrives byte for byte", () => {
    expect(carriedTextProblems("v", "emoji-\ud83d\ude00-ok")).toEqual([]);
    expect(carriedTextProblems("v", NFD)).toEqual([]);
  });

  it("refuses text Terraform would normalize: NFD and other non-NFC text", () => {
    for (const text of [NFD, "\u212b-angstrom-sign", "\u1100\u1161-jamo"]) {
      expect(text).not.toBe(text.normalize("NFC"));
      expect(literalTextProblems("the value", text)).toEqual([
        'the value is not in Unicode NFC: Terraform normalizes strings to NFC, so other bytes would arrive; write it in NFC (String.prototype.normalize("NFC"))',
      ]);
    }
    expect(literalTextProblems("v", NFD.normalize("NFC"))).toEqual([]);
  });

  it("refuses keys too long, and key sets whose names alone cannot be carried", () => {
    expect(keySetProblems(["K".repeat(MAX_KEY_LENGTH)])).toEqual([]);
    expect(keySetProblems(["K".repeat(MAX_KEY_LENGTH + 1)])).toEqual([`secret key "${"K".repeat(32)}…" is ${MAX_KEY_LENGTH + 1} characters long, more than the ${MAX_KEY_LENGTH} allowed`]);
    // The case reported: 100 keys of 1.4 KB passed synth and failed the deploy with "argument list too long".
    const fitting = Array.from({ length: 100 }, (_, i) => `K${String(i).padStart(3, "0")}_`.padEnd(MAX_KEY_NAMES_CHARS / 100, "X"));
    expect(keySetProblems(fitting)).toEqual([]);
    const tooMany = Array.from({ length: 40 }, (_, i) => `K${String(i).padStart(3, "0")}_`.padEnd(250, "X"));
    expect(keySetProblems(tooMany)).toEqual([
      `the key names add up to 10000 characters, more than the ${MAX_KEY_NAMES_CHARS} one hook run can carry for a group (Linux caps each environment variable at 128 KiB); use shorter keys or split the group`,
    ]);
  });
});

describe("synth", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function synth(build: (stack: TerraformStack) => void): { error?: string; warnings: string[]; json?: any } {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-strings-"));
    dirs.push(outdir);
    const saved = process.env.TFYSG_DIGEST_KEY;
    process.env.TFYSG_DIGEST_KEY = "strings-test-digest-key-0123456789";
    const app = new App({ outdir });
    const stack = new TerraformStack(app, "s");
    new LocalBackend(stack, { path: "../../../terraform.s.tfstate" });
    try {
      build(stack);
      app.synth();
    } catch (err) {
      return { error: (err as Error).message, warnings: [] };
    } finally {
      if (saved === undefined) delete process.env.TFYSG_DIGEST_KEY;
      else process.env.TFYSG_DIGEST_KEY = saved;
    }
    const warnings = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data)));
    return { warnings, json: JSON.parse(fs.readFileSync(path.join(outdir, "stacks", "s", "cdk.tf.json"), "utf8")) };
  }

  const group = (props: Partial<SecretGroupProps>) => (stack: TerraformStack) =>
    new SecretGroup(stack, "g", { name: "strings-db", integrationId: "int-1", secrets: { A: "literal-ok-value" }, ...props } as SecretGroupProps);

  it.each([
    ["a NUL in a literal", { secrets: { A: "nul-\u0000-sentinel" } }, 'secret group "strings-db": secret "A": the literal value contains a NUL character'],
    ["a lone surrogate in a literal", { secrets: { A: LONE } }, 'secret group "strings-db": secret "A": the literal value contains a lone UTF-16 surrogate'],
    ["an NFD literal", { secrets: { A: NFD } }, 'secret group "strings-db": secret "A": the literal value is not in Unicode NFC'],
    ["U+FFFD in a literal", { secrets: { A: "x-\ufffd-sentinel" } }, 'secret group "strings-db": secret "A": the literal value contains U+FFFD'],
    ["an NFD integrationId", { integrationId: "inte\u0301gration" }, "integrationId is not in Unicode NFC"],
    ["a NUL in a collaborator", { collaborators: [{ subject: "user:a\u0000b@example.com", role: "viewer" as const }] }, "contains a NUL character"],
    ["100 keys of 1.4 KB", { secrets: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`K${i}_`.padEnd(1400, "X"), SecretValue.fromEnv("V")])) }, "secret key \"K0_XXXX"],
    ["40 keys of 250 characters", { secrets: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`K${i}_`.padEnd(250, "X"), SecretValue.fromEnv("V")])) }, "the key names add up to 10000 characters"],
  ])("refuses %s, naming the group and the reason, never quoting the value", (_, props, reason) => {
    const { error } = synth(group(props));
    expect(error).toContain("[s/g]");
    expect(error).toContain(reason);
    for (const v of Object.values((props as { secrets?: Record<string, unknown> }).secrets ?? {})) if (typeof v === "string") expect(error).not.toContain(v);
  });

  it("secrets from variables get a plan-time check naming the group (NUL, U+FFFD); a non-ephemeral variable a warning about saved plans", () => {
    const { json, warnings } = synth((stack) => {
      const sensitive = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
      const eph = new TerraformVariable(stack, "api_token", { type: "string", sensitive: true });
      eph.addOverride("ephemeral", true);
      group({ secrets: { A: SecretValue.fromVariable(sensitive), B: SecretValue.fromVariable(eph) } })(stack);
    });
    const check = json.resource.terraform_data.secret_groups_checks.lifecycle.precondition.find((c: { error_message: string }) => c.error_message.startsWith('Secret group "strings-db"'));
    expect(check.condition).toBe(
      '${try(!strcontains(var.db_password, "\\u0000") && !strcontains(var.db_password, "\\uFFFD"), true) && try(!strcontains(var.api_token, "\\u0000") && !strcontains(var.api_token, "\\uFFFD"), true)}',
    );
    expect(check.error_message).toContain('Secret group "strings-db": the value of secret "A" (variable db_password) or secret "B" (variable api_token) contains a NUL character');
    // Not a validation on the variable: Terraform 1.11 prints a sensitive variable's value when one fails.
    expect(json.variable.db_password.validation).toBeUndefined();
    const saved = warnings.filter((w) => w.includes("saved plan"));
    expect(saved).toHaveLength(1);
    expect(saved[0]).toContain('secret "A" comes from variable "db_password", which is not ephemeral: a saved plan file');
  });
});

describe("text in a runner's map", () => {
  it("arrives byte for byte as Terraform reads it: quotes, backslashes, control characters, templates", () => {
    const texts = ['q"uo\\te', "a${b}c%{d}e$${f}", "tab\tnew\nline\rcr\u0001", "ünï-cödé ✓", "trailing\\"];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-hcl-"));
    try {
      const entries = texts.map((t, i) => `"k${i}" = "${hclStringBody(t)}"`).join(", ");
      fs.writeFileSync(path.join(dir, "main.tf.json"), JSON.stringify({ locals: { m: `\${tomap({ ${entries} })}` } }));
      const env = { PATH: process.env.PATH, HOME: dir, TF_CLI_CONFIG_FILE: path.join(dir, "none.tfrc"), CHECKPOINT_DISABLE: "1", TF_INPUT: "0" };
      fs.writeFileSync(path.join(dir, "none.tfrc"), "");
      const out = execFileSync("terraform", ["console"], { cwd: dir, env, input: "jsonencode(local.m)\n", encoding: "utf8" });
      expect(JSON.parse(JSON.parse(out.trim()))).toEqual(Object.fromEntries(texts.map((t, i) => [`k${i}`, t])));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
