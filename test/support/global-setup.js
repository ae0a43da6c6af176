// Every test run uses the package as it is in the tree, never a stale build:
// it builds dist/ (the hook bundle the e2e tests deploy) and packs the
// tarball the consumer tests install, into a temp dir removed by the teardown.
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { build } = require("../../scripts/build.js");

module.exports = async () => {
  await build();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-pack-"));
  const out = execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: path.join(__dirname, "..", ".."),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  process.env.TFYSG_PACK_DIR = dir;
  process.env.TFYSG_TARBALL = path.join(dir, JSON.parse(out)[0].filename);
};
