import * as fs from "fs";
import * as path from "path";

/** The prebuilt hook program that ships with every synthesized stack. */
export function hookBundlePath(): string {
  const bundle = path.join(__dirname, "..", "..", "dist", "hook", "hook.js");
  if (!fs.existsSync(bundle)) {
    throw new Error(`the secret-group hook bundle is missing at ${bundle}; run "npm run build:hook" (npm ci runs it)`);
  }
  return bundle;
}
