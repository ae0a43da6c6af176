import { Construct } from "constructs";
import { Annotations, DataTerraformRemoteStateLocal, Fn, TerraformStack, Token } from "cdktf";
import * as crypto from "crypto";
import { HOOK_ENV, RECORD_OUTPUTS, RECORD_SHELL_TESTS, RemovalPolicy, SecretSpec } from "../shared/contract";
import { groupNameProblems, integrationIdProblems, keySetProblems, secretValueProblems } from "../shared/rules";
import { HookKind, HookResource, selfKept } from "./hook-resource";
import { SecretSource, SecretValue, variableExpression } from "./secret-value";
import { StackRuntime } from "./stack-runtime";

export interface SecretGroupProps {
  /** The group's name on the control plane; changing it creates the new group and deletes the old one. */
  readonly name: string;
  /** Id of the secret store integration that backs the group; changing it recreates the group. */
  readonly integrationId: string;
  /** Secrets by key: a literal string (written to the synthesized config) or a SecretValue. */
  readonly secrets: { readonly [key: string]: string | SecretValue };
  /**
   * Bump to push values Terraform cannot see change (SecretValue.fromEnv not set
   * at synth, ephemeral variables).
   * @default - no version
   */
  readonly secretsVersion?: string;
  /**
   * The resource that runs the hook: `terraform_data` is built into Terraform
   * >= 1.4; `null_resource` needs the hashicorp/null provider.
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
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOOK_KINDS: readonly string[] = ["terraform_data", "null_resource"];
const POLICIES: readonly string[] = ["destroy", "retain"];

/**
 * A secret group on the control plane, created, rotated in place and deleted
 * by `cdktf deploy` / `destroy`. Synth-time only: the hook program does the
 * talking at deploy time.
 */
export class SecretGroup extends Construct {
  /** The id the control plane assigned, as held in the Terraform state. */
  readonly groupId: string;
  /** The group's fqn, as the control plane returned it. */
  readonly fqn: string;
  private readonly keys: string[];

  constructor(scope: Construct, id: string, props: SecretGroupProps) {
    super(scope, id);
    const problems = validate(props);
    this.node.addValidation({ validate: () => problems });

    const kind: HookKind = HOOK_KINDS.includes(props.hook as string) ? props.hook! : "terraform_data";
    const removalPolicy: RemovalPolicy = props.removalPolicy === "retain" ? "retain" : "destroy";
    const forceDelete = props.forceDelete === true;
    const stack = TerraformStack.of(this);
    const address = this.node.path.slice(stack.node.path.length + 1);
    const runtime = StackRuntime.of(this, kind);
    problems.push(...runtime.claimName(props.name, address));
    const { recordPath } = runtime.register(address);

    const secrets = isPlainObject(props.secrets) ? props.secrets : {};
    this.keys = Object.keys(secrets);
    const specs: SecretSpec[] = [];
    let hasEphemeral = false;
    const values: Record<string, string> = {};
    const digestParts: string[] = [`version=${props.secretsVersion ?? ""}`];
    for (const key of this.keys) {
      const source = sourceOf(secrets[key]);
      if (!source) continue;
      const salt = `${props.name}\n${key}\n`;
      if (source.kind === "env") {
        specs.push({ key, source: "env", env: source.env });
        const atSynth = process.env[source.env];
        digestParts.push(`${key}=${atSynth === undefined ? `env:${source.env}` : sha256(salt + atSynth)}`);
        continue;
      }
      const index = specs.length;
      specs.push({ key, source: "value", index });
      if (source.kind === "literal") {
        values[`${HOOK_ENV.valuePrefix}${index}`] = source.value;
        digestParts.push(`${key}=${sha256(salt + source.value)}`);
        Annotations.of(this).addWarning(
          `secret "${key}" is a literal: its value will be in plaintext in the synthesized configuration (cdk.tf.json); use SecretValue.fromEnv or SecretValue.fromVariable`,
        );
      } else {
        values[`${HOOK_ENV.valuePrefix}${index}`] = variableExpression(source.variable);
        hasEphemeral ||= source.ephemeral;
        digestParts.push(
          source.ephemeral
            ? `${key}=ephemeral:${source.variable.friendlyUniqueId}`
            : Token.asString(Fn.join("", [`${key}=`, Fn.sha256(Fn.join("", [salt, source.variable.stringValue]))])),
        );
      }
    }
    // A salted digest of the values, never the values: a change replaces the
    // update hook, which then sends exactly one PUT.
    const digest = digestParts.every((p) => !Token.isUnresolved(p))
      ? sha256(digestParts.join("\n"))
      : Token.asString(Fn.sha256(Fn.join("\n", digestParts)));
    const visibleDigest = Token.isUnresolved(digest) ? Token.asString(Fn.nonsensitive(digest)) : digest;

    const report = hasEphemeral ? `${recordPath}.error` : undefined;
    const group = {
      [HOOK_ENV.name]: props.name,
      [HOOK_ENV.integrationId]: props.integrationId,
      [HOOK_ENV.secrets]: JSON.stringify(specs),
      [HOOK_ENV.digest]: visibleDigest,
      [HOOK_ENV.record]: recordPath,
      ...values,
    };

    // Identity: a new name or integration is a new group.
    const createEnv = { ...group, [HOOK_ENV.adopt]: String(props.adoptExisting === true) };
    const create = new HookResource(this, "create", kind, {
      replaceOn: { name: props.name, integrationId: props.integrationId },
      provisioners: runtime.provisioners("create", createEnv, { report }),
    });

    // Terraform saves a resource before its provisioners run: a deploy killed
    // during the create hook leaves a create that looks done and no id
    // recorded. This step follows the create; the next deploy finds it still
    // to do, and it finishes that create (a no-op after a complete one).
    const resume = new HookResource(this, "resume-create", kind, {
      replaceOn: { create: create.id },
      provisioners: runtime.provisioners("resume", createEnv, { report, skipWhen: RECORD_SHELL_TESTS.hasId(recordPath) }),
    });

    // The id the hook wrote, read back after the create and its resume ran.
    // Frozen in the state by the holder below, so a fresh machine (placeholder
    // record) plans nothing.
    const record = new DataTerraformRemoteStateLocal(this, "record", {
      path: recordPath,
      defaults: Object.fromEntries(RECORD_OUTPUTS.map((k) => [k, ""])),
    });
    record.addOverride("depends_on", [`${resume.resource.terraformResourceType}.${resume.resource.friendlyUniqueId}`]);

    const holder = new HookResource(this, "id", kind, {
      replaceOn: { create: create.id },
      keep: { id: record.getString("id"), fqn: record.getString("fqn"), name: props.name },
      freezeKept: true,
      provisioners: [
        {
          when: "destroy",
          command: runtime.command("delete"),
          environment: {
            [HOOK_ENV.groupId]: selfKept(kind, "id"),
            [HOOK_ENV.name]: selfKept(kind, "name"),
            [HOOK_ENV.removalPolicy]: removalPolicy,
            [HOOK_ENV.forceDelete]: String(forceDelete),
            [HOOK_ENV.record]: recordPath,
          },
        },
      ],
    });
    this.groupId = holder.kept("id");
    this.fqn = holder.kept("fqn");

    // Content: new values are one PUT to the same group, never a new group.
    const updateEnv = {
      ...group,
      [HOOK_ENV.groupId]: this.groupId,
      [HOOK_ENV.createAddress]: `${create.resource.terraformResourceType}.${create.resource.friendlyUniqueId}`,
    };
    const sent = RECORD_SHELL_TESTS.holdsDigest(recordPath);
    const update = new HookResource(this, "update", kind, {
      replaceOn: { digest, keys: this.keys.join(",") },
      provisioners: runtime.provisioners("update", updateEnv, { report, skipWhen: sent }),
      dependsOn: [holder.resource],
    });

    // Likewise, a deploy killed during the update hook leaves new values that
    // look sent. The update op sends nothing when the record holds this
    // digest, so run again as a step after the update it finishes the job.
    new HookResource(this, "resume-update", kind, {
      replaceOn: { update: update.id },
      provisioners: runtime.provisioners("update", updateEnv, { report, skipWhen: sent }),
    });

    runtime.track({ address, id: this.groupId, name: props.name, removalPolicy, forceDelete });
  }

  /** The fqn of one secret of this group, for use in other resources. */
  secretFqn(key: string): string {
    if (!this.keys.includes(key)) {
      throw new Error(`secret group ${this.node.path}: no secret "${key}" (keys: ${this.keys.join(", ")})`);
    }
    return `tfy-secret://${this.fqn}:${key}`;
  }
}

function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
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
  if (!Token.isUnresolved(props.name)) problems.push(...groupNameProblems(props.name));
  if (!Token.isUnresolved(props.integrationId)) problems.push(...integrationIdProblems(props.integrationId));
  if (!isPlainObject(props.secrets)) {
    problems.push(`secrets must be an object of key to value, got ${props.secrets === null ? "null" : Array.isArray(props.secrets) ? "an array" : typeof props.secrets}`);
  } else {
    problems.push(...keySetProblems(Object.keys(props.secrets), { foldCase: true }));
    for (const [key, value] of Object.entries(props.secrets)) {
      const source = sourceOf(value);
      if (!source) {
        problems.push(`secret "${key}": value must be a string or a SecretValue, got ${value === null ? "null" : typeof value}`);
      } else if (source.kind === "literal") {
        problems.push(...secretValueProblems(key, source.value));
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
  for (const flag of ["adoptExisting", "forceDelete"] as const) {
    if (props[flag] !== undefined && typeof props[flag] !== "boolean") {
      problems.push(`${flag} must be a boolean, got ${typeof props[flag]}`);
    }
  }
  return problems;
}
