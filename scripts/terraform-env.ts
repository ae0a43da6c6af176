import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * What every terraform run of the tests, the demo and the benchmark needs on
 * these machines: a CLI config of our own (the machine's TF_CLI_CONFIG_FILE
 * may point at a missing file), no phone-home, and no prompt for a missing
 * variable (a prompt with no stdin waits forever).
 */
export function terraformEnv(): { TF_CLI_CONFIG_FILE: string; CHECKPOINT_DISABLE: string; TF_INPUT: string; TF_IN_AUTOMATION: string } {
  const rc = path.join(os.tmpdir(), "tfysg.terraformrc");
  if (!fs.existsSync(rc)) fs.writeFileSync(rc, "");
  return { TF_CLI_CONFIG_FILE: rc, CHECKPOINT_DISABLE: "1", TF_INPUT: "0", TF_IN_AUTOMATION: "1" };
}
