import { TerraformVariable } from "cdktf";

/**
 * Where a secret's value comes from. A plain string in `secrets` is a literal:
 * it ends up in the synthesized configuration (synth warns). The factories
 * below keep values out of it.
 */
export class SecretValue {
  /**
   * Read from the environment of `cdktf deploy` / `terraform apply` by the hook
   * at deploy time. The value is in no file, plan or state. When the variable
   * is also set while the app synthesizes, a salted digest of it is used to
   * detect rotations; otherwise bump `secretsVersion` to push a new value.
   */
  static fromEnv(name: string): SecretValue {
    return new SecretValue({ kind: "env", env: name });
  }

  /**
   * A Terraform variable declared `sensitive: true` or ephemeral
   * (`variable.addOverride("ephemeral", true)`, Terraform >= 1.10). A sensitive
   * variable's rotations are detected through a salted digest in the state; an
   * ephemeral one is in no plan and no state, so bump `secretsVersion` to push it.
   */
  static fromVariable(variable: TerraformVariable): SecretValue {
    // The variable's block as it will be synthesized, overrides (addOverride("ephemeral", true)) included.
    const block = Object.values((variable.toTerraform() as { variable?: Record<string, { ephemeral?: unknown }> }).variable ?? {})[0];
    return new SecretValue({
      kind: "variable",
      variable,
      ephemeral: block?.ephemeral === true,
      sensitive: variable.sensitive === true,
    });
  }

  /** @internal */
  private constructor(readonly source: SecretSource) {}
}

export type SecretSource =
  | { kind: "literal"; value: string }
  | { kind: "env"; env: string }
  | { kind: "variable"; variable: TerraformVariable; ephemeral: boolean; sensitive: boolean };
