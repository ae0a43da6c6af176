import { Construct } from "constructs";
import { App, AssetType, Fn, Lazy, TerraformAsset, TerraformStack, Token } from "cdktf";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { HOOK_ENV, HookOp, ReapEntry, recordFile } from "../shared/contract";
import { hookBundlePath } from "./bundle";
import { HookKind, HookResource, Provisioner, selfKept } from "./hook-resource";

const BUNDLE = hookBundlePath();
const RUNTIME_ID = "SecretGroupRuntime";
const RECORDS_DIR = ".secret-groups";

/** A group as the reaper keeps it: its entry in the previous configuration, by address. */
export interface ReaperEntry extends ReapEntry {
  address: string;
}

/**
 * What the groups of one stack share: the hook program, shipped as an asset
 * (so the synthesized stack runs with plain Terraform), the record files, and
 * the reaper that deletes groups removed from the code.
 */
export class StackRuntime extends Construct {
  static of(scope: Construct, kind: HookKind): StackRuntime {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(RUNTIME_ID) as StackRuntime | undefined;
    return existing ?? new StackRuntime(stack, RUNTIME_ID, kind);
  }

  private readonly asset: TerraformAsset;
  private readonly stackDir: string;
  private readonly entries: ReaperEntry[] = [];
  private readonly names = new Map<string, string>();

  private constructor(stack: TerraformStack, id: string, kind: HookKind) {
    super(stack, id);
    if (!fs.existsSync(BUNDLE)) {
      throw new Error(`the secret-group hook bundle is missing at ${BUNDLE}; run "npm run build:hook" (npm ci runs it)`);
    }
    this.asset = new TerraformAsset(this, "hook", {
      path: BUNDLE,
      type: AssetType.FILE,
      assetHash: crypto.createHash("sha256").update(fs.readFileSync(BUNDLE)).digest("hex").slice(0, 32),
    });
    this.stackDir = path.join(App.of(stack).outdir, "stacks", stack.node.id);

    // Deleting a construct drops its resources without their destroy-time
    // provisioners. The reaper is replaced whenever the set of groups changes;
    // its destroy-time provisioner then sees the previous groups in `self` and
    // the current addresses as a literal of the new configuration: the
    // difference is exactly the groups removed from the code.
    const addresses = Lazy.stringValue({ produce: () => JSON.stringify(this.entries.map((e) => e.address).sort()) });
    const groups = Lazy.stringValue({
      produce: () =>
        Token.asString(
          Fn.jsonencode(
            Object.fromEntries(
              this.entries.map(({ address, ...entry }) => [address, entry]),
            ),
          ),
        ),
    });
    new HookResource(this, "reaper", kind, {
      replaceOn: { addresses },
      keep: { groups },
      provisioners: [
        {
          when: "destroy",
          command: this.command("reap"),
          environment: {
            [HOOK_ENV.reapPrevious]: selfKept(kind, "groups"),
            [HOOK_ENV.reapCurrent]: addresses,
          },
        },
      ],
    });
  }

  /** Problems when another group of this stack already has this name. */
  claimName(name: string, address: string): string[] {
    const other = this.names.get(name);
    if (other !== undefined) return [`name "${name}" is already used by the secret group at ${other} in this stack`];
    this.names.set(name, address);
    return [];
  }

  /**
   * A group's record file, in the stack folder (which synth keeps, unlike
   * assets) so that an interrupted deploy finds what its hooks recorded. An
   * empty one is written when there is none, so that plans on a fresh machine
   * can read it; the hook overwrites it with the id the control plane assigned.
   */
  register(address: string): { recordPath: string } {
    const recordPath = `${RECORDS_DIR}/${crypto.createHash("sha256").update(address).digest("hex").slice(0, 24)}.tfstate`;
    const file = path.join(this.stackDir, recordPath);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, recordFile(null));
    }
    return { recordPath };
  }

  /** Lets the reaper delete the group once it is removed from the code. */
  track(entry: ReaperEntry): void {
    this.entries.push(entry);
  }

  /** The shell command that runs the hook program for an operation. */
  command(op: HookOp): string {
    return `node ${this.asset.path} ${op}`;
  }

  /**
   * The provisioners of a create-time operation. `skipWhen`, a shell test,
   * spares the Node start of a step with nothing to do. When the environment
   * holds an ephemeral value Terraform hides the hook's output, errors
   * included; the hook then also writes its error to a report file, and a
   * second provisioner, free of ephemeral values, prints it and fails the
   * resource.
   */
  provisioners(op: HookOp, environment: Record<string, string>, opts: { report?: string; skipWhen?: string } = {}): Provisioner[] {
    const command = opts.skipWhen ? `${opts.skipWhen} || ${this.command(op)}` : this.command(op);
    const { report } = opts;
    if (!report) return [{ command, environment }];
    return [
      { command, environment: { ...environment, [HOOK_ENV.report]: report }, onFailure: "continue" },
      { command: `if [ -f ${report} ]; then cat ${report} >&2; rm -f ${report}; exit 1; fi` },
    ];
  }
}
