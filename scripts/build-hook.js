// Bundles the hook runtime (with axios) into one file that ships with every
// synthesized stack as a TerraformAsset: no node_modules needed at deploy time.
const path = require("path");
const esbuild = require("esbuild");

const root = path.join(__dirname, "..");
const outfile = path.join(root, "dist", "hook", "hook.js");

function stub(name) {
  return path.join(__dirname, "hook-stubs", name);
}

async function buildHook() {
  await esbuild.build({
    entryPoints: [path.join(root, "lib", "runtime", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node18",
    format: "cjs",
    minify: true,
    legalComments: "none",
    // Start-up cost is paid once per group per deploy: leave out what the hook never runs.
    alias: {
      "form-data": stub("form-data.js"),
      "follow-redirects": stub("follow-redirects.js"),
    },
    // axios tests `typeof FormData`; in Node 20 that global's getter loads undici.
    define: { FormData: "undefined" },
    plugins: [
      {
        name: "axios-http-adapter-only",
        setup(build) {
          const stubs = { "./fetch.js": "axios-fetch.js", http2: "http2.js" };
          build.onResolve({ filter: /^(\.\/fetch\.js|http2)$/ }, (args) =>
            /[\\/]axios[\\/]lib[\\/]/.test(args.importer) ? { path: stub(stubs[args.path]) } : undefined,
          );
        },
      },
    ],
    logLevel: "warning",
  });
  return outfile;
}

module.exports = { buildHook, outfile };

if (require.main === module) {
  buildHook().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
