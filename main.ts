/**
 * Bootstraps the secrets of one platform environment: one stack per
 * environment (ENVIRONMENT, default "dev"), one secret group per concern.
 * This is the example to copy, and what `npm run demo` deploys.
 *
 * Values never appear in this code or the synthesized config: they come from
 * the deploy environment (SecretValue.fromEnv) or from Terraform variables
 * (TF_VAR_payments_db_password, TF_VAR_stripe_webhook_secret).
 */
import { Construct } from "constructs";
import { App, LocalBackend, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import { SecretGroup, SecretValue } from "./lib";

class EnvironmentSecrets extends TerraformStack {
  constructor(scope: Construct, environment: string) {
    super(scope, `secrets-${environment}`);
    // A relative path keeps the synthesized stack free of this machine's paths.
    new LocalBackend(this, { path: `../../../terraform.secrets-${environment}.tfstate` });

    const integrationId = process.env.SECRET_STORE_INTEGRATION_ID ?? "vault-main";

    const dbPassword = new TerraformVariable(this, "payments_db_password", {
      type: "string",
      sensitive: true,
      description: "Password of the payments database user",
    });
    // Ephemeral: in no plan and no state; bump secretsVersion to push a new one.
    const webhookSecret = new TerraformVariable(this, "stripe_webhook_secret", {
      type: "string",
      sensitive: true,
      description: "Signing secret of the Stripe webhook endpoint",
    });
    webhookSecret.addOverride("ephemeral", true);

    const groups = [
      new SecretGroup(this, "payments-db", {
        name: `${environment}-payments-db`,
        integrationId,
        secrets: {
          DB_USER: SecretValue.fromEnv("PAYMENTS_DB_USER"),
          DB_PASSWORD: SecretValue.fromVariable(dbPassword),
        },
      }),
      new SecretGroup(this, "stripe", {
        name: `${environment}-stripe`,
        integrationId,
        secrets: {
          STRIPE_SECRET_KEY: SecretValue.fromEnv("STRIPE_SECRET_KEY"),
          STRIPE_WEBHOOK_SECRET: SecretValue.fromVariable(webhookSecret),
        },
        secretsVersion: process.env.STRIPE_SECRETS_VERSION ?? "1",
      }),
      new SecretGroup(this, "observability", {
        name: `${environment}-observability`,
        integrationId,
        secrets: {
          DATADOG_API_KEY: SecretValue.fromEnv("DATADOG_API_KEY"),
          SENTRY_DSN: SecretValue.fromEnv("SENTRY_DSN"),
        },
      }),
    ];

    for (const group of groups) {
      new TerraformOutput(this, `${group.node.id}-id`, { value: group.groupId });
      new TerraformOutput(this, `${group.node.id}-fqn`, { value: group.fqn });
    }
    new TerraformOutput(this, "payments-db-password-fqn", { value: groups[0].secretFqn("DB_PASSWORD") });
  }
}

const app = new App();
new EnvironmentSecrets(app, process.env.ENVIRONMENT ?? "dev");
app.synth();
