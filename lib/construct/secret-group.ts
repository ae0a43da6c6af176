import { Construct } from "constructs";
import { Annotations, Token } from "cdktf";
import { Collaborator, CollaboratorRole, ENV_DIGEST_KEY, GroupSpec, RemovalPolicy, SecretSpec, collaboratorsKey } from "../shared/contract";
import { RUNNER_VALUE_BUDGET_BYTES, collaboratorProblems, groupNameProblems, integrationIdProblems, keySetProblems, literalTextProblems, secretValueProblems } from "../shared/rules";
import { synthEnv } from "./synth-env";
import { FingerprintPart, digestKeyProblems, fingerprint } from "./fingerprint";
import { HookKind } from "./hook-resource";
import { SecretSource, SecretValue } from "./secret-value";
import { CarriedValue, StackRuntime } from "./stack-runtime";
import { escapeTemplate, hclStringBody } from "./terraform-text";

export interface SecretGroupProps {
  /** The group's name on the control plane, its identity within the stack; changing it creates the new group, then deletes the old one. */
  readonly name: string;
  /** Id of the secret store integration that backs the group; changing it moves the group to the new integration in place. */
  readonly integrationId: string;
  /** Secrets by key: a literal string (written to the synthesized config) or a SecretValue. */
  readonly secrets: { readonly [key: string]: string | SecretValue };
  /**
   * Bump to push values Terraform cannot see change (SecretValue.fromEnv or
   * a variable not set at synth, ephemeral variables).
   * @default - no version
   */
  readonly secretsVersion?: string;
  /**
   * The resource type of the stack's hooks: `terraform_data` is built into
   * Terraform >= 1.4; `null_resource` needs the hashicorp/null provider.
   * Every group of a stack uses the same.
   * @default "terraform_data"
   */
  readonly hook?: HookKind;
  /**
   * What happens on the control plane when the group leaves the stack (destroy,
   * rename, removal from the code): "destroy" deletes it, "retain" keeps it.
   * @default "destroy"
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Take over a group of the same name that already exists on the control plane
   * (and bring it to the desired secrets) instead of failing the deploy.
   * @default false
   */
  readonly adoptExisting?: boolean;
  /**
   * Delete even when the control plane refuses: secrets in use by active
   * deployments, or a faulty secret store integration.
   * @default false
   */
  readonly forceDelete?: boolean;
  /**
   * Who may use the group, and how: each subject (`user:<email>` or
   * `team:<name>`) with one role ("admin": create, edit, delete secrets;
   * "editor": edit, delete, see values; "viewer": see keys, not values).
   * Applied at create and again, in one request, whenever it changes;
   * collaborators given elsewhere lose their access then. Left out, the
   * stack sets none; removing it later removes those it set.
   * @default - none
   */
  readonly collaborators?: readonly { readonly subject: string; readonly role: CollaboratorRole }[];
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOOK_KINDS: readonly string[] = ["terraform_data", "null_resource"];
const POLICIES: readonly string[] = ["destroy", "retain"];

/**
 * A secret group on the control plane, created, rotated in place and deleted
 * by `cdktf deploy` / `destroy`. Synth-time only: it describes the group as
 * one line of its runner's map, keyed by its name; the runner does the
 * talking at deploy time.
 */
export class SecretGroup extends Construct {
  /** The id the control plane assigned, as held in the Terraform state. */
  readonly groupId: string;
  /** The group's fqn, as the control plane returned it. */
  readonly fqn: string;
  private readonly keys: string[];
  private readonly secretFqns: (key: string) => string;

  constructor(scope: Construct, id: string, props: SecretGroupProps) {
    super(scope, id);
    const problems = validate(props);
    this.node.addValidation({ validate: () => problems });

    const kind: HookKind = HOOK_KINDS.includes(props.hook as string) ? props.hook! : "terraform_data";
    const runtime = StackRuntime.of(this, kind);
    if (runtime.kind !== kind) {
      problems.push(`hook "${kind}" differs from the "${runtime.kind}" of the other secret groups of this stack; use one hook per stack`);
    }
    const name = typeof props.name === "string" ? props.name : "";
    problems.push(...runtime.claimName(name, this.node.path));

    const env = synthEnv(this);
    const secrets = isPlainObject(props.secrets) ? props.secrets : {};
    this.keys = Object.keys(secrets);
    const specs: SecretSpec[] = [];
    const values: CarriedValue[] = [];
    const parts: FingerprintPart[] = [];
    /** Terraform variables whose values only Terraform sees: hashed at plan time. */
    const planned: { key: string; variable: string }[] = [];
    /** Every secret that comes from a Terraform variable, ephemeral or not. */
    const fromVariables: { key: string; variable: string }[] = [];
    for (const key of this.keys) {
      const source = sourceOf(secrets[key]);
      if (!source) continue;
      if (source.kind === "env") {
        specs.push({ key, source: "env", env: source.env });
        parts.push(seen(key, env[source.env], `env:${source.env}`));
        continue;
      }
      specs.push({ key, source: "value", index: -1 });
      if (source.kind === "literal") {
        values.push({ expression: escapeTemplate(source.value), bytes: Buffer.byteLength(source.value, "utf8"), ephemeral: false });
        parts.push({ key, value: source.value });
        Annotations.of(this).addWarning(
          `secret "${key}" is a literal: its value will be in plaintext in the synthesized configuration (cdk.tf.json); use SecretValue.fromEnv or SecretValue.fromVariable`,
        );
      } else {
        const variable = source.variable.friendlyUniqueId;
        // nonsensitive: the value is the hook's input, not something to hide
        // from it; Terraform would otherwise suppress the hook's output.
        values.push({ expression: `\${nonsensitive(var.${variable})}`, ephemeral: source.ephemeral });
        parts.push({ key, unseen: `${source.ephemeral ? "ephemeral" : "variable"}:${variable}` });
        fromVariables.push({ key, variable });
        if (!source.ephemeral) {
          planned.push({ key, variable });
          Annotations.of(this).addWarning(
            `secret "${key}" comes from variable "${source.variable.node.id}", which is not ephemeral: a saved plan file (terraform plan -out, cdktf diff) holds its value in clear, and the key secret_groups_digest_key of its digest; never keep plan files, rotate that key if one leaked, or make the variable ephemeral (variable.addOverride("ephemeral", true)) and push new values with secretsVersion`,
          );
        }
      }
    }
    if (parts.some((p) => "value" in p)) problems.push(...digestKeyProblems(env));
    const literalBytes = values.reduce((n, v) => n + (v.bytes ?? 0), 0);
    if (literalBytes > RUNNER_VALUE_BUDGET_BYTES) {
      problems.push(
        `literal secret values add up to ${literalBytes} bytes, more than the ${RUNNER_VALUE_BUDGET_BYTES} one hook run can carry (Linux limits a process's environment to about 2 MiB); read the largest with SecretValue.fromEnv`,
      );
    }
    const version = typeof props.secretsVersion === "string" ? props.secretsVersion : undefined;
    const synthFingerprint = problems.length ? "invalid" : fingerprint(name, version, parts, env[ENV_DIGEST_KEY]);
    const spec: GroupSpec = {
      name,
      integrationId: typeof props.integrationId === "string" ? props.integrationId : "",
      secrets: specs,
      fingerprint: synthFingerprint,
      adopt: props.adoptExisting === true,
      removalPolicy: props.removalPolicy === "retain" ? "retain" : "destroy",
      forceDelete: props.forceDelete === true,
      collaborators: Array.isArray(props.collaborators) && !collaboratorProblems(props.collaborators).length ? props.collaborators.map((c): Collaborator => ({ subject: c.subject, role: c.role })) : [],
    };

    // The group's desired state, as one line of text in its runner's map
    // (keyed by the name, its identity in the stack: moving or renaming the
    // construct changes nothing): new values, keys or secretsVersion change
    // the fingerprint; a plan shows the line that changed. Settings at their
    // defaults are left out: the map is kept in the state.
    // Values only Terraform sees join at plan time, keyed by a variable of their own.
    const fingerprintTemplate = planned.length
      ? `tf:\${nonsensitive(substr(sha256(join("\\n", [${runtime.digestKeyVariable()}, "${synthFingerprint}", ${planned.map((p) => `"${p.key}", var.${p.variable}`).join(", ")}])), 0, 32))}`
      : synthFingerprint;
    const rest = [
      `keys=${this.keys.join(",")}`,
      ...(spec.removalPolicy !== "destroy" ? [`removal_policy=${spec.removalPolicy}`] : []),
      ...(spec.forceDelete ? ["force_delete=true"] : []),
      ...(spec.collaborators.length ? [`collaborators=${collaboratorsKey(spec.collaborators)}`] : []),
    ];
    // An HCL string: the fingerprint may be a template Terraform completes; every other part is escaped.
    const desired = `"${hclStringBody(`integration_id=${spec.integrationId}; fingerprint=`)}${planned.length ? fingerprintTemplate : hclStringBody(fingerprintTemplate)}${hclStringBody(`; ${rest.join("; ")}`)}"`;
    const checks = fromVariables.length
      ? [
          {
            condition: carriableCondition(fromVariables),
            error_message: `Secret group "${name}": the value of ${fromVariables.map((v) => `secret "${v.key}" (variable ${v.variable})`).join(" or ")} contains a NUL character (which no environment variable can carry) or U+FFFD (what text that was not valid Unicode became on the way); fix the value.`,
          },
        ]
      : [];

    const where = runtime.add({ spec, values, desired, fingerprint: fingerprintTemplate, checks });
    this.groupId = where.groupId;
    this.fqn = where.fqn;
    this.secretFqns = where.secretFqns;
  }

  /**
   * The fqn of one secret of this group, for use in other resources: the
   * one the control plane gave it, as the state records it.
   */
  secretFqn(key: string): string {
    if (!this.keys.includes(key)) {
      throw new Error(`secret group ${this.node.path}: no secret "${key}" (keys: ${this.keys.join(", ")})`);
    }
    return this.secretFqns(key);
  }
}

/**
 * A Terraform variable's value reaches the hook through its environment: a
 * NUL cannot (Terraform fails naming no group), and U+FFFD is what text that
 * was not valid Unicode became. Refused at plan, before any request, by a
 * precondition on the group's runner. (Not a validation on the variable:
 * Terraform 1.11 prints a sensitive variable's value when its validation fails.)
 */
function carriableCondition(variables: { key: string; variable: string }[]): string {
  // try(): a null or non-string value is left to Terraform's own checks.
  const one = (v: string) => `try(!strcontains(var.${v}, "\\u0000") && !strcontains(var.${v}, "\\uFFFD"), true)`;
  return `\${${variables.map((v) => one(v.variable)).join(" && ")}}`;
}

function seen(key: string, value: string | undefined, unseen: string): FingerprintPart {
  return value === undefined ? { key, unseen } : { key, value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof SecretValue);
}

function sourceOf(v: unknown): SecretSource | undefined {
  if (typeof v === "string") return { kind: "literal", value: v };
  if (v instanceof SecretValue) return v.source;
  return undefined;
}

/** Every problem with the props, so synth lists them all at once. */
function validate(props: SecretGroupProps): string[] {
  const problems: string[] = [];
  if (!isPlainObject(props)) return ["props must be an object"];
  if (typeof props.name === "string" && Token.isUnresolved(props.name)) {
    problems.push("name must be a plain string known at synth: it is the group's identity in the stack");
  } else {
    problems.push(...groupNameProblems(props.name));
  }
  if (typeof props.integrationId === "string" && Token.isUnresolved(props.integrationId)) {
    problems.push("integrationId must be a plain string known at synth");
  } else {
    problems.push(...integrationIdProblems(props.integrationId));
  }
  if (!isPlainObject(props.secrets)) {
    problems.push(`secrets must be an object of key to value, got ${props.secrets === null ? "null" : Array.isArray(props.secrets) ? "an array" : typeof props.secrets}`);
  } else {
    problems.push(...keySetProblems(Object.keys(props.secrets), { foldCase: true }));
    for (const [key, value] of Object.entries(props.secrets)) {
      const source = sourceOf(value);
      if (!source) {
        problems.push(`secret "${key}": value must be a string or a SecretValue, got ${value === null ? "null" : typeof value}`);
      } else if (source.kind === "literal") {
        if (Token.isUnresolved(source.value)) {
          problems.push(`secret "${key}": a literal must be a plain string; pass a Terraform variable with SecretValue.fromVariable`);
        } else {
          problems.push(...secretValueProblems(key, source.value));
          problems.push(...literalTextProblems(`secret group ${JSON.stringify(props.name)}: secret "${key}": the literal value`, source.value));
        }
      } else if (source.kind === "env") {
        if (typeof source.env !== "string" || !ENV_NAME.test(source.env)) {
          problems.push(`secret "${key}": SecretValue.fromEnv(${JSON.stringify(source.env)}) is not a valid environment variable name`);
        } else if (source.env.startsWith("TFYSG_")) {
          problems.push(`secret "${key}": SecretValue.fromEnv("${source.env}") uses the TFYSG_ prefix, reserved for the hook`);
        }
      } else if (!source.sensitive && !source.ephemeral) {
        problems.push(
          `secret "${key}": variable "${source.variable.node.id}" is neither sensitive nor ephemeral; declare it with sensitive: true (or make it ephemeral) so its value stays out of plans`,
        );
      }
    }
  }
  if (props.secretsVersion !== undefined && typeof props.secretsVersion !== "string") {
    problems.push(`secretsVersion must be a string, got ${typeof props.secretsVersion}`);
  }
  if (props.hook !== undefined && !HOOK_KINDS.includes(props.hook)) {
    problems.push(`hook must be "terraform_data" or "null_resource", got ${JSON.stringify(props.hook)}`);
  }
  if (props.removalPolicy !== undefined && !POLICIES.includes(props.removalPolicy)) {
    problems.push(`removalPolicy must be "destroy" or "retain", got ${JSON.stringify(props.removalPolicy)}`);
  }
  if (props.collaborators !== undefined) problems.push(...collaboratorProblems(props.collaborators));
  for (const flag of ["adoptExisting", "forceDelete"] as const) {
    if (props[flag] !== undefined && typeof props[flag] !== "boolean") {
      problems.push(`${flag} must be a boolean, got ${typeof props[flag]}`);
    }
  }
  return problems;
}
