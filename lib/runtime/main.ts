/**
 * Entry point of the bundled hook program: `node hook.js <op>`. Everything it
 * prints goes through one Redactor that knows the token and every value.
 */
import type { ControlPlaneClient } from "../client/client";
import { ConfigError, ControlPlaneError } from "../client/errors";
import { Redactor } from "../client/redact";
import * as fs from "fs";
import { ENV_API_KEY, ENV_DEBUG, HOOK_ENV, HookOp, OPS } from "../shared/contract";
import { HookContext, HookError, OPERATIONS } from "./ops";

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  const op = argv[2] as HookOp;
  // Values win over every public word: no name is exempt from redaction.
  const redactor = new Redactor([env[ENV_API_KEY]]);
  const print = (line: string) => process.stderr.write(`${redactor.redact(line)}\n`);
  if (!OPS.includes(op)) {
    print(`usage: hook.js <${OPS.join("|")}>`);
    return 2;
  }
  let client: ControlPlaneClient | undefined;
  const ctx: HookContext = {
    env,
    redactor,
    say: print,
    // Loaded on first use: runs that send nothing (an update right after its
    // create, a retained delete) skip loading axios.
    client: () => {
      const { ControlPlaneClient: Client, runDeadlineMs } = require("../client/client") as typeof import("../client/client");
      // One deadline for the whole run: no attempt starts after it, the one in flight is cut.
      return (client ??= new Client({ redactor, log: env[ENV_DEBUG] ? print : undefined, deadline: started + runDeadlineMs(env) }));
    },
  };
  try {
    await OPERATIONS[op](ctx);
    return 0;
  } catch (err) {
    const message = redactor.redact(describe(err, env[HOOK_ENV.name]));
    process.stderr.write(`${message}\n`);
    const report = env[HOOK_ENV.report];
    if (report) fs.writeFileSync(report, `${message}\n`);
    return 1;
  }
}

function describe(err: unknown, name: string | undefined): string {
  const prefix = name ? `secret group "${name}": ` : "";
  if (err instanceof HookError || err instanceof ControlPlaneError) return err.message;
  if (err instanceof ConfigError) return `${prefix}${err.message}`;
  return `${prefix}unexpected error in the hook: ${err instanceof Error ? err.message : String(err)}`;
}

main(process.argv, process.env).then((code) => {
  process.exitCode = code;
});
