import * as path from "path";
import { startControlPlane } from "../../../control-plane/server";
import type { Command } from "../command";

const DEFAULT_PORT = "8787";
const DEFAULT_DATA = path.join(".control-plane", "data.json");

export const controlPlane: Command = {
  name: "control-plane",
  summary: "run the local control plane, to deploy your stacks against without a real one",
  help: `Usage: secret-groups control-plane

Runs the local control plane on 127.0.0.1 until interrupted (Ctrl-C). Point a
deploy at it with TFY_HOST=http://127.0.0.1:<port> and TFY_API_KEY=<a token>.

Environment:
  TFY_EMULATOR_PORT    port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  TFY_EMULATOR_TOKENS  accepted API tokens, comma-separated (default dev-token)
  TFY_EMULATOR_DATA    file that keeps the groups between runs (default ${DEFAULT_DATA}, relative to the current folder)
  TFY_EMULATOR_HOSTS   host names answered besides 127.0.0.1, localhost and [::1], comma-separated
                       (default none: a request addressed to any other name gets 421, so a web page
                       cannot reach it by pointing a name of its own at 127.0.0.1)`,

  async run(args, env) {
    if (args.length > 0) {
      console.error(`secret-groups control-plane: unexpected argument ${JSON.stringify(args[0])}; it is configured through the environment (see --help)`);
      return 2;
    }
    const port = parsePort(env.TFY_EMULATOR_PORT ?? DEFAULT_PORT);
    const tokens = env.TFY_EMULATOR_TOKENS?.split(",");
    const dataFile = path.resolve(env.TFY_EMULATOR_DATA ?? DEFAULT_DATA);
    const hosts = env.TFY_EMULATOR_HOSTS?.split(",").map((h) => h.trim()).filter(Boolean);
    const cp = await startControlPlane({ port, tokens, dataFile, hosts });
    console.log(`control plane listening on ${cp.url} (data: ${dataFile})`);
    // Once only: a second signal during close falls back to Node's default, an immediate exit.
    const stop = () => {
      cp.close().catch((err: Error) => {
        console.error(`control plane: ${err.message}`);
        process.exitCode = 1;
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    return 0;
  },
};

function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`TFY_EMULATOR_PORT must be a port number, got ${JSON.stringify(raw)}`);
  return port;
}
