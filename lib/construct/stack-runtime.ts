import { Construct } from "constructs";
import {
  App,
  AssetType,
  DataTerraformRemoteStateLocal,
  Lazy,
  TerraformAsset,
  TerraformLocal,
  TerraformOutput,
  TerraformRemoteState,
  TerraformStack,
  TerraformVariable,
} from "cdktf";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DIGEST_KEY_VARIABLE, ENV_DIGEST_KEY, GroupSpec, HOOK_ENV, HookOp, MIN_DIGEST_KEY_LENGTH, recordFile } from "../shared/contract";
import { EMPTY_RECORD, OWNER_OUTPUT, RECORDED_OUTPUT, RUNNER, STACK, doneFile, recordPath, reportFile, runOf } from "../shared/layout";
import { ASSUMED_VARIABLE_BYTES, MAX_GROUPS_PER_RUNNER, MAX_VALUE_BYTES, RUNNER_SPEC_BUDGET_BYTES, RUNNER_VALUE_BUDGET_BYTES } from "../shared/rules";
import { secretFqn } from "../shared/api";
import { hookBundlePath } from "./bundle";
import { HookKind, HookResource, Provisioner } from "./hook-resource";
import { escapeTemplate } from "./terraform-text";

const RUNTIME_ID = "SecretGroupRuntime";
/** Before the JSON of a keeper's ids, so that Terraform shows it as one line of text (0.2.0 kept it bare: trimprefix reads both). */
const IDS_PREFIX = "ids:";

/** One value a runner carries in its environment. */
export interface CarriedValue {
  /** A Terraform string: an escaped literal, or an interpolation of a variable. */
  expression: string;
  /** Its size when known at synth (literals), else undefined. */
  bytes?: number;
  /** For the plan-time size check; ephemeral values cannot take part in it. */
  ephemeral: boolean;
}

/** A group as the construct hands it to the runtime. */
export interface Member {
  spec: GroupSpec;
  /** The values of the secrets whose spec says source "value", in the order of those secrets. */
  values: CarriedValue[];
  /** Its desired state, one line of text as an HCL string (Terraform completes a fingerprint of variables in it): its entry in the runner's map. */
  desired: string;
  /** The group's fingerprint: a string, or a template Terraform completes at plan time. */
  fingerprint: string;
  /** Plan-time checks of its values (preconditions on the stack's checks resource). */
  checks: { condition: string; error_message: string }[];
}

/**
 * What the groups of one stack share at deploy time: the hook program
 * (shipped as an asset, so the synthesized stack runs with plain Terraform),
 * the owner token, the state read back, the runners and the reaper.
 * docs/architecture.md describes every block this writes, why it exists and
 * the order of a deploy; lib/shared/layout.ts owns their names.
 */
export class StackRuntime extends Construct {
  static of(scope: Construct, kind: HookKind): StackRuntime {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(RUNTIME_ID) as StackRuntime | undefined;
    return existing ?? new StackRuntime(stack, RUNTIME_ID, kind);
  }

  readonly kind: HookKind;
  private readonly stack: TerraformStack;
  private readonly asset: TerraformAsset;
  private readonly stackDir: string;
  private readonly runners: Runner[] = [];
  private readonly names = new Map<string, string>();
  private readonly reaper: HookResource;
  private stateSource?: TerraformRemoteState;
  private readonly tokenResource: HookResource;
  /** Every plan-time check of the stack but the owner's (digest key, values' sizes and text), held by the checks resource. */
  private readonly checks: { condition: string; error_message: string }[] = [];
  /** The resource holding every check, which every runner waits for. */
  readonly checksResource: HookResource;

  private constructor(stack: TerraformStack, id: string, kind: HookKind) {
    super(stack, id);
    this.kind = kind;
    this.stack = stack;
    const bundle = hookBundlePath();
    this.asset = new TerraformAsset(this, "hook", {
      path: bundle,
      type: AssetType.FILE,
      assetHash: crypto.createHash("sha256").update(fs.readFileSync(bundle)).digest("hex").slice(0, 32),
    });
    this.stackDir = path.join(App.of(stack).outdir, "stacks", stack.node.id);

    // Created with the stack's first apply in a workspace and never changed
    // (docs/architecture.md, "token"): it holds the state's owner token, and
    // until it exists the state may not exist either (a new workspace), so
    // reading the state waits for apply, after this made it exist. The token
    // sits in the triggers, frozen by ignore_changes and marked sensitive, not
    // in `input`: terraform_data copies `input` into an unmarked `output`.
    this.tokenResource = new HookResource(this, "token", kind, { replaceOn: { token: "${sensitive(uuid())}" } });
    this.tokenResource.setLogicalId(STACK.token);
    this.tokenResource.resource.addOverride("lifecycle.ignore_changes", [kind === "terraform_data" ? "triggers_replace" : "triggers"]);
    const tokenValue = `${this.tokenResource.address}.${kind === "terraform_data" ? "triggers_replace" : "triggers"}.token`;

    // Every check of the stack on one resource, which every runner waits
    // for: Terraform records checks in the state in no fixed order, so with
    // two or more checked resources every apply, even one with nothing to
    // change, wrote a new state (docs/architecture.md, "checks").
    this.checksResource = new HookResource(this, "checks", kind, { replaceOn: {} });
    this.checksResource.setLogicalId(STACK.checks);
    this.checksResource.resource.addOverride(
      "lifecycle.precondition",
      Lazy.anyValue({ produce: () => [this.ownerCheck(), ...this.checks, ...this.runners.flatMap((r) => r.checks())] }),
    );

    // What the state recorded and the code no longer has: deleted by the
    // reaper, after every runner succeeded (create before delete).
    const doomed = new TerraformLocal(
      this,
      "doomed",
      // Only what deleting takes, so that many removals fit one environment variable.
      Lazy.stringValue({
        produce: () =>
          `\${jsonencode({ for k in setsubtract(keys(${this.recorded()}), ${this.namesExpression()}) : k => { id = ${this.recorded()}[k].id, removalPolicy = ${this.recorded()}[k].removalPolicy, forceDelete = ${this.recorded()}[k].forceDelete } })}`,
      }),
    );
    doomed.overrideLogicalId(STACK.doomedLocal);
    const reapEnv = (done: string) => `\${{ ${HOOK_ENV.doomed} = local.${STACK.doomedLocal}, ${HOOK_ENV.done} = "${done}" }}`;
    const nothingDoomed = `[ "$${HOOK_ENV.doomed}" = "{}" ]`;
    this.reaper = new HookResource(this, "reaper", kind, {
      replaceOn: { names: Lazy.stringValue({ produce: () => this.desiredNames().join(",") }) },
      provisioners: () => [{ command: `${nothingDoomed} || ${this.command("reap")}`, environment: reapEnv(doneFile(runOf("${self.id}"))) }],
    });
    this.reaper.setLogicalId(STACK.reaper);
    this.reaper.resource.addOverride("depends_on", Lazy.anyValue({ produce: () => this.runners.map((r) => r.resume.address) }));
    const reapResume = new HookResource(this, "reaper-resume", kind, {
      replaceOn: { reaper: `\${${this.reaper.idExpression}}` },
      provisioners: () => {
        const done = doneFile(runOf(`\${${this.reaper.idExpression}}`));
        return [{ command: `${nothingDoomed} || test -f ${done} || ${this.command("reap")}`, environment: reapEnv(done) }];
      },
    });
    reapResume.setLogicalId(STACK.reaperResume);

    // The record of this apply, read back by the next one from the stack's
    // own backend: the only memory between deploys, the same on every machine.
    const recordedLocal = new TerraformLocal(this, "recorded", Lazy.anyValue({ produce: () => `\${merge(${this.runners.map((r) => r.recordedGroups()).join(", ")})}` }));
    recordedLocal.overrideLogicalId(STACK.recordedLocal);
    // Marked sensitive only to keep plans readable: it holds no secret, but
    // every apply that runs a runner makes it "known after apply", and a plan
    // would otherwise print every group's old record (ten lines per group).
    // Its readers (the state read back, `terraform output -json`, drift) see it whole.
    const output = new TerraformOutput(this, "recorded-output", {
      value: `\${local.${STACK.recordedLocal}}`,
      sensitive: true,
      description:
        "The secret groups this stack manages, as the control plane returned them (ids, fqns; never values). Not secret: marked sensitive so that a plan shows one line for it, not every group's record; `terraform output -json secret_groups` prints it.",
    });
    output.overrideLogicalId(RECORDED_OUTPUT);
    output.addOverride("depends_on", [reapResume.address]);

    // Whose state this is, carried from apply to apply: the token set once
    // (by the first apply, or by `secret-groups init-state` on a remote
    // backend) and never changed, so that every machine proves the same groups.
    const token = new TerraformLocal(this, "token-value", Lazy.stringValue({ produce: () => `\${try(${this.recorded(OWNER_OUTPUT)}.token, ${tokenValue})}` }));
    token.overrideLogicalId(STACK.tokenLocal);
    const owner = new TerraformOutput(this, "owner", {
      value: { stack: stack.node.id, workspace: "${terraform.workspace}", token: `\${local.${STACK.tokenLocal}}` },
      sensitive: true,
      description: "Whose state this is: the stack, the workspace, and the token that keys the create markers of its groups (secret)",
    });
    owner.overrideLogicalId(OWNER_OUTPUT);
  }

  /** The owner token of this state, for the hook (nonsensitive: Terraform would hide the hook's output). */
  tokenExpression(): string {
    return `\${nonsensitive(local.${STACK.tokenLocal})}`;
  }

  /**
   * Fails the plan, before any request, when the state read back belongs to
   * another stack or workspace: two stacks on one state would delete each
   * other's groups as "removed from the code".
   */
  ownerCheck(): { condition: string; error_message: string } {
    const owner = this.recorded(OWNER_OUTPUT);
    const stackName = this.stack.node.id;
    return {
      condition: `\${try(${owner}.stack, "${stackName}") == "${stackName}" && try(${owner}.workspace, terraform.workspace) == terraform.workspace}`,
      error_message: `This state belongs to stack "\${try(${owner}.stack, "")}" (workspace "\${try(${owner}.workspace, "")}"), not to stack "${stackName}" (workspace "\${terraform.workspace}"): each stack needs a state of its own, or deploying one deletes the other's secret groups. Give this stack's backend its own state (pg: its own schemaName; s3: its own key; local: its own path); nothing was sent.`,
    };
  }

  /** The variable that keys the digests of Terraform variables' values, declared once the stack has one; an expression. */
  digestKeyVariable(): string {
    if (!this.node.tryFindChild("digest-key")) {
      const key = new TerraformVariable(this, "digest-key", {
        type: "string",
        sensitive: true,
        nullable: false,
        description: `Keys the digests that detect changed values of Terraform variables given to secret groups: a random secret of at least ${MIN_DIGEST_KEY_LENGTH} characters, the same on every machine that deploys this stack, and not the value of ${ENV_DIGEST_KEY}`,
      });
      key.overrideLogicalId(DIGEST_KEY_VARIABLE);
      // Checked by the checks resource: a precondition, not a validation (Terraform 1.11 prints a sensitive variable's value when its validation fails).
      this.checks.push({
        condition: `\${length(var.${DIGEST_KEY_VARIABLE}) >= ${MIN_DIGEST_KEY_LENGTH}}`,
        error_message: `${DIGEST_KEY_VARIABLE} must be a random secret of at least ${MIN_DIGEST_KEY_LENGTH} characters.`,
      });
    }
    return `var.${DIGEST_KEY_VARIABLE}`;
  }

  /** Problems when another group of this stack already has this name. */
  claimName(name: string, path: string): string[] {
    const other = this.names.get(name);
    if (other !== undefined) return [`name "${name}" is already used by the secret group at ${other} in this stack`];
    this.names.set(name, path);
    return [];
  }

  /**
   * Places a group in a runner with room for its values (Linux limits what
   * one process's environment can carry) and returns where its record will be.
   */
  add(member: Member): { groupId: string; fqn: string; secretFqns: (key: string) => string } {
    const bytes = member.values.reduce((n, v) => n + (v.bytes ?? ASSUMED_VARIABLE_BYTES), 0);
    const specBytes = JSON.stringify(member.spec).length;
    let runner = this.runners.find((r) => r.fits(bytes, specBytes));
    if (!runner) {
      runner = new Runner(this, this.runners.length, this.kind);
      this.runners.push(runner);
    }
    runner.take(member, bytes, specBytes);
    const name = member.spec.name;
    return { groupId: recordedField(name, "id"), fqn: recordedField(name, "fqn"), secretFqns: (key) => recordedSecretFqn(name, key) };
  }

  /** The shell command that runs the hook program for an operation, in place of the shell. */
  command(op: HookOp): string {
    return `exec node ${this.asset.path} ${op}`;
  }

  /** The empty record a record data source reads when its runner did not run in this apply: written at synth, inside cdktf.out. */
  emptyRecord(): string {
    const file = path.join(this.stackDir, EMPTY_RECORD);
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, recordFile(null));
    }
    return EMPTY_RECORD;
  }

  /** An output as the last apply left it ({name: Recorded} by default), an expression read at plan time. */
  recorded(output: string = RECORDED_OUTPUT): string {
    return `data.terraform_remote_state.${this.ensureStateSource()}.outputs.${output}`;
  }

  /** Every desired group name of the stack, as a Terraform list expression. */
  namesExpression(): string {
    return JSON.stringify(this.desiredNames());
  }

  private desiredNames(): string[] {
    return this.runners.flatMap((r) => r.members.map((m) => m.spec.name)).sort();
  }

  /** The address of the stack's own state, for the groups' resources to be applied after it was read. */
  get stateAddress(): string {
    return `data.terraform_remote_state.${this.ensureStateSource()}`;
  }

  /**
   * The stack's own state, read through its backend at plan time (at apply
   * time in a workspace's first apply, once the token resource made the state
   * exist): declared at synth, once the backend is known. Synth writes no
   * state file.
   */
  private ensureStateSource(): string {
    if (!this.stateSource) {
      const backend = this.stack.ensureBackendExists();
      this.stateSource = backend.getRemoteStateDataSource(this, "state", this.stack.node.id);
      this.stateSource.overrideLogicalId(STACK.state);
      this.stateSource.addOverride("defaults", { [RECORDED_OUTPUT]: {} });
      this.stateSource.addOverride("depends_on", [this.tokenResource.address]);
    }
    return STACK.state;
  }
}

/** One runner: the groups one Node start reconciles, and the steps around it. */
class Runner {
  readonly members: Member[] = [];
  readonly resume: HookResource;
  private readonly keeper: HookResource;
  /** {name: Recorded} of the groups this apply's run wrote, an expression without `${}`. */
  private readonly recordOutput: string;
  private valueBytes = 0;
  private specBytes = 0;
  private valueCount = 0;

  constructor(
    private readonly runtime: StackRuntime,
    readonly index: number,
    kind: HookKind,
  ) {
    const scope = new Construct(runtime, `runner-${index}`);
    const local = RUNNER.runner(index);
    const env = new TerraformLocal(scope, "env", Lazy.anyValue({ produce: () => this.environment() }));
    env.overrideLogicalId(local);
    const empty = runtime.emptyRecord();
    const steps = (done: string, id: string, guard: string): Provisioner[] => {
      const report = this.members.some((m) => m.values.some((v) => v.ephemeral)) ? reportFile(runOf(id)) : undefined;
      const environment = `\${merge(local.${local}, { ${HOOK_ENV.done} = "${done}", ${HOOK_ENV.record} = "${recordPath(runOf(id))}"${report ? `, ${HOOK_ENV.report} = "${report}"` : ""} })}`;
      const run: Provisioner = { command: `${guard}${runtime.command("reconcile")}`, environment };
      if (!report) return [run];
      // Terraform hides the output of a provisioner whose config holds an
      // ephemeral value: the hook also writes its error to a file, printed
      // by a second provisioner that holds none.
      return [
        { ...run, onFailure: "continue" },
        { command: `if [ -f ${report} ]; then cat ${report} >&2; rm -f ${report}; exit 1; fi` },
      ];
    };

    const runner = new HookResource(scope, "runner", kind, {
      // Its groups' desired states, one line each keyed by the name: a
      // change of any replaces the runner, and the plan shows which line
      // changed. A map, not an object: the state records an object's type
      // with every one of its keys. No group has a resource of its own: the
      // state is rewritten after every resource change, so each resource
      // costs time at every step of a large deploy and destroy.
      replaceOn: Lazy.stringValue({ produce: () => `\${tomap({ ${this.members.map((m) => `${JSON.stringify(m.spec.name)} = ${m.desired}`).join(", ")} })}` }),
      provisioners: () => steps(doneFile(runOf("${self.id}")), "${self.id}", ""),
    });
    runner.setLogicalId(RUNNER.runner(index));
    runner.resource.addOverride("depends_on", [runtime.checksResource.address]);

    // A runner saved as done by a killed apply is finished here: its scratch
    // file says whether it completed in this apply; if not, reconcile again.
    const runnerId = `\${${runner.idExpression}}`;
    this.resume = new HookResource(scope, "resume", kind, {
      replaceOn: { runner: runnerId },
      provisioners: () => steps(doneFile(runOf(runnerId)), runnerId, `test -f ${doneFile(runOf(runnerId))} || `),
    });
    this.resume.setLogicalId(RUNNER.resume(index));

    // This apply's record of the runner, or the empty one when it did not run in this apply.
    const written = recordPath(runOf(runnerId));
    const record = new DataTerraformRemoteStateLocal(scope, "record", { path: `\${fileexists("${written}") ? "${written}" : "${empty}"}`, defaults: { groups: {} } });
    record.overrideLogicalId(RUNNER.record(index));
    record.addOverride("depends_on", [this.resume.address]);
    this.recordOutput = `data.terraform_remote_state.${record.friendlyUniqueId}.outputs.groups`;

    // Keeps what `cdktf destroy` needs to delete this runner's groups: ids and
    // removal settings (updated in place whenever its runner runs, from this
    // run's record), and the owner token (never changing). Its destroy-time
    // provisioner runs on a real destroy only. (The ids are this run's
    // record's, not the state's: a group created again out of band has a new
    // id, and a keeper that learned it only from the next deploy's state
    // would leave a change to plan after every such deploy.)
    const kept = (key: string) => (kind === "terraform_data" ? `self.input.${key}` : `self.triggers.${key}`);
    const tokenKept = kind === "terraform_data" ? "self.triggers_replace.token" : "self.triggers.token";
    this.keeper = new HookResource(scope, "keeper", kind, {
      // The token never changes, so it replaces nothing; it sits here, not in `input`, because terraform_data copies
      // `input` into `output` without its sensitive mark, and a plan would print it.
      replaceOn: { token: `\${sensitive(local.${STACK.tokenLocal})}` },
      // null_resource keeps these in triggers, all of which replace it: create before destroy, so that a
      // replaced keeper's deposed copy runs no destroy-time provisioner (only a real destroy deletes).
      createBeforeDestroy: kind === "null_resource",
      keep: {
        // JSON behind a prefix: Terraform shows a JSON string as a multi-line
        // diff, and a runner's run makes these ids unknown at plan (twice:
        // terraform_data copies `input` into `output`): as text, one line each.
        ids: Lazy.stringValue({
          produce: () =>
            `${IDS_PREFIX}\${jsonencode(merge({ for k in ${this.namesList()} : k => "" }, { for k, r in ${this.recordedGroups()} : k => r.id }))}`,
        }),
        retain: Lazy.stringValue({ produce: () => this.members.filter((m) => m.spec.removalPolicy === "retain").map((m) => m.spec.name).join(",") }),
        force: Lazy.stringValue({ produce: () => this.members.filter((m) => m.spec.forceDelete).map((m) => m.spec.name).join(",") }),
      },
      provisioners: () => [
        {
          when: "destroy",
          command: runtime.command("destroy"),
          environment:
            `\${{ ${HOOK_ENV.doomed} = jsonencode({ for k, id in jsondecode(trimprefix(${kept("ids")}, "${IDS_PREFIX}")) : k => { id = id, ` +
            `removalPolicy = contains(split(",", ${kept("retain")}), k) ? "retain" : "destroy", forceDelete = contains(split(",", ${kept("force")}), k) } }), ` +
            `${HOOK_ENV.owner} = nonsensitive(${tokenKept}) }}`,
        },
      ],
    });
    this.keeper.setLogicalId(RUNNER.keeper(index));
  }

  /** What this runner's groups are recorded as after this apply: this run's record, else the state's. An expression without `${}`. */
  recordedGroups(): string {
    const names = this.namesList();
    const recorded = this.runtime.recorded();
    // A map, not an object: the state records an object's type with every one of its keys. No try():
    // each failed index builds an error Terraform throws away, a quarter of a no-op's plan at N = 1000.
    return `tomap(merge({ for k in setintersection(${names}, keys(${recorded})) : k => ${recorded}[k] }, { for k in setintersection(${names}, keys(${this.recordOutput})) : k => ${this.recordOutput}[k] }))`;
  }

  /** This runner's group names, as a Terraform list. */
  private namesList(): string {
    return JSON.stringify(this.members.map((m) => m.spec.name));
  }

  fits(bytes: number, specBytes: number): boolean {
    if (this.members.length === 0) return true;
    return (
      this.members.length < MAX_GROUPS_PER_RUNNER &&
      this.valueBytes + bytes <= RUNNER_VALUE_BUDGET_BYTES &&
      this.specBytes + specBytes <= RUNNER_SPEC_BUDGET_BYTES
    );
  }

  take(member: Member, bytes: number, specBytes: number): void {
    this.specBytes += specBytes;
    for (const secret of member.spec.secrets) {
      if (secret.source === "value") secret.index = this.valueCount++;
    }
    this.members.push(member);
    this.valueBytes += bytes;
  }

  /** The runner's environment: every value once, the group specs, what the state recorded for them. */
  private environment(): Record<string, string> {
    const env: Record<string, string> = {};
    let i = 0;
    for (const m of this.members) for (const v of m.values) env[`${HOOK_ENV.valuePrefix}${i++}`] = v.expression;
    const names = this.namesList();
    const recorded = this.runtime.recorded();
    env[HOOK_ENV.groups] = escapeTemplate(JSON.stringify(this.members.map((m) => m.spec)));
    const planned = this.members.filter((m) => m.fingerprint !== m.spec.fingerprint);
    if (planned.length) env[HOOK_ENV.fingerprints] = `\${jsonencode({ ${planned.map((m) => `"${m.spec.name}" = "${m.fingerprint}"`).join(", ")} })}`;
    env[HOOK_ENV.recorded] = `\${jsonencode({ for k in setintersection(keys(${recorded}), ${names}) : k => ${recorded}[k] })}`;
    env[HOOK_ENV.removing] = `\${jsonencode(keys(jsondecode(local.${STACK.doomedLocal})))}`;
    env[HOOK_ENV.owner] = this.runtime.tokenExpression();
    return env;
  }

  /**
   * The sizes synth could not see: every Terraform variable's value checked
   * at plan, so that a deploy never fails with "argument list too long".
   */
  checks(): { condition: string; error_message: string }[] {
    return [...this.sizeChecks(), ...this.members.flatMap((m) => m.checks)];
  }

  private sizeChecks(): { condition: string; error_message: string }[] {
    const sized = this.members.flatMap((m) => m.values.filter((v) => !v.ephemeral && v.bytes === undefined).map((v) => v.expression.slice(2, -1)));
    if (sized.length === 0) return [];
    const literalBytes = this.members.reduce((n, m) => n + m.values.reduce((k, v) => k + (v.bytes ?? 0), 0), 0);
    const bytes = (e: string) => `floor(length(base64encode(${e})) * 3 / 4)`;
    const groups = this.members.map((m) => `"${m.spec.name}"`).join(", ");
    return [
      {
        condition: `\${alltrue([${sized.map((e) => `${bytes(e)} <= ${MAX_VALUE_BYTES}`).join(", ")}])}`,
        error_message: `A Terraform variable given to the secret groups ${escapeTemplate(groups)} is larger than ${MAX_VALUE_BYTES} bytes, the most a secret value may be.`,
      },
      {
        condition: `\${${literalBytes} + ${sized.map(bytes).join(" + ")} <= ${RUNNER_VALUE_BUDGET_BYTES + RUNNER_VALUE_BUDGET_BYTES / 2}}`,
        error_message: `The values of the secret groups ${escapeTemplate(groups)} from literals and Terraform variables add up to more than ${(RUNNER_VALUE_BUDGET_BYTES * 1.5) / 1024} KiB, more than one hook run can carry (Linux limits a process's environment to about 2 MiB); read the largest from the deploy environment with SecretValue.fromEnv.`,
      },
    ];
  }
}

/** A field of a group's record, as the stack's records (the `secret_groups` output) keep it. */
function recordedField(name: string, field: "id" | "fqn"): string {
  return `\${local.${STACK.recordedLocal}[${JSON.stringify(name)}].${field}}`;
}

/**
 * A secret's fqn as the control plane gave it, from the group's record: the
 * record keeps only the fqns that differ from the composed format, so the
 * others are composed the way the control plane composes them.
 */
function recordedSecretFqn(name: string, key: string): string {
  const group = `local.${STACK.recordedLocal}[${JSON.stringify(name)}]`;
  return `\${lookup(try(${group}.secretFqns, {}), ${JSON.stringify(key)}, "${secretFqn(`\${${group}.fqn}`, key)}")}`;
}
