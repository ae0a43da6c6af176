/**
 * The names of everything the library synthesizes into a stack, and the
 * layout of the scratch files its hook writes during one apply: the one
 * owner of these facts, used by the construct (which writes them), the hook
 * runtime and the CLI (which read them). docs/architecture.md explains each.
 * Nothing here may import construct or runtime code.
 */

/** The stack output that holds {name: Recorded}: the state's record, read back by the next deploy. */
export const RECORDED_OUTPUT = "secret_groups";
/** The stack output that says whose state this is ({stack, workspace, token}). */
export const OWNER_OUTPUT = "secret_groups_owner";

/** Per stack. */
export const STACK = {
  /** terraform_data/null_resource holding the owner token; created with the first apply, never changed. */
  token: "secret_groups_token",
  /** terraform_data/null_resource holding every plan-time check of the stack (owner, digest key, values); every runner waits for it. */
  checks: "secret_groups_checks",
  /** The terraform_remote_state that reads the stack's own state back. */
  state: "secret_groups_state",
  /** Locals: the owner token; the groups the state records and the code no longer has; the record of this apply. */
  tokenLocal: "secret_groups_token",
  doomedLocal: "secret_groups_doomed",
  recordedLocal: "secret_groups_recorded",
  /** The step that deletes the groups removed from the code, and its resume step. */
  reaper: "secret_groups_reaper",
  reaperResume: "secret_groups_reaper_resume",
} as const;

/**
 * Per runner `i`: the runner step (holding its groups' desired states, a
 * line each keyed by name; its environment local has the same name), its
 * resume step, its record, its keeper. ("reconcile", not the
 * "runner" of release 0.1.0: blocks at those addresses there depended on a
 * create-before-destroy holder, and a stack upgraded in place would plan a
 * cycle through them.)
 */
export const RUNNER = {
  runner: (i: number) => `secret_groups_reconcile_${i}`,
  resume: (i: number) => `secret_groups_reconcile_${i}_resume`,
  record: (i: number) => `secret_groups_reconcile_${i}_record`,
  keeper: (i: number) => `secret_groups_reconcile_${i}_keeper`,
  /** Matches a runner's name (and its local's), capturing its index. */
  pattern: /^secret_groups_reconcile_(\d+)$/,
} as const;

/** The stack folder's scratch directory (where local-exec runs): files of one apply, never evidence. */
export const SCRATCH = ".secret-groups";

/**
 * A Terraform template naming one step's run in this apply: the step
 * resource's id and the plan's start time. Every scratch file is named by
 * it, so that a file left by an earlier apply (killed, or on this machine
 * only) never matches: a fresh clone and this machine decide alike.
 */
export const runOf = (stepIdTemplate: string) => `${stepIdTemplate}-\${replace(plantimestamp(), ":", "")}`;

/** The file a runner writes its record to, in Terraform state format, for its record data source. */
export const recordPath = (run: string) => `${SCRATCH}/${run}.tfstate`;

/** The empty record (synth writes it, inside cdktf.out) that a record data source reads when its runner did not run in this apply. */
export const EMPTY_RECORD = `${SCRATCH}/empty.tfstate`;

/** The file a step writes once it completed, so that its resume step, in the same apply, knows there is nothing left to do. */
export const doneFile = (run: string) => `${SCRATCH}/${run}.done`;

/** Where a hook run writes its failure too, for a second provisioner to print (Terraform hides the output of one holding an ephemeral value). */
export const reportFile = (run: string) => `${SCRATCH}/${run}.error`;
