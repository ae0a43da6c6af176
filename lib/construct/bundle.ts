import * as fs from "fs";
import * as path from "path";

/**
 * The prebuilt hook program, at `dist/hook/hook.js` under the package root:
 * the repo when run from source (lib/construct), the installed package when
 * run compiled (dist/lib/construct). The root is the nearest folder above
 * this module that holds a package.json, whatever the depth of the layout.
 */
export function hookBundlePath(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cdktf-secret-groups: no package.json above ${__dirname}`);
    dir = parent;
  }
  const bundle = path.join(dir, "dist", "hook", "hook.js");
  if (!fs.existsSync(bundle)) {
    throw new Error(`cdktf-secret-groups: the hook bundle is missing at ${bundle}; in a checkout of this repository run "npm run build" (npm ci runs it)`);
  }
  return bundle;
}
