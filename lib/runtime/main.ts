/**
 * Entry point of the bundled hook program: `node hook.js <op>`. Everything it
 * prints goes through one Redactor that knows the token and every value.
 */
import type { ControlPlaneClient } from "../client/client";
import { ConfigError } from "../client/errors";
import { Redactor } from "../client/redact";
import * as fs from "fs";
import { ENV_API_KEY, ENV_DEBUG, HOOK_ENV, HookOp, OPS, debugOn } from "../shared/contract";
import { printable } from "../shared/text";
import { HookContext, HookError, OPERATIONS } from "./ops";

/** How often the hook checks that Terraform, which started it, is still alive. */
const PARENT_CHECK_MS = 100;

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  const op = argv[2] as HookOp;
  const redactor = new Redactor([env[ENV_API_KEY]]);
  // Lines may hold a server's names and messages: no control bytes reach the terminal.
  const print = (line: string) => process.stderr.write(`${printable(redactor.redact(line))}\n`);
  if (!OPS.includes(op)) {
    print(`usage: hook.js <${OPS.join("|")}>`);
    return 2;
  }
  const parentAlive = watchParent();
  let client: ControlPlaneClient | undefined;
  const ctx: HookContext = {
    env,
    redactor,
    say: print,
    // Loaded on first use: runs that send nothing skip loading axios.
    client: () => {
      const { ControlPlaneClient: Client, runDeadlineMs } = require("../client/client") as typeof import("../client/client");
      return (client ??= new Client({ redactor, log: debugOn(env[ENV_DEBUG]) ? print : undefined, deadline: started + runDeadlineMs(env), beforeAttempt: parentAlive }));
    },
  };
  try {
    await OPERATIONS[op](ctx);
    return 0;
  } catch (err) {
    const message = redactor.redact(describe(err)).split("\n").map(printable).join("\n");
    process.stderr.write(`${message}\n`);
    const report = env[HOOK_ENV.report];
    if (report) fs.writeFileSync(report, `${message}\n`);
    return 1;
  }
}

function describe(err: unknown): string {
  if (err instanceof ConfigError) return `secret groups: ${err.message}`;
  if (err instanceof HookError || (err instanceof Error && err.message.startsWith("secret group "))) return err.message;
  return `secret groups: unexpected error in the hook: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * The provisioner execs the hook, so its parent is Terraform. When Terraform
 * is killed, the hook is orphaned and must stop at once: a later deploy may
 * already be sending newer values, which a late request of ours would undo.
 */
function watchParent(): () => void {
  const parent = process.ppid;
  const check = () => {
    if (process.ppid !== parent) {
      process.stderr.write("secret groups: terraform, which ran this hook, is gone; stopping without sending anything more\n");
      process.exit(3);
    }
  };
  setInterval(check, PARENT_CHECK_MS).unref();
  // Also right before every request: the window is then what one request takes.
  return check;
}

main(process.argv, process.env).then((code) => {
  process.exitCode = code;
});
