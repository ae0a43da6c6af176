// Builds what the package ships, into dist/: the library compiled by tsc
// (dist/lib, .js and .d.ts), the hook bundle (dist/hook/hook.js) and the
// `secret-groups` command, bundled with the local control plane
// (dist/cli/secret-groups.js). `prepare` runs it, so a git install builds too.
const { execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const esbuild = require("esbuild");
const { buildHook } = require("./build-hook.js");

const root = path.join(__dirname, "..");
const dist = path.join(root, "dist");

async function buildCli() {
  await esbuild.build({
    entryPoints: [path.join(root, "lib", "cli", "main.ts")],
    outfile: path.join(dist, "cli", "secret-groups.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    banner: { js: "#!/usr/bin/env node" },
    legalComments: "none",
    logLevel: "warning",
  });
}

async function build() {
  fs.rmSync(dist, { recursive: true, force: true });
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], { stdio: "inherit" });
  await buildHook();
  await buildCli();
}

module.exports = { build };

if (require.main === module) {
  build().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
