/**
 * `secret-groups <command>`: the package's command line. Each command is a
 * file in commands/, listed in commands/index.ts; this file only dispatches.
 */
import type { Command } from "./command";
import { COMMANDS } from "./commands";

function usage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "Usage: secret-groups <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "secret-groups <command> --help" for the options of a command.',
  ].join("\n");
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    console.error(usage(commands));
    return 2;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    console.log(usage(commands));
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`secret-groups: unknown command ${JSON.stringify(name)}\n\n${usage(commands)}`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) {
    console.log(command.help);
    return 0;
  }
  return command.run(args, env);
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`secret-groups: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}
