/**
 * `npm run control-plane`: the emulator as a long-running local service.
 * Prints one line on start; never prints tokens or secret values.
 */
import * as path from "node:path";
import { startControlPlane } from "./server";

async function main(): Promise<void> {
  const port = parsePort(process.env.TFY_EMULATOR_PORT ?? "8787");
  const tokens = process.env.TFY_EMULATOR_TOKENS?.split(",");
  const dataFile = path.resolve(process.env.TFY_EMULATOR_DATA ?? path.join(__dirname, "..", ".control-plane", "data.json"));
  const controlPlane = await startControlPlane({ port, tokens, dataFile });
  console.log(`control plane listening on ${controlPlane.url} (data: ${dataFile})`);
  // Once only: a second signal during close falls back to Node's default, an immediate exit.
  const stop = () => {
    controlPlane.close().catch((err: Error) => {
      console.error(`control plane: ${err.message}`);
      process.exitCode = 1;
    });
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`TFY_EMULATOR_PORT must be a port number, got ${JSON.stringify(raw)}`);
  return port;
}

main().catch((err: Error) => {
  console.error(`control plane: ${err.message}`);
  process.exit(1);
});
