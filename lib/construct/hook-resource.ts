import { Construct } from "constructs";
import {
  Lazy,
  TerraformMetaArguments,
  TerraformResource,
  TerraformResourceLifecycle,
  Token,
  anyToHclTerraform,
  anyToTerraform,
  hashMapper,
  hashMapperHcl,
} from "cdktf";

export type HookKind = "terraform_data" | "null_resource";

export interface Provisioner {
  command: string;
  /** A map, or one Terraform expression that yields a map. */
  environment?: Record<string, string> | string;
  when?: "destroy";
  onFailure?: "continue" | "fail";
}

export interface HookResourceProps {
  /**
   * A change of any of these replaces the resource, running its create-time
   * provisioners: a map, or one Terraform expression (`${...}`) that yields a
   * map of strings.
   */
  replaceOn: Record<string, unknown> | string;
  /**
   * Values kept in the state. A change updates them in place (terraform_data)
   * or replaces the resource (null_resource, whose triggers all replace).
   * Only with a map `replaceOn`.
   */
  keep?: Record<string, unknown>;
  createBeforeDestroy?: boolean;
  /** Produced at synth, once every group is known. */
  provisioners?: () => Provisioner[];
}

/**
 * One resource that holds values and runs provisioners, as `terraform_data`
 * (built into Terraform >= 1.4, no download) or `null_resource`
 * (hashicorp/null), with the same behaviour. It hides the two schemas:
 * terraform_data replaces on `triggers_replace` and keeps `input`;
 * null_resource has only `triggers` (strings, all of which replace), so
 * kept values sit there too.
 */
export class HookResource extends Construct {
  readonly resource: TerraformResource;

  constructor(scope: Construct, id: string, kind: HookKind, props: HookResourceProps) {
    super(scope, id);
    const keep = props.keep ?? {};
    if (typeof props.replaceOn === "string" && Object.keys(keep).length) throw new Error("HookResource: kept values need a map replaceOn");
    const lifecycle: TerraformResourceLifecycle = props.createBeforeDestroy ? { createBeforeDestroy: true } : {};
    if (kind === "terraform_data") {
      this.resource = new TerraformData(this, "hook", {
        triggersReplace: props.replaceOn,
        input: Object.keys(keep).length ? keep : undefined,
        lifecycle: Object.keys(lifecycle).length ? lifecycle : undefined,
      });
    } else {
      this.resource = new (nullResource())(this, "hook", {
        triggers:
          typeof props.replaceOn === "string"
            ? (props.replaceOn as unknown as Record<string, string>)
            : Object.fromEntries(Object.entries({ ...props.replaceOn, ...keep }).map(([k, v]) => [k, asString(v)])),
        lifecycle: Object.keys(lifecycle).length ? lifecycle : undefined,
      });
    }
    const produce = props.provisioners;
    if (produce) {
      this.resource.addOverride(
        "provisioner",
        Lazy.anyValue({
          produce: () =>
            produce().map((p) => ({
              "local-exec": { command: p.command, environment: p.environment, when: p.when, on_failure: p.onFailure },
            })),
        }),
      );
    }
  }

  /** The resource's Terraform address. */
  get address(): string {
    return `${this.resource.terraformResourceType}.${this.resource.friendlyUniqueId}`;
  }

  /** The resource's id (changes on every replacement), as an expression without `${}`. */
  get idExpression(): string {
    return `${this.address}.id`;
  }

  /** Overrides the address, so it follows a stable identity rather than the construct path. */
  setLogicalId(id: string): void {
    this.resource.overrideLogicalId(id);
  }

}

/** Loaded only for this hook: the provider bindings are an optional peer. */
function nullResource(): typeof import("@cdktf/provider-null/lib/resource").Resource {
  try {
    return (require("@cdktf/provider-null/lib/resource") as typeof import("@cdktf/provider-null/lib/resource")).Resource;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    throw new Error('hook: "null_resource" needs the @cdktf/provider-null package; install it, or use the default hook "terraform_data"');
  }
}

function asString(v: unknown): string {
  return typeof v === "string" ? v : Token.asString(v);
}

/**
 * Terraform's built-in `terraform_data`. cdktf's own DataResource class checks
 * the Terraform version at synth by running `terraform version` once per
 * resource: most of a large stack's synth time. Terraform itself refuses
 * `terraform_data` below 1.4 with a clear error.
 */
class TerraformData extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly config: TerraformMetaArguments & { input?: Record<string, unknown> | string; triggersReplace: Record<string, unknown> | string },
  ) {
    super(scope, id, { terraformResourceType: "terraform_data", ...config });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      input: typeof this.config.input === "string" ? this.config.input : hashMapper(anyToTerraform)(this.config.input),
      triggers_replace: typeof this.config.triggersReplace === "string" ? this.config.triggersReplace : hashMapper(anyToTerraform)(this.config.triggersReplace),
    };
  }

  protected synthesizeHclAttributes(): Record<string, unknown> {
    return {
      input: typeof this.config.input === "string" ? this.config.input : hashMapperHcl(anyToHclTerraform)(this.config.input),
      triggers_replace:
        typeof this.config.triggersReplace === "string" ? this.config.triggersReplace : hashMapperHcl(anyToHclTerraform)(this.config.triggersReplace),
    };
  }
}
