import { Construct } from "constructs";
import {
  ITerraformDependable,
  TerraformMetaArguments,
  TerraformResource,
  Token,
  anyToHclTerraform,
  anyToTerraform,
  hashMapper,
  hashMapperHcl,
} from "cdktf";

export type HookKind = "terraform_data" | "null_resource";

export interface Provisioner {
  command: string;
  environment?: Record<string, string>;
  when?: "destroy";
  onFailure?: "continue" | "fail";
}

export interface HookResourceProps {
  /** A change of any of these replaces the resource, running its create-time provisioners. */
  replaceOn: Record<string, string>;
  /** Values kept in the state; with `freezeKept`, set once at creation and never updated. */
  keep?: Record<string, string>;
  freezeKept?: boolean;
  provisioners: Provisioner[];
  dependsOn?: ITerraformDependable[];
}

/**
 * One resource that runs provisioners, as `terraform_data` (built into
 * Terraform >= 1.4, no download) or `null_resource` (hashicorp/null), with the
 * same behaviour. It hides the two schemas: terraform_data replaces on
 * `triggers_replace` and keeps `input`; null_resource has only `triggers`, all
 * of which replace, so kept values sit there under ignore_changes.
 */
export class HookResource extends Construct {
  readonly resource: TerraformResource;
  private readonly kind: HookKind;

  constructor(scope: Construct, id: string, kind: HookKind, props: HookResourceProps) {
    super(scope, id);
    this.kind = kind;
    const provisioners = props.provisioners.map((p) => ({ type: "local-exec" as const, ...p }));
    const keep = props.keep ?? {};
    if (kind === "terraform_data") {
      this.resource = new TerraformData(this, "hook", {
        triggersReplace: props.replaceOn,
        input: Object.keys(keep).length ? keep : undefined,
        lifecycle: props.freezeKept ? { ignoreChanges: ["input"] } : undefined,
        provisioners,
        dependsOn: props.dependsOn,
      });
    } else {
      this.resource = new (nullResource())(this, "hook", {
        triggers: { ...props.replaceOn, ...keep },
        lifecycle: props.freezeKept ? { ignoreChanges: Object.keys(keep).map((k) => `triggers["${k}"]`) } : undefined,
        provisioners,
        dependsOn: props.dependsOn,
      });
    }
  }

  /** The resource's id (changes on every replacement). */
  get id(): string {
    return Token.asString(this.resource.getStringAttribute("id"));
  }

  /** A kept value, as a token for other resources and outputs. */
  kept(key: string): string {
    const attr = this.kind === "terraform_data" ? `output.${key}` : `triggers.${key}`;
    return Token.asString(this.resource.interpolationForAttribute(attr));
  }
}

/**
 * Terraform's built-in `terraform_data`. cdktf's own DataResource class checks
 * the Terraform version at synth by running `terraform version` once per
 * resource: with four per group, most of a large stack's synth time. Terraform
 * itself refuses `terraform_data` below 1.4 with a clear error.
 */
class TerraformData extends TerraformResource {
  constructor(
    scope: Construct,
    id: string,
    private readonly config: TerraformMetaArguments & { input?: Record<string, string>; triggersReplace: Record<string, string> },
  ) {
    super(scope, id, { terraformResourceType: "terraform_data", ...config });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return {
      input: hashMapper(anyToTerraform)(this.config.input),
      triggers_replace: hashMapper(anyToTerraform)(this.config.triggersReplace),
    };
  }

  protected synthesizeHclAttributes(): Record<string, unknown> {
    return {
      input: hashMapperHcl(anyToHclTerraform)(this.config.input),
      triggers_replace: hashMapperHcl(anyToHclTerraform)(this.config.triggersReplace),
    };
  }
}

/**
 * hashicorp/null's resource class, loaded only when a group asks for it:
 * @cdktf/provider-null is an optional peer, so the library loads without it.
 */
function nullResource(): typeof import("@cdktf/provider-null/lib/resource").Resource {
  try {
    return (require("@cdktf/provider-null/lib/resource") as typeof import("@cdktf/provider-null/lib/resource")).Resource;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw err;
    throw new Error('hook: "null_resource" needs the @cdktf/provider-null package; install it, or use the default hook "terraform_data"');
  }
}

/** A kept value as the resource's own provisioners see it (`self`). */
export function selfKept(kind: HookKind, key: string): string {
  return kind === "terraform_data" ? `\${self.input.${key}}` : `\${self.triggers.${key}}`;
}
