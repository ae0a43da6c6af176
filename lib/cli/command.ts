/** One `secret-groups <name>` subcommand: a file in commands/, listed once in commands/index.ts. */
export interface Command {
  readonly name: string;
  /** One line for `secret-groups --help`. */
  readonly summary: string;
  /** The text of `secret-groups <name> --help`: usage, options, environment. */
  readonly help: string;
  /** Runs the command; resolves to the exit code (a long-running command resolves once it has started). */
  run(args: string[], env: NodeJS.ProcessEnv): Promise<number>;
}
