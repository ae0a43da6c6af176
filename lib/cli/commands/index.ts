import type { Command } from "../command";
import { controlPlane } from "./control-plane";

/** Every subcommand of `secret-groups`, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [controlPlane];
