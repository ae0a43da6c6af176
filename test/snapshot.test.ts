/**
 * The synthesized cdk.tf.json of representative stacks, pinned: any change of
 * the layout docs/architecture.md describes shows here as a reviewable diff
 * (update with `npx jest test/snapshot.test.ts -u`, and the document with it).
 * The hook bundle's content hash in asset paths and long literal values are
 * written as placeholders, so that a change of the hook's code or of a value
 * is not a layout change.
 */
import { TerraformStack, TerraformVariable } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { SecretGroup, SecretValue } from "../lib";
import { synthesizer } from "./support/synth";

const synth = synthesizer();

/** The configuration with the bundle hash and long repeated literals replaced. */
function pinned(build: (stack: TerraformStack) => void): unknown {
  const text = synth(build)
    .text.replace(/(assets\/[A-Za-z0-9_]+\/)[0-9a-f]{32}(\/hook\.js)/g, "$1<bundle>$2")
    .replace(/(x)\1{999,}/g, (run) => `<${run.length} x>`);
  return JSON.parse(text);
}

describe("the synthesized stack", () => {
  it("one group, values from the environment and a literal", () => {
    expect(
      pinned((stack) => {
        new SecretGroup(stack, "db", {
          name: "payments-db",
          integrationId: "vault-main",
          secrets: { DB_USER: "payments", DB_PASSWORD: SecretValue.fromEnv("PAYMENTS_DB_PASSWORD") },
        });
      }),
    ).toMatchSnapshot();
  });

  it("two runners: groups whose values would overflow one hook's environment", () => {
    const big = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, "x".repeat(40 * 1024)]));
    expect(
      pinned((stack) => {
        new SecretGroup(stack, "one", { name: "bulky-one", integrationId: "vault-main", secrets: big(15) });
        new SecretGroup(stack, "two", { name: "bulky-two", integrationId: "vault-main", secrets: big(15) });
      }),
    ).toMatchSnapshot();
  });

  it("the null_resource hook, a retained group with collaborators", () => {
    expect(
      pinned((stack) => {
        new NullProvider(stack, "null");
        new SecretGroup(stack, "stripe", {
          name: "stripe",
          integrationId: "vault-main",
          hook: "null_resource",
          removalPolicy: "retain",
          collaborators: [{ subject: "team:payments", role: "viewer" }],
          secrets: { STRIPE_KEY: SecretValue.fromEnv("STRIPE_KEY") },
        });
      }),
    ).toMatchSnapshot();
  });

  it("a secret from a sensitive Terraform variable and one from an ephemeral variable", () => {
    expect(
      pinned((stack) => {
        const password = new TerraformVariable(stack, "db_password", { type: "string", sensitive: true });
        const webhook = new TerraformVariable(stack, "webhook_secret", { type: "string", sensitive: true });
        webhook.addOverride("ephemeral", true);
        new SecretGroup(stack, "db", {
          name: "orders-db",
          integrationId: "vault-main",
          secretsVersion: "1",
          secrets: { DB_PASSWORD: SecretValue.fromVariable(password), WEBHOOK: SecretValue.fromVariable(webhook) },
        });
      }),
    ).toMatchSnapshot();
  });
});
