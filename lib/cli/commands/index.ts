import type { Command } from "../command";
import { controlPlane } from "./control-plane";
import { drift } from "./drift";
import { initState } from "./init-state";

/** Every subcommand of `secret-groups`, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [controlPlane, initState, drift];
