/**
 * Hostile input through real deploys: strings that Terraform would read as
 * templates arrive byte for byte, and a guessable value (a 4-digit PIN)
 * cannot be found by testing guesses against anything in the state, the
 * plan or the synthesized config.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";
import { ControlPlane } from "../../control-plane/server";
import { Project, apiClient, controlPlane, expectOk, run } from "../../scripts/harness";

describe("hostile input", () => {
  let cp: ControlPlane;
  let project: Project;
  beforeAll(async () => {
    cp = await controlPlane();
  });
  afterEach(() => project?.cleanup());
  afterAll(() => cp.close());

  async function valuesOf(name: string): Promise<{ integrationId: string; values: Record<string, string> }> {
    const client = apiClient(cp);
    const g = (await client.findGroupByName(name))!;
    const secrets = await client.listSecrets(g.id, { withValue: true });
    return { integrationId: g.integrationId, values: Object.fromEntries(secrets.map((s) => [s.name, s.value!])) };
  }

  it("literals, integration ids and versions holding ${...}, %{...} or $${ arrive byte for byte", async () => {
    project = new Project(cp, "templates");
    const literals = {
      MIXED: 'A$${B}%{if true}C%{endif}D${upper("e")}',
      PATH: "vault-${path.module}",
      BROKEN: "pa${ss}word",
      DOLLARS: "$$$${}%%{",
    };
    const app = (stack: TerraformStack) =>
      new SecretGroup(stack, "t", { name: "templates-grp", integrationId: "int-${path.module}", secrets: literals, secretsVersion: "v${1}" });
    project.synth(app);
    expectOk(await project.apply());
    expect(await valuesOf("templates-grp")).toEqual({ integrationId: "int-${path.module}", values: literals });
    project.synth(app);
    expect((await project.plan()).code).toBe(0);
  });

  it("a 4-digit PIN cannot be found by brute-forcing SHA-256 and SHA-512 constructions over the public strings of the state, plan and config", async () => {
    project = new Project(cp, "pins");
    const PIN_ENV = "4821";
    const PIN_VAR = "7306";
    const app = (stack: TerraformStack) => {
      const pin = new TerraformVariable(stack, "door_pin", { type: "string", sensitive: true });
      new SecretGroup(stack, "p", {
        name: "pins-grp",
        integrationId: "int-vault",
        secrets: { ENV_PIN: SecretValue.fromEnv("DOOR_ENV_PIN"), VAR_PIN: SecretValue.fromVariable(pin) },
      });
    };
    const env = { DOOR_ENV_PIN: PIN_ENV, TF_VAR_door_pin: PIN_VAR };
    project.synth(app, env);
    expectOk(await project.apply(env));
    expect((await valuesOf("pins-grp")).values).toEqual({ ENV_PIN: PIN_ENV, VAR_PIN: PIN_VAR });
    const plan = await project.terraform(["plan", "-input=false", "-out=saved.plan"], env);
    expect(plan.code).toBe(0);
    const shown = await run("terraform", ["show", "-json", "saved.plan"], { cwd: project.stackDir, env: project.env(env) });
    expect(shown.code).toBe(0);

    const config = fs.readFileSync(path.join(project.stackDir, "cdk.tf.json"), "utf8");
    const state = fs.readFileSync(project.stateFile, "utf8");
    const planText = shown.stdout;
    // Short identifier-like strings (names, keys, ids, fqns), whole and as the
    // words of the state's longer strings (a key list).
    const words = (t: string, split: boolean) => stringsOf(JSON.parse(t)).flatMap((v) => (split ? [v, ...v.split(/[^A-Za-z0-9_./+@-]+/)] : [v]));
    const publicStrings = [...new Set([...words(state, true), ...words(config, false), ...words(planText, false)])].filter(
      (v) => /^[A-Za-z0-9_.:/+=@-]{1,64}$/.test(v) && !/^(version|type|value|string|bool|number|true|false|null|sensitive|description|default)$/.test(v) && v !== PIN_ENV && v !== PIN_VAR,
    );
    expect(publicStrings).toEqual(expect.arrayContaining(["pins-grp", "ENV_PIN", "VAR_PIN", "int-vault"]));
    const digestsIn = (...texts: string[]) => new Set(texts.flatMap((t) => t.match(/[0-9a-f]{32,128}|[A-Za-z0-9+/]{43,86}={0,2}/g) ?? []));

    // The search works: an unkeyed digest of the kind the state used to hold is found.
    const planted = crypto.createHash("sha256").update(`pins-grp\nENV_PIN\n${PIN_ENV}`).digest("hex");
    expect(guessesFound(["int-vault", "pins-grp", "ENV_PIN"], digestsIn(`{"digest":"${planted}"}`))).toEqual([PIN_ENV]);

    // Nothing anywhere. (A saved plan does hold every Terraform variable in
    // clear, as any Terraform plan does: the variable PIN itself, and the key
    // of variables' digests; never TFYSG_DIGEST_KEY, which keys the rest.)
    expect(guessesFound(publicStrings, digestsIn(state, config, planText))).toEqual([]);
  });
});

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value && typeof value === "object") for (const [k, v] of Object.entries(value)) (out.push(k), stringsOf(v, out));
  return out;
}

/**
 * Every 4-digit guess whose SHA-256 or SHA-512 (hex or base64, whole or its
 * beginning) appears among `digests`, over these constructions: the guess alone; one public string
 * before or after it, joined by "", "\n" or ":"; a group name and a key
 * before it (the old digest); an HMAC keyed by a public string.
 */
function guessesFound(publics: string[], digests: Set<string>): string[] {
  const seps = ["", "\n", ":"];
  const names = publics.filter((s) => /^[a-z][a-z0-9]*-[a-z0-9-]*[a-z0-9]$/.test(s) && !/^[0-9a-f-]{36}$/.test(s));
  const keys = publics.filter((s) => /^[A-Z][A-Z0-9]*_[A-Z0-9_]*$/.test(s));
  const templates: [string, string][] = [["", ""]];
  for (const s of publics) for (const sep of seps) templates.push([`${s}${sep}`, ""], ["", `${sep}${s}`]);
  for (const a of names) for (const b of keys) for (const sep of seps) templates.push([`${a}${sep}${b}${sep}`, ""]);
  const found = new Set<string>();
  // Compare in hex only: base64 digests found in the texts are turned to hex once.
  const hex = new Set([...digests].map((d) => (/^[0-9a-f]+$/.test(d) ? d : Buffer.from(d, "base64").toString("hex"))));
  // Digests cut short count too: the state keeps 128-bit fingerprints.
  const lengths = [...new Set([...hex].map((d) => d.length))];
  const seen = (guess: string, digest: string) => {
    if (lengths.some((n) => hex.has(digest.slice(0, n)))) found.add(guess);
  };
  for (let n = 0; n < 10_000; n++) {
    const guess = String(n).padStart(4, "0");
    for (const [before, after] of templates) {
      for (const alg of ["sha256", "sha512"]) seen(guess, crypto.createHash(alg).update(`${before}${guess}${after}`).digest("hex"));
    }
    for (const s of publics) for (const alg of ["sha256", "sha512"]) seen(guess, crypto.createHmac(alg, s).update(guess).digest("hex"));
  }
  return [...found];
}
